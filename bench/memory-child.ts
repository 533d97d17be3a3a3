/**
 * One measurement of figure 4, in its own process so that one run's heap does not pollute the
 * other's peak: runs a batch of `n` documents and prints its peak RSS (process.resourceUsage().maxRSS)
 * as one JSON line on stdout.
 *
 *   engine   trivial steps, real task handlers, real ASL engine, SQLite store in <dir>
 *   runtime  the real pipeline (openRuntime + runFiles) on the PDFs in <dir>/inbox, data in <dir>/data
 *   interpreter  the ASL on the embedded engine alone, every handler a no-op (no store, no steps)
 *
 * Usage: node --expose-gc --import tsx bench/memory-child.ts <engine|runtime|interpreter> <n> <dir>
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { SqliteStore } from '../src/adapters/local/sqlite-store.js';
import { viaEngine, viaInterpreter } from './lib/engine-harness.js';
import { runPipeline } from './lib/pipeline.js';

const [mode, count, dir] = process.argv.slice(2);
const n = Number(count);
if ((mode !== 'engine' && mode !== 'runtime' && mode !== 'interpreter') || !Number.isInteger(n) || n < 1 || dir === undefined) {
  process.stderr.write('usage: memory-child.ts <engine|runtime|interpreter> <n> <dir>\n');
  process.exit(2);
}
const baselineKB = process.resourceUsage().maxRSS;
const t0 = performance.now();
if (mode === 'engine') {
  const store = new SqliteStore(path.join(dir, 'store.db'), { checkpointer: 'background' });
  try {
    await viaEngine(store, `mem-${String(n)}`, n);
  } finally {
    store.close();
  }
} else if (mode === 'interpreter') {
  await viaInterpreter(`mem-${String(n)}`, n);
} else {
  const run = await runPipeline(path.join(dir, 'inbox'), path.join(dir, 'data'));
  if (run.documents !== n) throw new Error(`expected ${String(n)} documents, ran ${String(run.documents)}`);
}
const usage = process.resourceUsage();
// Started with --expose-gc: what the batch left behind once it is over (a leak would show here).
(globalThis as { gc?: () => void }).gc?.();
const heapAfterGcKB = Math.round(process.memoryUsage().heapUsed / 1024);
process.stdout.write(
  `${JSON.stringify({ mode, n, maxRssKB: usage.maxRSS, baselineKB, seconds: (performance.now() - t0) / 1000, heapAfterGcKB })}\n`,
);
