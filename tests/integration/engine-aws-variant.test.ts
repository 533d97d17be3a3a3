import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createKeywordClassifier } from '../../src/domain/keyword-classifier.js';
import { MemoryObjectStore, MemoryRouteSink, MemoryStore } from '../../src/adapters/memory/memory-store.js';
import { sensitiveFieldNames } from '../../src/config/field-spec.js';
import { parseConfig } from '../../src/config/load.js';
import type { Extraction, MediaType } from '../../src/domain/document.js';
import { ThrottledError, UnsupportedDocumentError } from '../../src/domain/errors.js';
import type { BatchSummary } from '../../src/domain/summarize.js';
import { compileRules } from '../../src/domain/validate.js';
import { buildDefinition, localResource, TASK_NAMES } from '../../src/orchestration/definition.js';
import { createLocalEngine } from '../../src/orchestration/local/engine.js';
import { applyInputTransformer, S3_INPUT_TRANSFORMER } from '../../src/orchestration/s3-trigger.js';
import { createTaskHandlers, objectIdOf } from '../../src/orchestration/tasks.js';
import type { DocumentAnalyzer } from '../../src/ports/document-analyzer.js';
import type { ObjectAdmission, UploadedObject } from '../../src/ports/object-admission.js';
import { CountingLimiter, FakeImages, FakeOcr, FakePdf, fixedClock } from '../helpers/fakes.js';

/**
 * The AWS rendering of the definition (Admit → … → ExtractStart → Wait/ExtractPoll loop → …) on the
 * embedded engine, with the real task handlers over in-memory stores, and scripted stand-ins for the
 * two AWS-only ports: object admission (S3) and document analysis (Textract). The adapters behind
 * those ports are tested against s3rver and a Textract replay elsewhere; this test is about the
 * state machine: the poll loop, its bound, throttling retries and objects that are not documents.
 */

const INVOICE = ['INVOICE', 'Northwind Traders', 'Invoice No: INV-2026-0042', 'Invoice Date: 2026-11-02', 'Total Due: EUR 1,250.00'];

const textractLike = (lines: readonly string[]): Extraction => ({
  mediaType: 'application/pdf',
  pages: [{ page: 1, method: 'ocr', text: lines.join('\n'), confidence: 0.99, width: 1, height: 1, lines: [] }],
  text: lines.join('\n'),
  confidence: 0.99,
  provenance: { engine: 'docroute-textract', ocrEngine: 'amazon-textract' },
});

const PDF_BYTES = new TextEncoder().encode('%PDF-1.7\n% a document stand-in: the analyzer is scripted\n%%EOF\n');

/** S3 stand-in: objects by bucket/key; admission hashes and stores them content-addressed. */
class FakeBucket implements ObjectAdmission {
  readonly uploads = new Map<string, Uint8Array>();
  admitted: UploadedObject[] = [];
  constructor(private readonly objects: MemoryObjectStore) {}
  admit(object: UploadedObject): Promise<{ documentId: string; size: number }> {
    this.admitted.push(object);
    if (!object.key.startsWith('inbox/') || object.key.endsWith('/')) {
      return Promise.reject(new UnsupportedDocumentError('the object is not in the inbox'));
    }
    const bytes = this.uploads.get(`${object.bucket}/${object.key}`);
    if (!bytes) return Promise.reject(new UnsupportedDocumentError('no such upload'));
    const documentId = createHash('sha256').update(bytes).digest('hex');
    this.objects.objects.set(documentId, bytes);
    return Promise.resolve({ documentId, size: bytes.length });
  }
}

