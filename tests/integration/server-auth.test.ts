import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/adapters/local/sqlite-store.js';
import { SqliteTokenStore } from '../../src/adapters/local/sqlite-tokens.js';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError, ThrottledError } from '../../src/domain/errors.js';
import { registerApi } from '../../src/entrypoints/server/api.js';
import { createApp } from '../../src/entrypoints/server/app.js';
import { renderMetrics } from '../../src/entrypoints/server/metrics.js';
import { CSRF_COOKIE, SESSION_COOKIE, requireRole } from '../../src/entrypoints/server/auth.js';
import type { AppEnv, ServerDeps } from '../../src/entrypoints/server/types.js';
import { listInbox, openRuntime, type Runtime } from '../../src/entrypoints/runtime.js';
import { tempDir, writeInvoices } from '../helpers/docs.js';
import { FakeOcr } from '../helpers/fakes.js';

/**
 * The server core over a real runtime and a real SQLite file, through `app.request()`. The routes
 * under /api/test/ are stubs registered by this file: they exercise the guards without depending
 * on the JSON API's own routes.
 */

const MAX_UPLOAD = 4096;
const HOUR = 60 * 60 * 1000;

let dir: string;
let runtime: Runtime;
let tokens: SqliteTokenStore;
let app: ReturnType<typeof createApp>;
let deps: ServerDeps;
const clock = { t: Date.parse('2026-11-28T12:00:00.000Z') };
const logs: string[] = [];
const issued: Record<'viewer' | 'reviewer' | 'admin' | 'revoked', { id: string; token: string }> = {} as never;

beforeAll(async () => {
  dir = tempDir('server-auth');
  runtime = await openRuntime(parseConfig({ dataDir: path.join(dir, 'data') }), { ocr: new FakeOcr() });
  const inbox = path.join(dir, 'inbox');
  await writeInvoices(inbox, 1);
  const { files } = await listInbox([inbox]);
  await runtime.runFiles(files, 'test');
  tokens = new SqliteTokenStore(path.join(runtime.dataDir, 'docroute.db'), { now: () => new Date(clock.t) });
  issued.viewer = tokens.create({ name: 'vera', role: 'viewer' });
  issued.reviewer = tokens.create({ name: 'rita', role: 'reviewer' });
  issued.admin = tokens.create({ name: 'adam@example.com', role: 'admin' });
  issued.revoked = tokens.create({ name: 'old', role: 'admin' });
  tokens.revoke(issued.revoked.id);
  deps = {
    runtime,
    uploadsDir: path.join(runtime.dataDir, 'uploads'),
    maxUploadBytes: MAX_UPLOAD,
    processQueued: () => Promise.resolve(null),
    now: () => new Date(clock.t),
  };
  app = createApp(deps, { tokens, log: (line) => logs.push(line) });
  // Stubs: a reviewer-only decision, an echo of a JSON body, and errors of each kind.
  app.post('/api/test/decide', requireRole('reviewer'), (c) => c.json({ decidedBy: c.get('principal').name }));
  app.post('/api/test/echo', async (c) => c.json({ got: (await c.req.json()) as unknown }));
  app.post('/api/test/upload', async (c) => c.json({ bytes: (await c.req.arrayBuffer()).byteLength }));
  app.get('/api/test/throttled', () => {
    throw new ThrottledError('the classifier is busy');
  });
  app.get('/api/test/config', () => {
    throw new ConfigError('classify.classifier: expected one of rules, local');
  });
  app.get('/api/test/boom', () => {
    throw new Error('IBAN DE89370400440532013000 leaked');
  });
});

afterAll(async () => {
  tokens.close();
  await runtime.close();
});

const bearer = (token: string, init: RequestInit = {}): RequestInit => ({
  ...init,
  headers: { ...(init.headers as Record<string, string> | undefined), Authorization: `Bearer ${token}` },
});

