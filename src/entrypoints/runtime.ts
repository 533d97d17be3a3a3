import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { secretFromEnv } from '../config/env.js';
import { sensitiveFieldNames } from '../config/field-spec.js';
import { stepVersionsOf, type LoadedConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { OUTCOMES, type Extraction, type FinalOutcome } from '../domain/document.js';
import { extractText } from '../domain/extract.js';
import { ReconciliationError, toPipelineError } from '../domain/errors.js';
import type { BatchSummary } from '../domain/summarize.js';
import { compileRules } from '../domain/validate.js';
import { CompositeRouteSink } from '../adapters/local/composite-route-sink.js';
import { FolderRouteSink } from '../adapters/local/folder-route-sink.js';
import { WebhookRouteSink } from '../adapters/local/webhook-route-sink.js';
import { FsObjectStore, isAlive } from '../adapters/local/fs-object-store.js';
import { createFileNotifier, createWebhookNotifier } from '../adapters/local/notifiers.js';
import { createPdfjsPdfReader } from '../adapters/local/pdfjs-pdf-reader.js';
import { SqliteStore } from '../adapters/local/sqlite-store.js';
import { systemClock } from '../adapters/local/system-clock.js';
import { createOcrEngine } from '../adapters/local/ocr-factory.js';
import { createSharpImagePipeline } from '../adapters/local/sharp-image-pipeline.js';
import { createTokenBucket } from '../adapters/local/token-bucket.js';
import { buildDefinition, localResource } from '../orchestration/definition.js';
import type { LocalEngine } from '../orchestration/local/engine.js';
import { createTaskHandlers, extractOptionsOf, type TaskDeps } from '../orchestration/tasks.js';
import { settleMoves, type MoveReport } from '../orchestration/decisions.js';
import { createReplayService, type ReplayService } from '../orchestration/replay.js';
import { createReviewService, type ReviewService } from '../orchestration/review.js';
import type { RouteSink } from '../ports/route-sink.js';
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
  /** Replaces the image pipeline (tests that feed fake images to a scripted OCR engine). */
  readonly images?: ImagePipeline;
  readonly extraNotifiers?: readonly Notifier[];
  /** Replaces the configured classifier (tests; `eval classify` extracts without classifying). */
  readonly classifier?: Classifier;
  readonly retryIntervalOverrides?: Record<string, number>;
  readonly onDocumentDone?: (documentId: string, outcome: FinalOutcome) => void;
}

export interface InboxFile {
  readonly file: string;
  readonly name: string;
}

