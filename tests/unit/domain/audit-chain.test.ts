import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  auditRecordHash,
  canonicalAuditRecord,
  formatChainHead,
  GENESIS_HASH,
  parseChainHead,
  verifyAuditChain,
  type AuditChainFields,
  type AuditChainRow,
  type ChainHead,
  type ChainVerdict,
} from '../../../src/domain/audit-chain.js';

const fields = (seq: number, over: Partial<AuditChainFields> = {}): AuditChainFields => ({
  seq,
  at: `2026-11-01T09:00:${String(seq % 60).padStart(2, '0')}.000Z`,
  executionId: 'x-1',
  batchId: 'b-1',
  documentId: 'd'.repeat(64),
  step: 'Classify',
  attempt: 1,
  event: seq % 2 ? 'entered' : 'succeeded',
  durationMs: seq % 2 ? null : 12.5,
  outcome: null,
  errorName: null,
  reasonCodes: seq % 3 ? null : ['AMOUNT_ABOVE_APPROVAL_LIMIT'],
  note: null,
  ...over,
});

/** A correctly linked chain of seq 1..n. */
const chain = (n: number): AuditChainRow[] => {
  const rows: AuditChainRow[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const f = fields(seq);
    const hash = auditRecordHash(f, prev);
    rows.push({ ...f, prevHash: prev, hash });
    prev = hash;
  }
  return rows;
};

/** Re-links rows from index `from` on, as an attacker who knows the algorithm would. */
const relink = (rows: AuditChainRow[], from = 0): AuditChainRow[] => {
  const out = rows.slice(0, from);
  let prev = from === 0 ? GENESIS_HASH : (rows[from - 1]?.hash ?? GENESIS_HASH);
  for (const r of rows.slice(from)) {
    const hash = auditRecordHash(r, prev);
    out.push({ ...r, prevHash: prev, hash });
    prev = hash;
  }
  return out;
};

const headOf = (rows: readonly AuditChainRow[]): ChainHead => {
  const last = rows.at(-1);
  if (!last?.hash) throw new Error('empty chain');
  return { seq: last.seq, hash: last.hash };
};

const verify = (rows: readonly AuditChainRow[], recordedHead?: ChainHead | null, anchor?: ChainHead): ChainVerdict =>
  verifyAuditChain({ rows: () => rows, recordedHead, ...(anchor ? { anchor } : {}) });

const problemOf = (v: ChainVerdict) => {
  if (v.ok) throw new Error('expected a broken chain');
  return v.problem;
};

describe('audit chain: the canonical serialisation', () => {
  it('is a JSON array in a fixed order with every absent field as an explicit null, seq and the previous hash included', () => {
    const f = fields(2, { reasonCodes: ['A', 'B'], errorName: 'ThrottledError' });
    expect(canonicalAuditRecord(f, GENESIS_HASH)).toBe(
      JSON.stringify([
        'docroute.audit.v1',
        2,
        '2026-11-01T09:00:02.000Z',
        'x-1',
        'b-1',
        'd'.repeat(64),
        'Classify',
        1,
        'succeeded',
        12.5,
        null,
        'ThrottledError',
        ['A', 'B'],
        null,
        GENESIS_HASH,
      ]),
    );
    expect(auditRecordHash(f, GENESIS_HASH)).toBe(createHash('sha256').update(canonicalAuditRecord(f, GENESIS_HASH)).digest('hex'));
  });

  it('starts from a fixed genesis value', () => {
    expect(GENESIS_HASH).toBe('0'.repeat(64));
  });

  it('treats undefined like null, and distinguishes null from an empty list and from a moved value', () => {
    const base = fields(1);
    const withUndefined = { ...base, note: undefined } as unknown as AuditChainFields;
    expect(auditRecordHash(withUndefined, GENESIS_HASH)).toBe(auditRecordHash(base, GENESIS_HASH));
    expect(auditRecordHash({ ...base, reasonCodes: [] }, GENESIS_HASH)).not.toBe(auditRecordHash(base, GENESIS_HASH));
    expect(auditRecordHash({ ...base, errorName: 'X', note: null }, GENESIS_HASH)).not.toBe(
      auditRecordHash({ ...base, errorName: null, note: 'X' }, GENESIS_HASH),
    );
  });

  it('changes with the seq, the previous hash and every field', () => {
    const base = fields(5);
    const h = auditRecordHash(base, GENESIS_HASH);
    expect(auditRecordHash({ ...base, seq: 6 }, GENESIS_HASH)).not.toBe(h);
    expect(auditRecordHash(base, 'f'.repeat(64))).not.toBe(h);
    const changes: Partial<AuditChainFields>[] = [
      { at: '2027-01-01T00:00:00.000Z' },
      { executionId: 'x-2' },
      { batchId: 'b-2' },
      { documentId: null },
      { step: 'Route' },
      { attempt: 2 },
      { event: 'failed' },
      { durationMs: 1 },
      { outcome: 'pass' },
      { errorName: 'ThrottledError' },
      { reasonCodes: ['X'] },
      { note: 'from checkpoint' },
    ];
    for (const c of changes) expect(auditRecordHash({ ...base, ...c }, GENESIS_HASH), JSON.stringify(c)).not.toBe(h);
  });

  it('parses and formats an anchor as <seq>:<hash>', () => {
    const h = { seq: 42, hash: 'a'.repeat(64) };
    expect(parseChainHead(formatChainHead(h))).toEqual(h);
    expect(parseChainHead(` 42:${'A'.repeat(64)} `)).toEqual(h);
    expect(parseChainHead('42')).toBeNull();
    expect(parseChainHead(`x:${'a'.repeat(64)}`)).toBeNull();
    expect(parseChainHead(`42:${'a'.repeat(63)}`)).toBeNull();
  });
});

