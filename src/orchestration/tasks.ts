import { z } from 'zod';
import type { Config } from '../config/schema.js';
import type { StepVersions } from '../config/load.js';
import type { Classification, Decision, Extraction, FieldSet, FinalOutcome, Outcome, RouteResult } from '../domain/document.js';
import { DOCUMENT_ID_PATTERN } from '../domain/document.js';
import {
  ArtifactMissingError,
  ConfigError,
  DocumentTooLargeError,
  errorNamesOfKind,
  InvalidStepInputError,
  PipelineError,
  reasonCodeForError,
  toPipelineError,
  UnsupportedDocumentError,
} from '../domain/errors.js';
import { extractText, hasText, OCR_RATE_KEY, type ExtractOptions } from '../domain/extract.js';
import { extractFields } from '../domain/extract-fields.js';
import { decide } from '../domain/route.js';
import { decisionRecordOf, rulesFiredNote } from '../domain/decision-record.js';
import { summarize, type BatchSummary } from '../domain/summarize.js';
import { factsOf, type CompiledRules } from '../domain/validate.js';
import type { AuditLog } from '../ports/audit-log.js';
import type { Checkpoints } from '../ports/checkpoints.js';
import type { Classifier } from '../ports/classifier.js';
import type { Clock } from '../ports/clock.js';
import type { Ledger } from '../ports/ledger.js';
import type { Notifier } from '../ports/notifier.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { OcrEngine } from '../ports/ocr-engine.js';
import type { ImagePipeline } from '../ports/image-pipeline.js';
import type { PdfReader } from '../ports/pdf-reader.js';
import type { RateLimiter } from '../ports/rate-limiter.js';
import type { RouteSink } from '../ports/route-sink.js';
import type { TaskName } from './definition.js';
import type { AnalysisQuery, DocumentAnalyzer } from '../ports/document-analyzer.js';
import type { ObjectAdmission } from '../ports/object-admission.js';
import { sniffMediaType } from '../domain/sniff.js';
import { createHash } from 'node:crypto';

/**
 * The task handlers behind every Task state, over ports only. The local engine binds them
 * in-process; each Lambda handler will call the one for its function. Side effects live behind the
 * ports given to `createTaskHandlers` (as in Temporal's `createActivities(db)`).
 */
export interface TaskDeps {
  readonly config: Config;
  readonly configVersion: string;
  /** Hash of the rules: recorded with every decision. */
  readonly rulesetVersion: string;
  /** Fields whose values are masked in decision records (from the field specs). */
  readonly sensitiveFields: ReadonlySet<string>;
  readonly stepVersions: StepVersions;
  readonly objects: ObjectStore;
  readonly checkpoints: Checkpoints;
  readonly audit: AuditLog;
  readonly ledger: Ledger;
  readonly sink: RouteSink;
  readonly pdf: PdfReader;
  readonly ocr: OcrEngine;
  readonly images: ImagePipeline;
  readonly limiter: RateLimiter;
  readonly classifier: Classifier;
  readonly rules: CompiledRules;
  readonly notifiers: readonly Notifier[];
  readonly clock: Clock;
  /** AWS: admits uploaded S3 objects as documents (the Admit task). */
  readonly admission?: ObjectAdmission;
  /** AWS: Textract's asynchronous analysis (the ExtractStart/ExtractPoll tasks). */
  readonly analyzer?: DocumentAnalyzer;
  /** The review queue's age, for the scheduled Monitor task (AWS: the store's index by outcome). */
  readonly holdQueue?: { oldestHeldSince(): Promise<string | null> };
  /** Called once per document when its outcome is recorded (progress bars). */
  readonly onDocumentDone?: (documentId: string, outcome: FinalOutcome) => void;
}

export type TaskHandler = (envelope: unknown) => Promise<unknown>;

/** The Extract step's options, from config (shared with `docroute eval`, which extracts the same way). */
export const extractOptionsOf = (config: Config): ExtractOptions => ({
  maxFileBytes: config.limits.maxFileBytes,
  maxPages: config.limits.maxPages,
  minTextChars: config.extract.minTextChars,
  dpi: config.extract.ocr.dpi,
  ocrTimeoutMs: config.extract.ocr.timeoutMs,
  image: config.extract.image,
});

