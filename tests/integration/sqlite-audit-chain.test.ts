import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/adapters/local/sqlite-store.js';
import { auditRecordHash, GENESIS_HASH, type ChainVerdict } from '../../src/domain/audit-chain.js';
import type { AuditRecord } from '../../src/ports/audit-log.js';
import type { RouteRecord } from '../../src/ports/ledger.js';
import { tempDir } from '../helpers/docs.js';

/**
 * The audit hash chain on real SQLite files: every write path chains, tampering done the way an
 * attacker with the file would (drop the append-only triggers, then edit, delete, insert, swap or
 * cut rows) is named with its first bad row and kind, a schema-2 store is chained on migration,
 * and two processes appending to one file keep one unbroken chain.
 */

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const DOC = 'a'.repeat(64);

const dirs: string[] = [];
const stores: SqliteStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const newFile = (): string => {
  const dir = tempDir('audit-chain');
  dirs.push(dir);
  return path.join(dir, 'docroute.db');
};

const open = (file: string): SqliteStore => {
  const s = new SqliteStore(file);
  stores.push(s);
  return s;
};

const record = (i: number, over: Partial<AuditRecord> = {}): AuditRecord => ({
  at: new Date(Date.UTC(2026, 10, 1, 9, 0, i)).toISOString(),
  executionId: 'x-1',
  batchId: 'b-1',
  documentId: DOC,
  step: i % 2 ? 'Classify' : 'Validate',
  attempt: 1,
  event: i % 2 ? 'entered' : 'succeeded',
  ...(i % 2 ? {} : { durationMs: 10 + i }),
  ...(i % 5 === 0 ? { reasonCodes: ['AMOUNT_ABOVE_APPROVAL_LIMIT'] } : {}),
  ...over,
});

const route = (documentId: string): RouteRecord => ({
  documentId,
  outcome: 'hold',
  batchId: 'b-1',
  executionId: 'x-1',
  documentClass: 'invoice',
  confidence: 0.9,
  reasons: [{ code: 'AMOUNT_ABOVE_APPROVAL_LIMIT', message: 'above' }],
  location: `sink://hold/${documentId}`,
  routedAt: '2026-11-01T10:00:00.000Z',
  version: 1,
  kind: 'pipeline',
  decidedAt: '2026-11-01T10:00:00.000Z',
});

/** A store with `n` records written through append, recordRoute and supersede. */
const filled = async (n = 12): Promise<string> => {
  const file = newFile();
  const s = new SqliteStore(file);
  for (let i = 1; i <= n - 2; i++) await s.append(record(i));
  await s.recordRoute(route(DOC), record(n - 1, { step: 'Route', event: 'routed', outcome: 'hold' }));
  const applied = await s.supersede(
    {
      documentId: DOC,
      version: 2,
      kind: 'review',
      outcome: 'pass',
      location: `sink://pass/${DOC}`,
      decidedAt: '2026-11-02T10:00:00.000Z',
      batchId: 'b-1',
      executionId: 'rv-1',
      result: null,
      steps: null,
    },
    record(n, { step: 'Review', event: 'reviewed', outcome: 'pass', note: 'approved' }),
  );
  expect(applied.applied).toBe(true);
  s.close();
  return file;
};

/** As an attacker with the file: the triggers dropped, then raw SQL. */
const tamper = (file: string, sql: (db: Database.Database) => void): void => {
  const db = new Database(file);
  try {
    db.exec('DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;');
    sql(db);
  } finally {
    db.close();
  }
};

const verdict = (file: string, anchor?: { seq: number; hash: string }): ChainVerdict => open(file).verifyAuditChain(anchor);

const problem = (v: ChainVerdict) => {
  if (v.ok) throw new Error('expected tampering to be found');
  return v.problem;
};

interface RawRow {
  seq: number;
  at: string;
  event: string;
  prev_hash: string | null;
  hash: string | null;
}
const rawRows = (file: string): RawRow[] => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare<[], RawRow>('SELECT seq, at, event, prev_hash, hash FROM audit ORDER BY seq').all();
  } finally {
    db.close();
  }
};
const metaOf = (file: string, key: string): string | undefined => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?').get(key)?.value;
  } finally {
    db.close();
  }
};

