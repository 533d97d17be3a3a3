import { randomBytes } from 'node:crypto';
import { constants as fsConstants, existsSync } from 'node:fs';
import { lstat, mkdir, open as openFile, readdir, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { faultsFromEnv, secretFromEnv } from '../config/env.js';
import { sensitiveFieldNames } from '../config/field-spec.js';
import { stepVersionsOf, type LoadedConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { OUTCOMES, type Extraction, type FinalOutcome } from '../domain/document.js';
import { extractText } from '../domain/extract.js';
import { ReconciliationError, StorageFullError, toPipelineError } from '../domain/errors.js';
import { isStorageFull, storageError } from '../adapters/storage-errors.js';
import type { BatchSummary } from '../domain/summarize.js';
import { escapeFileName } from '../domain/file-name.js';
import { compileRules } from '../domain/validate.js';
import { CompositeRouteSink } from '../adapters/local/composite-route-sink.js';
import { FolderRouteSink, type RouteEncryption } from '../adapters/local/folder-route-sink.js';
import { EncryptedCheckpoints } from '../adapters/local/encrypted-checkpoints.js';
import { WebhookRouteSink } from '../adapters/local/webhook-route-sink.js';
import { FsObjectStore, isAlive } from '../adapters/local/fs-object-store.js';
import { createFileNotifier, createWebhookNotifier } from '../adapters/local/notifiers.js';
import { createPdfjsPdfReader } from '../adapters/local/pdfjs-pdf-reader.js';
import type { PdfReader } from '../ports/pdf-reader.js';
import { SqliteStore } from '../adapters/local/sqlite-store.js';
import { systemClock } from '../adapters/local/system-clock.js';
import { createOcrEngine } from '../adapters/local/ocr-factory.js';
import { createSharpImagePipeline } from '../adapters/local/sharp-image-pipeline.js';
import { createTokenBucket } from '../adapters/local/token-bucket.js';
import { withFaultPorts } from '../adapters/faults/with-faults.js';
import { tapAudit, tapDecisions, tapLedger } from '../adapters/local/telemetry/audit-tap.js';
import type { PipelineMetrics } from '../adapters/local/telemetry/metrics-registry.js';
import { openTelemetry } from '../adapters/local/telemetry/telemetry.js';
import { otelFromEnv } from '../config/env.js';
import { buildDefinition, localResource } from '../orchestration/definition.js';
import type { LocalEngine } from '../orchestration/local/engine.js';
import { createTaskHandlers, extractOptionsOf, type TaskDeps } from '../orchestration/tasks.js';
import { settleMoves, type MoveReport } from '../orchestration/decisions.js';
import { createReplayService, type ReplayService } from '../orchestration/replay.js';
import { createReviewService, type ReviewService } from '../orchestration/review.js';
import { locationIdOf, refusedRoutes, type RefusedReason } from '../orchestration/refused-inputs.js';
import { mapLimit } from './map-limit.js';
import type { RouteSink } from '../ports/route-sink.js';
import type { Checkpoints } from '../ports/checkpoints.js';
import { openEncryption } from './encryption.js';
import type { Classifier } from '../ports/classifier.js';
import { createClassifier } from './classifiers.js';
import type { Notifier } from '../ports/notifier.js';
import type { ImagePipeline } from '../ports/image-pipeline.js';
import type { OcrEngine } from '../ports/ocr-engine.js';

/**
 * The embedded runtime: wires the local adapters to the ports, binds the task handlers to the
 * one state machine definition, and runs batches with crash-safe resume.
 */

export interface RuntimeOptions {
  /** Replaces the OCR engine (tests count calls or inject faults through it). */
  readonly ocr?: OcrEngine;
  /** Replaces the PDF reader (the benchmark serves pages read beforehand, to time all but parsing). */
  readonly pdf?: PdfReader;
  /** Replaces the image pipeline (tests that feed fake images to a scripted OCR engine). */
  readonly images?: ImagePipeline;
  readonly extraNotifiers?: readonly Notifier[];
  /** Replaces the configured classifier (tests; `eval classify` extracts without classifying). */
  readonly classifier?: Classifier;
  readonly retryIntervalOverrides?: Record<string, number>;
  readonly onDocumentDone?: (documentId: string, outcome: FinalOutcome) => void;
  /** Count in-process metrics from the audit records (`serve` shares them on /metrics). */
  readonly processMetrics?: boolean;
}

export interface InboxFile {
  /** The path (exact when it is UTF-8; `raw` is what opens it). */
  readonly file: string;
  /** The base name; escaped (escapeFileName) when `raw` is given, else runFiles escapes it. */
  readonly name: string;
  /** The path's bytes (names need not be UTF-8), as listInbox gives them. */
  readonly raw?: Buffer;
}

/** An inbox entry refused before it became a document; runFiles records it as a `reject`. */
export interface SkippedFile {
  /** The path, escaped (escapeFileName): safe to print. */
  readonly file: string;
  readonly reason: RefusedReason;
  /** The id it is recorded under: `locationIdOf` its path's bytes. */
  readonly documentId: string;
}

export interface BatchRun {
  readonly batchId: string;
  readonly executionId: string;
  readonly resumed: boolean;
  readonly summary: BatchSummary | null;
  readonly notifyError: string | null;
  readonly error: { name: string; message: string; missing?: readonly string[] } | null;
  readonly files: number;
  readonly sameBytesInBatch: number;
  readonly skipped: readonly SkippedFile[];
}

export interface Runtime {
  readonly loaded: LoadedConfig;
  readonly store: SqliteStore;
  readonly objects: FsObjectStore;
  /** The checkpoints as the pipeline reads them: `store`, or its decrypting decorator when encryption is on. */
  readonly checkpoints: Checkpoints;
  readonly dataDir: string;
  /** This process's counters and histograms, when `processMetrics` was asked for. */
  readonly metrics?: PipelineMetrics;
  /**
   * Runs the given files as a new batch. Documents in `exclude` (say, those of a batch just
   * resumed) are left out; returns null when nothing is left to run.
   */
  runFiles(
    files: readonly InboxFile[],
    source: string,
    options?: { skipped?: readonly SkippedFile[]; exclude?: ReadonlySet<string> },
  ): Promise<BatchRun | null>;
  resumeInterrupted(): Promise<BatchRun[]>;
  /**
   * Extracts one file the way the Extract step does, through the same checkpoints: a file whose
   * bytes were extracted before (by a run or an earlier eval) is not read or OCRed again.
   */
  extractFile(file: string): Promise<{ documentId: string; extraction: Extraction; cached: boolean }>;
  /** Human review of held documents. */
  readonly review: ReviewService;
  /** Re-decides routed documents from cached results under the current config. */
  readonly replay: ReplayService;
  /** Finishes decisions recorded but not yet delivered (a destination was down, or a crash). */
  settle(): Promise<MoveReport[]>;
  close(): Promise<void>;
}

/**
 * The route destinations: per outcome, a folder (default `<dataDir>/<outcome>`), then the
 * outcome's webhook when one is configured. A webhook secret missing from the environment fails
 * here, at start-up.
 */
export const createRouteSink = (
  config: Config,
  originalPath: (id: string) => string,
  encryption?: RouteEncryption,
): { sink: RouteSink; folders: FolderRouteSink } => {
  const folders = new FolderRouteSink(
    config.dataDir,
    originalPath,
    Object.fromEntries(OUTCOMES.flatMap((o) => (config.route.destinations[o].folder ? [[o, config.route.destinations[o].folder]] : []))),
    encryption,
  );
  const targets = Object.fromEntries(
    OUTCOMES.flatMap((o) => {
      const w = config.route.destinations[o].webhook;
      return w ? [[o, w]] : [];
    }),
  );
  const webhooks = new WebhookRouteSink(targets, secretFromEnv);
  const sink = new CompositeRouteSink(folders, Object.fromEntries(webhooks.outcomes.map((o) => [o, [webhooks]])));
  return { sink, folders };
};

export const newId = (prefix: string, now: Date): string =>
  `${prefix}-${now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')}-${randomBytes(3).toString('hex')}`;

const SEPARATOR = Buffer.from(path.sep);

const skippedEntry = (raw: Buffer, reason: RefusedReason): SkippedFile => ({
  file: escapeFileName(raw),
  reason,
  documentId: locationIdOf(raw),
});

/**
 * Lists an inbox: regular files, sorted by name bytes, hidden files ignored; anything else
 * (symlinks, FIFOs, sockets, devices, entries that cannot be examined) is returned as skipped, to
 * be recorded. Names are read as bytes: a name that is not UTF-8 is still a file to account for.
 * Directories inside an inbox are not descended into.
 */
export const listInbox = async (inputs: readonly string[]): Promise<{ files: InboxFile[]; skipped: SkippedFile[] }> => {
  const files: InboxFile[] = [];
  const skipped: SkippedFile[] = [];
  const visit = async (p: Buffer, top: boolean): Promise<void> => {
    let st;
    try {
      st = await lstat(p);
    } catch {
      skipped.push(skippedEntry(p, 'UNREADABLE'));
      return;
    }
    if (st.isDirectory() && top) {
      let names: Buffer[];
      try {
        names = await readdir(p, { encoding: 'buffer' });
      } catch {
        skipped.push(skippedEntry(p, 'UNREADABLE'));
        return;
      }
      const visible = names.filter((n) => n[0] !== 0x2e).sort((a, b) => Buffer.compare(a, b));
      for (const n of visible) await visit(Buffer.concat([p, SEPARATOR, n]), false);
    } else if (st.isFile()) {
      const base = p.subarray(p.lastIndexOf(SEPARATOR) + 1);
      files.push({ file: p.toString('utf8'), name: escapeFileName(base), raw: p });
    } else if (!st.isDirectory()) {
      skipped.push(skippedEntry(p, 'NOT_A_REGULAR_FILE'));
    }
  };
  for (const input of inputs) await visit(Buffer.from(path.resolve(input)), true);
  return { files, skipped };
};

/**
 * Opens an inbox file for ingest without following a symlink and without blocking on a FIFO, and
 * checks it is (still) a regular file: what was listed may have been swapped since.
 */
const openRegular = async (raw: Buffer): Promise<{ handle: FileHandle } | { refused: RefusedReason }> => {
  let handle: FileHandle;
  try {
    handle = await openFile(raw, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch (err) {
    return { refused: (err as NodeJS.ErrnoException).code === 'ELOOP' ? 'NOT_A_REGULAR_FILE' : 'UNREADABLE' };
  }
  if (!(await handle.stat()).isFile()) {
    await handle.close();
    return { refused: 'NOT_A_REGULAR_FILE' };
  }
  return { handle };
};

/**
 * The path the object store reads an opened file through. On Linux, /proc/self/fd/N reaches the
 * very file that was opened and checked, whatever its name is now (and whatever bytes its name
 * holds); elsewhere the name itself, with the before/after check still in place.
 */
const readPathOf = (handle: FileHandle, raw: Buffer): string =>
  process.platform === 'linux' ? `/proc/self/fd/${String(handle.fd)}` : raw.toString('utf8');

/** Whether a file changed between two stats taken around its ingest. */
const changedBetween = (
  before: { size: bigint; mtimeNs: bigint; ctimeNs: bigint; ino: bigint },
  after: { size: bigint; mtimeNs: bigint; ctimeNs: bigint; ino: bigint },
): boolean =>
  before.size !== after.size || before.mtimeNs !== after.mtimeNs || before.ctimeNs !== after.ctimeNs || before.ino !== after.ino;

/** The configured engine name a running OCR adapter stands for. */
const resolvedEngine = (name: string): 'tesseract' | 'tesseract-js' | 'auto' =>
  name === 'tesseract' || name === 'tesseract-js' ? name : 'auto';

/** The store alone, for read-only commands (status, trace, batches). */
export const openStore = (loaded: LoadedConfig): SqliteStore | null => {
  const file = path.join(loaded.config.dataDir, 'docroute.db');
  return existsSync(file) ? new SqliteStore(file) : null;
};

/** Files ingested at once: enough to overlap their fsyncs, few enough for open file handles. */
const INGEST_CONCURRENCY = 8;

export const openRuntime = async (loaded: LoadedConfig, options: RuntimeOptions = {}): Promise<Runtime> => {
  const { config } = loaded;
  // An invalid DOCROUTE_FAULTS fails here too, before anything is opened; env wins over `faults:`.
  const faultSpec = faultsFromEnv() ?? config.faults;
  // First: a bad model file or LLM section fails here, before anything is opened.
  const chosen = options.classifier ? { classifier: options.classifier, version: options.classifier.name } : await createClassifier(loaded);
  const dataDir = config.dataDir;
  // Encryption at rest (off by default): a missing or disabled key fails here, before anything is opened.
  const encryption = await openEncryption(loaded);
  // Observability (off by default): logs, spans and metrics made from the audit records by a tap
  // over the audit, ledger and decision ports. Off, there is no tap. A missing header variable fails here.
  const telemetry = await openTelemetry({
    config: config.observability,
    dataDir,
    env: otelFromEnv(),
    secret: secretFromEnv,
    metrics: options.processMetrics ?? false,
    processHooks: true,
  });
  await mkdir(dataDir, { recursive: true });
  // A long-running writer: WAL checkpoints on their own thread (wal-checkpointer.ts).
  const store = new SqliteStore(path.join(dataDir, 'docroute.db'), { checkpointer: 'background' });
  const audit = telemetry ? tapAudit(store, telemetry) : store;
  const ledger = telemetry ? tapLedger(store, telemetry) : store;
  const decisions = telemetry ? tapDecisions(store, telemetry) : store;
  const c = encryption?.classifications;
  const objects = new FsObjectStore(dataDir, encryption && c ? { cipher: encryption.cipher, classification: c.originals } : undefined);
  await objects.sweepTemp();
  const checkpoints: Checkpoints = encryption && c ? new EncryptedCheckpoints(store, encryption.cipher, c.checkpoints) : store;
  const routeEncryption: RouteEncryption | undefined =
    encryption && c
      ? {
          cipher: encryption.cipher,
          classification: c.outputs,
          originalsClassification: c.originals,
          readOriginal: (id) => objects.get(id),
        }
      : undefined;
  const { sink, folders } = createRouteSink(config, (id) => objects.pathOf(id), routeEncryption);
  await folders.sweepTemp(isAlive);
  const ocr =
    options.ocr ??
    (await createOcrEngine({ engine: config.extract.ocr.engine, workers: config.extract.ocr.workers, lang: config.extract.ocr.lang }));
  // `auto` resolves per machine; the engine that actually runs is part of what Extract produces,
  // so it is part of the checkpoint version (native and WASM tesseract differ in their output).
  const stepVersions = stepVersionsOf(
    {
      ...config,
      extract: { ...config.extract, ocr: { ...config.extract.ocr, engine: resolvedEngine(ocr.name) } },
    },
    chosen.version,
  );
  const notifiers: Notifier[] = [...(options.extraNotifiers ?? [])];
  if (config.notify.file) notifiers.push(createFileNotifier(path.resolve(config.notify.file)));
  if (config.notify.webhook) notifiers.push(createWebhookNotifier(config.notify.webhook.url, config.notify.webhook.timeoutMs));

  const baseDeps: TaskDeps = {
    config,
    configVersion: loaded.version,
    rulesetVersion: loaded.rulesetVersion,
    sensitiveFields: sensitiveFieldNames(config.fields),
    stepVersions,
    objects,
    checkpoints,
    audit,
    ledger,
    sink,
    pdf: options.pdf ?? createPdfjsPdfReader({ maxPages: config.limits.maxPages }),
    ocr,
    images: options.images ?? createSharpImagePipeline(),
    limiter: createTokenBucket({
      ratePerSecond: config.extract.rateLimit.pagesPerSecond,
      burst: config.extract.rateLimit.burst,
      maxWaitMs: config.extract.rateLimit.maxWaitMs,
    }),
    classifier: chosen.classifier,
    rules: compileRules(config.rules, { sensitiveFields: sensitiveFieldNames(config.fields) }),
    notifiers,
    clock: systemClock,
    ...(options.onDocumentDone ? { onDocumentDone: options.onDocumentDone } : {}),
  };
  // Fault injection (gamedays, crash trials). Off, `deps` is `baseDeps` itself, with the raw adapters.
  const { deps } = withFaultPorts(baseDeps, faultSpec);
  const definition = buildDefinition({
    maxConcurrency: config.engine.maxConcurrency,
    retry: config.engine.retry,
    resource: localResource,
  });
  // Loaded on demand: the engine pulls in an AWS SDK client, ~0.8 s that status/trace don't need.
  const { createLocalEngine } = await import('../orchestration/local/engine.js');
  const engine: LocalEngine = createLocalEngine(definition, createTaskHandlers(deps));

  const execute = async (
    batchId: string,
    executionId: string,
    documents: readonly { documentId: string; name: string }[],
    extra: { resumed: boolean; files: number; sameBytesInBatch: number; skipped: readonly SkippedFile[] },
  ): Promise<BatchRun> => {
    const base = { batchId, executionId, ...extra };
    try {
      const output = (await engine.run(
        { batchId, documents },
        { executionId, ...(options.retryIntervalOverrides ? { retryIntervalOverrides: options.retryIntervalOverrides } : {}) },
      )) as { summary: BatchSummary; notify: { delivered?: string[]; Error?: string; Cause?: string } };
      const notifyError = output.notify.Error ? `${output.notify.Error}: ${output.notify.Cause ?? ''}` : null;
      store.finishBatch(batchId, 'completed', output.summary.completedAt, output.summary);
      return { ...base, summary: output.summary, notifyError, error: null };
    } catch (err) {
      // The engine rethrows the failing state's error: for Aggregate, a ReconciliationError.
      const e = toPipelineError(err instanceof Error && err.cause instanceof Error ? err.cause : err);
      const original = err instanceof ReconciliationError ? err : e;
      const missing = original instanceof ReconciliationError ? original.missing : undefined;
      store.finishBatch(batchId, 'failed', new Date().toISOString(), { error: original.name, message: original.message });
      telemetry?.batchFailed({ batchId, executionId, at: new Date().toISOString(), errorName: original.name });
      return {
        ...base,
        summary: null,
        notifyError: null,
        error: { name: original.name, message: original.message, ...(missing ? { missing } : {}) },
      };
    }
  };

  const resumeInterrupted = async (): Promise<BatchRun[]> => {
    const runs: BatchRun[] = [];
    for (const b of store.runningBatches()) {
      if (b.ownerPid !== process.pid && isAlive(b.ownerPid)) continue;
      const executionId = newId('x', new Date());
      if (!store.claimBatch(b.batchId, b.ownerPid, process.pid, executionId)) continue;
      const documents = store.batchInput(b.batchId);
      runs.push(
        await execute(b.batchId, executionId, documents, { resumed: true, files: documents.length, sameBytesInBatch: 0, skipped: [] }),
      );
    }
    return runs;
  };

  const decisionDeps = { ledger, decisions, audit, sink, clock: systemClock };
  const review = createReviewService({
    ...decisionDeps,
    checkpoints,
    config,
    rules: deps.rules,
    sensitiveFields: deps.sensitiveFields,
  });
  const replay = createReplayService({
    ...decisionDeps,
    task: deps,
    retry: config.engine.retry,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, options.retryIntervalOverrides ? 0 : ms)),
    random: Math.random,
  });

  return {
    loaded,
    store,
    objects,
    checkpoints,
    dataDir,
    ...(telemetry?.metrics ? { metrics: telemetry.metrics } : {}),
    review,
    replay,
    settle: () => settleMoves(decisionDeps),
    resumeInterrupted,
    runFiles: async (files, source, { skipped = [], exclude } = {}) => {
      const now = new Date();
      const batchId = newId('b', now);
      const executionId = newId('x', now);
      const documents: { documentId: string; name: string; size: number }[] = [];
      const seen = new Set<string>();
      let sameBytesInBatch = 0;
      const refused: SkippedFile[] = [];
      const refuse = (raw: Buffer, reason: RefusedReason): void => {
        refused.push({ file: escapeFileName(raw), reason, documentId: locationIdOf(raw) });
      };
      // Ingest (hash, copy, fsync) runs INGEST_CONCURRENCY files at a time, so that the fsyncs
      // overlap instead of queueing one behind the other; the results are then taken in input
      // order, so batch positions and the first of two same-bytes files are as a serial loop's.
      type Ingest =
        | { readonly refused: RefusedReason; readonly raw: Buffer }
        | { readonly ingested: { documentId: string; size: number }; readonly f: (typeof files)[number] };
      const ingestOne = async (f: (typeof files)[number]): Promise<Ingest> => {
        const raw = f.raw ?? Buffer.from(f.file);
        const opened = await openRegular(raw);
        if ('refused' in opened) return { refused: opened.refused, raw };
        const { handle } = opened;
        try {
          const before = await handle.stat({ bigint: true });
          let ingested;
          let failed = false;
          try {
            ingested = await objects.ingestFile(readPathOf(handle, raw));
          } catch (err) {
            // A full data directory is our fault, not the file's: fail the run (retryable), never
            // reject a customer document as unreadable because we could not store it.
            if (err instanceof StorageFullError || isStorageFull(err)) throw storageError(err, 'cannot store an original');
            failed = true;
          }
          // A file written to while it was copied in is refused: its bytes may be a mix of versions
          // that never existed whole. A complete file is taken in by a later run.
          const after = await handle.stat({ bigint: true });
          if (changedBetween(before, after) || (ingested && BigInt(ingested.size) !== before.size)) {
            return { refused: 'FILE_CHANGED_WHILE_READ', raw };
          }
          if (failed || !ingested) return { refused: 'UNREADABLE', raw };
          return { ingested, f };
        } finally {
          await handle.close();
        }
      };
      for (const r of await mapLimit(files, INGEST_CONCURRENCY, ingestOne)) {
        if ('refused' in r) {
          refuse(r.raw, r.refused);
          continue;
        }
        const { ingested, f } = r;
        if (exclude?.has(ingested.documentId)) continue;
        if (seen.has(ingested.documentId)) {
          sameBytesInBatch += 1;
          continue;
        }
        seen.add(ingested.documentId);
        // Names from listInbox are escaped already; a caller's own (an upload's file name field,
        // which can even hold a NUL) are escaped here.
        documents.push({ documentId: ingested.documentId, name: f.raw ? f.name : escapeFileName(f.name), size: ingested.size });
      }
      refused.unshift(...skipped);
      const toRecord = refused.filter((r) => !exclude?.has(r.documentId));
      if (documents.length === 0 && toRecord.length === 0 && exclude && exclude.size > 0) return null;
      const refusedIds = new Set(toRecord.map((r) => r.documentId));
      const refusedInputs = toRecord.map((r) => ({
        documentId: r.documentId,
        name: r.file.slice(r.file.lastIndexOf(path.sep) + 1),
        reason: r.reason,
      }));
      for (const r of refusedInputs) documents.push({ documentId: r.documentId, name: r.name, size: 0 });
      const at = now.toISOString();
      // The batch, its `batch-started` and `received` records and the refused entries' rejects are
      // one transaction: a crash leaves all of it or none (a resume never runs a batch whose
      // documents were never received, nor finds a reject without its batch).
      const written = store.createBatch(
        { batchId, executionId, source, createdAt: at, ownerPid: process.pid, configVersion: loaded.version, documents },
        {
          audit: [
            {
              at,
              executionId,
              batchId,
              documentId: null,
              step: 'Batch',
              attempt: 1,
              event: 'batch-started',
              note: `${documents.length} document(s) from ${files.length} file(s)`,
            },
            ...documents.map((d) => ({
              at,
              executionId,
              batchId,
              documentId: d.documentId,
              step: 'Receive',
              attempt: 1,
              event: 'received' as const,
              note: refusedIds.has(d.documentId) ? 'not taken in' : `size ${d.size}`,
            })),
          ],
          routes: refusedRoutes(
            { clock: systemClock, configVersion: loaded.version, rulesetVersion: loaded.rulesetVersion },
            { batchId, executionId },
            refusedInputs,
          ),
        },
      );
      // Written beside the tapped ports, so handed to telemetry here, after the commit.
      for (const r of written) telemetry?.observe(r);
      return execute(
        batchId,
        executionId,
        documents.map(({ documentId, name }) => ({ documentId, name })),
        { resumed: false, files: files.length + skipped.length, sameBytesInBatch, skipped: refused },
      );
    },
    extractFile: async (file) => {
      const { documentId } = await objects.ingestFile(file);
      const key = { documentId, step: 'Extract', configVersion: stepVersions.extract };
      const cached = await checkpoints.get<Extraction>(key);
      if (cached) return { documentId, extraction: cached, cached: true };
      const extraction = await extractText(await objects.get(documentId), deps, extractOptionsOf(config));
      await checkpoints.put(key, extraction);
      return { documentId, extraction, cached: false };
    },
    close: async () => {
      await ocr.close();
      await telemetry?.close();
      store.close();
    },
  };
};
