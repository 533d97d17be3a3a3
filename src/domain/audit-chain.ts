import { createHash } from 'node:crypto';

/**
 * The audit trail's hash chain: every record carries the hash of the record before it, so an
 * edit, a deletion, an insertion or a reordering of stored records shows as a break when the
 * chain is walked again. Pure: the stores compute and keep the hashes, `verifyAuditChain` walks
 * what they stored.
 *
 * What it can and cannot tell: the chain makes tampering *evident*, not impossible. Anyone who
 * can write the store can also recompute every hash after a change (or cut the tail and the head
 * record with it); only a head recorded somewhere else (an `--anchor seq:hash` from an earlier
 * verify or export) catches that. The chain never carries document content: the audit has none.
 */

/** The previous hash of the first record: 64 zeros (fixed, so every store's chain starts alike). */
export const GENESIS_HASH = '0'.repeat(64);

/** Bumped if the serialisation ever changes; part of every hash, so versions never collide. */
const CANONICAL_TAG = 'docroute.audit.v1';

/** One audit record as it is chained: every optional field explicit (null when absent). */
export interface AuditChainFields {
  readonly seq: number;
  readonly at: string;
  readonly executionId: string;
  readonly batchId: string;
  readonly documentId: string | null;
  readonly step: string;
  readonly attempt: number;
  readonly event: string;
  readonly durationMs: number | null;
  readonly outcome: string | null;
  readonly errorName: string | null;
  readonly reasonCodes: readonly string[] | null;
  readonly note: string | null;
}

/** A record's chained fields: optional ones made explicit, as every store hashes them. */
export const chainFieldsOf = (
  r: {
    readonly at: string;
    readonly executionId: string;
    readonly batchId: string;
    readonly documentId: string | null;
    readonly step: string;
    readonly attempt: number;
    readonly event: string;
    readonly durationMs?: number | undefined;
    readonly outcome?: string | undefined;
    readonly errorName?: string | undefined;
    readonly reasonCodes?: readonly string[] | undefined;
    readonly note?: string | undefined;
  },
  seq: number,
): AuditChainFields => ({
  seq,
  at: r.at,
  executionId: r.executionId,
  batchId: r.batchId,
  documentId: r.documentId,
  step: r.step,
  attempt: r.attempt,
  event: r.event,
  durationMs: r.durationMs ?? null,
  outcome: r.outcome ?? null,
  errorName: r.errorName ?? null,
  reasonCodes: r.reasonCodes ?? null,
  note: r.note ?? null,
});

/** A stored record with its links. null hashes: a record the store never chained (written around it). */
export interface AuditChainRow extends AuditChainFields {
  readonly prevHash: string | null;
  readonly hash: string | null;
}

export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/**
 * The canonical serialisation: a JSON array in a fixed field order, absent fields as null (never
 * left out, so "absent" and "moved to another field" cannot hash alike), seq and the previous
 * hash included (so a record cannot be moved or re-linked without its hash changing).
 */
export const canonicalAuditRecord = (r: AuditChainFields, prevHash: string): string =>
  JSON.stringify([
    CANONICAL_TAG,
    r.seq,
    r.at,
    r.executionId,
    r.batchId,
    r.documentId ?? null,
    r.step,
    r.attempt,
    r.event,
    r.durationMs ?? null,
    r.outcome ?? null,
    r.errorName ?? null,
    r.reasonCodes ? [...r.reasonCodes] : null,
    r.note ?? null,
    prevHash,
  ]);

/** SHA-256 (hex) of the canonical serialisation. */
export const auditRecordHash = (r: AuditChainFields, prevHash: string): string =>
  createHash('sha256').update(canonicalAuditRecord(r, prevHash)).digest('hex');

/** Parses `<seq>:<64 hex>` (an anchor recorded elsewhere); null when it is not one. */
export const parseChainHead = (s: string): ChainHead | null => {
  const m = /^(\d{1,15}):([0-9a-f]{64})$/i.exec(s.trim());
  if (!m?.[1] || !m[2]) return null;
  return { seq: Number(m[1]), hash: m[2].toLowerCase() };
};

export const formatChainHead = (h: ChainHead): string => `${h.seq}:${h.hash}`;

