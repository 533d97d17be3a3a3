/**
 * Engine overhead: what the state machine, checkpoints and audit cost per document when the steps
 * themselves are trivial, measured side by side in one process so machine noise cancels out.
 *
 *   A  ASL on the embedded engine + SQLite (checkpoints, audit, ledger)  — the real local path
 *   B  the same task handlers called in a plain loop + SQLite            — no interpreter
 *   C  the same handlers in a plain loop + in-memory stores              — no interpreter, no SQLite
 *   D  ASL on the embedded engine + in-memory stores                     — interpreter, no SQLite
 *
 * Interpreter cost ≈ A − B (and D − C); SQLite cost ≈ B − C. Hashing (document ids) is measured
 * separately on 64 KB documents. Writes bench/results/engine-overhead.{md,json}.
 *
 * Usage: npm run bench [-- --docs 1000]
 */
import '../src/orchestration/local/polyfills.js';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { MemoryObjectStore, MemoryRouteSink, MemoryStore } from '../src/adapters/memory/memory-store.js';
import { createKeywordClassifier } from '../src/domain/keyword-classifier.js';
import { SqliteStore } from '../src/adapters/local/sqlite-store.js';
import { sensitiveFieldNames } from '../src/config/field-spec.js';
import { parseConfig } from '../src/config/load.js';
import { compileRules } from '../src/domain/validate.js';
import { buildDefinition, localResource, type TaskName } from '../src/orchestration/definition.js';
import { createLocalEngine } from '../src/orchestration/local/engine.js';
import { createTaskHandlers, type TaskDeps } from '../src/orchestration/tasks.js';
import type { PdfReader } from '../src/ports/pdf-reader.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = arg('docs', 1000);

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

const loaded = parseConfig({});
const clock = { now: () => new Date() };

const makeDocs = (objects: MemoryObjectStore, tag: string) =>
  Array.from({ length: N }, (_, i) => {
    const bytes = new TextEncoder().encode(`%PDF-1.7 ${tag} ${i}`);
    const documentId = createHash('sha256').update(bytes).digest('hex');
    objects.objects.set(documentId, bytes);
    return { documentId, name: `doc-${i}.pdf` };
  });

type Store = MemoryStore | SqliteStore;

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
  sink: new MemoryRouteSink(),
  pdf: trivialPdf,
  ocr: noOcr,
  images: { pageCount: () => Promise.reject(new Error('not used')), prepare: () => Promise.reject(new Error('not used')) },
  limiter: { acquire: () => Promise.resolve() },
  classifier: createKeywordClassifier(loaded.config.classify.classes),
  rules: compileRules(loaded.config.rules),
  notifiers: [],
  clock,
});

const HAPPY_PATH: TaskName[] = ['Ingest', 'Extract', 'Classify', 'ExtractFields', 'Validate', 'RoutePass', 'RecordOutcome'];

const viaEngine = async (store: Store, tag: string): Promise<number> => {
  const objects = new MemoryObjectStore();
  const docs = makeDocs(objects, tag);
  const handlers = createTaskHandlers(depsFor(store, objects));
  const engine = createLocalEngine(
    buildDefinition({ maxConcurrency: loaded.config.engine.maxConcurrency, retry: loaded.config.engine.retry, resource: localResource }),
    handlers,
  );
  const batchId = `bench-${tag}`;
  await store.addToBatch(batchId, docs);
  const t0 = performance.now();
  const out = (await engine.run({ batchId, documents: docs }, { executionId: `x-${tag}` })) as { summary: { pass: number } };
  const t = performance.now() - t0;
  if (out.summary.pass !== N) throw new Error(`expected ${N} passes, got ${out.summary.pass}`);
  return t;
};

