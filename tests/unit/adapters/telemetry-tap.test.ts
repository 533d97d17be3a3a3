import { Writable } from 'node:stream';
import { SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { tapAudit, tapDecisions, tapLedger, type AuditObserver } from '../../../src/adapters/local/telemetry/audit-tap.js';
import { createLogObserver, errorSerializer, logLineOf } from '../../../src/adapters/local/telemetry/log-sink.js';
import { createMetricsObserver, PipelineMetrics } from '../../../src/adapters/local/telemetry/metrics-registry.js';
import { createSpanObserver } from '../../../src/adapters/local/telemetry/span-sink.js';
import { openTelemetry, tracesEndpointOf } from '../../../src/adapters/local/telemetry/telemetry.js';
import { MemoryStore } from '../../../src/adapters/memory/memory-store.js';
import { ObservabilitySchema } from '../../../src/config/observability.js';
import { ConfigError, UnsupportedDocumentError } from '../../../src/domain/errors.js';
import type { AuditRecord } from '../../../src/ports/audit-log.js';

/**
 * The telemetry tap: audit records → log lines, spans and metrics. Everything is fed a scripted
 * record sequence (what the task handlers append for a two-document batch with one retry and one
 * failed document), so the mapping is checked without a pipeline.
 */

const D1 = 'a'.repeat(64);
const D2 = 'b'.repeat(64);
const base = { executionId: 'x-1', batchId: 'b-1' } as const;
const T0 = Date.parse('2026-11-29T08:00:00.000Z');
const at = (ms: number): string => new Date(T0 + ms).toISOString();

const rec = (ms: number, r: Omit<AuditRecord, 'at' | 'executionId' | 'batchId' | 'attempt'> & { attempt?: number }): AuditRecord => ({
  ...base,
  at: at(ms),
  attempt: 1,
  ...r,
});

/** A batch: D1 passes after a throttled Classify is retried; D2 fails terminally in Extract. */
const BATCH: AuditRecord[] = [
  rec(0, { documentId: null, step: 'Batch', event: 'batch-started', note: '2 document(s) from 2 file(s)' }),
  rec(0, { documentId: D1, step: 'Receive', event: 'received', note: 'size 10' }),
  rec(0, { documentId: D2, step: 'Receive', event: 'received', note: 'size 20' }),
  rec(10, { documentId: D1, step: 'Extract', event: 'entered' }),
  rec(50, { documentId: D1, step: 'Extract', event: 'succeeded', durationMs: 40 }),
  rec(60, { documentId: D1, step: 'Classify', event: 'entered' }),
  rec(65, { documentId: D1, step: 'Classify', event: 'failed', durationMs: 5, errorName: 'ThrottledError', note: 'retryable' }),
  rec(1065, { documentId: D1, step: 'Classify', event: 'retried', attempt: 2 }),
  rec(1065, { documentId: D1, step: 'Classify', event: 'entered', attempt: 2 }),
  rec(1072, { documentId: D1, step: 'Classify', event: 'succeeded', attempt: 2, durationMs: 7.5, note: 'rules: invoice 0.90' }),
  rec(1100, { documentId: D1, step: 'Route', event: 'routed', outcome: 'pass', reasonCodes: [], note: 'config c1, ruleset r1' }),
  // The route is recorded inside the RoutePass step, which succeeds after it.
  rec(1105, { documentId: D1, step: 'RoutePass', event: 'succeeded', durationMs: 10 }),
  rec(20, { documentId: D2, step: 'Extract', event: 'entered' }),
  rec(30, { documentId: D2, step: 'Extract', event: 'failed', durationMs: 10, errorName: 'CorruptDocumentError', note: 'terminal' }),
  rec(40, {
    documentId: D2,
    step: 'Pipeline',
    event: 'failed',
    outcome: 'failed',
    errorName: 'CorruptDocumentError',
    reasonCodes: ['PIPELINE_ERROR'],
    note: 'IBAN DE89 3704 0044 0532 0130 00 in the message',
  }),
  rec(1200, { documentId: null, step: 'Aggregate', event: 'batch-completed', note: 'received 2: pass 1, hold 0, reject 0, failed 1' }),
];

/** Keeps its spans past shutdown (the observer's close shuts the provider down). */
class KeptSpans extends InMemorySpanExporter {
  override shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const tracing = (): { exporter: InMemorySpanExporter; observer: AuditObserver } => {
  const exporter = new KeptSpans();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { exporter, observer: createSpanObserver(provider.getTracer('test'), provider, () => T0 + 5000) };
};

const ms = (t: [number, number]): number => t[0] * 1000 + t[1] / 1e6;
const byName = (spans: readonly ReadableSpan[], name: string): ReadableSpan[] => spans.filter((s) => s.name === name);
const parentOf = (s: ReadableSpan): string | undefined => s.parentSpanContext?.spanId;

class Lines extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    for (const l of chunk.toString('utf8').split('\n')) if (l) this.lines.push(JSON.parse(l) as Record<string, unknown>);
    done();
  }
}

