import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../../src/adapters/local/sqlite-store.js';
import { startWalCheckpointer } from '../../../../src/adapters/local/wal-checkpointer.js';
import { StorageFullError } from '../../../../src/domain/errors.js';
import type { AuditRecord } from '../../../../src/ports/audit-log.js';
import { tempDir } from '../../../helpers/docs.js';

/**
 * Group commit in the SQLite store: the writes issued within one turn of the event loop commit in
 * one transaction, each resolving only once committed; reads see queued writes; failures stay
 * with the writes they belong to. And the WAL checkpointer that runs on its own thread.
 */

const DOC = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);

const dirs: string[] = [];
const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const newDbFile = (): string => {
  const dir = tempDir('group-commit');
  dirs.push(dir);
  return path.join(dir, 'docroute.db');
};

const open = (file: string, options: ConstructorParameters<typeof SqliteStore>[1] = {}): SqliteStore => {
  const store = new SqliteStore(file, options);
  closers.push(() => store.close());
  return store;
};

/** A second connection to the file: sees only what was committed. */
const observer = (file: string): Database.Database => {
  const db = new Database(file, { readonly: true });
  closers.push(() => db.close());
  return db;
};

const record = (documentId: string | null, event: AuditRecord['event'], step = 'Extract'): AuditRecord => ({
  at: '2026-11-29T10:00:00.000Z',
  executionId: 'exec-1',
  batchId: 'batch-1',
  documentId,
  step,
  attempt: 1,
  event,
});

const committedAudit = (db: Database.Database): number => (db.prepare('SELECT COUNT(*) AS n FROM audit').get() as { n: number }).n;
const committedCheckpoints = (db: Database.Database): number =>
  (db.prepare('SELECT COUNT(*) AS n FROM checkpoints').get() as { n: number }).n;

describe('SqliteStore group commit', () => {
  it('commits the writes of one turn together, and each resolves only after the commit', async () => {
    const file = newDbFile();
    const store = open(file);
    const other = observer(file);
    let resolved = 0;
    const writes = [
      store.append(record(DOC, 'entered')),
      store.put({ documentId: DOC, step: 'Extract', configVersion: 'v1' }, { pages: 1 }),
      store.append(record(DOC, 'succeeded')),
    ].map((p) => p.then(() => (resolved += 1)));
    // Queued, not yet committed: another connection sees nothing and nothing has resolved.
    expect(committedAudit(other)).toBe(0);
    expect(committedCheckpoints(other)).toBe(0);
    await Promise.resolve();
    expect(resolved).toBe(0);
    await Promise.all(writes);
    expect(resolved).toBe(3);
    expect(committedAudit(other)).toBe(2);
    expect(committedCheckpoints(other)).toBe(1);
    // One chain, head recorded once at the end of the group and equal to the last row.
    expect(store.verifyAuditChain().ok).toBe(true);
    const last = other.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string };
    expect(store.auditHead()).toEqual({ seq: last.seq, hash: last.hash });
  });

  it('a read sees the queued writes it could see (read your writes), without waiting a turn', async () => {
    const store = open(newDbFile());
    const key = { documentId: DOC, step: 'Extract', configVersion: 'v1' };
    const put = store.put(key, { text: 'x' });
    void store.append(record(DOC, 'entered'));
    expect(await store.get(key)).toEqual({ text: 'x' });
    expect(await store.attempts('exec-1', DOC, 'Extract')).toBe(1);
    await put;
  });

  it('a read of another document does not commit the queue early', async () => {
    const file = newDbFile();
    const store = open(file);
    const other = observer(file);
    const put = store.put({ documentId: DOC, step: 'Extract', configVersion: 'v1' }, { a: 1 });
    expect(await store.get({ documentId: OTHER, step: 'Extract', configVersion: 'v1' })).toBeUndefined();
    expect(committedCheckpoints(other)).toBe(0);
    // A synchronous read flushes everything first.
    expect(store.batchCounts('none').pending).toBe(0);
    expect(committedCheckpoints(other)).toBe(1);
    await put;
  });

  it('a constraint failure rejects its write and the ones after it; the ones before it commit', async () => {
    const file = newDbFile();
    const store = open(file);
    const raw = new Database(file);
    raw.exec("CREATE TRIGGER refuse_boom BEFORE INSERT ON checkpoints WHEN NEW.step = 'Boom' BEGIN SELECT RAISE(ABORT, 'refused'); END;");
    raw.close();
    const results = await Promise.allSettled([
      store.append(record(DOC, 'entered')),
      store.put({ documentId: DOC, step: 'Boom', configVersion: 'v1' }, { a: 1 }),
      store.put({ documentId: DOC, step: 'Extract', configVersion: 'v1' }, { a: 2 }),
      store.append(record(DOC, 'succeeded')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected']);
    const other = observer(file);
    expect(committedAudit(other)).toBe(1);
    expect(committedCheckpoints(other)).toBe(0);
    // Rejected after a failure of another write: retryable.
    const after = results[2];
    expect(after.status === 'rejected' && (after.reason as { retryable?: boolean }).retryable).toBe(true);
    // The store goes on.
    await store.put({ documentId: DOC, step: 'Extract', configVersion: 'v1' }, { a: 2 });
    expect(committedCheckpoints(other)).toBe(1);
    expect(store.verifyAuditChain().ok).toBe(true);
  });

  it('a full disk rolls the whole group back and rejects every write in it with STORAGE_FULL', async () => {
    const file = newDbFile();
    const store = open(file);
    await store.append(record(null, 'batch-started', 'Batch'));
    const db = (store as unknown as { db: Database.Database }).db;
    const pages = (db.pragma('page_count', { simple: true }) as number) + 2;
    db.pragma(`max_page_count = ${String(pages)}`);
    const big = 'x'.repeat(64 * 1024);
    const results = await Promise.allSettled([
      store.append(record(DOC, 'entered')),
      store.put({ documentId: DOC, step: 'Extract', configVersion: 'v1' }, { big }),
      store.append(record(DOC, 'succeeded')),
    ]);
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(StorageFullError);
    const other = observer(file);
    expect(committedAudit(other)).toBe(1);
    expect(committedCheckpoints(other)).toBe(0);
    // Space back: the store goes on, the chain unbroken.
    db.pragma('max_page_count = 1073741823');
    await store.append(record(DOC, 'entered'));
    expect(store.verifyAuditChain().ok).toBe(true);
  });

  it('groupCommit: false commits every write before it resolves, on its own', async () => {
    const file = newDbFile();
    const store = open(file, { groupCommit: false });
    const other = observer(file);
    void store.append(record(DOC, 'entered'));
    expect(committedAudit(other)).toBe(1);
    await nextTurn();
  });

  it('close() commits what is queued; a process that exits before the turn loses nothing it wrote', () => {
    const file = newDbFile();
    const store = new SqliteStore(file);
    void store.append(record(DOC, 'entered'));
    store.close();
    const other = observer(file);
    expect(committedAudit(other)).toBe(1);

    // process.exit() in the same turn as the writes: the exit hook commits them.
    const file2 = newDbFile();
    const script = [
      `import { SqliteStore } from ${JSON.stringify(path.resolve('src/adapters/local/sqlite-store.ts'))};`,
      `const s = new SqliteStore(${JSON.stringify(file2)});`,
      `void s.append({ at: 'x', executionId: 'e', batchId: 'b', documentId: null, step: 'Batch', attempt: 1, event: 'batch-started' });`,
      `void s.put({ documentId: 'd', step: 'Extract', configVersion: 'v' }, { a: 1 });`,
      'process.exit(0);',
    ].join('\n');
    execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'pipe' });
    const after = observer(file2);
    expect(committedAudit(after)).toBe(1);
    expect(committedCheckpoints(after)).toBe(1);
  });
});

