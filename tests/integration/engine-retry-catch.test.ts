import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { MediaType } from '../../src/domain/document.js';
import { CorruptDocumentError, DependencyUnavailableError, ThrottledError } from '../../src/domain/errors.js';
import { listInbox, openRuntime, type Runtime } from '../../src/entrypoints/runtime.js';
import { TASK_NAMES } from '../../src/orchestration/definition.js';
import type { OcrEngine, OcrResult } from '../../src/ports/ocr-engine.js';
import { fakePng, tempDir } from '../helpers/docs.js';
import { FakeImages } from '../helpers/fakes.js';

/**
 * The real definition on the embedded engine, with real SQLite and route folders, and an OCR
 * engine whose behaviour each test scripts. Retry waits are overridden to 0 ms (they are real
 * sleeps in the engine); the Retry/Catch decisions themselves are the generated ASL's.
 */

const RECEIPT_TEXT = 'RECEIPT\nBlue Door Cafe\nDate: 2026-10-14\nTOTAL 14.50\nCASH 20.00\nCHANGE 5.50\nThank you for your visit!';
const noWait = Object.fromEntries(TASK_NAMES.map((n) => [n, 0]));

const scriptedOcr = (script: (call: number) => OcrResult | Error): OcrEngine & { calls: number } => {
  const engine = {
    name: 'scripted',
    calls: 0,
    recognize(_bytes: Uint8Array, _type: MediaType): Promise<OcrResult> {
      engine.calls += 1;
      const r = script(engine.calls);
      return r instanceof Error ? Promise.reject(r) : Promise.resolve(r);
    },
    close: () => Promise.resolve(),
  };
  return engine;
};

const ok = (): OcrResult => ({ text: RECEIPT_TEXT, confidence: 0.93, width: 600, height: 1100, lines: [] });

