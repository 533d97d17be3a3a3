import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parseConfig } from '../../../src/config/load.js';
import { configJsonSchema } from '../../../src/config/schema.js';
import { ConfigError } from '../../../src/domain/errors.js';

/** The ConfigError parsing `raw` throws; fails the test when it throws nothing or something else. */
const configError = (raw: unknown): ConfigError => {
  try {
    parseConfig(raw, 'test.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

const withPassWebhook = (webhook: Record<string, unknown>) => ({ route: { destinations: { pass: { webhook } } } });

describe('route config', () => {
  it('defaults to the data-dir folders and no webhooks when omitted', () => {
    const { config } = parseConfig({});
    expect(config.route).toEqual({ destinations: { pass: {}, hold: {}, reject: {} } });
  });

  it('fills in the outcomes a partial section leaves out', () => {
    const { config } = parseConfig({ route: { destinations: { hold: { folder: './review' } } } });
    expect(config.route.destinations).toEqual({ pass: {}, hold: { folder: './review' }, reject: {} });
    expect(parseConfig({ route: {} }).config.route.destinations).toEqual({ pass: {}, hold: {}, reject: {} });
  });

  it('parses a full example, with webhook defaults filled in', () => {
    const raw: unknown = YAML.parse(`
route:
  destinations:
    pass:
      folder: ./out/pass
      webhook:
        url: https://erp.example.com/docroute/incoming
        timeoutMs: 2500
        headers:
          Authorization: DOWNSTREAM_TOKEN
          X-Tenant: TENANT_ID
    hold:
      webhook:
        url: http://127.0.0.1:8080/review
    reject: {}
`);
    const { config } = parseConfig(raw, 'example.yaml');
    expect(config.route.destinations.pass).toEqual({
      folder: './out/pass',
      webhook: {
        url: 'https://erp.example.com/docroute/incoming',
        timeoutMs: 2500,
        headers: { Authorization: 'DOWNSTREAM_TOKEN', 'X-Tenant': 'TENANT_ID' },
      },
    });
    expect(config.route.destinations.hold).toEqual({ webhook: { url: 'http://127.0.0.1:8080/review', timeoutMs: 5000, headers: {} } });
    expect(config.route.destinations.reject).toEqual({});
  });

  it('rejects a header value that is not an environment variable name (a secret pasted in)', () => {
    const err = configError(withPassWebhook({ url: 'https://x.example/h', headers: { Authorization: 'Bearer abc123' } }));
    expect(err.message).toContain('route.destinations.pass.webhook.headers.Authorization');
    expect(err.message).toContain('environment variable name');
    expect(err.message).not.toContain('abc123');
  });

  it('rejects an invalid header name', () => {
    const err = configError(withPassWebhook({ url: 'https://x.example/h', headers: { 'Bad Header': 'TOKEN' } }));
    expect(err.message).toContain('route.destinations.pass.webhook.headers.Bad Header');
    expect(err.message).toContain('HTTP header name');
  });

  it('rejects headers docroute sets itself, and duplicates that differ in case', () => {
    const reserved = configError(withPassWebhook({ url: 'https://x.example/h', headers: { 'Idempotency-Key': 'KEY' } }));
    expect(reserved.message).toContain('route.destinations.pass.webhook.headers.Idempotency-Key');
    const dup = configError(withPassWebhook({ url: 'https://x.example/h', headers: { Authorization: 'A', authorization: 'B' } }));
    expect(dup.message).toContain('route.destinations.pass.webhook.headers.authorization: duplicate header');
  });

  it('rejects a URL that is not http(s)', () => {
    for (const url of ['ftp://x.example/h', 'not a url', 'file:///etc/passwd']) {
      const err = configError(withPassWebhook({ url }));
      expect(err.message).toContain('route.destinations.pass.webhook.url: expected an http:// or https:// URL');
    }
  });

  it('rejects credentials in the URL without echoing them', () => {
    const err = configError(withPassWebhook({ url: 'https://user:hunter2@x.example/h' }));
    expect(err.message).toContain('route.destinations.pass.webhook.url');
    expect(err.message).not.toContain('hunter2');
  });

  it('rejects unknown keys at every level, naming where', () => {
    expect(configError({ route: { destination: {} } }).message).toContain('route: unknown key(s) "destination"');
    expect(configError({ route: { destinations: { failed: {} } } }).message).toContain('route.destinations: unknown key(s) "failed"');
    expect(configError({ route: { destinations: { hold: { path: './h' } } } }).message).toContain(
      'route.destinations.hold: unknown key(s) "path"',
    );
    expect(configError(withPassWebhook({ url: 'https://x.example/h', secret: 'x' })).message).toContain(
      'route.destinations.pass.webhook: unknown key(s) "secret"',
    );
  });

  it('rejects a non-positive timeout and an empty folder', () => {
    expect(configError(withPassWebhook({ url: 'https://x.example/h', timeoutMs: 0 })).message).toContain(
      'route.destinations.pass.webhook.timeoutMs',
    );
    expect(configError({ route: { destinations: { reject: { folder: '' } } } }).message).toContain('route.destinations.reject.folder');
  });

  it('is described in the JSON Schema for editors', () => {
    const schema = configJsonSchema() as {
      properties?: { route?: { properties?: { destinations?: { properties?: Record<string, unknown> } } } };
    };
    expect(Object.keys(schema.properties?.route?.properties?.destinations?.properties ?? {}).sort()).toEqual(['hold', 'pass', 'reject']);
  });
});
