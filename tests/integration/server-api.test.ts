import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { SqliteTokenStore } from '../../src/adapters/local/sqlite-tokens.js';
import { parseConfig } from '../../src/config/load.js';
import { listInbox, openRuntime, type Runtime } from '../../src/entrypoints/runtime.js';
import { listQueued, queueUpload, uploadName } from '../../src/entrypoints/server/api.js';
import {
  BatchDetail,
  BatchList,
  DocumentDetail,
  DocumentList,
  ErrorBody,
  Layout,
  ReviewConflict,
  ReviewQueue,
  ReviewResponse,
  UploadProcessed,
  UploadQueued,
} from '../../src/entrypoints/server/api-schemas.js';
import { createApp } from '../../src/entrypoints/server/app.js';
import { createQueueRunner } from '../../src/entrypoints/server/serve.js';
import type { AppEnv, ServerDeps } from '../../src/entrypoints/server/types.js';
import { FakeOcr } from '../helpers/fakes.js';
import { passingInvoice, tempDir, textPdf, writeInvoices } from '../helpers/docs.js';

/**
 * The JSON API through the real server core (auth, CSRF, body limits, error mapping) with real
 * tokens from the token store, a real SQLite store in a temp dir, and the serve loop's own queue
 * runner behind `?process=now`. Text PDFs are read from their text layer: OCR is never called.
 */

const MAX_UPLOAD = 200 * 1024;

interface Env {
  readonly app: Hono<AppEnv>;
  readonly runtime: Runtime;
  readonly dataDir: string;
  readonly uploadsDir: string;
  readonly ocr: FakeOcr;
  readonly token: { viewer: string; reviewer: string; admin: string };
  readonly close: () => Promise<void>;
}

const setup = async (prefix: string): Promise<Env> => {
  const dir = tempDir(prefix);
  const dataDir = path.join(dir, 'data');
  const ocr = new FakeOcr();
  const runtime = await openRuntime(parseConfig({ dataDir }), { ocr });
  const tokens = new SqliteTokenStore(path.join(dataDir, 'docroute.db'));
  const token = {
    viewer: tokens.create({ name: 'vera', role: 'viewer' }).token,
    reviewer: tokens.create({ name: 'rita.reviewer', role: 'reviewer' }).token,
    admin: tokens.create({ name: 'adam', role: 'admin' }).token,
  };
  const uploadsDir = path.join(dataDir, 'uploads');
  const queue = createQueueRunner(runtime, uploadsDir, () => undefined);
  const deps: ServerDeps = {
    runtime,
    uploadsDir,
    maxUploadBytes: MAX_UPLOAD,
    processQueued: queue.processQueued,
    now: () => new Date(),
  };
  const app = createApp(deps, { tokens, log: () => undefined });
  return {
    app,
    runtime,
    dataDir,
    uploadsDir,
    ocr,
    token,
    close: async () => {
      await queue.idle();
      tokens.close();
      await runtime.close();
    },
  };
};

const bearer = (token: string): Record<string, string> => ({ Authorization: `Bearer ${token}` });

const getJson = async (env: Env, url: string, token = env.token.viewer): Promise<{ status: number; body: unknown }> => {
  const res = await env.app.request(url, { headers: bearer(token) });
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return { status: res.status, body: await res.json() };
};

/** GET that must answer 200 with a body of this shape. */
const getOk = async <S extends z.ZodType>(env: Env, url: string, schema: S): Promise<z.output<S>> => {
  const { status, body } = await getJson(env, url);
  expect(status, `${url}: ${JSON.stringify(body)}`).toBe(200);
  return schema.parse(body);
};

const errorOf = (body: unknown): { code: string; message: string } => ErrorBody.parse(body).error;

const upload = async (
  env: Env,
  files: readonly { name: string; bytes: Uint8Array }[],
  query = '',
  token = env.token.admin,
): Promise<{ status: number; body: unknown }> => {
  const form = new FormData();
  for (const f of files) form.append('file', new File([f.bytes], f.name));
  const res = await env.app.request(`/api/v1/documents${query}`, { method: 'POST', headers: bearer(token), body: form });
  return { status: res.status, body: await res.json() };
};

