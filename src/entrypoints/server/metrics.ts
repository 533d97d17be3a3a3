import path from 'node:path';
import Database from 'better-sqlite3';

/**
 * Prometheus metrics (text exposition format 0.0.4), computed per scrape with SQL aggregates over
 * the store's tables. A read-only connection of its own is opened for each scrape and read in one
 * transaction, so the numbers of one scrape are consistent with each other and nothing is cached.
 * Labels carry outcomes, classes and step names only: never document names or data.
 *
 * A process that runs the pipeline over the store can share its own in-process counters and
 * histograms (src/adapters/local/telemetry/metrics-registry.ts): they are appended to the page.
 */

/** Anything that renders Prometheus text families whose names differ from the ones below. */
export interface ProcessMetrics {
  render(): string;
}

const shared = new Map<string, ProcessMetrics>();

/**
 * Shares `metrics` on the /metrics page of the store `dbFile` (`docroute serve` shares its
 * runtime's). Returns the function that stops sharing them.
 */
export const shareProcessMetrics = (dbFile: string, metrics: ProcessMetrics): (() => void) => {
  const key = path.resolve(dbFile);
  shared.set(key, metrics);
  return () => {
    if (shared.get(key) === metrics) shared.delete(key);
  };
};

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Step durations in seconds: from a cached checkpoint (ms) to a slow OCR run (minutes). */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] as const;

const escapeLabel = (value: string): string => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

const labels = (pairs: Record<string, string>): string => {
  const parts = Object.entries(pairs).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
};

const num = (n: number): string => (Number.isFinite(n) ? String(n) : n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN');

class Exposition {
  private readonly lines: string[] = [];

  family(name: string, type: 'gauge' | 'counter' | 'histogram', help: string): this {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, pairs: Record<string, string>, value: number): this {
    this.lines.push(`${name}${labels(pairs)} ${num(value)}`);
    return this;
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

interface StepCount {
  step: string;
  n: number;
}

/** Computes every metric from the store file `dbFile` (which must exist) as of `now`. */
export const renderMetrics = (dbFile: string, now: Date): string => {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const fromStore = db.transaction(() => collect(db, now))();
    const own = shared.get(path.resolve(dbFile));
    return own ? fromStore + own.render() : fromStore;
  } finally {
    db.close();
  }
};

const collect = (db: Database.Database, now: Date): string => {
  const out = new Exposition();

  const documents = db
    .prepare<[], { outcome: string; cls: string; n: number }>(
      "SELECT outcome, COALESCE(document_class, '') AS cls, COUNT(*) AS n FROM routes GROUP BY outcome, cls ORDER BY outcome, cls",
    )
    .all();
  out.family('docroute_documents', 'gauge', 'Documents by current route and class (class is empty when the document was not classified).');
  for (const d of documents) out.sample('docroute_documents', { route: d.outcome, class: d.cls }, d.n);

  // One pass over the successful step runs: a cumulative count per bucket, the sum and the count.
  const bucketColumns = DURATION_BUCKETS.map(
    (b, i) => `SUM(CASE WHEN duration_ms <= ${Number((b * 1000).toPrecision(12))} THEN 1 ELSE 0 END) AS b${i}`,
  ).join(', ');
  const durations = db
    .prepare<[], Record<string, number> & { step: string; total_ms: number; n: number }>(
      `SELECT step, ${bucketColumns}, SUM(duration_ms) AS total_ms, COUNT(*) AS n
       FROM audit WHERE event = 'succeeded' AND duration_ms IS NOT NULL
       GROUP BY step ORDER BY step`,
    )
    .all();
  out.family('docroute_step_duration_seconds', 'histogram', 'Duration of successful step runs (checkpoint hits included).');
  for (const d of durations) {
    DURATION_BUCKETS.forEach((b, i) =>
      out.sample('docroute_step_duration_seconds_bucket', { step: d.step, le: String(b) }, d[`b${i}`] ?? 0),
    );
    out.sample('docroute_step_duration_seconds_bucket', { step: d.step, le: '+Inf' }, d.n);
    out.sample('docroute_step_duration_seconds_sum', { step: d.step }, d.total_ms / 1000);
    out.sample('docroute_step_duration_seconds_count', { step: d.step }, d.n);
  }

  const perStep = (where: string): StepCount[] =>
    db.prepare<[], StepCount>(`SELECT step, COUNT(*) AS n FROM audit WHERE ${where} GROUP BY step ORDER BY step`).all();

  out.family('docroute_step_retries_total', 'counter', 'Step attempts that were retries of a failed attempt.');
  for (const r of perStep("event = 'retried'")) out.sample('docroute_step_retries_total', { step: r.step }, r.n);

  out.family('docroute_step_throttles_total', 'counter', 'Step attempts that failed with ThrottledError.');
  for (const r of perStep("event = 'failed' AND error_name = 'ThrottledError'"))
    out.sample('docroute_step_throttles_total', { step: r.step }, r.n);

  const oldest = db
    .prepare<[], { at: string | null }>("SELECT MIN(COALESCE(decided_at, routed_at)) AS at FROM routes WHERE outcome = 'hold'")
    .get();
  const heldSince = oldest?.at ? Date.parse(oldest.at) : Number.NaN;
  out.family('docroute_oldest_held_seconds', 'gauge', 'Age of the oldest document awaiting review (0 when none is held).');
  out.sample('docroute_oldest_held_seconds', {}, Number.isFinite(heldSince) ? Math.max(0, (now.getTime() - heldSince) / 1000) : 0);

  const pending = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM pending_moves').get();
  out.family('docroute_pending_moves', 'gauge', 'Decisions recorded but not yet delivered to their destination.');
  out.sample('docroute_pending_moves', {}, pending?.n ?? 0);

  return out.text();
};