/** Textract stand-in: each poll answers from a script; start can be made to throttle. */
class ScriptedAnalyzer implements DocumentAnalyzer {
  readonly name = 'scripted-textract';
  starts = 0;
  polls = 0;
  constructor(
    private readonly script: { throttleStarts?: number; runningPolls?: number; fail?: boolean; never?: boolean },
    private readonly extraction: Extraction,
  ) {}
  start(): Promise<{ jobId: string }> {
    this.starts += 1;
    if (this.starts <= (this.script.throttleStarts ?? 0))
      return Promise.reject(new ThrottledError('ProvisionedThroughputExceededException'));
    return Promise.resolve({ jobId: 'job-1' });
  }
  poll(_jobId: string, input: { mediaType: MediaType }): Promise<{ status: 'running' } | { status: 'done'; extraction: Extraction }> {
    this.polls += 1;
    if (this.script.fail) return Promise.reject(new UnsupportedDocumentError('the analysis job failed'));
    if (this.script.never || this.polls <= (this.script.runningPolls ?? 0)) return Promise.resolve({ status: 'running' });
    return Promise.resolve({ status: 'done', extraction: { ...this.extraction, mediaType: input.mediaType } });
  }
}

const run = async (
  analyzer: ScriptedAnalyzer,
  uploads: Record<string, Uint8Array>,
  keys: readonly string[],
  options: { maxPolls?: number } = {},
) => {
  const loaded = parseConfig({});
  const store = new MemoryStore();
  const objects = new MemoryObjectStore();
  const bucket = new FakeBucket(objects);
  for (const [k, v] of Object.entries(uploads)) bucket.uploads.set(`docroute-inbox/${k}`, v);
  const sink = new MemoryRouteSink();
  const sensitiveFields = sensitiveFieldNames(loaded.config.fields);
  const handlers = createTaskHandlers({
    config: loaded.config,
    configVersion: loaded.version,
    rulesetVersion: loaded.rulesetVersion,
    sensitiveFields,
    stepVersions: loaded.stepVersions,
    objects,
    checkpoints: store,
    audit: store,
    ledger: store,
    sink,
    pdf: new FakePdf([]),
    ocr: new FakeOcr(new Error('the AWS rendering never runs local OCR')),
    images: new FakeImages(),
    limiter: new CountingLimiter(),
    classifier: createKeywordClassifier(loaded.config.classify.classes),
    rules: compileRules(loaded.config.rules, { sensitiveFields }),
    notifiers: [],
    clock: fixedClock('2026-11-28T12:00:00.000Z'),
    admission: bucket,
    analyzer,
  });
  const definition = buildDefinition({
    maxConcurrency: 2,
    retry: { intervalSeconds: 1, backoffRate: 2, maxAttempts: 3, maxDelaySeconds: 30 },
    resource: localResource,
    variant: 'aws',
    textractPoll: { seconds: 5, maxPolls: options.maxPolls ?? 10 },
  });
  // Each upload is its own event → its own execution input; a bulk load starts one with many.
  const inputs = keys.map((key, i) =>
    applyInputTransformer(S3_INPUT_TRANSFORMER, {
      id: `evt-${i}`,
      detail: { bucket: { name: 'docroute-inbox' }, object: { key, size: uploads[key]?.length ?? 0 } },
    }),
  ) as { batchId: string; documents: unknown[] }[];
  const input = { batchId: 'b-aws-1', documents: inputs.flatMap((x) => x.documents) };
  const output = (await createLocalEngine(definition, handlers).run(input, {
    executionId: 'arn:aws:states:eu-west-1:123456789012:execution:docroute:x-1',
    retryIntervalOverrides: Object.fromEntries(TASK_NAMES.map((n) => [n, 0])),
    waitTimeOverrides: { ExtractWait: 0 },
  })) as { summary: BatchSummary };
  return { output, store, sink, bucket };
};