/** Name → { value, attributes } of every Set-Cookie on a response. */
const cookiesOf = (res: Response): Map<string, { value: string; attrs: string[] }> =>
  new Map(
    res.headers.getSetCookie().map((line) => {
      const [pair = '', ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      return [pair.slice(0, eq), { value: decodeURIComponent(pair.slice(eq + 1)), attrs }];
    }),
  );

const login = async (token: string): Promise<{ res: Response; session: string; csrf: string; cookie: string }> => {
  const res = await app.request('/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://localhost' },
    body: new URLSearchParams({ token, next: '/review' }).toString(),
  });
  const jar = cookiesOf(res);
  const session = jar.get(SESSION_COOKIE)?.value ?? '';
  const csrf = jar.get(CSRF_COOKIE)?.value ?? '';
  return { res, session, csrf, cookie: `${SESSION_COOKIE}=${session}; ${CSRF_COOKIE}=${csrf}` };
};

describe('API tokens at rest', () => {
  it('keeps only a hash: the raw token is in neither the database nor its WAL', () => {
    const file = path.join(runtime.dataDir, 'docroute.db');
    for (const f of [file, `${file}-wal`]) {
      if (!existsSync(f)) continue;
      const bytes = readFileSync(f);
      for (const t of Object.values(issued)) expect(bytes.includes(Buffer.from(t.token))).toBe(false);
    }
    const db = new Database(file, { readonly: true });
    try {
      const rows = db.prepare('SELECT token_hash FROM api_tokens').all() as { token_hash: string }[];
      expect(rows).toHaveLength(4);
      for (const r of rows) expect(r.token_hash).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      db.close();
    }
    const listed = JSON.stringify(tokens.list());
    expect(listed).not.toContain('hash');
    for (const t of Object.values(issued)) expect(listed).not.toContain(t.token);
  });

  it('tokens have the documented shape and names follow the reviewer-id rule', () => {
    expect(issued.viewer.token).toMatch(/^drt_[A-Za-z0-9_-]{43}$/);
    expect(() => tokens.create({ name: 'bad name', role: 'viewer' })).toThrow(ConfigError);
    expect(() => tokens.create({ name: '-dash', role: 'viewer' })).toThrow(ConfigError);
    expect(tokens.authenticate(`${issued.viewer.token}x`)).toBeNull();
    expect(tokens.authenticate('drt_' + 'A'.repeat(43))).toBeNull();
    expect(tokens.authenticate(issued.viewer.token)).toEqual({ tokenId: issued.viewer.id, name: 'vera', role: 'viewer' });
  });

  it('updates last_used_at at most once a minute', () => {
    const t = tokens.create({ name: 'lu', role: 'viewer' });
    const lastUsed = (): string | null => tokens.list().find((x) => x.id === t.id)?.lastUsedAt ?? null;
    expect(lastUsed()).toBeNull();
    tokens.authenticate(t.token);
    const first = lastUsed();
    expect(first).toBe(new Date(clock.t).toISOString());
    clock.t += 30_000;
    tokens.authenticate(t.token);
    expect(lastUsed()).toBe(first);
    clock.t += 31_000;
    tokens.authenticate(t.token);
    expect(lastUsed()).toBe(new Date(clock.t).toISOString());
    expect(tokens.revoke(t.id)).toBe('revoked');
    expect(tokens.revoke(t.id)).toBe('already-revoked');
    expect(tokens.revoke('tok-nope')).toBe('not-found');
  });
});