const viaLoop = async (store: Store, tag: string): Promise<number> => {
  const objects = new MemoryObjectStore();
  const docs = makeDocs(objects, tag);
  const handlers = createTaskHandlers(depsFor(store, objects));
  const batchId = `bench-${tag}`;
  await store.addToBatch(batchId, docs);
  const t0 = performance.now();
  for (const d of docs) {
    const state: Record<string, unknown> = { batchId, executionId: `x-${tag}`, document: d };
    for (const task of HAPPY_PATH) {
      const result = await handlers[task]({ task, state });
      const slot = {
        Ingest: 'ingest',
        Extract: 'extract',
        Classify: 'classify',
        ExtractFields: 'fields',
        Validate: 'validate',
        RoutePass: 'route',
      }[task as string];
      if (slot) state[slot] = result;
    }
  }
  await handlers.Aggregate({ task: 'Aggregate', state: { batchId, executionId: `x-${tag}`, received: N } });
  return performance.now() - t0;
};

const sqlite = (dir: string, name: string): SqliteStore => new SqliteStore(path.join(dir, `${name}.db`));

const main = async (): Promise<void> => {
  const dir = mkdtempSync(path.join(tmpdir(), 'docroute-bench-'));
  try {
    // Warm-up: JIT, SQLite page cache, engine validation.
    await viaEngine(new MemoryStore(), 'warm-a');
    await viaLoop(new MemoryStore(), 'warm-b');

    const a = await viaEngine(sqlite(dir, 'a'), 'a');
    const b = await viaLoop(sqlite(dir, 'b'), 'b');
    const c = await viaLoop(new MemoryStore(), 'c');
    const d = await viaEngine(new MemoryStore(), 'd');

    const blob = new Uint8Array(64 * 1024).map((_, i) => (i * 31) % 251);
    const th = performance.now();
    for (let i = 0; i < N; i++) createHash('sha256').update(blob).update(String(i)).digest('hex');
    const hashing = performance.now() - th;

    const per = (t: number): number => Math.round((t / N) * 1000) / 1000;
    const result = {
      documents: N,
      tasksPerDocument: HAPPY_PATH.length,
      msPerDocument: {
        engineSqlite: per(a),
        loopSqlite: per(b),
        loopMemory: per(c),
        engineMemory: per(d),
        sha256Of64KB: per(hashing),
      },
      attribution: {
        interpreterMs: per(a - b),
        interpreterMsWithoutSqlite: per(d - c),
        sqliteMs: per(b - c),
        stepsMs: per(c),
      },
      ratios: {
        engineOverLoop: Math.round((a / b) * 100) / 100,
        sqliteOverMemory: Math.round((b / c) * 100) / 100,
      },
      node: process.version,
    };
    const md = [
      `# Engine overhead (${N} documents, trivial steps)`,
      '',
      '| run | ms / document |',
      '| --- | ---: |',
      `| A: ASL on the embedded engine + SQLite | ${result.msPerDocument.engineSqlite} |`,
      `| B: handlers in a loop + SQLite | ${result.msPerDocument.loopSqlite} |`,
      `| C: handlers in a loop + memory | ${result.msPerDocument.loopMemory} |`,
      `| D: ASL on the embedded engine + memory | ${result.msPerDocument.engineMemory} |`,
      `| SHA-256 of a 64 KB document | ${result.msPerDocument.sha256Of64KB} |`,
      '',
      `Where the time goes per document: interpreter ≈ ${result.attribution.interpreterMs} ms (A − B), SQLite ≈ ${result.attribution.sqliteMs} ms (B − C), the steps themselves ≈ ${result.attribution.stepsMs} ms (C).`,
      '',
      `Ratios: engine / loop = ${result.ratios.engineOverLoop}, SQLite / memory = ${result.ratios.sqliteOverMemory}.`,
      '',
    ].join('\n');
    const outDir = path.resolve(import.meta.dirname, 'results');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(path.join(outDir, 'engine-overhead.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(path.join(outDir, 'engine-overhead.md'), md);
    process.stdout.write(md);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

await main();