/** A multipart body built by hand, so a file name can carry bytes no FormData would send. */
const rawMultipart = (filename: Uint8Array, bytes: Uint8Array): { body: Uint8Array; type: string } => {
  const boundary = 'docroute-test-boundary-7f3a';
  const enc = new TextEncoder();
  const head = enc.encode(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="`);
  const mid = enc.encode('"\r\nContent-Type: application/octet-stream\r\n\r\n');
  const tail = enc.encode(`\r\n--${boundary}--\r\n`);
  return {
    body: new Uint8Array([...head, ...filename, ...mid, ...bytes, ...tail]),
    type: `multipart/form-data; boundary=${boundary}`,
  };
};

const review = (env: Env, id: string, body: unknown, token = env.token.reviewer): Promise<Response> =>
  Promise.resolve(
    env.app.request(`/api/v1/documents/${id}/review`, {
      method: 'POST',
      headers: { ...bearer(token), 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    }),
  );

/** An invoice above the default approval limit of 10,000: held for review. */
const largeInvoice = (): Promise<Uint8Array> =>
  textPdf([
    'INVOICE',
    'Acme Heavy Machinery',
    'Invoice No: T-90001',
    'Invoice Date: 2026-10-03',
    'Bill To: Example Bank plc',
    'Total Due: EUR 12,500.00',
    'IBAN: DE89 3704 0044 0532 0130 00',
    'Payment terms: 30 days net',
  ]);

describe('server API: uploads, review and documents', () => {
  let env: Env;
  beforeAll(async () => {
    env = await setup('api');
  });
  afterAll(async () => {
    await env.close();
  });

  describe('auth and roles', () => {
    it('refuses a request without a token (401) and with a wrong one (401)', async () => {
      const none = await env.app.request('/api/v1/documents');
      expect(none.status).toBe(401);
      expect(errorOf(await none.json()).code).toBe('UNAUTHENTICATED');
      const wrong = await env.app.request('/api/v1/documents', { headers: bearer(`drt_${'x'.repeat(43)}`) });
      expect(wrong.status).toBe(401);
    });

    it('lets a viewer read but not review (403) or upload (403)', async () => {
      expect((await getJson(env, '/api/v1/documents')).status).toBe(200);
      const res = await review(env, 'a'.repeat(64), { action: 'approve', reason: 'ok' }, env.token.viewer);
      expect(res.status).toBe(403);
      expect(errorOf(await res.json()).code).toBe('FORBIDDEN');
      const up = await upload(env, [{ name: 'a.pdf', bytes: await passingInvoice(1) }], '', env.token.reviewer);
      expect(up.status).toBe(403);
    });
  });

  describe('validation', () => {
    it.each([
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['limit=ten', 'limit'],
      ['route=lost', 'route'],
      ['status=done', 'status'],
      ['from=yesterday', 'from'],
      ['to=2026-13-01', 'to'],
      ['cursor=not-a-cursor', 'cursor'],
      ['colour=red', 'colour'],
      ['limit=5&limit=6', 'limit'],
    ])('GET /documents?%s is a 400 naming %s', async (query, field) => {
      const { status, body } = await getJson(env, `/api/v1/documents?${query}`);
      expect(status).toBe(400);
      const error = errorOf(body);
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toContain(field);
    });

    it('refuses a cursor made under other filters', async () => {
      await upload(
        env,
        [
          { name: 'c1.pdf', bytes: await passingInvoice(501) },
          { name: 'c2.pdf', bytes: await passingInvoice(502) },
        ],
        '?process=now',
      );
      const first = await getOk(env, '/api/v1/documents?limit=1', DocumentList);
      expect(first.nextCursor).toEqual(expect.any(String));
      const other = await getJson(env, `/api/v1/documents?limit=1&route=hold&cursor=${first.nextCursor ?? ''}`);
      expect(other.status).toBe(400);
      expect(errorOf(other.body).message).toContain('cursor');
    });

    it('refuses an unknown field, a `reviewer` field and a non-JSON review body', async () => {
      const unknown = await review(env, 'a'.repeat(64), { action: 'approve', reason: 'fine', approver: 'me' });
      expect(unknown.status).toBe(400);
      expect(errorOf(await unknown.json()).message).toContain('approver');

      const spoof = await review(env, 'a'.repeat(64), { action: 'approve', reason: 'fine', reviewer: 'mallory' });
      expect(spoof.status).toBe(400);
      const spoofError = errorOf(await spoof.json());
      expect(spoofError.code).toBe('BAD_REQUEST');
      expect(spoofError.message).toContain('reviewer');

      const badAction = await review(env, 'a'.repeat(64), { action: 'maybe', reason: 'fine' });
      expect(badAction.status).toBe(400);
      expect(errorOf(await badAction.json()).message).toContain('action');

      const badCorrection = await review(env, 'a'.repeat(64), { action: 'approve', reason: 'fine', corrections: { 'Total Due': '1' } });
      expect(badCorrection.status).toBe(400);
      expect(errorOf(await badCorrection.json()).message).toContain('corrections');

      const text = await env.app.request(`/api/v1/documents/${'a'.repeat(64)}/review`, {
        method: 'POST',
        headers: { ...bearer(env.token.reviewer), 'Content-Type': 'text/plain' },
        body: '{"action":"approve","reason":"x"}',
      });
      expect(text.status).toBe(415);
    });

    it('answers 404 in JSON for an unknown document, a short prefix, and an unknown batch', async () => {
      for (const url of [
        `/api/v1/documents/${'0'.repeat(64)}`,
        '/api/v1/documents/abc',
        `/api/v1/documents/${'0'.repeat(64)}/original`,
        `/api/v1/documents/${'0'.repeat(64)}/layout`,
        `/api/v1/documents/${'0'.repeat(64)}/pages/1`,
        '/api/v1/batches/b-nope',
      ]) {
        const { status, body } = await getJson(env, url);
        expect(status, url).toBe(404);
        expect(errorOf(body).code).toBe('NOT_FOUND');
      }
      const res = await review(env, '0'.repeat(64), { action: 'approve', reason: 'fine' });
      expect(res.status).toBe(404);
    });
  });

  describe('upload to decision', () => {
    let heldId = '';
    let bytes: Uint8Array;

    it('uploads an over-limit invoice with process=now: held, with its reason', async () => {
      bytes = await largeInvoice();
      const res = await upload(env, [{ name: 'invoice-large.pdf', bytes }], '?process=now');
      expect(res.status).toBe(200);
      const body = UploadProcessed.parse(res.body);
      expect(body.documents).toHaveLength(1);
      const doc = body.documents[0];
      expect(doc).toMatchObject({ name: 'invoice-large.pdf', status: 'routed', route: 'hold', decision: 1 });
      expect(doc?.reasonCodes).toContain('AMOUNT_ABOVE_APPROVAL_LIMIT');
      expect(body.batches).toHaveLength(1);
      expect(body.batches[0]).toMatchObject({ status: 'completed', received: 1, reconciled: true });
      expect(await listQueued(env.uploadsDir)).toEqual([]);
      heldId = doc?.documentId ?? '';
    });

    it('lists it in the review queue', async () => {
      const body = await getOk(env, '/api/v1/review-queue', ReviewQueue);
      expect(body.items.map((i) => i.documentId)).toContain(heldId);
      expect(body.total).toBeGreaterThanOrEqual(1);
    });

    it('shows the held document with masked sensitive fields and its findings', async () => {
      const url = `/api/v1/documents/${heldId.slice(0, 12)}`;
      const raw = JSON.stringify((await getJson(env, url)).body);
      expect(raw).not.toContain('DE89370400440532013000');
      const body = await getOk(env, url, DocumentDetail);
      expect(body).toMatchObject({ documentId: heldId, status: 'routed', route: 'hold', class: 'invoice' });
      expect(body.decision).toMatchObject({ version: 1, kind: 'pipeline', outcome: 'hold' });
      expect(body.findings.map((f) => f.reasonCode)).toContain('AMOUNT_ABOVE_APPROVAL_LIMIT');
      expect(body.fields?.['iban']).toMatchObject({ sensitive: true, value: '••••3000' });
      expect(body.timeline.map((t) => t.event)).toContain('routed');
    });

    it('downloads the original: the same bytes, sniffed type, attachment, nosniff', async () => {
      const res = await env.app.request(`/api/v1/documents/${heldId}/original`, { headers: bearer(env.token.viewer) });
      expect(res.status).toBe(200);
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
      expect(res.headers.get('content-type')).toBe('application/pdf');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="invoice-large.pdf"; filename*=UTF-8''invoice-large.pdf`);
    });

    it('gives the layout of a text PDF: page size, word boxes and field boxes without values', async () => {
      const url = `/api/v1/documents/${heldId}/layout`;
      const raw = JSON.stringify((await getJson(env, url)).body);
      for (const secret of ['DE89', '12500', '12,500', 'Acme']) expect(raw).not.toContain(secret);
      const body = await getOk(env, url, Layout);
      expect(body.pageCount).toBe(1);
      const page = body.pages[0];
      expect(page).toMatchObject({ page: 1, width: 595, height: 842, unit: 'pt', method: 'text-layer' });
      expect(page?.words.length).toBeGreaterThan(20);
      for (const w of page?.words ?? []) {
        expect(w.box.left).toBeGreaterThanOrEqual(0);
        expect(w.box.left + w.box.width).toBeLessThanOrEqual(1);
        expect(w.box.top).toBeGreaterThanOrEqual(0);
        expect(w.box.top + w.box.height).toBeLessThanOrEqual(1);
      }
      expect(page?.fields.map((f) => f.name)).toEqual(expect.arrayContaining(['total', 'iban']));
      expect(page?.fields.find((f) => f.name === 'iban')?.sensitive).toBe(true);

      expect((await getJson(env, `${url}?page=2`)).status).toBe(404);
      expect((await getOk(env, `${url}?page=1`, Layout)).pages).toHaveLength(1);
    });

    it('renders a page as PNG, and 404s a page that does not exist', async () => {
      const res = await env.app.request(`/api/v1/documents/${heldId}/pages/1?dpi=50`, { headers: bearer(env.token.viewer) });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      const png = new Uint8Array(await res.arrayBuffer());
      expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      // 595 pt wide at 50 dpi.
      expect(Buffer.from(png).readUInt32BE(16)).toBe(Math.round((595 * 50) / 72));
      const again = await env.app.request(`/api/v1/documents/${heldId}/pages/1?dpi=50`, { headers: bearer(env.token.viewer) });
      expect(new Uint8Array(await again.arrayBuffer())).toEqual(png);
      expect((await getJson(env, `/api/v1/documents/${heldId}/pages/2`)).status).toBe(404);
      expect((await getJson(env, `/api/v1/documents/${heldId}/pages/0`)).status).toBe(400);
      expect((await getJson(env, `/api/v1/documents/${heldId}/pages/1?dpi=9000`)).status).toBe(400);
    });

    it('approves it as the reviewer from the token; the reason lands in the timeline', async () => {
      const res = await review(env, heldId, { action: 'approve', reason: 'PO 4471 covers this amount' });
      expect(res.status).toBe(200);
      const body = ReviewResponse.parse(await res.json());
      expect(body.decision).toMatchObject({ version: 2, kind: 'review', outcome: 'pass', reviewer: 'rita.reviewer' });
      expect(body.previous).toEqual({ version: 1, outcome: 'hold' });
      expect(body.delivery).toMatchObject({ error: null });
      expect(body.delivery?.location).toMatch(/^pass\//);

      const detail = await getOk(env, `/api/v1/documents/${heldId}`, DocumentDetail);
      expect(detail.route).toBe('pass');
      expect(detail.decision).toMatchObject({
        version: 2,
        kind: 'review',
        reviewer: 'rita.reviewer',
        reason: 'PO 4471 covers this amount',
        supersedes: { version: 1, outcome: 'hold' },
      });
      expect(detail.chain.map((d) => d.version)).toEqual([1, 2]);
      const reviewed = detail.timeline.find((t) => t.event === 'reviewed');
      expect(reviewed?.note).toContain('by rita.reviewer');
      expect(reviewed?.note).toContain('PO 4471 covers this amount');

      const queue = await getOk(env, '/api/v1/review-queue', ReviewQueue);
      expect(queue.items.map((i) => i.documentId)).not.toContain(heldId);
    });

    it('refuses a second decision with 409 and who decided', async () => {
      const res = await review(env, heldId, { action: 'reject', reason: 'changed my mind' });
      expect(res.status).toBe(409);
      const body = ReviewConflict.parse(await res.json());
      expect(body.error.code).toBe('NOT_HELD');
      expect(body.current).toMatchObject({ version: 2, kind: 'review', outcome: 'pass', reviewer: 'rita.reviewer' });
    });

    it('shows the batch with its reconciliation, and by `latest`', async () => {
      const list = await getOk(env, '/api/v1/batches', BatchList);
      const batchId = list.items[0]?.batchId ?? '';
      for (const ref of [batchId, 'latest']) {
        const body = await getOk(env, `/api/v1/batches/${ref}`, BatchDetail);
        expect(body.batchId).toBe(batchId);
        expect(body.reconciled).toBe(true);
        expect(body.received).toBe(body.counts.pass + body.counts.hold + body.counts.reject + body.counts.failed);
      }
    });
  });

  describe('uploads', () => {
    it('queues without process=now (202) under a generated name, keeping the original as metadata', async () => {
      const res = await upload(env, [{ name: 'queued.pdf', bytes: await passingInvoice(7) }]);
      expect(res.status).toBe(202);
      const body = UploadQueued.parse(res.body);
      const queued = await listQueued(env.uploadsDir);
      expect(queued).toHaveLength(1);
      expect(queued[0]?.name).toBe('queued.pdf');
      expect(path.basename(queued[0]?.file ?? '')).toMatch(/^u-\d{8}-\d{6}-\d{3}-[0-9a-f]{16}\.upload$/);
      expect(body.queued[0]).toMatchObject({ name: 'queued.pdf', uploadId: expect.stringMatching(/^u-/) as unknown });
      // The next run takes it too (as the serve loop would).
      const run = UploadProcessed.parse((await upload(env, [{ name: 'also.pdf', bytes: await passingInvoice(8) }], '?process=now')).body);
      expect(run.documents[0]?.route).toBe('pass');
      const first = await getOk(env, `/api/v1/documents/${body.queued[0]?.documentId ?? ''}`, DocumentDetail);
      expect(first.route).toBe('pass');
    });

    it('keeps path-like, NUL, very long and non-UTF-8 names inside the data directory', async () => {
      const escape = await upload(env, [{ name: '../../escape.pdf', bytes: await passingInvoice(11) }], '?process=now');
      expect(escape.status).toBe(200);
      expect(UploadProcessed.parse(escape.body).documents[0]).toMatchObject({ name: 'escape.pdf', route: 'pass' });
      const root = path.dirname(env.dataDir);
      expect(existsSync(path.join(root, 'escape.pdf'))).toBe(false);
      expect(existsSync(path.join(path.dirname(root), 'escape.pdf'))).toBe(false);

      const enc = new TextEncoder();
      const names: Uint8Array[] = [
        new Uint8Array([...enc.encode('..\\..\\win'), 0x00, ...enc.encode('.pdf')]),
        enc.encode(`${'ü'.repeat(400)}.pdf`),
        new Uint8Array([0xff, 0xfe, 0x2e, 0x2e, 0x2f, 0xc3, 0x28, 0x2e, 0x70, 0x64, 0x66]),
      ];
      for (const [i, name] of names.entries()) {
        const { body, type } = rawMultipart(name, await passingInvoice(20 + i));
        const res = await env.app.request('/api/v1/documents?process=now', {
          method: 'POST',
          headers: { ...bearer(env.token.admin), 'Content-Type': type },
          body,
        });
        const json: unknown = await res.json();
        expect(res.status, JSON.stringify(json)).toBe(200);
        const doc = UploadProcessed.parse(json).documents[0];
        const recorded = doc?.name ?? '';
        expect(recorded).not.toMatch(/[/\\]/);
        expect(recorded.includes('\u0000')).toBe(false);
        expect(recorded.length).toBeLessThanOrEqual(120);
        expect(Buffer.byteLength(recorded)).toBeLessThanOrEqual(160);
        // Routed like any other (a name too long for the route folder would fail its delivery).
        expect(doc?.route).toBe('pass');
        const detail = await getOk(env, `/api/v1/documents/${doc?.documentId ?? ''}`, DocumentDetail);
        expect(detail.name).toBe(recorded);
      }
      // Everything written is inside the data directory; route entries are plain names in their folders.
      const dataReal = realpathSync(env.dataDir);
      for (const folder of ['pass', 'hold', 'reject']) {
        if (!existsSync(path.join(env.dataDir, folder))) continue;
        for (const entry of readdirSync(path.join(env.dataDir, folder))) {
          expect(path.resolve(dataReal, folder, entry).startsWith(`${dataReal}${path.sep}`)).toBe(true);
          expect(entry.startsWith('.')).toBe(false);
        }
      }
      expect(readdirSync(root).sort()).toEqual(['data']);
    });

    it('accepts an unsupported type; the pipeline rejects it with UNSUPPORTED_TYPE', async () => {
      const res = await upload(env, [{ name: 'notes.txt', bytes: new TextEncoder().encode('just some text\n') }], '?process=now');
      expect(res.status).toBe(200);
      const doc = UploadProcessed.parse(res.body).documents[0];
      expect(doc).toMatchObject({ route: 'reject', status: 'routed', reasonCodes: ['UNSUPPORTED_TYPE'] });
      const page = await getJson(env, `/api/v1/documents/${doc?.documentId ?? ''}/pages/1`);
      expect(page.status).toBe(422);
      const original = await env.app.request(`/api/v1/documents/${doc?.documentId ?? ''}/original`, { headers: bearer(env.token.viewer) });
      expect(original.headers.get('content-type')).toBe('application/octet-stream');
      expect(original.headers.get('content-disposition')).toContain('filename="notes.txt"');
    });

    it('answers 413 for a file over the limit (per file, and over the core body limit); nothing is queued', async () => {
      const over = new Uint8Array(MAX_UPLOAD + 10);
      over.set(new TextEncoder().encode('%PDF-1.4\n'));
      const perFile = await upload(env, [{ name: 'big.pdf', bytes: over }]);
      expect(perFile.status).toBe(413);
      expect(errorOf(perFile.body).code).toBe('PAYLOAD_TOO_LARGE');
      const huge = await upload(env, [{ name: 'huge.pdf', bytes: new Uint8Array(MAX_UPLOAD * 2) }]);
      expect(huge.status).toBe(413);
      expect(await listQueued(env.uploadsDir)).toEqual([]);
    });

    it('refuses a request without file parts, or not multipart', async () => {
      const form = new FormData();
      form.append('note', 'hello');
      const none = await env.app.request('/api/v1/documents', { method: 'POST', headers: bearer(env.token.admin), body: form });
      expect(none.status).toBe(400);
      expect(errorOf(await none.json()).message).toContain('file');
      const notFile = new FormData();
      notFile.append('file', 'just a string');
      const str = await env.app.request('/api/v1/documents', { method: 'POST', headers: bearer(env.token.admin), body: notFile });
      expect(str.status).toBe(400);
      const json = await env.app.request('/api/v1/documents', {
        method: 'POST',
        headers: { ...bearer(env.token.admin), 'Content-Type': 'application/json' },
        body: '{}',
      });
      expect(json.status).toBe(415);
      const badQuery = await upload(env, [{ name: 'x.pdf', bytes: await passingInvoice(99) }], '?process=later');
      expect(badQuery.status).toBe(400);
      expect(errorOf(badQuery.body).message).toContain('process');
      expect(await listQueued(env.uploadsDir)).toEqual([]);
    });
  });

  describe('OpenAPI', () => {
    interface OpenApiDoc {
      openapi: string;
      paths: Record<string, Record<string, { parameters?: { name: string }[] }>>;
      components: { schemas: Record<string, { properties?: Record<string, { items?: { $ref?: string } }> }> };
    }

    it('publishes every API path and its component schemas', async () => {
      const { status, body } = await getJson(env, '/openapi.json');
      expect(status).toBe(200);
      const doc = body as OpenApiDoc;
      expect(doc.openapi).toBe('3.1.0');
      for (const p of [
        '/api/v1/documents',
        '/api/v1/documents/{id}',
        '/api/v1/documents/{id}/original',
        '/api/v1/documents/{id}/layout',
        '/api/v1/documents/{id}/pages/{n}',
        '/api/v1/documents/{id}/review',
        '/api/v1/review-queue',
        '/api/v1/batches',
        '/api/v1/batches/{id}',
      ]) {
        expect(doc.paths[p], p).toBeDefined();
      }
      const refs = JSON.stringify(doc).match(/#\/components\/schemas\/\w+/g) ?? [];
      for (const r of new Set(refs)) expect(doc.components.schemas[r.split('/').at(-1) ?? ''], r).toBeDefined();
      expect(doc.components.schemas['DocumentList']?.properties?.['items']?.items?.$ref).toBe('#/components/schemas/DocumentListItem');
      const limit = doc.paths['/api/v1/documents']?.['get']?.parameters?.find((p) => p.name === 'limit');
      expect(limit).toMatchObject({ in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } });
    });
  });
});

describe('server API: listing documents', () => {
  let env: Env;
  let ids: string[] = [];
  beforeAll(async () => {
    env = await setup('api-list');
    const inbox = tempDir('api-list-inbox');
    await writeInvoices(inbox, 25);
    const { files } = await listInbox([inbox]);
    const run = await env.runtime.runFiles(files, inbox);
    expect(run?.summary?.pass).toBe(25);
    ids = (await env.runtime.store.batchOutcomes(run?.batchId ?? '')).map((d) => d.documentId);
  });
  afterAll(async () => {
    await env.close();
  });

  it('walks 25 documents in 3 pages, newest first, without duplicates or gaps, while a new one arrives', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    let arrived = '';
    do {
      const body: z.output<typeof DocumentList> = await getOk(
        env,
        `/api/v1/documents?limit=10${cursor ? `&cursor=${cursor}` : ''}`,
        DocumentList,
      );
      seen.push(...body.items.map((i) => i.documentId));
      cursor = body.nextCursor;
      pages += 1;
      if (pages === 1) {
        // A document arrives mid-walk: it is newer than everything, so it never shifts the pages after this one.
        const up = await upload(env, [{ name: 'late.pdf', bytes: await passingInvoice(1000) }], '?process=now');
        arrived = UploadProcessed.parse(up.body).documents[0]?.documentId ?? '';
      }
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    expect([...seen].sort()).toEqual([...ids].sort());
    expect(seen).not.toContain(arrived);
    // Newest first: the batch registered them in inbox order.
    expect(seen).toEqual([...ids].reverse());

    const fresh = await getOk(env, '/api/v1/documents?limit=1', DocumentList);
    expect(fresh.items[0]?.documentId).toBe(arrived);
  });

  it('filters by route, status, class, batch, time and q', async () => {
    const all = await getOk(env, '/api/v1/documents?limit=200', DocumentList);
    expect(all.items).toHaveLength(26);
    const item = all.items[0];
    expect(item).toMatchObject({ route: 'pass', status: 'routed', class: 'invoice', decision: { version: 1, kind: 'pipeline' } });
    expect(item?.reasonCodes).toEqual(expect.arrayContaining(['CLASSIFIED']));

    const count = async (query: string): Promise<number> =>
      (await getOk(env, `/api/v1/documents?limit=200&${query}`, DocumentList)).items.length;
    expect(await count('route=pass')).toBe(26);
    expect(await count('route=hold')).toBe(0);
    expect(await count('route=failed')).toBe(0);
    expect(await count('status=routed')).toBe(26);
    expect(await count('status=received')).toBe(0);
    expect(await count('class=invoice')).toBe(26);
    expect(await count('class=receipt')).toBe(0);
    const batchId = (await env.runtime.store.getDocument(ids[0] ?? ''))?.firstSeenBatch ?? '';
    expect(await count(`batch=${batchId}`)).toBe(25);
    expect(await count(`q=${(ids[3] ?? '').slice(0, 10)}`)).toBe(1);
    expect(await count('q=invoice-0007')).toBe(1);
    expect(await count('q=late')).toBe(1);
    expect(await count('q=%25')).toBe(0);
    const today = new Date().toISOString().slice(0, 10);
    expect(await count(`from=${today}&to=${today}`)).toBe(26);
    expect(await count('to=2000-01-01')).toBe(0);
    expect(await count(`from=${today}T00:00:00Z&dateOn=decided`)).toBe(26);
    expect(await count('from=2999-01-01')).toBe(0);
  });

  it('pages batches with a cursor', async () => {
    const first = await getOk(env, '/api/v1/batches?limit=1', BatchList);
    expect(first.items).toHaveLength(1);
    expect(first.items[0]).toMatchObject({ received: 1, reconciled: true });
    const second = await getOk(env, `/api/v1/batches?limit=1&cursor=${first.nextCursor ?? ''}`, BatchList);
    expect(second.items[0]).toMatchObject({ received: 25, counts: { pass: 25 }, reconciled: true, reasons: {} });
    expect(second.nextCursor).toBeNull();
    const wrongList = await getJson(env, `/api/v1/documents?cursor=${first.nextCursor ?? ''}`);
    expect(wrongList.status).toBe(400);
  });

  it('never called OCR (text layers only)', () => {
    expect(env.ocr.calls).toHaveLength(0);
  });
});

describe('upload queue helpers', () => {
  it('names are metadata only: cleaned, bounded, and never a path', async () => {
    expect(uploadName('../../etc/passwd')).toBe('passwd');
    expect(uploadName('C:\\Users\\x\\inv.pdf')).toBe('inv.pdf');
    expect(uploadName('a\u0000b\u202e.pdf')).toBe('a_b_.pdf');
    expect(uploadName('..')).toBe('_');
    expect(uploadName('')).toBe('document');
    expect(uploadName('\ud800x.pdf')).toBe('\ufffdx.pdf');
    const long = uploadName(`${'😀'.repeat(300)}.pdf`);
    expect(long.length).toBeLessThanOrEqual(120);
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(160);
    expect(long).toBe(`${'😀'.repeat(39)}.pdf`);
    expect(uploadName(`${'a'.repeat(300)}.pdf`)).toBe(`${'a'.repeat(116)}.pdf`);

    const dir = path.join(tempDir('queue'), 'uploads');
    const a = await queueUpload(dir, '../a.pdf', new Uint8Array([1, 2, 3]), new Date('2026-01-01T00:00:00Z'));
    const b = await queueUpload(dir, 'b.pdf', new Uint8Array([4]), new Date('2026-01-01T00:00:01Z'));
    expect(path.dirname(a.file)).toBe(dir);
    expect(readFileSync(a.file)).toEqual(Buffer.from([1, 2, 3]));
    expect(await listQueued(dir)).toEqual([
      { file: a.file, name: 'a.pdf' },
      { file: b.file, name: 'b.pdf' },
    ]);
  });
});
