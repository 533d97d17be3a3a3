/**
 * Figure 3, engine overhead: documents with trivial steps, time per document for the state machine
 * + checkpoints + audit. Side by side, interleaved, in one process:
 *
 *   full         ASL on the embedded engine + real handlers + SQLite   — the real local path
 *   fullBefore   the same, every write its own transaction, inline WAL checkpoints (before)
 *   steps        the same handlers in a plain loop + in-memory stores  — the steps' own work
 *   interpreter  the same ASL, every handler a no-op                   — the interpreter alone
 *   sqlite       the exact store calls of `steps`, replayed on SQLite  — SQLite alone
 *   sqliteBefore the same replay, every write its own transaction (before)
 *   hashing      SHA-256 of a 64 KB document                           — hashing alone
 *   (full mode adds synchronous=FULL, loop+SQLite and engine+memory)
 *
 * Measured: full − steps per document (what the engine, checkpoints and audit add). Target ≤ 1 ms.
 */
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { MemoryStore } from '../../src/adapters/memory/memory-store.js';
import { SqliteStore } from '../../src/adapters/local/sqlite-store.js';
import { freshDir, interleave, median, type BenchContext } from '../lib/common.js';
import { recordStoreCalls, replayOn, viaEngine, viaHashing, viaInterpreter, viaLoop } from '../lib/engine-harness.js';
import { figure, round, type FigureResult } from '../lib/report.js';

type Variant =
  'full' | 'fullBefore' | 'steps' | 'interpreter' | 'sqlite' | 'sqliteBefore' | 'sqliteFull' | 'hashing' | 'loopSqlite' | 'engineMemory';

const LABELS: Record<Variant, string> = {
  full: 'ASL engine + real handlers + SQLite (the local path: group commit, background WAL checkpoints)',
  fullBefore: 'the same, every write its own transaction, WAL checkpoints inline (before)',
  steps: 'handlers in a plain loop + in-memory stores (the steps)',
  interpreter: 'ASL engine alone, no-op handlers',
  sqlite: 'SQLite alone (the same store calls, replayed a Task at a time)',
  sqliteBefore: 'SQLite alone, every write its own transaction, WAL checkpoints inline (before)',
  sqliteFull: 'SQLite alone, synchronous=FULL (an fsync per commit), first 100 documents',
  hashing: 'SHA-256 of a 64 KB document',
  loopSqlite: 'handlers in a plain loop + SQLite',
  engineMemory: 'ASL engine + real handlers + in-memory stores',
};

export const engineFigure = async (ctx: BenchContext, options: { docsPerRound?: number; rounds?: number } = {}): Promise<FigureResult> => {
  const started = performance.now();
  const rounds = options.rounds ?? (ctx.quick ? 2 : 5);
  const n = options.docsPerRound ?? (ctx.quick ? 300 : 2000);
  const { dir, remove } = freshDir('engine');
  try {
    // Warm-up: JIT, module state, engine validation.
    const warm = Math.min(200, n * 4);
    await viaEngine(new MemoryStore(), 'warm-a', warm);
    await viaLoop(new MemoryStore(), 'warm-b', warm);
    await viaInterpreter('warm-c', warm);
    const recorded = await recordStoreCalls('replay', n);
    const callsPerDocument = Math.round(recorded.calls.length / n);
    const fullDocs = Math.min(n, 100);
    const variants: Variant[] = [
      'full',
      'fullBefore',
      'steps',
      'interpreter',
      'sqlite',
      'sqliteBefore',
      'hashing',
      ...(ctx.quick ? [] : (['sqliteFull', 'loopSqlite', 'engineMemory'] as const)),
    ];
    const stores: SqliteStore[] = [];
    // As the runtime opens it (group commit, background checkpoints), or as it was before.
    const open = (name: string, how: { synchronous?: 'normal' | 'full'; before?: boolean } = {}): SqliteStore => {
      const s = new SqliteStore(path.join(dir, `${name}.db`), {
        synchronous: how.synchronous ?? 'normal',
        ...(how.before ? { groupCommit: false, checkpointer: 'inline' } : { checkpointer: 'background' }),
      });
      stores.push(s);
      return s;
    };
    const runs = await interleave(variants, rounds, async (variant, r) => {
      const tag = `${variant}-${String(r)}`;
      switch (variant) {
        case 'full':
          return viaEngine(open(tag), tag, n);
        case 'fullBefore':
          return viaEngine(open(tag, { before: true }), tag, n);
        case 'steps':
          return viaLoop(new MemoryStore(), tag, n);
        case 'interpreter':
          return viaInterpreter(tag, n);
        case 'sqlite':
          return replayOn(open(tag), recorded);
        case 'sqliteBefore':
          return replayOn(open(tag, { before: true }), recorded);
        case 'sqliteFull':
          // fsync per commit is much slower: 100 documents say enough; scaled to the batch below.
          return ((await replayOn(open(tag, { synchronous: 'full' }), recorded, { limit: callsPerDocument * fullDocs })) * n) / fullDocs;
        case 'hashing':
          return viaHashing(n, 64 * 1024);
        case 'loopSqlite':
          return viaLoop(open(tag), tag, n);
        case 'engineMemory':
          return viaEngine(new MemoryStore(), tag, n);
      }
    });
    for (const s of stores) s.close();
    const per = (v: Variant): number => round(median(runs[v]) / n, 3);
    const full = per('full');
    const steps = per('steps');
    const overhead = round(full - steps, 3);
    const callsPerDoc = round(recorded.calls.length / n, 1);
    const rows = variants.map((v) => [LABELS[v], per(v), round(per(v) / full, 2)]);
    ctx.log(
      `  engine: full ${String(full)} ms/doc, steps ${String(steps)}, interpreter ${String(per('interpreter'))}, sqlite ${String(per('sqlite'))}`,
    );
    return figure({
      id: 'engine',
      title: '3. Engine overhead',
      measured: { label: 'full − steps: state machine + checkpoints + audit, per document', value: overhead, unit: 'ms/doc' },
      reference: { label: LABELS.steps, value: steps, unit: 'ms/doc' },
      ratioLabel: 'overhead ÷ the steps’ own time',
      target: { op: '<=', value: 1, on: 'measured' },
      tables: [
        {
          title: `Where the time goes (ms per document, median of ${String(rounds)} interleaved rounds of ${String(n)} documents)`,
          table: { columns: ['run', 'ms/doc', '÷ full'], rows },
        },
      ],
      notes: [
        `${String(rounds * n)} documents per run type (${String(rounds)} rounds × ${String(n)}), ${String(callsPerDoc)} store calls per document (checkpoints, audit, ledger), 7 Task states per document.`,
        'full ≈ interpreter + SQLite + steps: the interpreter and SQLite rows are measured alone, not by difference.',
      ],
      seconds: (performance.now() - started) / 1000,
      data: { rounds, docsPerRound: n, runs, callsPerDoc },
    });
  } finally {
    remove();
  }
};