/**
 * - edited: a record's content no longer matches its hash (or its successor still names the
 *   hash it had before it was rewritten);
 * - deleted: records are missing (a gap in seq, or a previous hash that names no stored record);
 * - inserted: a record that the chain around it skips, or one beyond the head the store recorded;
 * - reordered: an authentic record at the wrong position;
 * - truncated: the chain ends before the recorded head (or the anchor), or the head record is gone;
 * - rewritten: the chain is consistent but a record's hash differs from the head or anchor
 *   recorded when it was appended (the chain was recomputed after a change).
 */
export type TamperKind = 'edited' | 'deleted' | 'inserted' | 'reordered' | 'truncated' | 'rewritten';

export interface ChainProblem {
  readonly kind: TamperKind;
  /** The first bad record (for `deleted`/`truncated`: the first missing seq when no record is left to name). */
  readonly seq: number;
  /** The named record's time and event; null when it is missing. */
  readonly at: string | null;
  readonly event: string | null;
  /** Ids and seqs only: never record content beyond its event. */
  readonly detail: string;
}

export type ChainVerdict =
  | { readonly ok: true; readonly rows: number; readonly head: ChainHead | null }
  | { readonly ok: false; readonly rows: number; readonly head: ChainHead | null; readonly problem: ChainProblem };

export interface ChainSource {
  /** The records in seq order; called again (a second streaming pass) only to explain a break. */
  readonly rows: () => Iterable<AuditChainRow>;
  /**
   * The head the store recorded with its last append: undefined when the store keeps none, null
   * when it should have one and it is missing.
   */
  readonly recordedHead?: ChainHead | null | undefined;
  /** A head recorded elsewhere (an earlier verify or export). */
  readonly anchor?: ChainHead | undefined;
}

/** How far from its seq an authentic record is looked for when it sits at the wrong one. */
const REORDER_WINDOW = 10_000;

const contentOk = (r: AuditChainRow): boolean => r.hash !== null && r.prevHash !== null && auditRecordHash(r, r.prevHash) === r.hash;

/** The seq at which the record's content would be authentic, if another one near it. */
const authenticSeq = (r: AuditChainRow): number | null => {
  if (r.hash === null || r.prevHash === null) return null;
  for (let d = 1; d <= REORDER_WINDOW; d++) {
    for (const s of [r.seq + d, r.seq - d]) {
      if (s >= 1 && auditRecordHash({ ...r, seq: s }, r.prevHash) === r.hash) return s;
    }
  }
  return null;
};

const named = (r: AuditChainRow, kind: TamperKind, detail: string): ChainProblem => ({
  kind,
  seq: r.seq,
  at: r.at,
  event: r.event,
  detail,
});

const short = (h: string | null): string => (h === null ? 'none' : h.slice(0, 12));

/**
 * Explains the first break. `r` failed; `p` is the record before it (null at the start), `next`
 * the record after it. May stream the rows once more to look a hash up.
 */
const classify = (r: AuditChainRow, p: AuditChainRow | null, next: AuditChainRow | null, source: ChainSource): ChainProblem => {
  const expectedSeq = p ? p.seq + 1 : 1;
  const expectedPrev = p ? (p.hash ?? '') : GENESIS_HASH;
  const storedSeqOf = (hash: string): number | null => {
    for (const x of source.rows()) if (x.hash === hash && x.seq !== r.seq) return x.seq;
    return null;
  };

  const ok = contentOk(r);
  const movedTo = ok ? null : authenticSeq(r);
  // The chain goes on past r as if it were not there: r was put in (the records after it
  // possibly renumbered to make room, so authentic at another seq). An r that is itself an
  // authentic record of another seq was moved, not put in (a swap): see below.
  if (next && movedTo === null && next.prevHash === expectedPrev && (contentOk(next) || authenticSeq(next) !== null)) {
    return named(
      r,
      'inserted',
      `the next record (seq ${next.seq}) links to ${p ? `seq ${p.seq}` : 'the start of the chain'}, skipping this one`,
    );
  }
  // r is authentic and links past p to p's predecessor: p was put in.
  if (p && (ok || movedTo !== null) && r.prevHash !== null && r.prevHash === p.prevHash) {
    return named(p, 'inserted', `the next record (seq ${r.seq}) links past it to the record before it`);
  }
  if (!ok) {
    if (movedTo === null) return named(r, 'edited', 'its content no longer matches its hash');
    if (movedTo > r.seq && r.prevHash !== null && storedSeqOf(r.prevHash) === null) {
      return named(r, 'deleted', `it was recorded as seq ${movedTo}: records before it were removed and the rest renumbered`);
    }
    return named(r, 'reordered', `an authentic record of seq ${movedTo} stored at seq ${r.seq}`);
  }
  if (r.prevHash === expectedPrev) {
    // Content and link hold, the seq does not.
    if (r.seq > expectedSeq) return named(r, 'deleted', `seq ${expectedSeq}..${r.seq - 1} missing before it`);
    return named(r, 'inserted', `seq ${r.seq} where ${expectedSeq} was expected`);
  }
  const linked = r.prevHash === null ? null : storedSeqOf(r.prevHash);
  if (linked !== null)
    return named(r, 'reordered', `it follows seq ${linked} in the chain but is stored after ${p ? `seq ${p.seq}` : 'the start'}`);
  if (r.seq > expectedSeq) return named(r, 'deleted', `seq ${expectedSeq}..${r.seq - 1} missing before it`);
  if (p)
    return named(
      p,
      'edited',
      `rewritten with a new hash: the next record (seq ${r.seq}) names ${short(r.prevHash)}, it has ${short(p.hash)}`,
    );
  return named(r, 'deleted', `it links to ${short(r.prevHash)}, a record that is not stored`);
};

