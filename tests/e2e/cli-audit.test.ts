import { cpSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/entrypoints/cli/exit-codes.js';
import { assertBuilt, cli } from '../helpers/cli.js';
import { tempDir, writeInvoices } from '../helpers/docs.js';

/**
 * `docroute audit verify` and `docroute audit export` through the built CLI, on the audit trail of
 * a real `docroute run`. Tampering is done as an attacker with the file would: the append-only
 * triggers dropped, then raw SQL. Every kind exits 9 and names the first bad row.
 */

interface VerifyJson {
  ok: boolean;
  rows: number;
  head: { seq: number; hash: string } | null;
  anchor: string | null;
  problem?: { kind: string; seq: number; at: string | null; event: string | null; detail: string };
}

const EXPORT_FIELDS = [
  'seq',
  'at',
  'executionId',
  'batchId',
  'documentId',
  'step',
  'attempt',
  'event',
  'outcome',
  'errorName',
  'reasonCodes',
  'durationMs',
  'note',
  'prevHash',
  'hash',
];

describe('docroute audit', () => {
  const work = tempDir('cli-audit');
  const base = path.join(work, 'base');
  let copies = 0;
  let total = 0;

  /** A private copy of the routed data directory. */
  const copy = (): string => {
    copies += 1;
    const dir = path.join(work, `copy-${copies}`);
    cpSync(base, dir, { recursive: true });
    return dir;
  };
  const db = (dir: string): Database.Database => new Database(path.join(dir, 'docroute.db'));
  const tamper = (dir: string, sql: string, params: unknown[] = []): void => {
    const raw = db(dir);
    try {
      raw.exec('DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;');
      raw.prepare(sql).run(...params);
    } finally {
      raw.close();
    }
  };
  const rowAt = (dir: string, seq: number): { at: string; event: string; hash: string } => {
    const raw = db(dir);
    try {
      const r = raw
        .prepare<[number], { at: string; event: string; hash: string }>('SELECT at, event, hash FROM audit WHERE seq = ?')
        .get(seq);
      if (!r) throw new Error(`no row ${seq}`);
      return r;
    } finally {
      raw.close();
    }
  };
  const verify = (dir: string, ...extra: string[]) => cli(['audit', 'verify', '--data-dir', dir, ...extra]);
  const verifyJson = (dir: string, ...extra: string[]): { code: number | null; v: VerifyJson } => {
    const r = verify(dir, '--json', ...extra);
    return { code: r.code, v: JSON.parse(r.stdout) as VerifyJson };
  };

  beforeAll(async () => {
    assertBuilt();
    const inbox = path.join(work, 'inbox');
    await writeInvoices(inbox, 3);
    const r = cli(['run', inbox, '--data-dir', base, '--json']);
    expect(r.code, r.stderr).toBe(EXIT.OK);
    const raw = db(base);
    try {
      total = raw.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM audit').get()?.n ?? 0;
    } finally {
      raw.close();
    }
    expect(total).toBeGreaterThan(10);
  }, 120_000);

  it('verifies the trail of a run: OK, the row count, and the head to keep as an anchor', () => {
    const dir = copy();
    const text = verify(dir);
    expect(text.code, text.stderr).toBe(EXIT.OK);
    expect(text.stdout).toContain(`OK  audit chain intact: ${total} records, head seq ${total}`);
    const head = rowAt(dir, total);
    expect(text.stdout).toContain(`anchor ${total}:${head.hash}`);
    const { code, v } = verifyJson(dir, '--anchor', `${total}:${head.hash}`);
    expect(code).toBe(EXIT.OK);
    expect(v).toMatchObject({ ok: true, rows: total, head: { seq: total, hash: head.hash }, anchor: `${total}:${head.hash}` });
  });

  it('edited: names the row whose content was changed, exit 9', () => {
    const dir = copy();
    const victim = rowAt(dir, 4);
    tamper(dir, "UPDATE audit SET note = 'nothing to see' WHERE seq = 4");
    const text = verify(dir);
    expect(text.code).toBe(EXIT.TAMPERED);
    expect(text.stdout).toContain(`TAMPERED  edited at seq 4 (${victim.at}, ${victim.event})`);
    const { code, v } = verifyJson(dir);
    expect(code).toBe(EXIT.TAMPERED);
    expect(v.problem).toMatchObject({ kind: 'edited', seq: 4, at: victim.at, event: victim.event });
    expect(v.rows).toBe(3);
  });

  it('deleted: names the row after the gap', () => {
    const dir = copy();
    const after = rowAt(dir, 6);
    tamper(dir, 'DELETE FROM audit WHERE seq = 5');
    const { code, v } = verifyJson(dir);
    expect(code).toBe(EXIT.TAMPERED);
    expect(v.problem).toMatchObject({ kind: 'deleted', seq: 6, at: after.at, event: after.event });
  });

  it('inserted: a row slipped in, the later rows renumbered to make room', () => {
    const dir = copy();
    const raw = db(dir);
    try {
      raw.exec('DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;');
      raw.exec(`UPDATE audit SET seq = seq + 100000 WHERE seq >= 3; UPDATE audit SET seq = seq - 99999 WHERE seq >= 100003;`);
      raw
        .prepare(
          `INSERT INTO audit (seq, at, execution_id, batch_id, document_id, step, attempt, event, outcome, prev_hash, hash)
           SELECT 3, at, execution_id, batch_id, document_id, 'Route', 1, 'routed', 'pass', hash, hash FROM audit WHERE seq = 2`,
        )
        .run();
    } finally {
      raw.close();
    }
    const { code, v } = verifyJson(dir);
    expect(code).toBe(EXIT.TAMPERED);
    expect(v.problem).toMatchObject({ kind: 'inserted', seq: 3, event: 'routed' });
  });

  it('reordered: two rows swapped', () => {
    const dir = copy();
    const second = rowAt(dir, 7);
    const raw = db(dir);
    try {
      raw.exec('DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;');
      raw.exec('UPDATE audit SET seq = -1 WHERE seq = 6; UPDATE audit SET seq = 6 WHERE seq = 7; UPDATE audit SET seq = 7 WHERE seq = -1;');
    } finally {
      raw.close();
    }
    const { code, v } = verifyJson(dir);
    expect(code).toBe(EXIT.TAMPERED);
    expect(v.problem).toMatchObject({ kind: 'reordered', seq: 6, at: second.at, event: second.event });
  });

  it('truncated: the tail cut off; with the head fixed up too, only the anchor catches it', () => {
    const dir = copy();
    const anchor = `${total}:${rowAt(dir, total).hash}`;
    tamper(dir, 'DELETE FROM audit WHERE seq > ?', [total - 3]);
    const cut = verifyJson(dir);
    expect(cut.code).toBe(EXIT.TAMPERED);
    expect(cut.v.problem).toMatchObject({ kind: 'truncated', seq: total - 2, at: null, event: null });

    const newHead = rowAt(dir, total - 3);
    tamper(dir, "UPDATE meta SET value = ? WHERE key = 'audit_head'", [`${total - 3}:${newHead.hash}`]);
    expect(verify(dir).code).toBe(EXIT.OK);
    const anchored = verifyJson(dir, '--anchor', anchor);
    expect(anchored.code).toBe(EXIT.TAMPERED);
    expect(anchored.v.problem).toMatchObject({ kind: 'truncated', seq: total - 2 });
  });

  it('export: JSON Lines with stable fields, filtered by --since/--until, to stdout or atomically to a file, without document content', () => {
    const dir = copy();
    const all = cli(['audit', 'export', '--since', '1h', '--data-dir', dir]);
    expect(all.code, all.stderr).toBe(EXIT.OK);
    const lines = all.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(total);
    const rows = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const r of rows) expect(Object.keys(r)).toEqual(EXPORT_FIELDS);
    expect(rows.map((r) => r['seq'])).toEqual([...Array(total).keys()].map((i) => i + 1));
    for (let i = 1; i < rows.length; i++) expect(rows[i]?.['prevHash']).toBe(rows[i - 1]?.['hash']);
    // Nothing of the invoices' text (supplier, IBAN, amounts) leaves with the audit.
    expect(all.stdout).not.toMatch(/Acme|DE89|EUR|Example Bank/);

    // A window in the middle: [since, until).
    const ats = rows.map((r) => String(r['at'])).sort();
    const from = ats[Math.floor(ats.length / 3)] ?? '';
    const to = ats[Math.floor((2 * ats.length) / 3)] ?? '';
    const some = cli(['audit', 'export', '--since', from, '--until', to, '--output', path.join(dir, 'audit.jsonl'), '--data-dir', dir]);
    expect(some.code, some.stderr).toBe(EXIT.OK);
    const written = readFileSync(path.join(dir, 'audit.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { at: string });
    const expected = rows.filter((r) => String(r['at']) >= from && String(r['at']) < to);
    expect(written).toEqual(expected);
    expect(written.length).toBeGreaterThan(0);
    expect(written.length).toBeLessThan(total);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    // Far in the future: nothing, still valid (empty) output.
    const none = cli(['audit', 'export', '--since', '2999-01-01', '--data-dir', dir]);
    expect(none.code).toBe(EXIT.OK);
    expect(none.stdout).toBe('');
  });

  it('usage errors and missing data have their exit codes', () => {
    const dir = copy();
    expect(cli(['audit', 'export', '--since', 'yesterday', '--data-dir', dir]).code).toBe(EXIT.USAGE);
    expect(cli(['audit', 'verify', '--anchor', '12', '--data-dir', dir]).code).toBe(EXIT.USAGE);
    expect(cli(['audit', 'verify', '--data-dir', path.join(work, 'nothing-here')]).code).toBe(EXIT.NOT_FOUND);
  });
});