describe('the tap', () => {
  const recording = (): { seen: AuditRecord[]; observer: AuditObserver } => {
    const seen: AuditRecord[] = [];
    return {
      seen,
      observer: {
        observe: (r) => seen.push(r),
        batchFailed: () => undefined,
        flush: () => Promise.resolve(),
        close: () => Promise.resolve(),
      },
    };
  };

  it('observes a record after the port has written it, and not when the write fails', async () => {
    const store = new MemoryStore();
    const { seen, observer } = recording();
    const audit = tapAudit(store, observer);
    const r = BATCH[1] as AuditRecord;
    await audit.append(r);
    expect(seen).toEqual([r]);
    expect(await store.timeline(D1)).toHaveLength(1);
    const failing = tapAudit(
      {
        append: () => Promise.reject(new Error('disk full')),
        attempts: () => Promise.resolve(0),
        timeline: () => Promise.resolve([]),
      },
      observer,
    );
    await expect(failing.append(r)).rejects.toThrow('disk full');
    expect(seen).toHaveLength(1);
  });

  it('never lets an observer fail the write', async () => {
    const store = new MemoryStore();
    const audit = tapAudit(store, {
      ...recording().observer,
      observe: () => {
        throw new Error('bug');
      },
    });
    await expect(audit.append(BATCH[1] as AuditRecord)).resolves.toBeUndefined();
    expect(await store.timeline(D1)).toHaveLength(1);
  });

  it('observes a route only for its first writer, and a decision only when it applied', async () => {
    const store = new MemoryStore();
    const { seen, observer } = recording();
    const ledger = tapLedger(store, observer);
    const route = {
      documentId: D1,
      outcome: 'pass' as const,
      batchId: 'b-1',
      executionId: 'x-1',
      documentClass: 'invoice',
      confidence: 0.9,
      reasons: [],
      location: '/pass/x',
      routedAt: at(0),
      version: 1,
      kind: 'pipeline' as const,
      decidedAt: at(0),
    };
    const routed = rec(0, { documentId: D1, step: 'Route', event: 'routed', outcome: 'pass' });
    expect((await ledger.recordRoute(route, routed)).first).toBe(true);
    expect((await ledger.recordRoute(route, routed)).first).toBe(false);
    expect(seen.map((r) => r.event)).toEqual(['routed']);

    const decisions = tapDecisions(store, observer);
    const next = { ...route, version: 2, kind: 'review' as const, outcome: 'hold' as const, result: null, steps: null };
    const reviewed = rec(5, { documentId: D1, step: 'Review', event: 'reviewed', outcome: 'hold', note: 'by rita: "the IBAN is wrong"' });
    expect((await decisions.supersede(next, reviewed)).applied).toBe(true);
    expect((await decisions.supersede(next, reviewed)).applied).toBe(false);
    expect(seen.map((r) => r.event)).toEqual(['routed', 'reviewed']);
  });
});