describe('the AWS rendering on the embedded engine', () => {
  it('admits the upload, polls the analysis until it is done, and routes the document once', async () => {
    const analyzer = new ScriptedAnalyzer({ runningPolls: 2 }, textractLike(INVOICE));
    const { output, store, sink, bucket } = await run(analyzer, { 'inbox/invoice 7.pdf': PDF_BYTES }, ['inbox/invoice%207.pdf']);
    expect(output.summary).toMatchObject({ received: 1, pass: 1, hold: 0, reject: 0, failed: 0, reconciled: true });
    // The event's URL-encoded key was decoded before admission.
    expect(bucket.admitted.map((o) => o.key)).toEqual(['inbox/invoice 7.pdf']);
    expect(analyzer.starts).toBe(1);
    expect(analyzer.polls).toBe(3);
    const id = createHash('sha256').update(PDF_BYTES).digest('hex');
    const timeline = await store.timeline(id);
    const polls = timeline.filter((r) => r.step === 'ExtractPoll');
    // Polls are not retries: no `retried` events, one entered/succeeded pair per poll.
    expect(polls.map((r) => `${r.attempt}:${r.event}`)).toEqual([
      '1:entered',
      '1:succeeded',
      '2:entered',
      '2:succeeded',
      '3:entered',
      '3:succeeded',
    ]);
    expect(timeline.filter((r) => r.event === 'routed')).toHaveLength(1);
    expect((await store.getDocument(id))?.name).toBe('invoice 7.pdf');
    expect([...sink.delivered.keys()]).toEqual([`memory://pass/${id}`]);
  });

  it('retries a throttled analysis start with the generated Retry, and the audit shows the attempts', async () => {
    const analyzer = new ScriptedAnalyzer({ throttleStarts: 2 }, textractLike(INVOICE));
    const { output, store } = await run(analyzer, { 'inbox/a.pdf': PDF_BYTES }, ['inbox/a.pdf']);
    expect(output.summary).toMatchObject({ received: 1, pass: 1, failed: 0 });
    expect(analyzer.starts).toBe(3);
    const id = createHash('sha256').update(PDF_BYTES).digest('hex');
    const starts = (await store.timeline(id)).filter((r) => r.step === 'ExtractStart');
    expect(starts.map((r) => `${r.attempt}:${r.event}${r.errorName ? `:${r.errorName}` : ''}`)).toEqual([
      '1:entered',
      '1:failed:ThrottledError',
      '2:retried',
      '2:entered',
      '2:failed:ThrottledError',
      '3:retried',
      '3:entered',
      '3:succeeded',
    ]);
  });

  it('records and skips an object that is not a document, and the batch still reconciles', async () => {
    const analyzer = new ScriptedAnalyzer({}, textractLike(INVOICE));
    const { output, store } = await run(analyzer, { 'inbox/a.pdf': PDF_BYTES }, ['inbox/a.pdf', 'elsewhere/b.pdf']);
    expect(output.summary).toMatchObject({
      received: 2,
      pass: 1,
      reject: 1,
      failed: 0,
      reconciled: true,
      reasons: { UNSUPPORTED_TYPE: 1 },
    });
    const skippedId = objectIdOf({ bucket: 'docroute-inbox', key: 'elsewhere/b.pdf' });
    const [skip] = await store.timeline(skippedId);
    expect(skip).toMatchObject({
      step: 'Admit',
      event: 'failed',
      outcome: 'reject',
      errorName: 'UnsupportedDocumentError',
      reasonCodes: ['UNSUPPORTED_TYPE'],
    });
    expect(analyzer.starts).toBe(1); // the skipped object was never analysed
  });

  it('ends an analysis that never finishes as failed after the poll bound, not an endless loop', async () => {
    const analyzer = new ScriptedAnalyzer({ never: true }, textractLike(INVOICE));
    const { output, store } = await run(analyzer, { 'inbox/a.pdf': PDF_BYTES }, ['inbox/a.pdf'], { maxPolls: 4 });
    expect(output.summary).toMatchObject({ received: 1, failed: 1, pass: 0 });
    expect(analyzer.polls).toBe(4);
    const id = createHash('sha256').update(PDF_BYTES).digest('hex');
    expect((await store.batchOutcomes('b-aws-1'))[0]).toMatchObject({ documentId: id, outcome: 'failed', errorName: 'StepTimeoutError' });
  });

  it('rejects a document the analysis cannot read, with its reason code', async () => {
    const analyzer = new ScriptedAnalyzer({ fail: true }, textractLike(INVOICE));
    const { output } = await run(analyzer, { 'inbox/a.pdf': PDF_BYTES }, ['inbox/a.pdf']);
    expect(output.summary).toMatchObject({ received: 1, reject: 1, failed: 0, reasons: { UNSUPPORTED_TYPE: 1 } });
  });
});