describe('WAL checkpointer', () => {
  const walBytes = (file: string): number => (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);

  /** Commits `rows` rows of 1 KB, one per timer tick, with automatic checkpoints off: the peak WAL size. */
  const writeRows = async (file: string, rows: number, withCheckpointer: boolean): Promise<number> => {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE IF NOT EXISTS t (a TEXT)');
    const checkpointer = withCheckpointer ? startWalCheckpointer(file, () => undefined, { intervalMs: 5, restartFrames: 64 }) : null;
    const insert = db.prepare('INSERT INTO t (a) VALUES (?)');
    let peak = 0;
    for (let i = 0; i < rows; i++) {
      insert.run('y'.repeat(1024));
      peak = Math.max(peak, walBytes(file));
      // Paced (a timer per commit), so that a busy machine still gives the thread its turns.
      await new Promise((r) => setTimeout(r, 1));
    }
    checkpointer?.stop();
    db.close();
    return peak;
  };

  it('keeps the WAL bounded under a steady stream of commits (it grows without one)', async () => {
    const without = await writeRows(newDbFile(), 1200, false);
    const withIt = await writeRows(newDbFile(), 1200, true);
    // 1,200 commits of a page or two each: ~7 MB of WAL unchecked; a restart every 64 frames.
    expect(without).toBeGreaterThan(4 * 1024 * 1024);
    expect(withIt).toBeLessThan(without / 4);
  });

  it('a store closed with its checkpointer running leaves the file whole: no WAL left behind', async () => {
    const file = newDbFile();
    for (let round = 0; round < 3; round++) {
      const store = new SqliteStore(file, { checkpointer: 'background' });
      for (let i = 0; i < 50; i++) await store.append(record(DOC, 'entered'));
      store.close();
      expect(existsSync(`${file}-wal`)).toBe(false);
    }
    const other = observer(file);
    expect(committedAudit(other)).toBe(150);
  });

  it('reports a thread that cannot start, so the writer can turn its own checkpoints back on', async () => {
    const missing = path.join(tempDir('group-commit'), 'no-such.db');
    dirs.push(path.dirname(missing));
    const failed = await new Promise<boolean>((resolve) => {
      startWalCheckpointer(missing, () => resolve(true));
      setTimeout(() => resolve(false), 10_000);
    });
    expect(failed).toBe(true);
  });
});
