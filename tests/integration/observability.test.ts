import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteTokenStore } from '../../src/adapters/local/sqlite-tokens.js';
import { parseConfig } from '../../src/config/load.js';
import type { MediaType } from '../../src/domain/document.js';
import { DependencyUnavailableError } from '../../src/domain/errors.js';
import { createApp } from '../../src/entrypoints/server/app.js';
import { shareProcessMetrics } from '../../src/entrypoints/server/metrics.js';
import { listInbox, openRuntime, type BatchRun, type Runtime } from '../../src/entrypoints/runtime.js';
import { TASK_NAMES } from '../../src/orchestration/definition.js';
import type { OcrEngine, OcrResult } from '../../src/ports/ocr-engine.js';
import { fakePng, tempDir, textPdf } from '../helpers/docs.js';
import { FakeImages } from '../helpers/fakes.js';

/**
 * Observability end to end: a real pipeline run (real SQLite, route folders, pdf.js) over
 * generated documents that carry unique sentinel strings in their text and field values, with
 * log lines to a file, spans exported over OTLP/HTTP (JSON) to a collector on 127.0.0.1, and the
 * console's /metrics. The spans must form batch → document → step trees, the counters must match
 * the run, the logs must carry the ids and durations, and no sentinel may appear in any of them,
 * although each one is in the data (checked too, so the test cannot pass vacuously).
 */

const SENTINELS = {
  passSupplier: 'Quillfeather Zephyrine Ltd',
  passNumber: 'QZX-918273',
  passIban: 'GB82 WEST 1234 5698 7654 32',
  passTotal: '4321.09',
  holdSupplier: 'Marblewick Oster Ltd',
  holdNumber: 'MWO-556677',
  holdIban: 'FR76 3000 6000 0112 3456 7890 189',
  holdTotal: '98765.43',
  corrupt: 'Trelawney Vexcombe',
  ocrError: 'Ozymandias Kettleworth',
  text: 'Payment terms: 30 days net',
} as const;

/** Every sentinel, and each IBAN without its spaces (a normaliser might strip them). */
const NEEDLES = [...Object.values(SENTINELS), SENTINELS.passIban.replace(/ /g, ''), SENTINELS.holdIban.replace(/ /g, '')];

const invoice = (supplier: string, no: string, total: string, iban: string): Promise<Uint8Array> =>
  textPdf([
    'INVOICE',
    supplier,
    `Invoice No: ${no}`,
    'Invoice Date: 2026-10-03',
    'Bill To: Example Bank plc',
    `Total Due: EUR ${total}`,
    `IBAN: ${iban}`,
    SENTINELS.text,
  ]);

/** OCR is only asked for the scan, and it is down: the scan fails after its retries, with the sentinel in the error message. */
const downOcr: OcrEngine = {
  name: 'down',
  recognize: (_bytes: Uint8Array, _type: MediaType): Promise<OcrResult> =>
    Promise.reject(new DependencyUnavailableError(`OCR service down while reading ${SENTINELS.ocrError}`)),
  close: () => Promise.resolve(),
};