/**
 * Walks the chain once, in constant memory (the current record and the two before it), and stops
 * at the first break, which it explains (a second pass at most, only then). Also checks the
 * recorded head and the anchor: a record at their seq must carry their hash, and the chain must
 * reach them.
 */
export const verifyAuditChain = (source: ChainSource): ChainVerdict => {
  let p: AuditChainRow | null = null;
  let pp: AuditChainRow | null = null;
  let failed: AuditChainRow | null = null;
  let failedPrev: AuditChainRow | null = null;
  let rows = 0;
  const marks = [
    ...(source.recordedHead ? [{ head: source.recordedHead, what: 'the head recorded with the last append' }] : []),
    ...(source.anchor ? [{ head: source.anchor, what: 'the anchor' }] : []),
  ];
  const recordedSeq = source.recordedHead?.seq;
  let next: AuditChainRow | null = null;
  for (const r of source.rows()) {
    if (failed) {
      // One record of lookahead, then the walk ends (closing the stream before any second pass).
      next = r;
      break;
    }
    const expectedSeq = p ? p.seq + 1 : 1;
    const expectedPrev = p ? p.hash : GENESIS_HASH;
    if (!contentOk(r) || r.prevHash !== expectedPrev || r.seq !== expectedSeq) {
      failed = r;
      failedPrev = p;
      continue;
    }
    for (const m of marks) {
      if (m.head.seq === r.seq && m.head.hash !== r.hash) {
        return {
          ok: false,
          rows,
          head: p ? headOf(p) : null,
          problem: named(
            r,
            'rewritten',
            `its hash ${short(r.hash)} differs from ${m.what} (${short(m.head.hash)}): the chain was recomputed at or before it`,
          ),
        };
      }
    }
    if (recordedSeq !== undefined && r.seq > recordedSeq) {
      return {
        ok: false,
        rows,
        head: p ? headOf(p) : null,
        problem: named(r, 'inserted', `beyond the head recorded with the last append (seq ${recordedSeq}): not appended by the store`),
      };
    }
    rows += 1;
    pp = p;
    p = r;
  }
  if (failed) {
    const problem = classify(failed, failedPrev, next, source);
    // The record before the break was the bad one (put in): the good part ends before it.
    const good = p && problem.seq === p.seq ? { rows: rows - 1, last: pp } : { rows, last: p };
    return { ok: false, rows: good.rows, head: good.last ? headOf(good.last) : null, problem };
  }
  const last = p ? p.seq : 0;
  const head = p ? headOf(p) : null;
  for (const m of marks) {
    if (m.head.seq > last) {
      return {
        ok: false,
        rows,
        head,
        problem: {
          kind: 'truncated',
          seq: last + 1,
          at: null,
          event: null,
          detail: `the chain ends at seq ${last}; ${m.what} is seq ${m.head.seq}: seq ${last + 1}..${m.head.seq} missing`,
        },
      };
    }
  }
  if (source.recordedHead === null && rows > 0) {
    return {
      ok: false,
      rows,
      head,
      problem: { kind: 'truncated', seq: last + 1, at: null, event: null, detail: 'the head recorded with the last append is missing' },
    };
  }
  return { ok: true, rows, head };
};

const headOf = (r: AuditChainRow): ChainHead => ({ seq: r.seq, hash: r.hash ?? '' });
