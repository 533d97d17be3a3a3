import Database from 'better-sqlite3';
import type { FinalOutcome, Outcome, Reason } from '../../domain/document.js';
import { DependencyUnavailableError } from '../../domain/errors.js';

/**
 * Read-only queries over the embedded store (`<dataDir>/docroute.db`) for the server's lists and
 * the console dashboard's aggregates (counts by route and class, documents first seen per day).
 *
 * A connection of its own, opened read-only: a slow list never holds the writer's connection, and
 * nothing here can change the store. The tables are SqliteStore's (sqlite-store.ts); this file only
 * reads them, at the schema version that store migrates to (2).
 *
 * Pagination is keyset, never OFFSET: documents come newest first in the order they were first
 * seen (the `documents` rowid: rows are only ever inserted, never deleted or rewritten, so it grows
 * with every new document). A page ends at a rowid and the next page starts strictly below it, so a
 * document that arrives mid-walk lands before the first page and never shifts, repeats or hides
 * the documents of later pages. Batches are keyed the same way on (created_at, rowid).
 */

export type DocumentState = 'routed' | 'failed' | 'in-progress' | 'received';

export interface DocumentFilter {
  /** The current route, or `failed` for documents that failed and were not routed. */
  readonly route?: Outcome | 'failed';
  readonly documentClass?: string;
  readonly status?: DocumentState;
  /** Documents that were part of this batch (including as duplicates). */
  readonly batchId?: string;
  /** ISO instants, `from` inclusive and `to` exclusive, on the time named by `dateOn`. */
  readonly from?: string;
  readonly to?: string;
  /** `firstSeen`: when the document first arrived; `decided`: its current decision (undecided ones drop out). */
  readonly dateOn?: 'firstSeen' | 'decided';
  /** A lowercase hex id prefix, or a substring of the name (case-insensitive for ASCII). */
  readonly q?: string;
}

export interface DocumentRow {
  /** The keyset position: opaque to callers beyond passing it back as `after`. */
  readonly seq: number;
  readonly documentId: string;
  readonly name: string;
  readonly firstSeenAt: string | null;
  readonly firstSeenBatch: string;
  readonly status: DocumentState;
  readonly route: FinalOutcome | null;
  readonly documentClass: string | null;
  readonly confidence: number | null;
  readonly decidedAt: string | null;
  readonly decision: { readonly version: number; readonly kind: string } | null;
  readonly reasonCodes: readonly string[];
}

export interface BatchRow {
  readonly seq: number;
  readonly batchId: string;
  readonly status: string;
  readonly source: string;
  readonly createdAt: string;
  readonly completedAt: string | null;
  readonly received: number;
  readonly counts: {
    readonly pass: number;
    readonly hold: number;
    readonly reject: number;
    readonly failed: number;
    readonly pending: number;
    readonly duplicates: number;
  };
  /** reason code → count, from the batch's summary (absent while running or when it failed). */
  readonly reasons: Readonly<Record<string, number>> | null;
}

/** Documents by current route, for the dashboard. */
export interface RouteCounts {
  readonly pass: number;
  readonly hold: number;
  readonly reject: number;
  /** Documents that failed and were not routed. */
  readonly failed: number;
  /** Received and not routed or failed yet. */
  readonly pending: number;
  readonly total: number;
}

export interface ClassCounts {
  /** null: routed without a class (an unreadable document rejected before classification). */
  readonly documentClass: string | null;
  readonly pass: number;
  readonly hold: number;
  readonly reject: number;
}

/** The same rule as `documentStatus` (cli/inspect.ts): routed, else failed, else in progress, else received. */
const STATE = `CASE
  WHEN r.document_id IS NOT NULL THEN 'routed'
  WHEN EXISTS (SELECT 1 FROM batch_documents f WHERE f.document_id = d.document_id AND f.outcome = 'failed') THEN 'failed'
  WHEN EXISTS (SELECT 1 FROM audit a WHERE a.document_id = d.document_id AND a.event = 'entered') THEN 'in-progress'
  ELSE 'received' END`;

interface RawDocumentRow {
  seq: number;
  document_id: string;
  name: string;
  first_seen_batch: string;
  seen_at: string | null;
  outcome: Outcome | null;
  document_class: string | null;
  confidence: number | null;
  reasons: string | null;
  version: number | null;
  kind: string | null;
  decided_at: string | null;
  state: DocumentState;
}

interface RawBatchRow {
  seq: number;
  batch_id: string;
  status: string;
  source: string;
  created_at: string;
  completed_at: string | null;
  received: number;
  summary: string | null;
  pass: number;
  hold: number;
  reject: number;
  failed: number;
  pending: number;
  duplicates: number;
}

/** `%` and `_` match literally in a LIKE pattern with ESCAPE '\'. */
const likeEscape = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