describe('authentication and roles', () => {
  it('answers /healthz without a token', async () => {
    const res = await app.request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', store: 'ok' });
  });

  it.each(['/api/v1/documents', '/api/anything', '/openapi.json', '/metrics'])('refuses %s without a token (401 JSON)', async (p) => {
    const res = await app.request(p);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('Bearer');
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('UNAUTHENTICATED');
    expect(body.error.message).not.toBe('');
  });

  it('refuses a revoked, unknown or malformed bearer token with 401', async () => {
    for (const t of [issued.revoked.token, 'drt_' + 'x'.repeat(43), 'not-a-token']) {
      const res = await app.request('/openapi.json', bearer(t));
      expect(res.status).toBe(401);
      expect(await res.text()).not.toContain(t);
    }
  });

  it('sends a signed-out browser to /login and back', async () => {
    const res = await app.request('/review?x=1');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/login?next=${encodeURIComponent('/review?x=1')}`);
  });

  it('lets a viewer read but not decide (403); a reviewer decides under their token name', async () => {
    expect((await app.request('/openapi.json', bearer(issued.viewer.token))).status).toBe(200);
    const denied = await app.request('/api/test/decide', bearer(issued.viewer.token, { method: 'POST' }));
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    const ok = await app.request('/api/test/decide', bearer(issued.reviewer.token, { method: 'POST' }));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ decidedBy: 'rita' });
    expect((await app.request('/api/test/decide', bearer(issued.admin.token, { method: 'POST' }))).status).toBe(200);
    // The JSON API's own review route is guarded the same way.
    const review = await app.request(
      `/api/v1/documents/${'a'.repeat(64)}/review`,
      bearer(issued.viewer.token, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ action: 'approve', reason: 'looks right' }),
      }),
    );
    expect(review.status).toBe(403);
  });

  it('needs no CSRF token for bearer calls', async () => {
    const res = await app.request(
      '/api/test/decide',
      bearer(issued.reviewer.token, { method: 'POST', headers: { Origin: 'https://elsewhere.example' } }),
    );
    expect(res.status).toBe(200);
  });
});

describe('browser sessions', () => {
  it('signs in with a token: HttpOnly SameSite=Strict session cookie, readable CSRF cookie, redirect to next', async () => {
    const { res, session, csrf } = await login(issued.reviewer.token);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/review');
    const jar = cookiesOf(res);
    const s = jar.get(SESSION_COOKIE);
    expect(s?.attrs).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Path=/']));
    expect(s?.attrs).not.toContain('Secure');
    const c = jar.get(CSRF_COOKIE);
    expect(c?.attrs).toEqual(expect.arrayContaining(['SameSite=Strict', 'Path=/']));
    expect(c?.attrs).not.toContain('HttpOnly');
    expect(session).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session).not.toBe(issued.reviewer.token);
    expect(res.headers.getSetCookie().join('\n')).not.toContain(issued.reviewer.token);
  });

  it('marks the cookies Secure over https', async () => {
    const res = await app.request('https://console.example/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: issued.viewer.token }).toString(),
    });
    expect(res.status).toBe(303);
    for (const { attrs } of cookiesOf(res).values()) expect(attrs).toContain('Secure');
  });

  it('refuses a wrong token without echoing it, and never redirects off-site', async () => {
    const wrong = 'drt_' + 'W'.repeat(43);
    const res = await app.request('/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: wrong }).toString(),
    });
    expect(res.status).toBe(401);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(await res.text()).not.toContain(wrong);
    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
      const r = await app.request('/login', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: issued.viewer.token, next }).toString(),
      });
      expect(r.headers.get('location')).toBe('/');
    }
  });

  it('refuses a sign-in posted from another site', async () => {
    const res = await app.request('/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'https://evil.example' },
      body: new URLSearchParams({ token: issued.viewer.token }).toString(),
    });
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it('serves the sign-in page without a token', async () => {
    const res = await app.request('/login?next=/review');
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('action="/login"');
    expect(body).toContain('name="token"');
    expect(body).not.toMatch(/<script(?![^>]*\bsrc=)/i);
  });

  it('requires the CSRF token on unsafe session requests, and a same-origin Origin', async () => {
    const { cookie, csrf } = await login(issued.reviewer.token);
    const post = (headers: Record<string, string>, body?: string): Promise<Response> =>
      Promise.resolve(
        app.request('/api/test/decide', { method: 'POST', headers: { Cookie: cookie, ...headers }, ...(body ? { body } : {}) }),
      );

    // Reading needs no CSRF token.
    expect((await app.request('/openapi.json', { headers: { Cookie: cookie } })).status).toBe(200);

    const missing = await post({});
    expect(missing.status).toBe(403);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('CSRF_TOKEN_INVALID');
    expect((await post({ 'X-CSRF-Token': 'drt_wrong' })).status).toBe(403);

    const ok = await post({ 'X-CSRF-Token': csrf });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ decidedBy: 'rita' });
    expect((await post({ 'X-CSRF-Token': csrf, Origin: 'http://localhost' })).status).toBe(200);
    const form = await post(
      { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://localhost' },
      new URLSearchParams({ _csrf: csrf }).toString(),
    );
    expect(form.status).toBe(200);

    const cross = await post({ 'X-CSRF-Token': csrf, Origin: 'https://evil.example' });
    expect(cross.status).toBe(403);
    expect(((await cross.json()) as { error: { code: string } }).error.code).toBe('CROSS_ORIGIN');
    expect((await post({ 'X-CSRF-Token': csrf, Referer: 'https://evil.example/page' })).status).toBe(403);
    expect((await post({ 'X-CSRF-Token': csrf, Origin: 'null' })).status).toBe(403);
  });

  it("lets other Authorization schemes (a proxy's Basic auth) fall through to the session", async () => {
    const { cookie } = await login(issued.viewer.token);
    const basic = 'Basic ' + Buffer.from('proxy:secret').toString('base64');
    expect((await app.request('/openapi.json', { headers: { Authorization: basic, Cookie: cookie } })).status).toBe(200);
    expect((await app.request('/openapi.json', { headers: { Authorization: basic } })).status).toBe(401);
    // A wrong Bearer token is refused even with a valid session beside it.
    expect((await app.request('/openapi.json', { headers: { Authorization: 'Bearer nope', Cookie: cookie } })).status).toBe(401);
  });

  it('a viewer session is still a viewer', async () => {
    const { cookie, csrf } = await login(issued.viewer.token);
    const res = await app.request('/api/test/decide', { method: 'POST', headers: { Cookie: cookie, 'X-CSRF-Token': csrf } });
    expect(res.status).toBe(403);
  });

  it('logout ends the session', async () => {
    const { cookie, csrf } = await login(issued.viewer.token);
    expect((await app.request('/openapi.json', { headers: { Cookie: cookie } })).status).toBe(200);
    const out = await app.request('/logout', { method: 'POST', headers: { Cookie: cookie, 'X-CSRF-Token': csrf } });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/login');
    expect((await app.request('/openapi.json', { headers: { Cookie: cookie } })).status).toBe(401);
  });

  it('ends sessions whose token is revoked, and sessions idle for 8 hours', async () => {
    const t = tokens.create({ name: 'temp', role: 'viewer' });
    const a = await login(t.token);
    expect((await app.request('/openapi.json', { headers: { Cookie: a.cookie } })).status).toBe(200);
    tokens.revoke(t.id);
    expect((await app.request('/openapi.json', { headers: { Cookie: a.cookie } })).status).toBe(401);

    const b = await login(issued.viewer.token);
    clock.t += 7 * HOUR;
    expect((await app.request('/openapi.json', { headers: { Cookie: b.cookie } })).status).toBe(200);
    clock.t += 7 * HOUR; // 7 h since the last request: still alive
    expect((await app.request('/openapi.json', { headers: { Cookie: b.cookie } })).status).toBe(200);
    clock.t += 8 * HOUR + 1000;
    expect((await app.request('/openapi.json', { headers: { Cookie: b.cookie } })).status).toBe(401);
  });
});

describe('responses', () => {
  it('sets the security headers on pages, API answers and errors', async () => {
    for (const res of [
      await app.request('/login'),
      await app.request('/healthz'),
      await app.request('/api/nothing-here', bearer(issued.viewer.token)),
      await app.request('/metrics'),
    ]) {
      expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'self'/);
      expect(res.headers.get('content-security-policy')).not.toContain('unsafe-inline');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('same-origin');
    }
  });

  it('answers unknown paths with a JSON 404 under /api and an HTML 404 elsewhere', async () => {
    const api = await app.request('/api/nothing-here', bearer(issued.viewer.token));
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    const page = await app.request('/no/such/page', bearer(issued.viewer.token));
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toContain('text/html');
  });

  it('refuses malformed JSON with a 400 and a message that does not quote the body', async () => {
    const res = await app.request(
      '/api/test/echo',
      bearer(issued.admin.token, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"iban": "DE89 secret' }),
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('MALFORMED_JSON');
    expect(body.error.message).toMatch(/not valid JSON/);
    expect(body.error.message).not.toContain('secret');
    const good = await app.request(
      '/api/test/echo',
      bearer(issued.admin.token, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"a":1}' }),
    );
    expect(await good.json()).toEqual({ got: { a: 1 } });
  });

  it('refuses a body above the upload limit with 413', async () => {
    const big = new Uint8Array(MAX_UPLOAD + 64 * 1024 + 1);
    const res = await app.request(
      '/api/test/upload',
      bearer(issued.admin.token, { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: big }),
    );
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
    const ok = await app.request(
      '/api/test/upload',
      bearer(issued.admin.token, {
        method: 'POST',
        headers: { 'Content-Type': 'application/octet-stream' },
        body: new Uint8Array(MAX_UPLOAD),
      }),
    );
    expect(await ok.json()).toEqual({ bytes: MAX_UPLOAD });
    // Signed out, only a sign-in fits.
    const anon = await app.request('/login', { method: 'POST', body: new Uint8Array(64 * 1024 + 1) });
    expect(anon.status).toBe(413);
  });

  it('maps taxonomy errors to statuses and never describes unknown errors', async () => {
    const throttled = await app.request('/api/test/throttled', bearer(issued.viewer.token));
    expect(throttled.status).toBe(503);
    expect(throttled.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await throttled.json()) as { error: { code: string } }).error.code).toBe('ThrottledError');
    expect((await app.request('/api/test/config', bearer(issued.viewer.token))).status).toBe(400);
    const boom = await app.request('/api/test/boom', bearer(issued.viewer.token));
    expect(boom.status).toBe(500);
    const text = await boom.text();
    expect(text).not.toContain('DE89');
    expect(text).not.toContain('leaked');
    expect(JSON.parse(text)).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
    expect(logs.join('\n')).not.toContain('DE89');
  });

  it('serves an OpenAPI 3.1 document with bearer and cookie security schemes', async () => {
    const res = await app.request('/openapi.json', bearer(issued.viewer.token));
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, unknown>;
      components: {
        schemas: Record<string, unknown>;
        securitySchemes: Record<string, { type: string; scheme?: string; in?: string; name?: string }>;
      };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/healthz', '/metrics', '/openapi.json', '/login', '/logout']));
    // Every path and schema the JSON API declares is in the document.
    const api = registerApi(new Hono<AppEnv>(), deps);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(Object.keys(api.openapiPaths)));
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Error', ...Object.keys(api.openapiSchemas)]));
    expect(doc.components.securitySchemes['bearerAuth']).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes['sessionCookie']).toMatchObject({ type: 'apiKey', in: 'cookie', name: SESSION_COOKIE });
  });
});

describe('/metrics', () => {
  it('is Prometheus text whose every sample line parses, and counts the routed document', async () => {
    const res = await app.request('/metrics', bearer(issued.viewer.token));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await res.text();
    const sample =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (-?(?:\d+(?:\.\d+)?(?:e[+-]?\d+)?|\+Inf|NaN))$/;
    const samples = new Map<string, number>();
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
      const m = sample.exec(line);
      expect(m, line).not.toBeNull();
      samples.set(`${m?.[1] ?? ''}${m?.[2] ?? ''}`, Number(m?.[3]));
    }
    const docs = [...samples].filter(([k]) => k.startsWith('docroute_documents{route="pass"'));
    expect(docs.reduce((n, [, v]) => n + v, 0)).toBe(1);
    expect(docs[0]?.[0]).toMatch(/class="invoice"/);
    expect(samples.get('docroute_step_duration_seconds_count{step="Extract"}')).toBe(1);
    expect(samples.get('docroute_step_duration_seconds_bucket{step="Extract",le="+Inf"}')).toBe(1);
    expect(samples.get('docroute_oldest_held_seconds')).toBe(0);
    expect(samples.get('docroute_pending_moves')).toBe(0);
    expect(text).toContain('# TYPE docroute_step_duration_seconds histogram');
    expect(text).toContain('# TYPE docroute_step_retries_total counter');
    expect(text).toContain('# TYPE docroute_step_throttles_total counter');
  });

  it('counts retries and throttles per step, the oldest hold and the pending moves', async () => {
    const other = path.join(tempDir('metrics'), 'docroute.db');
    const store = new SqliteStore(other);
    const base = { executionId: 'x-1', batchId: 'b-1', documentId: 'd'.repeat(64), attempt: 2 };
    await store.append({
      ...base,
      at: '2026-11-28T10:00:00.000Z',
      step: 'Classify',
      event: 'failed',
      errorName: 'ThrottledError',
      durationMs: 3,
    });
    await store.append({ ...base, at: '2026-11-28T10:00:01.000Z', step: 'Classify', event: 'retried' });
    await store.append({
      ...base,
      at: '2026-11-28T10:00:02.000Z',
      step: 'Classify',
      event: 'failed',
      errorName: 'ThrottledError',
      durationMs: 4,
    });
    await store.append({
      ...base,
      at: '2026-11-28T10:00:03.000Z',
      step: 'Extract',
      event: 'failed',
      errorName: 'StepTimeoutError',
      durationMs: 9,
    });
    await store.append({ ...base, at: '2026-11-28T10:00:04.000Z', step: 'Classify', event: 'succeeded', durationMs: 1500 });
    store.close();
    const db = new Database(other);
    db.prepare(
      `INSERT INTO routes (document_id, outcome, batch_id, execution_id, document_class, confidence, reasons, location, routed_at, decided_at)
       VALUES (?, 'hold', 'b-1', 'x-1', NULL, NULL, '[]', 'hold/x', ?, ?)`,
    ).run('e'.repeat(64), '2026-11-28T11:00:00.000Z', '2026-11-28T11:00:00.000Z');
    db.prepare("INSERT INTO pending_moves (document_id, version, previous_location) VALUES (?, 2, 'hold/x')").run('e'.repeat(64));
    db.close();
    const text = renderMetrics(other, new Date('2026-11-28T12:00:00.000Z'));
    expect(text).toContain('docroute_step_throttles_total{step="Classify"} 2\n');
    expect(text).not.toContain('docroute_step_throttles_total{step="Extract"}');
    expect(text).toContain('docroute_step_retries_total{step="Classify"} 1\n');
    expect(text).toContain('docroute_documents{route="hold",class=""} 1\n');
    expect(text).toContain('docroute_oldest_held_seconds 3600\n');
    expect(text).toContain('docroute_pending_moves 1\n');
    expect(text).toContain('docroute_step_duration_seconds_bucket{step="Classify",le="1"} 0\n');
    expect(text).toContain('docroute_step_duration_seconds_bucket{step="Classify",le="2.5"} 1\n');
    expect(text).toContain('docroute_step_duration_seconds_sum{step="Classify"} 1.5\n');
  });
});