const DocumentRef = z.object({
  documentId: z.string().regex(DOCUMENT_ID_PATTERN),
  name: z.string(),
  size: z.number().int().nonnegative().optional(),
});

const ItemState = z.object({
  batchId: z.string().min(1),
  executionId: z.string().min(1),
  document: DocumentRef,
  ingest: z.object({ routed: z.boolean(), priorOutcome: z.string().nullable(), duplicate: z.boolean() }).optional(),
  validate: z.object({ outcome: z.enum(['pass', 'hold', 'reject']) }).optional(),
  route: z.object({ outcome: z.enum(['pass', 'hold', 'reject']), duplicate: z.boolean().optional() }).optional(),
  error: z.object({ Error: z.string(), Cause: z.unknown() }).optional(),
});
type ItemState = z.infer<typeof ItemState>;

/** AWS: a Map item before admission: the uploaded object from the S3 event. */
const AdmitState = z.object({
  batchId: z.string().min(1),
  executionId: z.string().min(1),
  object: z.object({
    bucket: z.string().min(1),
    key: z.string().min(1),
    size: z.number().int().nonnegative().optional(),
    versionId: z.string().optional(),
  }),
  error: z.object({ Error: z.string(), Cause: z.unknown() }).optional(),
});

/** AWS: the Textract job carried between ExtractStart and the ExtractPoll loop (ids only). */
const TextractJob = z.object({
  done: z.literal(false),
  jobId: z.string().min(1),
  polls: z.number().int().nonnegative(),
  mediaType: z.enum(['application/pdf', 'image/png', 'image/jpeg', 'image/tiff', 'image/webp', 'image/bmp']),
  startedAt: z.string(),
});

/** S3 event keys are URL-encoded with `+` for spaces. */
export const decodeS3Key = (key: string): string => {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
};

/**
 * An id for an object that never became a document (skipped or failed at admission): a hash of
 * where it was, so the batch can still account for it. It is not a content hash.
 */
export const objectIdOf = (object: { bucket: string; key: string; versionId?: string | undefined }): string =>
  createHash('sha256')
    .update(`s3://${object.bucket}/${object.key}${object.versionId ? `?versionId=${object.versionId}` : ''}`)
    .digest('hex');

/** Textract asks at most 30 queries per job; Extract runs before Classify, so it asks every class's. */
export const analysisQueriesOf = (config: Config): AnalysisQuery[] => {
  const byAlias = new Map<string, AnalysisQuery>();
  for (const specs of Object.values(config.fields)) {
    for (const spec of specs) if (spec.query && !byAlias.has(spec.name)) byAlias.set(spec.name, { alias: spec.name, text: spec.query });
  }
  return [...byAlias.values()].slice(0, 30);
};

const AggregateState = z.object({ batchId: z.string(), executionId: z.string(), received: z.number().int().nonnegative() });

const Envelope = z.object({ task: z.string(), state: z.unknown() });

const parse = <T>(schema: z.ZodType<T>, value: unknown, task: string): T => {
  const r = schema.safeParse(value);
  if (!r.success) {
    const where = r.error.issues[0]?.path.join('.') ?? '';
    throw new InvalidStepInputError(`${task}: input does not match its contract at "${where}"`);
  }
  return r.data;
};

/**
 * Step Functions hands a Lambda failure's Cause over as a JSON string
 * (`{"errorMessage": ..., "errorType": ...}`); the local engine passes the message itself.
 */
const causeText = (cause: unknown): string => {
  if (typeof cause !== 'string') return '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // not JSON: the local engine's plain message
  }
  return cause;
};

const ROUTE_OUTCOME: Partial<Record<TaskName, Outcome>> = { RoutePass: 'pass', RouteHold: 'hold', RouteReject: 'reject' };

