import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebhookRouteSink, type RouteWebhookTarget, type SecretLookup } from '../../../../src/adapters/local/webhook-route-sink.js';
import type { Outcome, RouteResult } from '../../../../src/domain/document.js';
import { ConfigError, DependencyUnavailableError, PipelineError, ThrottledError } from '../../../../src/domain/errors.js';
import { createReplayServer, type ReplayServer } from '../../../helpers/replay-server.js';

const SECRET = 'tok-4f9c-very-secret';
const DOC_ID = 'a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2';

const result = (overrides: Partial<RouteResult> = {}): RouteResult => ({
  documentId: DOC_ID,
  name: 'invoice-0042.pdf',
  outcome: 'hold',
  documentClass: 'invoice',
  confidence: 0.91,
  fields: { invoice_number: 'INV-0042', total: 1250.5 },
  findings: [{ ruleId: 'total-high', reasonCode: 'TOTAL_HIGH', severity: 'hold', message: 'Total above limit', fields: ['total'] }],
  reasons: [{ code: 'TOTAL_HIGH', message: 'Total above limit' }],
  configVersion: 'cfg0123456789abc',
  rulesetVersion: 'rules0123456789a',
  classifier: 'rules',
  ...overrides,
});

const env =
  (vars: Record<string, string>): SecretLookup =>
  (name) =>
    vars[name];

const noEnv: SecretLookup = () => undefined;

/** Runs `fn`, expecting a taxonomy error that leaks neither the secret nor document data. */
const failure = async (fn: () => Promise<unknown>): Promise<PipelineError> => {
  const err = await fn().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PipelineError);
  const message = (err as Error).message;
  expect(message).not.toContain(SECRET);
  expect(message).not.toContain('INV-0042');
  return err as PipelineError;
};

/** A port that was listening a moment ago and is now closed: connections are refused. */
const closedPortUrl = async (): Promise<string> => {
  const s = createReplayServer();
  await s.start();
  const url = s.url;
  await s.close();
  return url;
};

let server: ReplayServer;
beforeEach(async () => {
  server = createReplayServer();
  await server.start();
});
afterEach(async () => {
  await server.close();
});

const sinkFor = (outcome: Outcome, target: Partial<RouteWebhookTarget> = {}, secret: SecretLookup = noEnv): WebhookRouteSink =>
  new WebhookRouteSink({ [outcome]: { url: `${server.url}/hooks/docs`, timeoutMs: 5000, ...target } }, secret);

describe('webhook route sink: the request', () => {
  it('POSTs exactly the decision record as JSON, with an idempotency key and the outcome', async () => {
    server.enqueue({ status: 204 });
    const sink = sinkFor('hold');
    const sent = result();
    await sink.deliver('hold', sent);

    expect(server.requests).toHaveLength(1);
    const req = server.requests[0];
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/hooks/docs');
    expect(req?.body).toEqual(sent);
    expect(req?.rawBody).toBe(JSON.stringify(sent));
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['user-agent']).toBe('docroute');
    expect(req?.headers['idempotency-key']).toBe(`${DOC_ID}:1:hold`);
    expect(req?.headers['x-docroute-outcome']).toBe('hold');
  });

  it('keys a later decision by its version, so receivers tell it from the first', async () => {
    server.enqueue({ status: 200 });
    const sink = sinkFor('pass');
    await sink.deliver(
      'pass',
      result({ outcome: 'pass', decision: { version: 3, kind: 'review', supersedes: { version: 2, outcome: 'hold' }, reviewer: 'r-7' } }),
    );
    expect(server.requests[0]?.headers['idempotency-key']).toBe(`${DOC_ID}:3:pass`);
  });

  it('sends the same key when the same decision is delivered again', async () => {
    server.enqueue({ status: 200 }, { status: 200 });
    const sink = sinkFor('hold');
    await sink.deliver('hold', result());
    await sink.deliver('hold', result());
    const keys = server.requests.map((r) => r.headers['idempotency-key']);
    expect(keys).toEqual([`${DOC_ID}:1:hold`, `${DOC_ID}:1:hold`]);
  });

  it('sends configured headers with values resolved from the environment', async () => {
    server.enqueue({ status: 202 });
    const sink = sinkFor(
      'pass',
      { headers: { Authorization: 'DOWNSTREAM_TOKEN', 'X-Tenant': 'TENANT_ID' } },
      env({ DOWNSTREAM_TOKEN: `Bearer ${SECRET}`, TENANT_ID: 'acme' }),
    );
    await sink.deliver('pass', result({ outcome: 'pass' }));
    expect(server.requests[0]?.headers['authorization']).toBe(`Bearer ${SECRET}`);
    expect(server.requests[0]?.headers['x-tenant']).toBe('acme');
  });

  it('never lets a configured header replace the idempotency key or the content type', async () => {
    server.enqueue({ status: 200 });
    const sink = sinkFor(
      'pass',
      { headers: { 'Idempotency-Key': 'FIXED_KEY', 'Content-Type': 'FIXED_TYPE' } },
      env({ FIXED_KEY: 'k', FIXED_TYPE: 'text/plain' }),
    );
    await sink.deliver('pass', result({ outcome: 'pass' }));
    expect(server.requests[0]?.headers['idempotency-key']).toBe(`${DOC_ID}:1:pass`);
    expect(server.requests[0]?.headers['content-type']).toBe('application/json');
  });

  it('returns the URL without its query string as the location', async () => {
    server.enqueue({ status: 200 });
    const sink = sinkFor('reject', { url: `${server.url}/hooks/rejects?token=abc#frag` });
    const { location } = await sink.deliver('reject', result({ outcome: 'reject' }));
    expect(location).toBe(`${server.url}/hooks/rejects`);
    expect(server.requests[0]?.url).toBe('/hooks/rejects?token=abc');
  });

  it("calls only the delivered outcome's own webhook", async () => {
    const other = createReplayServer();
    await other.start();
    try {
      server.enqueue({ status: 200 });
      const sink = new WebhookRouteSink(
        {
          pass: { url: `${other.url}/pass`, timeoutMs: 5000 },
          hold: { url: `${server.url}/hold`, timeoutMs: 5000 },
        },
        noEnv,
      );
      expect(sink.outcomes).toEqual(['pass', 'hold']);
      const { location } = await sink.deliver('hold', result());
      expect(location).toBe(`${server.url}/hold`);
      expect(server.requests.map((r) => r.url)).toEqual(['/hold']);
      expect(other.requests).toHaveLength(0);
    } finally {
      await other.close();
    }
  });

  it('refuses an outcome that has no webhook, without calling any', async () => {
    const sink = sinkFor('pass');
    const err = await failure(() => sink.deliver('reject', result({ outcome: 'reject' })));
    expect(err).toBeInstanceOf(ConfigError);
    expect(server.requests).toHaveLength(0);
  });

  it('withdraw is a no-op that calls nobody', async () => {
    const sink = sinkFor('pass');
    await sink.withdraw(`${server.url}/hooks/docs`);
    expect(server.requests).toHaveLength(0);
  });
});