describe('SqliteStore audit chain: appends', () => {
  it('chains every write path from the genesis hash, and keeps the head in meta', async () => {
    const file = await filled(12);
    const rows = rawRows(file);
    expect(rows.map((r) => r.seq)).toEqual([...Array(12).keys()].map((i) => i + 1));
    expect(rows[0]?.prev_hash).toBe(GENESIS_HASH);
    for (let i = 1; i < rows.length; i++) expect(rows[i]?.prev_hash).toBe(rows[i - 1]?.hash);
    expect(rows.map((r) => r.event).slice(-2)).toEqual(['routed', 'reviewed']);
    expect(metaOf(file, 'audit_head')).toBe(`12:${rows[11]?.hash}`);
    expect(metaOf(file, 'schema_version')).toBe('3');
    const v = verdict(file);
    expect(v).toEqual({ ok: true, rows: 12, head: { seq: 12, hash: rows[11]?.hash } });
    // The head doubles as an anchor.
    expect(verdict(file, { seq: 12, hash: rows[11]?.hash ?? '' }).ok).toBe(true);
  });

  it('writes nothing to the chain when recordRoute or supersede do not apply', async () => {
    const file = await filled(6);
    const s = open(file);
    const again = await s.recordRoute(route(DOC), record(99, { event: 'routed' }));
    expect(again.first).toBe(false);
    expect(rawRows(file)).toHaveLength(6);
    expect(s.verifyAuditChain()).toMatchObject({ ok: true, rows: 6 });
  });

  it('still refuses UPDATE and DELETE on the audit table', async () => {
    const file = await filled(4);
    const db = new Database(file);
    try {
      expect(() => db.prepare("UPDATE audit SET note = 'x' WHERE seq = 1").run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM audit WHERE seq = 4').run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
  });

  it('exports rows with their links in seq order, filtered on time', async () => {
    const file = await filled(12);
    const s = open(file);
    const all = [...s.auditRows()];
    expect(all.map((r) => r.seq)).toEqual([...Array(12).keys()].map((i) => i + 1));
    const some = [...s.auditRows({ since: '2026-11-01T09:00:03.000Z', until: '2026-11-01T09:00:06.000Z' })];
    expect(some.map((r) => r.seq)).toEqual([3, 4, 5]);
    expect(some[0]?.prevHash).toBe(all[1]?.hash);
  });
});

describe('SqliteStore audit chain: tampering is named by its first bad row and kind', () => {
  it('edited: a field changed in place', async () => {
    const file = await filled();
    tamper(file, (db) => db.prepare("UPDATE audit SET outcome = 'pass' WHERE seq = 5").run());
    expect(problem(verdict(file))).toMatchObject({ kind: 'edited', seq: 5, at: record(5).at, event: 'entered' });
  });

  it('edited: reason codes rewritten', async () => {
    const file = await filled();
    tamper(file, (db) => db.prepare(`UPDATE audit SET reason_codes = '["NONE"]' WHERE seq = 10`).run());
    expect(problem(verdict(file))).toMatchObject({ kind: 'edited', seq: 10 });
  });

  it('deleted: a row removed from the middle', async () => {
    const file = await filled();
    tamper(file, (db) => db.prepare('DELETE FROM audit WHERE seq = 6').run());
    const p = problem(verdict(file));
    expect(p).toMatchObject({ kind: 'deleted', seq: 7 });
    expect(p.detail).toContain('seq 6..6 missing');
  });

  it('inserted: a forged, correctly hashed row appended behind the store', async () => {
    const file = await filled();
    tamper(file, (db) => {
      const last = db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1').get();
      if (!last) throw new Error('empty');
      const forged = {
        seq: last.seq + 1,
        at: '2026-11-03T00:00:00.000Z',
        executionId: 'x-evil',
        batchId: 'b-1',
        documentId: DOC,
        step: 'Review',
        attempt: 1,
        event: 'reviewed',
        durationMs: null,
        outcome: 'pass',
        errorName: null,
        reasonCodes: null,
        note: null,
      };
      db.prepare(
        `INSERT INTO audit (seq, at, execution_id, batch_id, document_id, step, attempt, event, outcome, prev_hash, hash)
         VALUES (?, ?, 'x-evil', 'b-1', ?, 'Review', 1, 'reviewed', 'pass', ?, ?)`,
      ).run(forged.seq, forged.at, DOC, last.hash, auditRecordHash(forged, last.hash));
    });
    expect(problem(verdict(file))).toMatchObject({ kind: 'inserted', seq: 13, event: 'reviewed' });
  });

  it('inserted: a row slipped into the middle, the later rows renumbered to make room', async () => {
    const file = await filled();
    tamper(file, (db) => {
      db.exec('UPDATE audit SET seq = seq + 1000 WHERE seq >= 4; UPDATE audit SET seq = seq - 999 WHERE seq >= 1004;');
      db.prepare(
        `INSERT INTO audit (seq, at, execution_id, batch_id, document_id, step, attempt, event, prev_hash, hash)
         VALUES (4, '2026-11-01T09:00:03.500Z', 'x-1', 'b-1', ?, 'Classify', 1, 'succeeded', NULL, NULL)`,
      ).run(DOC);
    });
    expect(problem(verdict(file))).toMatchObject({ kind: 'inserted', seq: 4, event: 'succeeded' });
  });

  it('reordered: two rows swapped', async () => {
    const file = await filled();
    tamper(file, (db) =>
      db.exec('UPDATE audit SET seq = -1 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = 8; UPDATE audit SET seq = 8 WHERE seq = -1;'),
    );
    const p = problem(verdict(file));
    expect(p).toMatchObject({ kind: 'reordered', seq: 3 });
    expect(p.detail).toContain('seq 8');
  });

  it('truncated: the tail cut off (the head in meta remembers it)', async () => {
    const file = await filled();
    tamper(file, (db) => db.prepare('DELETE FROM audit WHERE seq > 9').run());
    const v = verdict(file);
    expect(problem(v)).toMatchObject({ kind: 'truncated', seq: 10, at: null });
    expect(v.rows).toBe(9);
  });

  it('truncated: the tail and the head cut, caught by an anchor recorded elsewhere', async () => {
    const file = await filled();
    const anchor = open(file).auditHead();
    if (!anchor) throw new Error('no head');
    tamper(file, (db) => {
      const h = db.prepare<[], { hash: string }>('SELECT hash FROM audit WHERE seq = 8').get();
      db.prepare('DELETE FROM audit WHERE seq > 8').run();
      db.prepare("UPDATE meta SET value = ? WHERE key = 'audit_head'").run(`8:${h?.hash ?? ''}`);
    });
    expect(verdict(file).ok).toBe(true);
    expect(problem(verdict(file, anchor))).toMatchObject({ kind: 'truncated', seq: 9 });
  });

  it('truncated: rows cut and the head deleted', async () => {
    const file = await filled();
    tamper(file, (db) => db.exec("DELETE FROM audit WHERE seq > 10; DELETE FROM meta WHERE key = 'audit_head';"));
    expect(problem(verdict(file))).toMatchObject({ kind: 'truncated' });
  });

  it('a cut tail stays visible after the store appends again: the next row links to the head it recorded', async () => {
    const file = await filled();
    tamper(file, (db) => db.prepare('DELETE FROM audit WHERE seq > 9').run());
    const s = open(file);
    await s.append(record(40));
    const rows = rawRows(file);
    expect(rows.at(-1)?.seq).toBe(13);
    expect(problem(s.verifyAuditChain())).toMatchObject({ kind: 'deleted', seq: 13 });
  });
});

/** The schema-2 layout of the tables migration touches (the others are created as they are today). */
const SCHEMA_V2_AUDIT = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE audit (
  seq INTEGER PRIMARY KEY, at TEXT NOT NULL, execution_id TEXT NOT NULL, batch_id TEXT NOT NULL, document_id TEXT,
  step TEXT NOT NULL, attempt INTEGER NOT NULL, event TEXT NOT NULL, duration_ms REAL, outcome TEXT, error_name TEXT,
  reason_codes TEXT, note TEXT
);
CREATE INDEX audit_by_document ON audit (document_id, seq);
CREATE INDEX audit_attempts ON audit (execution_id, document_id, step, event);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
`;

const schemaTwoStore = (file: string, n: number): void => {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.exec(SCHEMA_V2_AUDIT);
    db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', '2')").run();
    const insert = db.prepare(
      `INSERT INTO audit (at, execution_id, batch_id, document_id, step, attempt, event, duration_ms, outcome, error_name, reason_codes, note)
       VALUES (?, 'x-old', 'b-old', ?, 'Classify', 1, ?, ?, ?, ?, ?, ?)`,
    );
    db.transaction(() => {
      for (let i = 1; i <= n; i++) {
        insert.run(
          new Date(Date.UTC(2026, 9, 1, 0, 0, i)).toISOString(),
          i % 7 === 0 ? null : DOC,
          i % 2 ? 'entered' : 'failed',
          i % 2 ? null : i / 3,
          null,
          i % 2 ? null : 'ThrottledError',
          i % 2 ? null : JSON.stringify(['THROTTLED']),
          i % 4 === 0 ? 'from checkpoint' : null,
        );
      }
    })();
  } finally {
    db.close();
  }
};

describe('SqliteStore audit chain: migrating a schema-2 store', () => {
  it('chains the existing rows in seq order, records the head, keeps the triggers, and appends after them', async () => {
    const file = newFile();
    schemaTwoStore(file, 2500);
    const s = open(file);
    expect(metaOf(file, 'schema_version')).toBe('3');
    const rows = rawRows(file);
    expect(rows).toHaveLength(2500);
    expect(rows[0]?.prev_hash).toBe(GENESIS_HASH);
    for (let i = 1; i < rows.length; i++) expect(rows[i]?.prev_hash).toBe(rows[i - 1]?.hash);
    expect(s.verifyAuditChain()).toEqual({ ok: true, rows: 2500, head: { seq: 2500, hash: rows[2499]?.hash } });

    await s.append(record(1));
    expect(s.verifyAuditChain()).toMatchObject({ ok: true, rows: 2501, head: { seq: 2501 } });
    const db = new Database(file);
    try {
      expect(() => db.prepare("UPDATE audit SET note = 'x' WHERE seq = 1").run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
  });

  it('is harmless to open a migrated store again: the chain is not recomputed', () => {
    const file = newFile();
    schemaTwoStore(file, 10);
    open(file).close();
    const before = rawRows(file);
    open(file);
    expect(rawRows(file)).toEqual(before);
  });

  it('migrates an empty schema-2 store to an empty chain without a head', () => {
    const file = newFile();
    schemaTwoStore(file, 0);
    const s = open(file);
    expect(s.auditHead()).toBeNull();
    expect(s.verifyAuditChain()).toEqual({ ok: true, rows: 0, head: null });
  });

  it('still refuses a newer schema', () => {
    const file = newFile();
    schemaTwoStore(file, 3);
    const db = new Database(file);
    db.prepare("UPDATE meta SET value = '4' WHERE key = 'schema_version'").run();
    db.close();
    expect(() => new SqliteStore(file)).toThrow(/newer docroute \(schema 4/);
  });
});

/** A child process that appends `n` records (every third through recordRoute) once told to go. */
const APPENDER = `
const { SqliteStore } = await import(process.env.STORE_MODULE);
const store = new SqliteStore(process.env.STORE_FILE);
const n = Number(process.env.APPENDS), me = process.env.WHO;
process.stdout.write('ready\\n');
process.stdin.once('data', async () => {
  for (let i = 0; i < n; i++) {
    const rec = { at: new Date(Date.UTC(2026, 10, 1) + i).toISOString(), executionId: 'x-' + me, batchId: 'b-' + me,
      documentId: null, step: 'Classify', attempt: 1, event: 'entered' };
    if (i % 3 === 0) {
      const id = me + String(i).padStart(63, '0');
      await store.recordRoute({ documentId: id, outcome: 'pass', batchId: 'b-' + me, executionId: 'x-' + me, documentClass: null,
        confidence: null, reasons: [], location: 'sink://pass/' + id, routedAt: rec.at, version: 1, kind: 'pipeline', decidedAt: rec.at },
        { ...rec, documentId: id, step: 'Route', event: 'routed', outcome: 'pass' });
    } else {
      await store.append(rec);
    }
  }
  store.close();
  process.stdout.write('done\\n');
});
`;

const appender = (file: string, who: string, appends: number): ChildProcess =>
  spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', APPENDER], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      STORE_MODULE: path.join(REPO_ROOT, 'src/adapters/local/sqlite-store.ts'),
      STORE_FILE: file,
      APPENDS: String(appends),
      WHO: who,
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });

const nextLine = async (child: ChildProcess): Promise<string> => {
  if (!child.stdout) throw new Error('no stdout');
  const lines = createInterface({ input: child.stdout });
  const [line] = (await once(lines, 'line')) as [string];
  lines.close();
  child.stdout.resume();
  return line;
};

describe('SqliteStore audit chain: concurrent appends', () => {
  it('two handles in one process interleaving appends keep one chain', async () => {
    const file = newFile();
    const a = open(file);
    const b = open(file);
    await Promise.all([...Array(200).keys()].map((i) => (i % 2 ? a : b).append(record(i))));
    expect(a.verifyAuditChain()).toMatchObject({ ok: true, rows: 200, head: { seq: 200 } });
    expect(b.auditHead()).toEqual(a.auditHead());
  });

  it('two processes appending to one file at once keep one unbroken chain', async () => {
    const file = newFile();
    open(file).close(); // created and migrated once, so the children race on appends only
    const n = 600;
    const children = [appender(file, 'p', n), appender(file, 'q', n)];
    await Promise.all(children.map(async (c) => expect(await nextLine(c)).toBe('ready')));
    const exits = children.map((c) => once(c, 'exit'));
    for (const c of children) c.stdin?.end('go\n');
    const codes = (await Promise.all(exits)).map(([code]) => code as number | null);
    expect(codes).toEqual([0, 0]);

    const v = open(file).verifyAuditChain();
    expect(v).toMatchObject({ ok: true, rows: 2 * n, head: { seq: 2 * n } });
    const rows = rawRows(file);
    // Both writers' records are in it (interleaved or not, the chain is one).
    const db = new Database(file, { readonly: true });
    try {
      const byWriter = db
        .prepare<[], { execution_id: string; n: number }>('SELECT execution_id, COUNT(*) AS n FROM audit GROUP BY execution_id ORDER BY 1')
        .all();
      expect(byWriter).toEqual([
        { execution_id: 'x-p', n },
        { execution_id: 'x-q', n },
      ]);
    } finally {
      db.close();
    }
    expect(new Set(rows.map((r) => r.prev_hash)).size).toBe(rows.length);
  }, 120_000);
});
