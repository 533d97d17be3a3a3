/**
 * The engine with trivial steps: the real task handlers (tasks.ts: checkpoints, audit, ledger) and
 * the real ASL on the embedded engine, over a PDF reader that returns one short text page at once.
 * What is left is the state machine, the bookkeeping and the store: figure 3, and the batch that
 * figure 4's child processes run.
 */
import '../../src/orchestration/local/polyfills.js';
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { MemoryObjectStore, MemoryStore } from '../../src/adapters/memory/memory-store.js';
import { SqliteStore } from '../../src/adapters/local/sqlite-store.js';
import { sensitiveFieldNames } from '../../src/config/field-spec.js';
import { parseConfig } from '../../src/config/load.js';
import { createKeywordClassifier } from '../../src/domain/keyword-classifier.js';
import { compileRules } from '../../src/domain/validate.js';
import { buildDefinition, localResource, TASK_NAMES, type TaskName } from '../../src/orchestration/definition.js';
import { createLocalEngine } from '../../src/orchestration/local/engine.js';
import { createTaskHandlers, type TaskDeps, type TaskHandler } from '../../src/orchestration/tasks.js';
import type { PdfReader } from '../../src/ports/pdf-reader.js';
import type { RouteSink } from '../../src/ports/route-sink.js';

const TEXT = [
  'INVOICE',
  'Invoice No: B-00001',
  'Invoice Date: 2026-10-03',
  'Total Due: EUR 120.00',
  'IBAN: DE89 3704 0044 0532 0130 00',
  'Payment terms: 30 days net',
].join('\n');

/** A PDF reader that returns one text page instantly: the "trivial step". */
const trivialPdf: PdfReader = {
  open: () =>
    Promise.resolve({
      pageCount: 1,
      page: () =>
        Promise.resolve({
          page: 1,
          width: 595,
          height: 842,
          rotation: 0,
          text: TEXT,
          lines: [],
          render: () => Promise.reject(new Error('not used')),
        }),
      close: () => Promise.resolve(),
    }),
};
const noOcr = { name: 'none', recognize: () => Promise.reject(new Error('not used')), close: () => Promise.resolve() };

/**
 * A route sink that places nothing and keeps nothing. MemoryRouteSink keeps every delivered result
 * (a test's view of what was routed): here that would be a store growing with the batch, which
 * figure 4 would then measure instead of the engine.
 */
const discardingSink: RouteSink = {
  locate: (outcome, result) => `memory://${outcome}/${result.documentId}`,
  deliver: (outcome, result) => Promise.resolve({ location: `memory://${outcome}/${result.documentId}` }),
  withdraw: () => Promise.resolve(),
};

const loaded = parseConfig({});
const clock = { now: () => new Date() };

export type Store = MemoryStore | SqliteStore;

export interface Doc {
  readonly documentId: string;
  readonly name: string;
}

/**
 * `n` distinct tiny documents in an in-memory object store. Produced one at a time by the caller's
 * loop would be nicer, but the Map state takes its items as one array, as Step Functions does.
 */
export const makeDocs = (objects: MemoryObjectStore, tag: string, n: number): Doc[] =>
  Array.from({ length: n }, (_, i) => {
    const bytes = new TextEncoder().encode(`%PDF-1.7 ${tag} ${String(i)}`);
    const documentId = createHash('sha256').update(bytes).digest('hex');
    objects.objects.set(documentId, bytes);
    return { documentId, name: `doc-${String(i)}.pdf` };
  });

const depsFor = (store: Store, objects: MemoryObjectStore): TaskDeps => ({
  config: loaded.config,
  configVersion: loaded.version,
  rulesetVersion: loaded.rulesetVersion,
  stepVersions: loaded.stepVersions,
  sensitiveFields: sensitiveFieldNames(loaded.config.fields),
  objects,
  checkpoints: store,
  audit: store,
  ledger: store,
  sink: discardingSink,
  pdf: trivialPdf,
  ocr: noOcr,
  images: { pageCount: () => Promise.reject(new Error('not used')), prepare: () => Promise.reject(new Error('not used')) },
  limiter: { acquire: () => Promise.resolve() },
  classifier: createKeywordClassifier(loaded.config.classify.classes),
  rules: compileRules(loaded.config.rules),
  notifiers: [],
  clock,
});

export const HAPPY_PATH: readonly TaskName[] = ['Ingest', 'Extract', 'Classify', 'ExtractFields', 'Validate', 'RoutePass', 'RecordOutcome'];
const SLOTS: Partial<Record<TaskName, string>> = {
  Ingest: 'ingest',
  Extract: 'extract',
  Classify: 'classify',
  ExtractFields: 'fields',
  Validate: 'validate',
  RoutePass: 'route',
};

const definition = () =>
  buildDefinition({ maxConcurrency: loaded.config.engine.maxConcurrency, retry: loaded.config.engine.retry, resource: localResource });

/** The ASL on the embedded engine with the real handlers over `store`: ms for the whole batch. */
export const viaEngine = async (store: Store, tag: string, n: number): Promise<number> => {
  const objects = new MemoryObjectStore();
  const docs = makeDocs(objects, tag, n);
  const engine = createLocalEngine(definition(), createTaskHandlers(depsFor(store, objects)));
  const batchId = `bench-${tag}`;
  await store.addToBatch(batchId, docs);
  const t0 = performance.now();
  const out = (await engine.run({ batchId, documents: docs }, { executionId: `x-${tag}` })) as { summary: { pass: number } };
  const t = performance.now() - t0;
  if (out.summary.pass !== n) throw new Error(`expected ${String(n)} passes, got ${String(out.summary.pass)}`);
  return t;
};