describe('audit chain: verify', () => {
  it('accepts an intact chain and reports its length and head', () => {
    const rows = chain(20);
    expect(verify(rows, headOf(rows), { seq: 7, hash: rows[6]?.hash ?? '' })).toEqual({ ok: true, rows: 20, head: headOf(rows) });
    expect(verify([], null)).toEqual({ ok: true, rows: 0, head: null });
    expect(verify([], undefined)).toEqual({ ok: true, rows: 0, head: null });
  });

  it('edited: a field changed, the hash left alone', () => {
    const rows = chain(10);
    const bad = rows.map((r) => (r.seq === 4 ? { ...r, outcome: 'pass' } : r));
    expect(problemOf(verify(bad, headOf(rows)))).toMatchObject({ kind: 'edited', seq: 4, event: 'succeeded' });
  });

  it('edited: a record rewritten with a recomputed hash, its successor still naming the old one', () => {
    const rows = chain(10);
    const bad = rows.map((r) =>
      r.seq === 4 ? { ...r, outcome: 'pass' as const, hash: auditRecordHash({ ...r, outcome: 'pass' }, r.prevHash ?? '') } : r,
    );
    expect(problemOf(verify(bad, headOf(rows)))).toMatchObject({ kind: 'edited', seq: 4 });
  });

  it('edited: an unchained record (no hashes) in place of a chained one', () => {
    const rows = chain(6);
    const bad = rows.map((r) => (r.seq === 3 ? { ...r, prevHash: null, hash: null } : r));
    expect(problemOf(verify(bad, headOf(rows)))).toMatchObject({ kind: 'edited', seq: 3 });
  });

  it('deleted: a gap, named at the record after it', () => {
    const rows = chain(10);
    const bad = rows.filter((r) => r.seq !== 5);
    const p = problemOf(verify(bad, headOf(rows)));
    expect(p).toMatchObject({ kind: 'deleted', seq: 6 });
    expect(p.detail).toContain('seq 5..5 missing');
  });

  it('deleted: the first record', () => {
    const rows = chain(5);
    expect(problemOf(verify(rows.slice(1), headOf(rows)))).toMatchObject({ kind: 'deleted', seq: 2 });
  });

  it('deleted: a record removed and the later ones renumbered down', () => {
    const rows = chain(10);
    const bad = rows.filter((r) => r.seq !== 5).map((r) => (r.seq > 5 ? { ...r, seq: r.seq - 1 } : r));
    expect(problemOf(verify(bad))).toMatchObject({ kind: 'deleted', seq: 5 });
  });

  it('deleted: a record removed and the rest re-linked leaves the seq gap', () => {
    const rows = chain(10);
    const bad = relink(
      rows.filter((r) => r.seq !== 5),
      4,
    );
    expect(problemOf(verify(bad))).toMatchObject({ kind: 'deleted', seq: 6 });
  });

  it('inserted: a forged record that links correctly, with the records after it renumbered up', () => {
    const rows = chain(10);
    const forged = { ...fields(5, { event: 'routed', outcome: 'pass' }) };
    const hash = auditRecordHash(forged, rows[3]?.hash ?? '');
    const bad = [
      ...rows.slice(0, 4),
      { ...forged, prevHash: rows[3]?.hash ?? '', hash },
      ...rows.slice(4).map((r) => ({ ...r, seq: r.seq + 1 })),
    ];
    const v = verify(bad);
    expect(problemOf(v)).toMatchObject({ kind: 'inserted', seq: 5, event: 'routed' });
    // The good part ends before the forged record.
    expect(v.rows).toBe(4);
    expect(v.head).toEqual(headOf(rows.slice(0, 4)));
  });

  it('inserted: a record the chain skips over (seq before the first)', () => {
    const rows = chain(5);
    const stray: AuditChainRow = { ...fields(0), prevHash: GENESIS_HASH, hash: 'e'.repeat(64) };
    expect(problemOf(verify([stray, ...rows], headOf(rows)))).toMatchObject({ kind: 'inserted', seq: 0 });
  });

  it('inserted: a record beyond the head the store recorded, even when it links', () => {
    const rows = chain(8);
    const head = headOf(rows);
    const extra = relink([...rows, { ...fields(9), prevHash: null, hash: null }], 8);
    expect(problemOf(verify(extra, head))).toMatchObject({ kind: 'inserted', seq: 9 });
  });

  it('reordered: two adjacent records swapped (seq kept in place)', () => {
    const rows = chain(10);
    const a = rows[3];
    const b = rows[4];
    if (!a || !b) throw new Error('short chain');
    const bad = [...rows.slice(0, 3), { ...b, seq: 4 }, { ...a, seq: 5 }, ...rows.slice(5)];
    const p = problemOf(verify(bad, headOf(rows)));
    expect(p).toMatchObject({ kind: 'reordered', seq: 4 });
    expect(p.detail).toContain('seq 5');
  });

  it('reordered: two distant records swapped', () => {
    const rows = chain(30);
    const a = rows[4];
    const b = rows[19];
    if (!a || !b) throw new Error('short chain');
    const bad = rows.map((r) => (r.seq === 5 ? { ...b, seq: 5 } : r.seq === 20 ? { ...a, seq: 20 } : r));
    expect(problemOf(verify(bad, headOf(rows)))).toMatchObject({ kind: 'reordered', seq: 5 });
  });

  it('truncated: the chain ends before the recorded head, or the anchor', () => {
    const rows = chain(10);
    const cut = rows.slice(0, 7);
    const p = problemOf(verify(cut, headOf(rows)));
    expect(p).toMatchObject({ kind: 'truncated', seq: 8, at: null, event: null });
    expect(p.detail).toContain('seq 8..10 missing');
    // The head fixed up as well: only the anchor recorded elsewhere tells.
    expect(verify(cut, headOf(cut)).ok).toBe(true);
    expect(problemOf(verify(cut, headOf(cut), headOf(rows)))).toMatchObject({ kind: 'truncated', seq: 8 });
  });

  it('truncated: the head record is gone while records remain', () => {
    expect(problemOf(verify(chain(3), null))).toMatchObject({ kind: 'truncated', seq: 4 });
  });

  it('rewritten: a consistent chain recomputed after an edit is caught by the anchor only', () => {
    const rows = chain(10);
    const anchor = { seq: 6, hash: rows[5]?.hash ?? '' };
    const forged = relink(
      rows.map((r) => (r.seq === 3 ? { ...r, outcome: 'pass' } : r)),
      2,
    );
    expect(verify(forged, headOf(forged)).ok).toBe(true);
    const p = problemOf(verify(forged, headOf(forged), anchor));
    expect(p).toMatchObject({ kind: 'rewritten', seq: 6 });
  });

  it('names the first bad record when there are several, and counts the good ones before it', () => {
    const rows = chain(12);
    const bad = rows.map((r) => (r.seq === 3 || r.seq === 9 ? { ...r, note: 'changed' } : r)).filter((r) => r.seq !== 11);
    const v = verify(bad, headOf(rows));
    expect(problemOf(v)).toMatchObject({ kind: 'edited', seq: 3 });
    expect(v.rows).toBe(2);
    expect(v.head).toEqual({ seq: 2, hash: rows[1]?.hash });
  });

  it('streams: one pass for an intact chain, at most two to explain a break', () => {
    const rows = chain(50);
    let passes = 0;
    const counted = (data: readonly AuditChainRow[]) => () => {
      passes += 1;
      return data;
    };
    verifyAuditChain({ rows: counted(rows), recordedHead: headOf(rows) });
    expect(passes).toBe(1);
    passes = 0;
    verifyAuditChain({ rows: counted(rows.filter((r) => r.seq !== 20)), recordedHead: headOf(rows) });
    expect(passes).toBeLessThanOrEqual(2);
  });
});