const reasonCodesOf = (json: string | null): string[] => {
  if (!json) return [];
  try {
    const reasons = JSON.parse(json) as Reason[];
    return Array.isArray(reasons) ? reasons.map((r) => r.code) : [];
  } catch {
    return [];
  }
};

const reasonsOfSummary = (json: string | null): Record<string, number> | null => {
  if (!json) return null;
  try {
    const summary = JSON.parse(json) as { reasons?: unknown };
    const reasons = summary.reasons;
    if (typeof reasons !== 'object' || reasons === null || Array.isArray(reasons)) return null;
    return Object.fromEntries(Object.entries(reasons).filter((e): e is [string, number] => typeof e[1] === 'number'));
  } catch {
    return null;
  }
};

export class SqliteQueries {
  private readonly db: Database.Database;
  /** Statements by SQL text: a filter combination is compiled once. */
  private readonly statements = new Map<string, Database.Statement>();

  constructor(file: string) {
    try {
      this.db = new Database(file, { readonly: true, fileMustExist: true });
      this.db.pragma('busy_timeout = 5000');
    } catch (err) {
      throw new DependencyUnavailableError(`cannot open the SQLite store for reading (${(err as { code?: string }).code ?? 'error'})`);
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private statement(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  /** Up to `limit` documents after the keyset position `after` (null: from the newest), newest first. */
  listDocuments(filter: DocumentFilter, after: number | null, limit: number): DocumentRow[] {
    return this.documents(filter, after === null ? null : { below: after }, limit);
  }

  /**
   * The page before a position: up to `limit` documents newer than `before`, the ones just above
   * it, still newest first (for a "previous page" link).
   */
  listDocumentsBefore(filter: DocumentFilter, before: number, limit: number): DocumentRow[] {
    return this.documents(filter, { above: before }, limit);
  }

  private documents(filter: DocumentFilter, at: { below: number } | { above: number } | null, limit: number): DocumentRow[] {
    const where: string[] = [];
    const params: Record<string, string | number> = { limit };
    if (at && 'below' in at) {
      where.push('d.rowid < @at');
      params['at'] = at.below;
    } else if (at) {
      where.push('d.rowid > @at');
      params['at'] = at.above;
    }
    if (filter.route === 'failed') {
      where.push(`r.document_id IS NULL AND (${STATE}) = 'failed'`);
    } else if (filter.route) {
      where.push('r.outcome = @route');
      params['route'] = filter.route;
    }
    if (filter.status) {
      where.push(`(${STATE}) = @status`);
      params['status'] = filter.status;
    }
    if (filter.documentClass !== undefined) {
      where.push('r.document_class = @class');
      params['class'] = filter.documentClass;
    }
    if (filter.batchId !== undefined) {
      where.push('EXISTS (SELECT 1 FROM batch_documents m WHERE m.batch_id = @batch AND m.document_id = d.document_id)');
      params['batch'] = filter.batchId;
    }
    const time = filter.dateOn === 'decided' ? 'COALESCE(r.decided_at, r.routed_at)' : 'b.created_at';
    if (filter.from !== undefined) {
      where.push(`${time} >= @from`);
      params['from'] = filter.from;
    }
    if (filter.to !== undefined) {
      where.push(`${time} < @to`);
      params['to'] = filter.to;
    }
    if (filter.q !== undefined && filter.q.length > 0) {
      const q = filter.q;
      const byName = "d.name LIKE @qname ESCAPE '\\'";
      params['qname'] = `%${likeEscape(q)}%`;
      if (/^[0-9a-fA-F]+$/.test(q)) {
        // Ids are lowercase hex. Either way the name test reads every row the other filters leave.
        where.push(`(d.document_id LIKE @qid ESCAPE '\\' OR ${byName})`);
        params['qid'] = `${q.toLowerCase()}%`;
      } else {
        where.push(byName);
      }
    }
    const sql = `SELECT d.rowid AS seq, d.document_id, d.name, d.first_seen_batch, b.created_at AS seen_at,
        r.outcome, r.document_class, r.confidence, r.reasons, r.version, r.kind, COALESCE(r.decided_at, r.routed_at) AS decided_at,
        ${STATE} AS state
      FROM documents d
      LEFT JOIN routes r ON r.document_id = d.document_id
      LEFT JOIN batches b ON b.batch_id = d.first_seen_batch
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY d.rowid ${at && 'above' in at ? 'ASC' : 'DESC'}
      LIMIT @limit`;
    const rows = this.statement(sql).all(params) as RawDocumentRow[];
    if (at && 'above' in at) rows.reverse();
    return rows.map((r) => ({
      seq: r.seq,
      documentId: r.document_id,
      name: r.name,
      firstSeenAt: r.seen_at,
      firstSeenBatch: r.first_seen_batch,
      status: r.state,
      route: r.outcome ?? (r.state === 'failed' ? 'failed' : null),
      documentClass: r.document_class,
      confidence: r.confidence,
      decidedAt: r.decided_at,
      decision: r.version !== null && r.kind !== null ? { version: r.version, kind: r.kind } : null,
      reasonCodes: r.outcome ? reasonCodesOf(r.reasons) : r.state === 'failed' ? ['PIPELINE_ERROR'] : [],
    }));
  }

  /** Up to `limit` batches, newest first, after the keyset position `after` (null: from the newest). */
  listBatches(after: { createdAt: string; seq: number } | null, limit: number): BatchRow[] {
    const sql = `SELECT b.rowid AS seq, b.batch_id, b.status, b.source, b.created_at, b.completed_at, b.received, b.summary,
        COALESCE(SUM(bd.outcome = 'pass'), 0) AS pass, COALESCE(SUM(bd.outcome = 'hold'), 0) AS hold,
        COALESCE(SUM(bd.outcome = 'reject'), 0) AS reject, COALESCE(SUM(bd.outcome = 'failed'), 0) AS failed,
        COALESCE(SUM(bd.document_id IS NOT NULL AND bd.outcome IS NULL), 0) AS pending,
        COALESCE(SUM(bd.duplicate), 0) AS duplicates
      FROM batches b LEFT JOIN batch_documents bd ON bd.batch_id = b.batch_id
      ${after ? 'WHERE b.created_at < @createdAt OR (b.created_at = @createdAt AND b.rowid < @seq)' : ''}
      GROUP BY b.rowid
      ORDER BY b.created_at DESC, b.rowid DESC
      LIMIT @limit`;
    const params = after ? { createdAt: after.createdAt, seq: after.seq, limit } : { limit };
    return (this.statement(sql).all(params) as RawBatchRow[]).map((r) => ({
      seq: r.seq,
      batchId: r.batch_id,
      status: r.status,
      source: r.source,
      createdAt: r.created_at,
      completedAt: r.completed_at,
      received: r.received,
      counts: { pass: r.pass, hold: r.hold, reject: r.reject, failed: r.failed, pending: r.pending, duplicates: r.duplicates },
      reasons: reasonsOfSummary(r.summary),
    }));
  }

  /** How many documents await review (held by their current decision). */
  heldCount(): number {
    return (this.statement("SELECT COUNT(*) AS n FROM routes WHERE outcome = 'hold'").get() as { n: number }).n;
  }

  routeCounts(): RouteCounts {
    const rows = this.db.prepare<[], { outcome: Outcome; n: number }>('SELECT outcome, COUNT(*) AS n FROM routes GROUP BY outcome').all();
    const by = Object.fromEntries(rows.map((r) => [r.outcome, r.n])) as Partial<Record<Outcome, number>>;
    const total = this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM documents').get()?.n ?? 0;
    const failed =
      this.db
        .prepare<[], { n: number }>(
          `SELECT COUNT(*) AS n FROM documents d
           WHERE NOT EXISTS (SELECT 1 FROM routes r WHERE r.document_id = d.document_id)
             AND EXISTS (SELECT 1 FROM batch_documents f WHERE f.document_id = d.document_id AND f.outcome = 'failed')`,
        )
        .get()?.n ?? 0;
    const pass = by.pass ?? 0;
    const hold = by.hold ?? 0;
    const reject = by.reject ?? 0;
    return { pass, hold, reject, failed, pending: Math.max(0, total - pass - hold - reject - failed), total };
  }

  classCounts(): ClassCounts[] {
    const rows = this.db
      .prepare<[], { document_class: string | null; outcome: Outcome; n: number }>(
        'SELECT document_class, outcome, COUNT(*) AS n FROM routes GROUP BY document_class, outcome',
      )
      .all();
    const byClass = new Map<string | null, { pass: number; hold: number; reject: number }>();
    for (const r of rows) {
      const c = byClass.get(r.document_class) ?? { pass: 0, hold: 0, reject: 0 };
      c[r.outcome] += r.n;
      byClass.set(r.document_class, c);
    }
    return [...byClass.entries()]
      .map(([documentClass, c]) => ({ documentClass, ...c }))
      .sort(
        (a, b) =>
          b.pass + b.hold + b.reject - (a.pass + a.hold + a.reject) || (a.documentClass ?? '~').localeCompare(b.documentClass ?? '~'),
      );
  }

  /** Documents first seen on each UTC day from `fromDay` (YYYY-MM-DD) on: day → count. */
  firstSeenPerDay(fromDay: string): Map<string, number> {
    const rows = this.db
      .prepare<[string], { day: string; n: number }>(
        `SELECT substr(b.created_at, 1, 10) AS day, COUNT(*) AS n
         FROM documents d JOIN batches b ON b.batch_id = d.first_seen_batch
         WHERE b.created_at >= ? GROUP BY day`,
      )
      .all(fromDay);
    return new Map(rows.map((r) => [r.day, r.n]));
  }
}