/** The same handlers called in a plain loop, no interpreter: ms for the whole batch. */
export const viaLoop = async (store: Store, tag: string, n: number): Promise<number> => {
  const objects = new MemoryObjectStore();
  const docs = makeDocs(objects, tag, n);
  const handlers = createTaskHandlers(depsFor(store, objects));
  const batchId = `bench-${tag}`;
  await store.addToBatch(batchId, docs);
  const t0 = performance.now();
  for (const d of docs) {
    const state: Record<string, unknown> = { batchId, executionId: `x-${tag}`, document: d };
    for (const task of HAPPY_PATH) {
      const result = await handlers[task]({ task, state });
      const slot = SLOTS[task];
      if (slot !== undefined) state[slot] = result;
    }
  }
  await handlers.Aggregate({ task: 'Aggregate', state: { batchId, executionId: `x-${tag}`, received: n } });
  return performance.now() - t0;
};

/** The interpreter alone: the same ASL, every handler a no-op returning what the Choices read. */
export const viaInterpreter = async (tag: string, n: number): Promise<number> => {
  const noop: Partial<Record<TaskName, unknown>> = {
    Ingest: { routed: false },
    Validate: { outcome: 'pass' },
    Aggregate: { pass: n },
  };
  const handlers = Object.fromEntries(
    TASK_NAMES.map((name): [TaskName, TaskHandler] => [name, () => Promise.resolve(noop[name] ?? {})]),
  ) as Record<TaskName, TaskHandler>;
  const engine = createLocalEngine(definition(), handlers);
  const docs = Array.from({ length: n }, (_, i) => ({ documentId: `${tag}-${String(i)}`, name: `doc-${String(i)}.pdf` }));
  const t0 = performance.now();
  await engine.run({ batchId: `bench-${tag}`, documents: docs }, { executionId: `x-${tag}` });
  return performance.now() - t0;
};

/** One store call, and the handler invocation (one Task for one document) that made it. */
type Call = readonly [method: string, args: readonly unknown[], unit: number];

/**
 * Records every store call the handlers make for `n` documents (a loop over a MemoryStore), for
 * `replayOn` to play against SQLite alone: the store's exact workload, without the steps around it.
 */
export const recordStoreCalls = async (tag: string, n: number): Promise<{ calls: Call[]; setup: Call[] }> => {
  const memory = new MemoryStore();
  const calls: Call[] = [];
  const setup: Call[] = [];
  let target = setup;
  let unit = 0;
  const recording = new Proxy(memory, {
    get(obj, prop, receiver) {
      const value: unknown = Reflect.get(obj, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => {
        target.push([prop, structuredClone(args), unit]);
        return (value as (...a: unknown[]) => unknown).apply(obj, args);
      };
    },
  });
  const objects = new MemoryObjectStore();
  const docs = makeDocs(objects, tag, n);
  const handlers = createTaskHandlers(depsFor(recording, objects));
  const batchId = `bench-${tag}`;
  await recording.addToBatch(batchId, docs);
  target = calls;
  for (const d of docs) {
    const state: Record<string, unknown> = { batchId, executionId: `x-${tag}`, document: d };
    for (const task of HAPPY_PATH) {
      unit += 1;
      const result = await handlers[task]({ task, state });
      const slot = SLOTS[task];
      if (slot !== undefined) state[slot] = result;
    }
  }
  unit += 1;
  await handlers.Aggregate({ task: 'Aggregate', state: { batchId, executionId: `x-${tag}`, received: n } });
  return { calls, setup };
};

/**
 * Plays recorded store calls against `store`: ms for the timed calls (setup not counted). The
 * calls of one handler invocation are issued in order without waiting and awaited together at its
 * end, as the step wrapper does (tasks.ts: `entered`, the work, checkpoint + `succeeded`), so a
 * group-committing store commits each Task's writes together; one invocation at a time.
 */
export const replayOn = async (
  store: SqliteStore,
  recorded: { calls: readonly Call[]; setup: readonly Call[] },
  options: { limit?: number } = {},
): Promise<number> => {
  const call = (method: string, args: readonly unknown[]): unknown =>
    (store as unknown as Record<string, (...a: unknown[]) => unknown>)[method]?.(...args);
  for (const [method, args] of recorded.setup) await call(method, args);
  const calls = recorded.calls.slice(0, options.limit ?? recorded.calls.length);
  const t0 = performance.now();
  let pending: unknown[] = [];
  for (let i = 0; i < calls.length; i++) {
    const [method, args, unit] = calls[i] as Call;
    pending.push(call(method, args));
    if (i === calls.length - 1 || (calls[i + 1] as Call)[2] !== unit) {
      await Promise.all(pending);
      pending = [];
    }
  }
  return performance.now() - t0;
};

/** SHA-256 of `n` documents of `bytes` each: what ingest spends naming documents by content. */
export const viaHashing = (n: number, bytes: number): number => {
  const blob = new Uint8Array(bytes).map((_, i) => (i * 31) % 251);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) createHash('sha256').update(blob).update(String(i)).digest('hex');
  return performance.now() - t0;
};