describe('webhook route sink: secrets from the environment', () => {
  it('fails at construction, naming the missing variable', () => {
    let err: unknown;
    try {
      sinkFor('hold', { headers: { Authorization: 'DOWNSTREAM_TOKEN' } }, env({ OTHER: SECRET }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('DOWNSTREAM_TOKEN');
    expect((err as Error).message).toContain('route.destinations.hold.webhook.headers.Authorization');
    expect((err as Error).message).not.toContain(SECRET);
  });

  it('treats an empty variable as missing', () => {
    expect(() => sinkFor('hold', { headers: { Authorization: 'DOWNSTREAM_TOKEN' } }, env({ DOWNSTREAM_TOKEN: '' }))).toThrow(ConfigError);
  });

  it('rejects a value that cannot be a header, without echoing it', () => {
    let err: unknown;
    try {
      sinkFor('pass', { headers: { Authorization: 'DOWNSTREAM_TOKEN' } }, env({ DOWNSTREAM_TOKEN: `${SECRET}\r\nX-Injected: 1` }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('DOWNSTREAM_TOKEN');
    expect((err as Error).message).not.toContain(SECRET);
  });
});

describe('webhook route sink: failures map to the taxonomy', () => {
  it('429 is throttling (retried)', async () => {
    server.enqueue({ status: 429, body: { error: 'slow down' } });
    const err = await failure(() => sinkFor('hold').deliver('hold', result()));
    expect(err).toBeInstanceOf(ThrottledError);
    expect(err.retryable).toBe(true);
  });

  it('503 is an outage (retried)', async () => {
    server.enqueue({ status: 503, rawBody: '<html>down</html>' });
    const err = await failure(() => sinkFor('hold').deliver('hold', result()));
    expect(err).toBeInstanceOf(DependencyUnavailableError);
  });

  it('400 is a refusal: terminal, pointing at the config', async () => {
    server.enqueue({ status: 400, body: { error: `bad token ${SECRET}` } });
    const err = await failure(() => sinkFor('hold', {}, noEnv).deliver('hold', result()));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('route.destinations.hold.webhook');
  });

  it('a redirect is not followed (it would replay the secret headers elsewhere)', async () => {
    const elsewhere = createReplayServer();
    await elsewhere.start();
    try {
      server.enqueue({ status: 307, headers: { location: `${elsewhere.url}/steal` } });
      const sink = sinkFor('pass', { headers: { Authorization: 'DOWNSTREAM_TOKEN' } }, env({ DOWNSTREAM_TOKEN: SECRET }));
      const err = await failure(() => sink.deliver('pass', result({ outcome: 'pass' })));
      expect(err).toBeInstanceOf(ConfigError);
      expect(elsewhere.requests).toHaveLength(0);
    } finally {
      await elsewhere.close();
    }
  });

  it('a refused connection is an outage', async () => {
    const sink = new WebhookRouteSink({ hold: { url: `${await closedPortUrl()}/hook`, timeoutMs: 5000 } }, noEnv);
    const err = await failure(() => sink.deliver('hold', result()));
    expect(err).toBeInstanceOf(DependencyUnavailableError);
  });

  it('a receiver slower than timeoutMs is an outage', async () => {
    server.enqueue({ status: 200, delayMs: 30_000 });
    const err = await failure(() => sinkFor('hold', { timeoutMs: 50 }).deliver('hold', result()));
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect(err.message).toContain('timed out');
  });
});
