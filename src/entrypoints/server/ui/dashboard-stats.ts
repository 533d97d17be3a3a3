import Database from 'better-sqlite3';
import type { Outcome } from '../../../domain/document.js';
import { DependencyUnavailableError } from '../../../domain/errors.js';

/**
 * The dashboard's aggregates over the embedded store: counts by route and class, and documents
 * first seen per day. Read-only, on a connection of its own (like SqliteQueries): a dashboard
 * load never holds the writer's connection and cannot change the store. The list queries live in
 * adapters/local/sqlite-queries.ts; these are the only aggregates the console needs beyond them.
 */

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

export class DashboardStats {
  private readonly db: Database.Database;

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