describe('log lines', () => {
  it('carry ids, step, attempt, duration and outcome, at a level per event, and never the note', async () => {
    const out = new Lines();
    const logs = createLogObserver({ level: 'info', stream: out, serviceName: 'svc' });
    for (const r of BATCH) logs.observe(r);
    await logs.close();
    // `entered` is debug: not at info.
    expect(out.lines.map((l) => l['event'])).not.toContain('entered');
    const classify = out.lines.filter((l) => l['step'] === 'Classify');
    expect(classify).toEqual([
      expect.objectContaining({
        level: 'warn',
        event: 'failed',
        attempt: 1,
        durationMs: 5,
        errorName: 'ThrottledError',
        retryable: true,
        documentId: D1,
        batchId: 'b-1',
        executionId: 'x-1',
        service: 'svc',
        msg: 'Classify failed',
      }),
      expect.objectContaining({ level: 'warn', event: 'retried', attempt: 2 }),
      expect.objectContaining({ level: 'info', event: 'succeeded', attempt: 2, durationMs: 7.5 }),
    ]);
    expect(out.lines.find((l) => l['step'] === 'Pipeline')).toMatchObject({
      level: 'error',
      outcome: 'failed',
      reasonCodes: ['PIPELINE_ERROR'],
    });
    expect(typeof out.lines[0]?.['time']).toBe('string');
    const text = JSON.stringify(out.lines);
    expect(text).not.toContain('IBAN');
    expect(text).not.toContain('DE89');
    expect(text).not.toContain('invoice 0.90');
    expect(text).not.toContain('note');
  });

  it('logs entered at debug', () => {
    const out = new Lines();
    const logs = createLogObserver({ level: 'debug', stream: out, serviceName: 'svc' });
    logs.observe(BATCH[3] as AuditRecord);
    expect(out.lines).toEqual([expect.objectContaining({ level: 'debug', event: 'entered', step: 'Extract' })]);
  });

  it('redacts content keys and serialises errors as name and reason code only (belt and braces)', () => {
    const out = new Lines();
    const { logger } = createLogObserver({ level: 'info', stream: out, serviceName: 'svc' });
    logger.info(
      {
        text: 'Invoice body',
        value: 'DE89',
        fields: { iban: 'DE89' },
        field: { value: 'T-00001', text: 'x' },
        err: new UnsupportedDocumentError('read "Acme Ltd"', 'NO_TEXT_FOUND'),
      },
      'probe',
    );
    const [line] = out.lines;
    expect(line).toMatchObject({
      text: '[redacted]',
      value: '[redacted]',
      fields: '[redacted]',
      field: { value: '[redacted]', text: '[redacted]' },
    });
    expect(line?.['err']).toEqual({ name: 'UnsupportedDocumentError', reasonCode: 'NO_TEXT_FOUND' });
    expect(JSON.stringify(line)).not.toMatch(/DE89|Acme|T-00001|Invoice body/);
    expect(errorSerializer({ name: 'has spaces and data', message: 'x' })).toEqual({ name: 'Error' });
  });

  it('is built from an allow-list: an unknown key on a record is not logged', () => {
    const r = { ...(BATCH[4] as AuditRecord), extracted: 'Acme Ltd' } as AuditRecord;
    expect(Object.keys(logLineOf(r)).sort()).toEqual(['attempt', 'batchId', 'documentId', 'durationMs', 'event', 'executionId', 'step']);
  });
});