export interface SkippedFile {
  readonly file: string;
  readonly reason: 'NOT_A_REGULAR_FILE' | 'UNREADABLE';
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
  readonly dataDir: string;
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
export const createRouteSink = (config: Config, originalPath: (id: string) => string): { sink: RouteSink; folders: FolderRouteSink } => {
  const folders = new FolderRouteSink(
    config.dataDir,
    originalPath,
    Object.fromEntries(OUTCOMES.flatMap((o) => (config.route.destinations[o].folder ? [[o, config.route.destinations[o].folder]] : []))),
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

/** Lists an inbox: regular files, sorted, hidden files ignored; anything else is reported. */
export const listInbox = async (inputs: readonly string[]): Promise<{ files: InboxFile[]; skipped: SkippedFile[] }> => {
  const files: InboxFile[] = [];
  const skipped: SkippedFile[] = [];
  const visit = async (p: string, top: boolean): Promise<void> => {
    let st;
    try {
      st = await lstat(p);
    } catch {
      skipped.push({ file: p, reason: 'UNREADABLE' });
      return;
    }
    if (st.isDirectory() && top) {
      const names = (await readdir(p)).filter((n) => !n.startsWith('.')).sort();
      for (const n of names) await visit(path.join(p, n), false);
    } else if (st.isFile()) {
      files.push({ file: p, name: path.basename(p) });
    } else if (!st.isDirectory()) {
      skipped.push({ file: p, reason: 'NOT_A_REGULAR_FILE' });
    }
  };
  for (const input of inputs) await visit(path.resolve(input), true);
  return { files, skipped };
};

/** The configured engine name a running OCR adapter stands for. */
const resolvedEngine = (name: string): 'tesseract' | 'tesseract-js' | 'auto' =>
  name === 'tesseract' || name === 'tesseract-js' ? name : 'auto';

/** The store alone, for read-only commands (status, trace, batches). */
export const openStore = (loaded: LoadedConfig): SqliteStore | null => {
  const file = path.join(loaded.config.dataDir, 'docroute.db');
  return existsSync(file) ? new SqliteStore(file) : null;
};

export const openRuntime = async (loaded: LoadedConfig, options: RuntimeOptions = {}): Promise<Runtime> => {
  const { config } = loaded;
  // First: a bad model file or LLM section fails here, before anything is opened.
  const chosen = options.classifier ? { classifier: options.classifier, version: options.classifier.name } : await createClassifier(loaded);
  const dataDir = config.dataDir;
  await mkdir(dataDir, { recursive: true });
  const store = new SqliteStore(path.join(dataDir, 'docroute.db'));
  const objects = new FsObjectStore(dataDir);
  await objects.sweepTemp();
  const { sink, folders } = createRouteSink(config, (id) => objects.pathOf(id));
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

  const deps: TaskDeps = {
    config,
    configVersion: loaded.version,
    rulesetVersion: loaded.rulesetVersion,
    sensitiveFields: sensitiveFieldNames(config.fields),
    stepVersions,
    objects,
    checkpoints: store,
    audit: store,
    ledger: store,
    sink,
    pdf: createPdfjsPdfReader({ maxPages: config.limits.maxPages }),
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

  const decisionDeps = { ledger: store, decisions: store, audit: store, sink, clock: systemClock };
  const review = createReviewService({
    ...decisionDeps,
    checkpoints: store,
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
    dataDir,
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
      const unreadable: SkippedFile[] = [];
      for (const f of files) {
        let ingested;
        try {
          ingested = await objects.ingestFile(f.file);
        } catch {
          unreadable.push({ file: f.file, reason: 'UNREADABLE' });
          continue;
        }
        if (exclude?.has(ingested.documentId)) continue;
        if (seen.has(ingested.documentId)) {
          sameBytesInBatch += 1;
          continue;
        }
        seen.add(ingested.documentId);
        documents.push({ documentId: ingested.documentId, name: f.name, size: ingested.size });
      }
      if (documents.length === 0 && exclude && exclude.size > 0 && unreadable.length === 0 && skipped.length === 0) return null;
      store.createBatch({
        batchId,
        executionId,
        source,
        createdAt: now.toISOString(),
        ownerPid: process.pid,
        configVersion: loaded.version,
        documents,
      });
      await store.append({
        at: now.toISOString(),
        executionId,
        batchId,
        documentId: null,
        step: 'Batch',
        attempt: 1,
        event: 'batch-started',
        note: `${documents.length} document(s) from ${files.length} file(s)`,
      });
      for (const d of documents) {
        await store.append({
          at: now.toISOString(),
          executionId,
          batchId,
          documentId: d.documentId,
          step: 'Receive',
          attempt: 1,
          event: 'received',
          note: `size ${d.size}`,
        });
      }
      return execute(
        batchId,
        executionId,
        documents.map(({ documentId, name }) => ({ documentId, name })),
        { resumed: false, files: files.length, sameBytesInBatch, skipped: [...skipped, ...unreadable] },
      );
    },
    extractFile: async (file) => {
      const { documentId } = await objects.ingestFile(file);
      const key = { documentId, step: 'Extract', configVersion: stepVersions.extract };
      const cached = await store.get<Extraction>(key);
      if (cached) return { documentId, extraction: cached, cached: true };
      const extraction = await extractText(await objects.get(documentId), deps, extractOptionsOf(config));
      await store.put(key, extraction);
      return { documentId, extraction, cached: false };
    },
    close: async () => {
      await ocr.close();
      store.close();
    },
  };
};
