import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/entrypoints/cli/exit-codes.js';
import { assertBuilt, cli, cliAsync } from '../helpers/cli.js';
import { tempDir, writeInvoices } from '../helpers/docs.js';

/**
 * Kill -9 mid-batch, run again: the interrupted batch completes, nothing is lost, nothing is routed
 * twice, and the route folders are byte-identical to those of a clean, uninterrupted run.
 */

const DOCS = 40;

const countRoutes = (db: string): number => {
  if (!existsSync(db)) return 0;
  try {
    const conn = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return (conn.prepare('SELECT COUNT(*) AS n FROM routes').get() as { n: number }).n;
    } finally {
      conn.close();
    }
  } catch {
    return 0; // schema not created yet
  }
};

/** Every file in the route folders with its bytes (JSON) or link target (originals). */
const snapshot = (data: string): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const route of ['pass', 'hold', 'reject']) {
    const dir = path.join(data, route);
    if (!existsSync(dir)) continue;
    for (const e of readdirSync(dir)) {
      const p = path.join(dir, e);
      out[`${route}/${e}`] = e.endsWith('.json') ? readFileSync(p, 'utf8') : readFileSync(p).toString('base64').slice(0, 64);
    }
  }
  return out;
};

/** Starts `docroute run`, waits until `killAfter` documents are routed, then SIGKILLs it. */
const runAndKill = async (inbox: string, data: string, killAfter: number): Promise<{ routedAtKill: number; exited: boolean }> => {
  const child = cliAsync(['run', inbox, '--data-dir', data]);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const state = { done: false };
  void exited.then(() => (state.done = true));
  const db = path.join(data, 'docroute.db');
  const deadline = Date.now() + 60_000;
  while (!state.done && Date.now() < deadline) {
    if (countRoutes(db) >= killAfter) break;
    await new Promise((r) => setTimeout(r, 3));
  }
  const wasRunning = !state.done;
  child.kill('SIGKILL');
  await exited;
  return { routedAtKill: countRoutes(db), exited: !wasRunning };
};

describe('crash safety: SIGKILL mid-batch, then run again', () => {
  const work = tempDir('crash');
  const inbox = path.join(work, 'inbox');
  let clean: Record<string, string>;

  beforeAll(async () => {
    assertBuilt();
    await writeInvoices(inbox, DOCS);
    const cleanData = path.join(work, 'clean');
    const r = cli(['run', inbox, '--data-dir', cleanData]);
    expect(r.code).toBe(EXIT.OK);
    clean = snapshot(cleanData);
    expect(Object.keys(clean)).toHaveLength(DOCS * 2);
  }, 120_000);

  // Early, middle and late kill points; each trial uses a fresh data directory.
  it.each([1, Math.floor(DOCS / 2), DOCS - 5])(
    'killed after %i routed documents, the re-run completes the batch exactly once',
    async (killAfter) => {
      const data = path.join(work, `data-${killAfter}`);
      const { routedAtKill, exited } = await runAndKill(inbox, data, killAfter);
      expect(exited, 'the run finished before it could be killed').toBe(false);
      expect(routedAtKill).toBeLessThan(DOCS);

      const db0 = new Database(path.join(data, 'docroute.db'), { readonly: true });
      const interrupted = db0.prepare("SELECT batch_id FROM batches WHERE status = 'running'").all() as { batch_id: string }[];
      db0.close();
      expect(interrupted).toHaveLength(1);

      const again = cli(['run', inbox, '--data-dir', data, '--json']);
      expect(again.code).toBe(EXIT.OK);
      const out = JSON.parse(again.stdout) as { runs: { batchId: string; resumed: boolean; summary: Record<string, number> }[] };
      // The interrupted batch is resumed and is the only batch: its documents are not resubmitted.
      expect(out.runs).toHaveLength(1);
      expect(out.runs[0]).toMatchObject({ batchId: interrupted[0]!.batch_id, resumed: true });
      expect(out.runs[0]!.summary).toMatchObject({ received: DOCS, pass: DOCS, hold: 0, reject: 0, failed: 0, duplicates: 0 });

      const db = new Database(path.join(data, 'docroute.db'), { readonly: true });
      const routes = db.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT document_id) AS d FROM routes').get() as { n: number; d: number };
      const routed = db.prepare("SELECT COUNT(*) AS n, COUNT(DISTINCT document_id) AS d FROM audit WHERE event = 'routed'").get() as {
        n: number;
        d: number;
      };
      const statuses = db.prepare('SELECT status FROM batches').all() as { status: string }[];
      const pending = db.prepare('SELECT COUNT(*) AS n FROM batch_documents WHERE outcome IS NULL').get() as { n: number };
      db.close();
      expect(routes).toEqual({ n: DOCS, d: DOCS });
      expect(routed).toEqual({ n: DOCS, d: DOCS });
      expect(statuses.map((s) => s.status)).toEqual(['completed']);
      expect(pending.n).toBe(0);

      expect(snapshot(data)).toEqual(clean);
      // No ingest temp files survive the crash.
      expect(readdirSync(path.join(data, 'objects')).filter((n) => n.startsWith('.ingest-'))).toEqual([]);
    },
    120_000,
  );
});