describe('spans', () => {
  it('form batch → document → step attempt trees with the records’ times', async () => {
    const { exporter, observer } = tracing();
    for (const r of BATCH) observer.observe(r);
    await observer.flush();
    const spans = exporter.getFinishedSpans();
    const [batch] = byName(spans, 'batch');
    expect(batch).toBeDefined();
    if (!batch) return;
    expect(parentOf(batch)).toBeUndefined();
    expect(batch.attributes).toMatchObject({
      'docroute.batch_id': 'b-1',
      'docroute.execution_id': 'x-1',
      'docroute.documents.pass': 1,
      'docroute.documents.failed': 1,
    });
    expect(ms(batch.startTime)).toBe(T0);
    expect(ms(batch.endTime)).toBe(T0 + 1200);

    const docs = byName(spans, 'document');
    expect(docs.map((d) => d.attributes['docroute.document_id']).sort()).toEqual([D1, D2]);
    for (const d of docs) {
      expect(parentOf(d)).toBe(batch.spanContext().spanId);
      expect(d.spanContext().traceId).toBe(batch.spanContext().traceId);
    }
    const d1 = docs.find((d) => d.attributes['docroute.document_id'] === D1);
    const d2 = docs.find((d) => d.attributes['docroute.document_id'] === D2);
    expect(d1?.attributes['docroute.outcome']).toBe('pass');
    // It ends with the step that routed it.
    expect(ms(d1?.endTime ?? [0, 0])).toBe(T0 + 1105);
    expect(byName(spans, 'RoutePass')[0] && parentOf(byName(spans, 'RoutePass')[0] as ReadableSpan)).toBe(d1?.spanContext().spanId);
    expect(d1?.events.map((e) => [e.name, e.attributes?.['docroute.attempt']])).toEqual([['retry', 2]]);
    expect(d2?.attributes).toMatchObject({ 'docroute.outcome': 'failed', 'error.type': 'CorruptDocumentError' });
    expect(d2?.status.code).toBe(SpanStatusCode.ERROR);

    const classify = byName(spans, 'Classify').sort(
      (a, b) => Number(a.attributes['docroute.attempt']) - Number(b.attributes['docroute.attempt']),
    );
    expect(classify.map((s) => [s.attributes['docroute.attempt'], s.attributes['docroute.result'], s.status.code])).toEqual([
      [1, 'failed', SpanStatusCode.ERROR],
      [2, 'succeeded', SpanStatusCode.UNSET],
    ]);
    expect(classify[0]?.attributes).toMatchObject({ 'error.type': 'ThrottledError', 'docroute.retryable': true });
    for (const s of classify) expect(parentOf(s)).toBe(d1?.spanContext().spanId);
    // A step span lasts its measured duration and ends at its end record.
    expect(ms(classify[1]?.endTime ?? [0, 0])).toBe(T0 + 1072);
    expect(ms(classify[1]?.endTime ?? [0, 0]) - ms(classify[1]?.startTime ?? [0, 0])).toBeCloseTo(7.5, 6);
    const extractD2 = byName(spans, 'Extract').find((s) => s.attributes['docroute.document_id'] === D2);
    expect(parentOf(extractD2 as ReadableSpan)).toBe(d2?.spanContext().spanId);
    expect(extractD2?.attributes['docroute.retryable']).toBe(false);
    // Nothing is left open, and nothing carries the notes.
    expect(spans).toHaveLength(1 + 2 + 5);
    expect(JSON.stringify(spans.map((s) => [s.attributes, s.events]))).not.toMatch(/IBAN|DE89|invoice 0\.90/);
  });

  it('opens the spans of a batch it did not start (a resumed batch) and ends leftovers at close as unfinished', async () => {
    const { exporter, observer } = tracing();
    // Resumed in a new process: no batch-started, no received.
    observer.observe(rec(100, { documentId: D1, step: 'Validate', event: 'entered' }));
    observer.observe(rec(110, { documentId: D1, step: 'Validate', event: 'succeeded', durationMs: 10 }));
    await observer.close();
    const spans = exporter.getFinishedSpans();
    const [batch] = byName(spans, 'batch');
    const [doc] = byName(spans, 'document');
    expect(batch?.attributes).toMatchObject({ 'docroute.started_elsewhere': true, 'docroute.unfinished': true });
    expect(doc?.attributes).toMatchObject({ 'docroute.started_elsewhere': true, 'docroute.unfinished': true });
    expect(ms(batch?.endTime ?? [0, 0])).toBe(T0 + 5000);
    expect(byName(spans, 'Validate')).toHaveLength(1);
    // Closed: later records are ignored.
    observer.observe(rec(200, { documentId: null, step: 'Batch', event: 'batch-started' }));
    expect(exporter.getFinishedSpans()).toHaveLength(3);
  });

  it('gives an input refused before its batch started (routed, then received) its outcome, ending with its Ingest', async () => {
    const { exporter, observer } = tracing();
    observer.observe(rec(0, { documentId: D2, step: 'Route', event: 'routed', outcome: 'reject', reasonCodes: ['NOT_A_REGULAR_FILE'] }));
    observer.observe(BATCH[0] as AuditRecord);
    observer.observe(rec(0, { documentId: D2, step: 'Receive', event: 'received' }));
    observer.observe(rec(30, { documentId: D2, step: 'Ingest', event: 'succeeded', durationMs: 5 }));
    await observer.flush();
    const [doc] = byName(exporter.getFinishedSpans(), 'document');
    expect(doc?.attributes).toMatchObject({ 'docroute.outcome': 'reject', 'docroute.reason_codes': ['NOT_A_REGULAR_FILE'] });
    expect(doc?.attributes['docroute.unfinished']).toBeUndefined();
    expect(ms(doc?.endTime ?? [0, 0])).toBe(T0 + 30);
  });

  it('ends a failed batch with its error, and its open documents as unfinished', async () => {
    const { exporter, observer } = tracing();
    for (const r of BATCH.slice(0, 5)) observer.observe(r);
    observer.batchFailed({ batchId: 'b-1', executionId: 'x-1', at: at(900), errorName: 'ReconciliationError' });
    await observer.flush();
    const spans = exporter.getFinishedSpans();
    const [batch] = byName(spans, 'batch');
    expect(batch?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'ReconciliationError' });
    expect(byName(spans, 'document').every((d) => d.attributes['docroute.unfinished'] === true && ms(d.endTime) === T0 + 900)).toBe(true);
  });
});