export const createTaskHandlers = (deps: TaskDeps): Record<TaskName, TaskHandler> => {
  const { audit, checkpoints, ledger, clock } = deps;
  const ms = (start: number): number => Math.round((clock.now().getTime() - start) * 10) / 10;

  /**
   * Runs one step for one document: audit `entered` (and `retried` on a re-attempt), answer from
   * the checkpoint when one exists, else run and checkpoint, then audit `succeeded` or `failed`.
   * Errors leave as PipelineErrors whose `name` the state machine's Retry/Catch match.
   */
  const step = async <R, S>(
    task: TaskName,
    item: ItemState,
    run: () => Promise<{ result: R; summary: S }>,
    checkpoint?: { version: string; summarise: (r: R) => S; note?: (r: R) => string },
    options: { polling?: boolean } = {},
  ): Promise<S> => {
    const base = { executionId: item.executionId, batchId: item.batchId, documentId: item.document.documentId, step: task };
    // A poll loop enters its Task many times by design: those are polls, not retries.
    const attempt = (await audit.attempts(item.executionId, item.document.documentId, task)) + 1;
    const started = clock.now().getTime();
    if (attempt > 1 && !options.polling) await audit.append({ ...base, at: clock.now().toISOString(), attempt, event: 'retried' });
    // `entered` is issued before the work starts but not awaited: it commits with the step's own
    // writes when the work is quick, or on the next turn of the event loop while slow work runs.
    // On a group-committing store (AuditLog.groupCommit) `entered`, the checkpoint and `succeeded`
    // are issued together: one commit, all or none, in this order. Elsewhere each waits for the
    // one before it. Either way a step never records a success or a checkpoint whose `entered`
    // did not land.
    let enteredFailed = false;
    const entered = audit.append({ ...base, at: clock.now().toISOString(), attempt, event: 'entered' });
    entered.catch(() => {
      enteredFailed = true;
    });
    const grouped = audit.groupCommit === true;
    const succeeded = (note: string | undefined): Promise<void> =>
      audit.append({
        ...base,
        at: clock.now().toISOString(),
        attempt,
        event: 'succeeded',
        durationMs: ms(started),
        ...(note ? { note } : {}),
      });
    /** Writes `succeeded` (after `put`, when there is a checkpoint) once `entered` is on record. */
    const finish = async (note: string | undefined, put?: () => Promise<void>): Promise<void> => {
      if (grouped && !enteredFailed) {
        await Promise.all([entered, put?.(), succeeded(note)]);
        return;
      }
      await entered;
      await put?.();
      await succeeded(note);
    };
    try {
      if (checkpoint) {
        const key = { documentId: item.document.documentId, step: task, configVersion: checkpoint.version };
        const cached = await checkpoints.get<R>(key);
        if (cached !== undefined) {
          await finish(checkpoint.note ? `from checkpoint; ${checkpoint.note(cached)}` : 'from checkpoint');
          return checkpoint.summarise(cached);
        }
        const { result, summary } = await run();
        await finish(checkpoint.note?.(result), () => checkpoints.put(key, result));
        return summary;
      }
      const { summary } = await run();
      await finish(undefined);
      return summary;
    } catch (err) {
      // A step whose `entered` did not commit fails with that error and writes nothing more, as
      // when `entered` was awaited first; otherwise `entered` is on record before `failed`.
      const enteredError = await entered.then(
        () => null,
        (e: unknown) => ({ e }),
      );
      if (enteredError) throw toPipelineError(enteredError.e);
      const e = toPipelineError(err);
      await audit.append({
        ...base,
        at: clock.now().toISOString(),
        attempt,
        event: 'failed',
        durationMs: ms(started),
        errorName: e.name,
        note: e.retryable ? 'retryable' : 'terminal',
      });
      throw e;
    }
  };

  const load = async <T>(item: ItemState, step: TaskName, version: string): Promise<T> => {
    const value = await checkpoints.get<T>({ documentId: item.document.documentId, step, configVersion: version });
    if (value === undefined) throw new ArtifactMissingError(`no ${step} checkpoint for this document at config ${version}`);
    return value;
  };

  const v = deps.stepVersions;
  /** The checkpoint versions a decision is computed from: what a replay starts from. */
  const stepsUsed = { Extract: v.extract, Classify: v.classify, ExtractFields: v.extractFields, Validate: v.validate };
  const summariseExtraction = (x: Extraction) => ({
    mediaType: x.mediaType,
    pages: x.pages.length,
    ocrPages: x.pages.filter((p) => p.method === 'ocr').length,
    chars: x.text.length,
    confidence: Math.round(x.confidence * 1000) / 1000,
  });
  const summariseClassification = (c: Classification) => ({ documentClass: c.documentClass, confidence: c.confidence });
  const summariseFields = (f: FieldSet) => ({ found: Object.keys(f.fields).sort() });
  const summariseDecision = (d: Decision) => ({ outcome: d.outcome, reasonCodes: d.reasons.map((r) => r.code) });

  /**
   * Which classifier decided, and what it cost: class names, a confidence, a model id or version
   * and token counts. No content: this goes to the audit trail.
   */
  const classificationNote = (c: Classification): string =>
    `${c.classifier}${c.model ? ` (${c.model})` : ''}: ${c.documentClass} ${c.confidence.toFixed(2)}` +
    (c.usage ? `; tokens in ${c.usage.inputTokens}, out ${c.usage.outputTokens}` : '');

  /** A Task whose result is checkpointed at `version`; the state machine gets its summary. */
  const checkpointed =
    <R, S>(version: string, summarise: (r: R) => S, compute: (item: ItemState) => Promise<R>, note?: (r: R) => string) =>
    (raw: unknown, task: TaskName): Promise<S> => {
      const item = parse(ItemState, raw, task);
      return step(
        task,
        item,
        async () => {
          const result = await compute(item);
          return { result, summary: summarise(result) };
        },
        { version, summarise, ...(note ? { note } : {}) },
      );
    };

  /** Places a decided document and records the route, once per document, ever. */

  const deliver = async (item: ItemState, outcome: Outcome, result: RouteResult, reasonCodes: string[]) => {
    const existing = await ledger.getRoute(item.document.documentId);
    if (existing) return { outcome: existing.outcome, location: existing.location, duplicate: existing.batchId !== item.batchId };
    const { location } = await deps.sink.deliver(outcome, result);
    const at = clock.now().toISOString();
    const { record } = await ledger.recordRoute(
      {
        documentId: item.document.documentId,
        outcome,
        batchId: item.batchId,
        executionId: item.executionId,
        documentClass: result.documentClass,
        confidence: result.confidence,
        reasons: result.reasons,
        location,
        routedAt: at,
        version: 1,
        kind: 'pipeline',
        decidedAt: at,
      },
      {
        at,
        executionId: item.executionId,
        batchId: item.batchId,
        documentId: item.document.documentId,
        step: 'Route',
        attempt: 1,
        event: 'routed',
        outcome,
        reasonCodes,
        // Rule ids are configuration names, not content: they answer "which rule?" in the trail.
        note: `config ${result.configVersion}, ruleset ${result.rulesetVersion}${rulesFiredNote(result.findings)}`,
      },
      { result, steps: stepsUsed },
    );
    return { outcome: record.outcome, location: record.location, duplicate: false };
  };

  const handlers: Record<TaskName, (state: unknown, task: TaskName) => Promise<unknown>> = {
    Ingest: async (raw, task) => {
      const item = parse(ItemState, raw, task);
      return step(task, item, async () => {
        const id = item.document.documentId;
        const prior = await ledger.getRoute(id);
        const size = await deps.objects.size(id);
        // An inbox entry refused before it became a document (a symlink, a FIFO) has its reject
        // recorded already and no original: it goes on as a routed document.
        if (size === null && prior === null) throw new ArtifactMissingError('the original is not in the object store');
        if (size !== null) await ledger.registerDocument({ documentId: id, name: item.document.name, size, firstSeenBatch: item.batchId });
        const duplicate = prior !== null && prior.batchId !== item.batchId;
        if (duplicate) {
          await audit.append({
            at: clock.now().toISOString(),
            executionId: item.executionId,
            batchId: item.batchId,
            documentId: id,
            step: task,
            attempt: 1,
            event: 'duplicate',
            outcome: prior.outcome,
            note: `already routed by batch ${prior.batchId}`,
          });
        }
        const summary = { routed: prior !== null, priorOutcome: prior?.outcome ?? null, duplicate };
        return { result: summary, summary };
      });
    },

    Admit: async (raw, task) => {
      const input = parse(AdmitState, raw, task);
      if (!deps.admission) throw new ConfigError('Admit needs an object admission adapter (the AWS runtime)');
      const { size: declared, versionId } = input.object;
      const object = {
        bucket: input.object.bucket,
        key: decodeS3Key(input.object.key),
        ...(declared !== undefined ? { size: declared } : {}),
        ...(versionId !== undefined ? { versionId } : {}),
      };
      const { documentId, size } = await deps.admission.admit(object);
      const name = object.key.split('/').pop() || object.key;
      await ledger.registerDocument({ documentId, name, size, firstSeenBatch: input.batchId });
      await ledger.addToBatch(input.batchId, [{ documentId, name }]);
      await audit.append({
        at: clock.now().toISOString(),
        executionId: input.executionId,
        batchId: input.batchId,
        documentId,
        step: 'Receive',
        attempt: 1,
        event: 'received',
        note: `size ${size}`,
      });
      return { documentId, name, size };
    },

    SkipObject: async (raw, task) => {
      const input = parse(AdmitState, raw, task);
      const error = input.error ?? { Error: 'InternalError', Cause: '' };
      const documentError = errorNamesOfKind('document').includes(error.Error);
      const id = objectIdOf(input.object);
      const code = documentError ? reasonCodeForError(error.Error, causeText(error.Cause)) : 'PIPELINE_ERROR';
      const outcome = documentError ? 'reject' : 'failed';
      // Recorded under the object's id (it never became a document), so the batch reconciles.
      await ledger.addToBatch(input.batchId, [{ documentId: id, name: decodeS3Key(input.object.key).split('/').pop() ?? '' }]);
      await audit.append({
        at: clock.now().toISOString(),
        executionId: input.executionId,
        batchId: input.batchId,
        documentId: id,
        step: 'Admit',
        attempt: 1,
        event: 'failed',
        outcome,
        errorName: error.Error,
        reasonCodes: [code],
        note: documentError
          ? 'not a document: skipped (the object is left where it was uploaded)'
          : causeText(error.Cause).slice(0, 300) || 'not admitted',
      });
      await ledger.recordOutcome(input.batchId, id, outcome, {
        duplicate: false,
        reasonCode: code,
        ...(documentError ? {} : { errorName: error.Error, errorCause: causeText(error.Cause).slice(0, 300) }),
      });
      deps.onDocumentDone?.(id, outcome);
      return { documentId: id, outcome, reasonCode: code };
    },

    ExtractStart: async (raw, task) => {
      const item = parse(ItemState, raw, task);
      return step<unknown, unknown>(task, item, async () => {
        const id = item.document.documentId;
        const cached = await checkpoints.get<Extraction>({ documentId: id, step: 'Extract', configVersion: v.extract });
        if (cached) {
          const summary = { done: true as const, polls: 0, fromCheckpoint: true, ...summariseExtraction(cached) };
          return { result: summary, summary };
        }
        if (!deps.analyzer) throw new ConfigError('ExtractStart needs a document analyzer (the AWS runtime)');
        const size = await deps.objects.size(id);
        if (size === null) throw new ArtifactMissingError('the original is not in the object store');
        if (size === 0) throw new UnsupportedDocumentError('file is empty', 'EMPTY_FILE');
        if (size > deps.config.limits.maxFileBytes) {
          throw new DocumentTooLargeError(`file is ${size} bytes; the limit is ${deps.config.limits.maxFileBytes}`);
        }
        const mediaType = sniffMediaType(await deps.objects.get(id));
        // Textract reads PDF, PNG, JPEG and TIFF.
        if (!mediaType || mediaType === 'image/webp' || mediaType === 'image/bmp') {
          throw new UnsupportedDocumentError('file type is not supported by the analysis service (expected PDF, PNG, JPEG or TIFF)');
        }
        await deps.limiter.acquire(OCR_RATE_KEY, 1);
        const { jobId } = await deps.analyzer.start({ documentId: id, mediaType, queries: analysisQueriesOf(deps.config) });
        const summary = { done: false as const, jobId, polls: 0, mediaType, startedAt: clock.now().toISOString() };
        return { result: summary, summary };
      });
    },

    ExtractPoll: async (raw, task) => {
      const item = parse(ItemState.extend({ extract: TextractJob }), raw, task);
      return step<unknown, unknown>(
        task,
        item,
        async () => {
          if (!deps.analyzer) throw new ConfigError('ExtractPoll needs a document analyzer (the AWS runtime)');
          const job = item.extract;
          const id = item.document.documentId;
          const answer = await deps.analyzer.poll(job.jobId, { documentId: id, mediaType: job.mediaType, startedAt: job.startedAt });
          if (answer.status === 'running') {
            const summary = { ...job, polls: job.polls + 1 };
            return { result: summary, summary };
          }
          await checkpoints.put({ documentId: id, step: 'Extract', configVersion: v.extract }, answer.extraction);
          const summary = { done: true as const, polls: job.polls + 1, ...summariseExtraction(answer.extraction) };
          return { result: summary, summary };
        },
        undefined,
        { polling: true },
      );
    },

    Extract: checkpointed(v.extract, summariseExtraction, async (item) => {
      const id = item.document.documentId;
      // The size first: an original past the limit is refused without being read into memory.
      const size = await deps.objects.size(id);
      if (size !== null && size > deps.config.limits.maxFileBytes) {
        throw new DocumentTooLargeError(`file is ${size} bytes; the limit is ${deps.config.limits.maxFileBytes}`);
      }
      return extractText(await deps.objects.get(id), deps, extractOptionsOf(deps.config));
    }),

    Classify: checkpointed(
      v.classify,
      summariseClassification,
      async (item) => {
        const extraction = await load<Extraction>(item, 'Extract', v.extract);
        // A text-only classifier has nothing to read; one that reads layout still gets its chance.
        if (deps.classifier.needsText && !hasText(extraction)) {
          throw new UnsupportedDocumentError('no text was found on any page', 'NO_TEXT_FOUND');
        }
        return deps.classifier.classify(extraction);
      },
      classificationNote,
    ),

    ExtractFields: checkpointed(v.extractFields, summariseFields, async (item) => {
      const extraction = await load<Extraction>(item, 'Extract', v.extract);
      const classification = await load<Classification>(item, 'Classify', v.classify);
      return extractFields(extraction, classification.documentClass, deps.config.fields);
    }),

    Validate: checkpointed(v.validate, summariseDecision, async (item) => {
      const classification = await load<Classification>(item, 'Classify', v.classify);
      const fieldSet = await load<FieldSet>(item, 'ExtractFields', v.extractFields);
      const findings = await deps.rules.evaluate(factsOf(fieldSet, classification.confidence, clock.now().toISOString().slice(0, 10)));
      return decide(classification, findings, {
        minConfidence: deps.config.classify.minConfidence,
        thresholds: deps.config.classify.thresholds,
      });
    }),

    RoutePass: (raw, task) => routeDecided(raw, task),
    RouteHold: (raw, task) => routeDecided(raw, task),
    RouteReject: (raw, task) => routeDecided(raw, task),

    RejectUnreadable: async (raw, task) => {
      const item = parse(ItemState, raw, task);
      const error = item.error ?? { Error: 'InternalError', Cause: '' };
      const code = reasonCodeForError(error.Error, causeText(error.Cause));
      const message = causeText(error.Cause).replace(/^\[[A-Z_]+\]\s*/, '') || 'The document could not be read.';
      return step(task, item, async () => {
        const result: RouteResult = {
          documentId: item.document.documentId,
          name: item.document.name,
          outcome: 'reject',
          documentClass: null,
          confidence: null,
          fields: {},
          findings: [],
          reasons: [{ code, message: `${message[0]?.toUpperCase() ?? ''}${message.slice(1)} (${error.Error}).` }],
          configVersion: deps.configVersion,
          rulesetVersion: deps.rulesetVersion,
          classifier: null,
          decision: { version: 1, kind: 'pipeline' },
        };
        const summary = await deliver(item, 'reject', result, [code]);
        return { result: summary, summary };
      });
    },

    RecordOutcome: async (raw, task) => {
      const item = parse(ItemState, raw, task);
      if (!item.route) throw new InvalidStepInputError(`${task}: no route in state`);
      const route = item.route;
      const decidedRoute = await ledger.getRoute(item.document.documentId);
      const reasonCode = decidedRoute?.outcome === 'pass' ? undefined : decidedRoute?.reasons[0]?.code;
      await ledger.recordOutcome(item.batchId, item.document.documentId, route.outcome, {
        duplicate: route.duplicate ?? false,
        reasonCode,
      });
      deps.onDocumentDone?.(item.document.documentId, route.outcome);
      return { documentId: item.document.documentId, outcome: route.outcome };
    },

    RecordFailure: async (raw, task) => {
      const item = parse(ItemState, raw, task);
      const errorName = item.error?.Error ?? 'InternalError';
      // The Cause is our own taxonomy message (content-free by contract), kept for "why".
      const errorCause = causeText(item.error?.Cause).slice(0, 300) || undefined;
      await audit.append({
        at: clock.now().toISOString(),
        executionId: item.executionId,
        batchId: item.batchId,
        documentId: item.document.documentId,
        step: 'Pipeline',
        attempt: 1,
        event: 'failed',
        outcome: 'failed',
        errorName,
        reasonCodes: ['PIPELINE_ERROR'],
        ...(errorCause ? { note: errorCause } : {}),
      });
      await ledger.recordOutcome(item.batchId, item.document.documentId, 'failed', {
        duplicate: false,
        errorName,
        errorCause,
        reasonCode: 'PIPELINE_ERROR',
      });
      deps.onDocumentDone?.(item.document.documentId, 'failed');
      return { documentId: item.document.documentId, outcome: 'failed', errorName };
    },

    Aggregate: async (raw, task) => {
      const input = parse(AggregateState, raw, task);
      const outcomes = await ledger.batchOutcomes(input.batchId);
      const summary: BatchSummary = summarize({
        batchId: input.batchId,
        executionId: input.executionId,
        configVersion: deps.configVersion,
        received: input.received,
        outcomes,
        now: clock.now(),
      });
      await audit.append({
        at: clock.now().toISOString(),
        executionId: input.executionId,
        batchId: input.batchId,
        documentId: null,
        step: task,
        attempt: 1,
        event: 'batch-completed',
        note: `received ${summary.received}: pass ${summary.pass}, hold ${summary.hold}, reject ${summary.reject}, failed ${summary.failed}`,
      });
      return summary;
    },

    /**
     * Scheduled, outside any execution: how long the oldest held document has waited for review.
     * Returned as a gauge the Lambda handler publishes as a metric; alarms fire on it.
     */
    Monitor: async () => {
      if (!deps.holdQueue) throw new ConfigError('Monitor needs the review queue (the AWS runtime)');
      const since = await deps.holdQueue.oldestHeldSince();
      const age = since ? Math.max(0, Math.round((clock.now().getTime() - Date.parse(since)) / 1000)) : 0;
      return { oldestHeldSince: since, gauges: [{ name: 'OldestHeldAgeSeconds', unit: 'Seconds', value: age }] };
    },

    Notify: async (raw) => {
      const summary = raw as BatchSummary;
      const delivered: string[] = [];
      for (const n of deps.notifiers) {
        await n.notify(summary);
        delivered.push(n.name);
      }
      return { delivered };
    },
  };

  async function routeDecided(raw: unknown, task: TaskName): Promise<unknown> {
    const item = parse(ItemState, raw, task);
    const outcome = ROUTE_OUTCOME[task];
    if (!outcome) throw new InvalidStepInputError(`${task} is not a route task`);
    return step(task, item, async () => {
      const decision = await load<Decision>(item, 'Validate', v.validate);
      if (decision.outcome !== outcome) throw new InvalidStepInputError(`${task} was given a ${decision.outcome} decision`);
      const classification = await load<Classification>(item, 'Classify', v.classify);
      const fieldSet = await load<FieldSet>(item, 'ExtractFields', v.extractFields);
      const result = decisionRecordOf({
        documentId: item.document.documentId,
        name: item.document.name,
        classification,
        fieldSet,
        decision,
        configVersion: deps.configVersion,
        rulesetVersion: deps.rulesetVersion,
        info: { version: 1, kind: 'pipeline' },
        sensitive: deps.sensitiveFields,
      });
      const summary = await deliver(
        item,
        outcome,
        result,
        decision.reasons.map((r) => r.code),
      );
      return { result: summary, summary };
    });
  }

  const table = {} as Record<TaskName, TaskHandler>;
  for (const name of Object.keys(handlers) as TaskName[]) {
    const impl = handlers[name];
    table[name] = async (envelope: unknown) => {
      const env = parse(Envelope, envelope, name);
      if (env.task !== name) throw new InvalidStepInputError(`handler ${name} was invoked for task ${env.task}`);
      try {
        return await impl(env.state, name);
      } catch (err) {
        // Only taxonomy errors cross into the state machine; their name drives Retry/Catch.
        throw err instanceof PipelineError ? err : toPipelineError(err);
      }
    };
  }
  return table;
};