interface OtlpAttribute {
  key: string;
  value: {
    stringValue?: string;
    intValue?: number | string;
    boolValue?: boolean;
    doubleValue?: number;
    arrayValue?: { values?: { stringValue?: string }[] };
  };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes?: OtlpAttribute[];
  status?: { code?: number };
}
interface OtlpRequest {
  resourceSpans: { resource?: { attributes?: OtlpAttribute[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}

const attr = (attributes: OtlpAttribute[] | undefined, key: string): unknown => {
  const v = attributes?.find((a) => a.key === key)?.value;
  if (!v) return undefined;
  if (v.intValue !== undefined) return Number(v.intValue);
  return v.stringValue ?? v.boolValue ?? v.doubleValue ?? v.arrayValue?.values?.map((x) => x.stringValue);
};

let dir: string;
let runtime: Runtime;
let tokens: SqliteTokenStore;
let collector: Server;
const bodies: string[] = [];
const contentTypes: string[] = [];
let run: BatchRun;
let again: BatchRun;
let metricsText: string;
let logLines: Record<string, unknown>[];
let logText: string;
let spans: OtlpSpan[];
let resources: OtlpAttribute[][];
/** Read before the runtime closes its store. */
let outcomes: Awaited<ReturnType<Runtime['store']['batchOutcomes']>>;
let timelines: Awaited<ReturnType<Runtime['store']['timeline']>>;

beforeAll(async () => {
  dir = tempDir('observability');
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      bodies.push((req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8'));
      contentTypes.push(String(req.headers['content-type']));
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const port = (collector.address() as AddressInfo).port;

  const inbox = path.join(dir, 'inbox');
  mkdirSync(inbox);
  writeFileSync(
    path.join(inbox, 'a-pass.pdf'),
    await invoice(SENTINELS.passSupplier, SENTINELS.passNumber, SENTINELS.passTotal, SENTINELS.passIban),
  );
  writeFileSync(
    path.join(inbox, 'b-hold.pdf'),
    await invoice(SENTINELS.holdSupplier, SENTINELS.holdNumber, SENTINELS.holdTotal, SENTINELS.holdIban),
  );
  writeFileSync(path.join(inbox, 'c-corrupt.pdf'), `%PDF-1.7\n1 0 obj << /Title (${SENTINELS.corrupt}) >>\n%%garbage`);
  writeFileSync(path.join(inbox, 'd-scan.png'), fakePng(SENTINELS.ocrError));

  const loaded = parseConfig({
    dataDir: path.join(dir, 'data'),
    engine: { retry: { maxAttempts: 2 } },
    observability: {
      logs: { destination: 'file', level: 'debug' },
      traces: { otlpEndpoint: `http://127.0.0.1:${port}`, serviceName: 'docroute-test' },
    },
  });
  runtime = await openRuntime(loaded, {
    ocr: downOcr,
    images: new FakeImages(),
    retryIntervalOverrides: Object.fromEntries(TASK_NAMES.map((n) => [n, 0])),
    processMetrics: true,
  });
  const { files } = await listInbox([inbox]);
  run = (await runtime.runFiles(files, 'test'))!;
  // The passing invoice again, in a second batch: a duplicate.
  again = (await runtime.runFiles(
    files.filter((f) => f.name === 'a-pass.pdf'),
    'test',
  ))!;

  // /metrics as the console serves it, with this runtime's metrics shared as `serve` shares them.
  const dbFile = path.join(runtime.dataDir, 'docroute.db');
  tokens = new SqliteTokenStore(dbFile);
  const { token } = tokens.create({ name: 'prometheus', role: 'viewer' });
  const unshare = shareProcessMetrics(dbFile, runtime.metrics!);
  const app = createApp(
    {
      runtime,
      uploadsDir: path.join(dir, 'uploads'),
      maxUploadBytes: 1 << 20,
      processQueued: () => Promise.resolve(null),
      now: () => new Date(),
    },
    { tokens },
  );
  const res = await app.request('/metrics', { headers: { Authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  metricsText = await res.text();
  unshare();

  outcomes = await runtime.store.batchOutcomes(run.batchId);
  timelines = (await Promise.all(outcomes.map((o) => runtime.store.timeline(o.documentId)))).flat();

  // Closing flushes: every span is exported and every log line written when it resolves.
  await runtime.close();
  logText = readFileSync(path.join(runtime.dataDir, 'logs', 'docroute.jsonl'), 'utf8');
  logLines = logText
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const requests = bodies.map((b) => JSON.parse(b) as OtlpRequest);
  spans = requests.flatMap((r) => r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans)));
  resources = requests.flatMap((r) => r.resourceSpans.map((rs) => rs.resource?.attributes ?? []));
});

afterAll(async () => {
  tokens.close();
  await new Promise<void>((resolve) => collector.close(() => resolve()));
});

describe('a run with logs, traces and metrics on', () => {
  it('ran the documents to the outcomes the assertions below rely on', () => {
    expect(run.summary).toMatchObject({ received: 4, pass: 1, hold: 1, reject: 1, failed: 1 });
    expect(again.summary).toMatchObject({ received: 1, duplicates: 1 });
  });

  it('exports spans as OTLP/HTTP JSON with the service name', () => {
    expect(contentTypes.every((t) => t.startsWith('application/json'))).toBe(true);
    expect(resources.length).toBeGreaterThan(0);
    for (const r of resources) expect(attr(r, 'service.name')).toBe('docroute-test');
  });

  it('makes one batch → document → step tree per batch, with outcomes, attempts and errors', () => {
    const batches = spans.filter((s) => s.name === 'batch');
    expect(batches.map((b) => attr(b.attributes, 'docroute.batch_id')).sort()).toEqual([run.batchId, again.batchId].sort());
    const batch = batches.find((b) => attr(b.attributes, 'docroute.batch_id') === run.batchId)!;
    expect(batch.parentSpanId ?? '').toBe('');
    expect(attr(batch.attributes, 'docroute.documents.pass')).toBe(1);
    expect(attr(batch.attributes, 'docroute.documents.failed')).toBe(1);

    const docs = spans.filter((s) => s.name === 'document' && s.parentSpanId === batch.spanId);
    expect(docs).toHaveLength(4);
    for (const d of docs) {
      expect(d.traceId).toBe(batch.traceId);
      expect(BigInt(d.startTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(batch.startTimeUnixNano));
      expect(BigInt(d.endTimeUnixNano)).toBeLessThanOrEqual(BigInt(batch.endTimeUnixNano));
      const id = attr(d.attributes, 'docroute.document_id');
      expect(attr(d.attributes, 'docroute.outcome')).toBe(outcomes.find((o) => o.documentId === id)?.outcome);
      const steps = spans.filter((s) => s.parentSpanId === d.spanId);
      expect(steps.length).toBeGreaterThan(0);
      for (const s of steps) {
        expect(TASK_NAMES).toContain(s.name);
        expect(attr(s.attributes, 'docroute.step')).toBe(s.name);
        expect(attr(s.attributes, 'docroute.document_id')).toBe(id);
        expect(s.traceId).toBe(batch.traceId);
      }
    }
    const byOutcome = (o: string) => docs.find((d) => attr(d.attributes, 'docroute.outcome') === o)!;
    const stepNames = (d: OtlpSpan) => spans.filter((s) => s.parentSpanId === d.spanId).map((s) => s.name);
    expect(stepNames(byOutcome('pass'))).toEqual(
      expect.arrayContaining(['Ingest', 'Extract', 'Classify', 'ExtractFields', 'Validate', 'RoutePass']),
    );
    expect(stepNames(byOutcome('hold'))).toContain('RouteHold');
    expect(stepNames(byOutcome('reject'))).toContain('RejectUnreadable');
    expect(attr(byOutcome('reject').attributes, 'docroute.reason_codes')).toEqual(['CORRUPT_PDF']);

    // The scan: Extract tried twice (maxAttempts 2 → 3 attempts), each failing; the document failed.
    const failed = byOutcome('failed');
    expect(failed.status?.code).toBe(2);
    expect(attr(failed.attributes, 'error.type')).toBe('DependencyUnavailableError');
    const extract = spans.filter((s) => s.parentSpanId === failed.spanId && s.name === 'Extract');
    expect(extract.map((s) => attr(s.attributes, 'docroute.attempt')).sort()).toEqual([1, 2, 3]);
    for (const s of extract) {
      expect(s.status?.code).toBe(2);
      expect(attr(s.attributes, 'error.type')).toBe('DependencyUnavailableError');
      expect(attr(s.attributes, 'docroute.retryable')).toBe(true);
    }

    // The second batch: its document is a duplicate, in a trace of its own.
    const second = batches.find((b) => attr(b.attributes, 'docroute.batch_id') === again.batchId)!;
    expect(second.traceId).not.toBe(batch.traceId);
    const dup = spans.find((s) => s.name === 'document' && s.parentSpanId === second.spanId)!;
    expect(attr(dup.attributes, 'docroute.duplicate')).toBe(true);
    expect(attr(dup.attributes, 'docroute.outcome')).toBe('pass');
  });

  it('times each step span by the duration the audit recorded', () => {
    const pass = outcomes.find((o) => o.outcome === 'pass')!;
    const audited = timelines.filter(
      (r) => r.documentId === pass.documentId && r.executionId === run.executionId && r.event === 'succeeded',
    );
    const trace = spans.find((s) => s.name === 'batch' && attr(s.attributes, 'docroute.batch_id') === run.batchId)!.traceId;
    const stepSpans = spans.filter(
      (s) => s.traceId === trace && attr(s.attributes, 'docroute.document_id') === pass.documentId && s.name !== 'document',
    );
    expect(stepSpans.length).toBe(audited.length);
    for (const r of audited) {
      const s = stepSpans.find((x) => x.name === r.step)!;
      const ns = Number(BigInt(s.endTimeUnixNano) - BigInt(s.startTimeUnixNano));
      expect(ns / 1e6).toBeCloseTo(r.durationMs ?? -1, 3);
      expect(Number(BigInt(s.endTimeUnixNano) / 1_000_000n)).toBe(Date.parse(r.at));
    }
  });

  it('writes a JSON log line per record with the document id, step, attempt and duration', () => {
    const records = timelines;
    const succeeded = logLines.filter((l) => l['event'] === 'succeeded' && l['executionId'] === run.executionId);
    expect(succeeded.length).toBe(records.filter((r) => r.event === 'succeeded' && r.executionId === run.executionId).length);
    for (const l of succeeded) {
      expect(l).toMatchObject({ level: 'info', service: 'docroute-test', batchId: run.batchId });
      expect(l['documentId']).toMatch(/^[0-9a-f]{64}$/);
      expect(typeof l['step']).toBe('string');
      expect(l['attempt']).toBeGreaterThanOrEqual(1);
      expect(typeof l['durationMs']).toBe('number');
      expect(typeof l['time']).toBe('string');
    }
    expect(logLines.filter((l) => l['event'] === 'entered').every((l) => l['level'] === 'debug')).toBe(true);
    expect(logLines.filter((l) => l['event'] === 'retried' && l['step'] === 'Extract')).toHaveLength(2);
    expect(logLines.find((l) => l['step'] === 'Pipeline')).toMatchObject({
      level: 'error',
      outcome: 'failed',
      errorName: 'DependencyUnavailableError',
    });
    expect(logLines.map((l) => l['event'])).toEqual(
      expect.arrayContaining(['batch-started', 'received', 'routed', 'duplicate', 'batch-completed']),
    );
  });

  it('adds counters and histograms that match the run to the console’s /metrics, next to the store-derived ones', () => {
    const sample = (line: string): number => {
      const found = metricsText.split('\n').find((l) => l.startsWith(`${line} `));
      return found ? Number(found.slice(line.length + 1)) : Number.NaN;
    };
    expect(sample('docroute_documents_processed_total{outcome="pass",duplicate="false"}')).toBe(1);
    expect(sample('docroute_documents_processed_total{outcome="hold",duplicate="false"}')).toBe(1);
    expect(sample('docroute_documents_processed_total{outcome="reject",duplicate="false"}')).toBe(1);
    expect(sample('docroute_documents_processed_total{outcome="failed",duplicate="false"}')).toBe(1);
    expect(sample('docroute_documents_processed_total{outcome="pass",duplicate="true"}')).toBe(1);
    expect(sample('docroute_batches_total{result="completed"}')).toBe(2);
    // Extract failed for the scan (3 attempts) and, terminally, for the corrupt PDF.
    expect(sample('docroute_step_attempts_total{step="Extract",result="failed"}')).toBe(4);
    expect(sample('docroute_step_failures_total{step="Extract",error="DependencyUnavailableError"}')).toBe(3);
    expect(sample('docroute_step_failures_total{step="Extract",error="CorruptDocumentError"}')).toBe(1);
    expect(sample('docroute_step_retries_by_error_total{step="Extract",error="DependencyUnavailableError"}')).toBe(2);
    // The routed invoice and its duplicate.
    expect(sample('docroute_document_duration_seconds_count{outcome="pass"}')).toBe(2);
    expect(sample('docroute_step_attempt_duration_seconds_count{step="RoutePass",result="succeeded"}')).toBe(1);
    // The store-derived families are still there, and every family is declared once.
    expect(metricsText).toContain('# TYPE docroute_documents gauge');
    expect(metricsText).toContain('# TYPE docroute_step_duration_seconds histogram');
    const types = metricsText.split('\n').filter((l) => l.startsWith('# TYPE '));
    expect(new Set(types.map((l) => l.split(' ')[2])).size).toBe(types.length);
  });

  it('lets no document text, field value or error message reach the logs, the spans or the metrics', () => {
    // The sentinels are in the data: the extracted fields of the routed documents and the failure's audit note.
    const routedJson = ['pass', 'hold']
      .flatMap((o) =>
        readdirSync(path.join(runtime.dataDir, o))
          .filter((f) => f.endsWith('.json'))
          .map((f) => readFileSync(path.join(runtime.dataDir, o, f), 'utf8')),
      )
      .join('\n');
    for (const s of [SENTINELS.passNumber, SENTINELS.holdNumber, SENTINELS.passTotal]) expect(routedJson).toContain(s);
    expect(existsSync(path.join(runtime.dataDir, 'logs', 'docroute.jsonl'))).toBe(true);
    expect(spans.length).toBeGreaterThan(20);

    const outputs = { logs: logText, spans: bodies.join('\n'), metrics: metricsText };
    for (const [where, text] of Object.entries(outputs)) {
      for (const needle of NEEDLES) {
        expect(text.includes(needle), `${JSON.stringify(needle)} found in the ${where}`).toBe(false);
      }
    }
  });
});