describe('metrics', () => {
  it('count documents, attempts, failures and retries, and time documents and attempts', () => {
    const m = new PipelineMetrics();
    const observer = createMetricsObserver(m);
    for (const r of BATCH) observer.observe(r);
    observer.observe(rec(1300, { documentId: D1, step: 'Ingest', event: 'duplicate', outcome: 'pass' }));
    observer.batchFailed({ batchId: 'b-2', executionId: 'x-2', at: at(2000), errorName: 'ReconciliationError' });
    expect(m.documents.get({ outcome: 'pass', duplicate: 'false' })).toBe(1);
    expect(m.documents.get({ outcome: 'failed', duplicate: 'false' })).toBe(1);
    expect(m.documents.get({ outcome: 'pass', duplicate: 'true' })).toBe(1);
    expect(m.stepAttempts.get({ step: 'Classify', result: 'failed' })).toBe(1);
    expect(m.stepAttempts.get({ step: 'Classify', result: 'succeeded' })).toBe(1);
    expect(m.stepFailures.get({ step: 'Extract', error: 'CorruptDocumentError' })).toBe(1);
    expect(m.retries.get({ step: 'Classify', error: 'ThrottledError' })).toBe(1);
    expect(m.batches.get({ result: 'completed' })).toBe(1);
    expect(m.batches.get({ result: 'failed' })).toBe(1);
    expect(m.documentDuration.count({ outcome: 'pass' })).toBe(1);
    const text = m.render();
    // received at 0, routed at 1100 ms: in the 2.5 s bucket, not the 1 s one.
    expect(text).toContain('docroute_document_duration_seconds_bucket{outcome="pass",le="1"} 0');
    expect(text).toContain('docroute_document_duration_seconds_bucket{outcome="pass",le="2.5"} 1');
    expect(text).toContain('docroute_document_duration_seconds_sum{outcome="pass"} 1.1');
    expect(text).toContain('docroute_step_attempt_duration_seconds_count{step="Classify",result="succeeded"} 1');
    expect(text).toContain('docroute_step_retries_by_error_total{step="Classify",error="ThrottledError"} 1');
    for (const line of text.trimEnd().split('\n')) {
      expect(line).toMatch(/^(# (HELP|TYPE) docroute_\w+ .+|docroute_\w+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? \d+(\.\d+)?)$/);
    }
  });
});

describe('openTelemetry', () => {
  const config = (o: unknown) => ObservabilitySchema.parse(o);
  const none = { disabled: false } as const;

  it('is null when nothing is configured: the runtime installs no tap', async () => {
    expect(await openTelemetry({ config: config({}), dataDir: '/tmp/x', env: none, secret: () => undefined, metrics: false })).toBeNull();
    expect(
      await openTelemetry({
        config: config({ logs: { destination: 'file', level: 'silent' } }),
        dataDir: '/tmp/x',
        env: none,
        secret: () => undefined,
        metrics: false,
      }),
    ).toBeNull();
  });

  it('finds the traces endpoint in config, then the standard variables, unless disabled', () => {
    expect(tracesEndpointOf(config({}), none)).toBeNull();
    expect(tracesEndpointOf(config({}), { disabled: false, endpoint: 'http://c:4318/' })).toBe('http://c:4318/v1/traces');
    expect(tracesEndpointOf(config({}), { disabled: false, endpoint: 'http://c:4318', tracesEndpoint: 'http://t:9/x' })).toBe(
      'http://t:9/x',
    );
    expect(
      tracesEndpointOf(config({ traces: { otlpEndpoint: 'http://cfg:4318/v1/traces' } }), {
        disabled: false,
        tracesEndpoint: 'http://t:9/x',
      }),
    ).toBe('http://cfg:4318/v1/traces');
    expect(tracesEndpointOf(config({ traces: { otlpEndpoint: 'http://cfg:4318' } }), { disabled: true })).toBeNull();
  });

  it('fails at start-up when a header names a variable that is not set, naming the path and never a value', async () => {
    const open = openTelemetry({
      config: config({ traces: { otlpEndpoint: 'http://127.0.0.1:1', headers: { Authorization: 'OTLP_TOKEN' } } }),
      dataDir: '/tmp/x',
      env: none,
      secret: () => undefined,
      metrics: false,
    });
    await expect(open).rejects.toThrow(ConfigError);
    await expect(open).rejects.toThrow('observability.traces.headers.Authorization: the environment variable OTLP_TOKEN is not set');
  });

  it('refuses credentials in the endpoint URL', () => {
    expect(() => config({ traces: { otlpEndpoint: 'http://user:pw@c:4318' } })).toThrow(/without user:password/);
  });
});