let runtime: Runtime | null = null;
let server: Server | null = null;
afterEach(async () => {
  await runtime?.close();
  runtime = null;
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

const setup = async (ocr: OcrEngine, extra: Record<string, unknown> = {}) => {
  const dir = tempDir('engine');
  const inbox = path.join(dir, 'inbox');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(inbox);
  writeFileSync(path.join(inbox, 'receipt.png'), fakePng('receipt-1'));
  const loaded = parseConfig({ dataDir: path.join(dir, 'data'), engine: { retry: { maxAttempts: 3 } }, ...extra });
  runtime = await openRuntime(loaded, { ocr, images: new FakeImages(), retryIntervalOverrides: noWait });
  const { files } = await listInbox([inbox]);
  return { runtime, files, dir };
};

describe('Retry and Catch generated from the error taxonomy', () => {
  it('retries a throttled step with new attempts and routes the document once', async () => {
    const ocr = scriptedOcr((n) => (n <= 2 ? new ThrottledError('provider throttled') : ok()));
    const { runtime, files } = await setup(ocr);
    const run = (await runtime.runFiles(files, 'test'))!;

    expect(run.error).toBeNull();
    expect(run.summary).toMatchObject({ received: 1, pass: 1, hold: 0, reject: 0, failed: 0 });
    expect(ocr.calls).toBe(3);
    const id = (await runtime.store.batchOutcomes(run.batchId))[0]!.documentId;
    const extract = (await runtime.store.timeline(id)).filter((r) => r.step === 'Extract');
    expect(extract.map((r) => `${r.attempt}:${r.event}`)).toEqual([
      '1:entered',
      '1:failed',
      '2:retried',
      '2:entered',
      '2:failed',
      '3:retried',
      '3:entered',
      '3:succeeded',
    ]);
    expect(extract.filter((r) => r.event === 'failed').every((r) => r.errorName === 'ThrottledError')).toBe(true);
    const routed = (await runtime.store.timeline(id)).filter((r) => r.event === 'routed');
    expect(routed).toHaveLength(1);
    expect(routed[0]!.outcome).toBe('pass');
  });

  it('gives up after MaxAttempts on a retryable error and records a failed outcome, keeping the original', async () => {
    const ocr = scriptedOcr(() => new DependencyUnavailableError('engine down'));
    const { runtime, files } = await setup(ocr);
    const run = (await runtime.runFiles(files, 'test'))!;

    expect(run.summary).toMatchObject({ received: 1, pass: 0, failed: 1 });
    expect(ocr.calls).toBe(4); // first try + 3 retries
    const [doc] = await runtime.store.batchOutcomes(run.batchId);
    expect(doc).toMatchObject({
      outcome: 'failed',
      errorName: 'DependencyUnavailableError',
      errorCause: 'engine down',
      reasonCode: 'PIPELINE_ERROR',
    });
    const final = (await runtime.store.timeline(doc!.documentId)).at(-1);
    expect(final).toMatchObject({ step: 'Pipeline', event: 'failed', outcome: 'failed', note: 'engine down' });
    expect(await runtime.store.getRoute(doc!.documentId)).toBeNull();
    expect(await runtime.objects.size(doc!.documentId)).toBeGreaterThan(0);
  });

  it('rejects an unreadable document at once with its reason code (terminal: no retry)', async () => {
    const ocr = scriptedOcr(() => new CorruptDocumentError('image could not be decoded', 'CORRUPT_IMAGE'));
    const { runtime, files } = await setup(ocr);
    const run = (await runtime.runFiles(files, 'test'))!;

    expect(ocr.calls).toBe(1);
    expect(run.summary).toMatchObject({ received: 1, reject: 1, failed: 0, reasons: { CORRUPT_IMAGE: 1 } });
    const [doc] = await runtime.store.batchOutcomes(run.batchId);
    const route = await runtime.store.getRoute(doc!.documentId);
    expect(route?.outcome).toBe('reject');
    expect(route?.reasons[0]?.code).toBe('CORRUPT_IMAGE');
  });

  it('treats an unexpected exception as a terminal InternalError without echoing its message', async () => {
    const ocr = scriptedOcr(() => new TypeError('secret customer text in a message'));
    const { runtime, files } = await setup(ocr);
    const run = (await runtime.runFiles(files, 'test'))!;

    expect(ocr.calls).toBe(1);
    expect(run.summary).toMatchObject({ failed: 1 });
    const [doc] = await runtime.store.batchOutcomes(run.batchId);
    expect(doc?.errorName).toBe('InternalError');
    const timeline = JSON.stringify(await runtime.store.timeline(doc!.documentId));
    expect(timeline).not.toContain('secret customer text');
  });

  it('posts the batch summary to a webhook, retrying a 503 before it succeeds', async () => {
    const bodies: unknown[] = [];
    let hits = 0;
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        hits += 1;
        if (hits === 1) {
          res.writeHead(503).end();
          return;
        }
        bodies.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    const { runtime, files } = await setup(scriptedOcr(ok), {
      notify: { webhook: { url: `http://127.0.0.1:${port}/hook` }, file: path.join(tempDir('notify'), 'summary.json') },
    });
    const run = (await runtime.runFiles(files, 'test'))!;

    expect(run.notifyError).toBeNull();
    expect(hits).toBe(2);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toMatchObject({ batchId: run.batchId, received: 1, pass: 1, reconciled: true });
  });

  it('reports a webhook that keeps failing without failing the routed documents', async () => {
    server = createServer((_req, res) => res.writeHead(500).end());
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    const { runtime, files } = await setup(scriptedOcr(ok), { notify: { webhook: { url: `http://127.0.0.1:${port}/hook` } } });
    const run = (await runtime.runFiles(files, 'test'))!;

    expect(run.summary?.pass).toBe(1);
    expect(run.notifyError).toMatch(/^DependencyUnavailableError/);
    expect(runtime.store.getBatch(run.batchId)?.status).toBe('completed');
  });
});
