import type { AuditRecord } from '../../../ports/audit-log.js';
import type { AuditObserver } from './audit-tap.js';

/**
 * In-process counters and histograms, rendered in the Prometheus text format (0.0.4). They count
 * what THIS process did since it started (the Prometheus convention: counters reset on restart and
 * `rate()` copes); the console's store-derived metrics (src/entrypoints/server/metrics.ts) cover
 * the data directory's whole history. Labels carry step, outcome and error names only.
 */

/** Seconds: from a checkpoint hit (ms) to a slow OCR run (minutes). Same as the store-derived histogram. */
export const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] as const;

const escapeLabel = (value: string): string => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

const labelText = (names: readonly string[], values: readonly string[], extra = ''): string => {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i] ?? '')}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(',')}}` : '';
};

const KEY_SEP = '\u0000';

export class Counter<L extends string> {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly L[],
  ) {}

  inc(labels: Record<L, string>, by = 1): void {
    const key = this.labelNames.map((n) => labels[n]).join(KEY_SEP);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  get(labels: Record<L, string>): number {
    return this.values.get(this.labelNames.map((n) => labels[n]).join(KEY_SEP)) ?? 0;
  }

  render(lines: string[]): void {
    lines.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`);
    for (const [key, v] of [...this.values].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`${this.name}${labelText(this.labelNames, key.split(KEY_SEP))} ${v}`);
    }
  }
}

interface HistogramCell {
  readonly buckets: number[];
  sum: number;
  count: number;
}

export class Histogram<L extends string> {
  private readonly cells = new Map<string, HistogramCell>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly L[],
    readonly bounds: readonly number[] = SECONDS_BUCKETS,
  ) {}

  observe(labels: Record<L, string>, value: number): void {
    const key = this.labelNames.map((n) => labels[n]).join(KEY_SEP);
    let cell = this.cells.get(key);
    if (!cell) {
      cell = { buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
      this.cells.set(key, cell);
    }
    // Non-cumulative per bucket here; rendered cumulatively.
    const i = this.bounds.findIndex((b) => value <= b);
    if (i >= 0) cell.buckets[i] = (cell.buckets[i] ?? 0) + 1;
    cell.sum += value;
    cell.count += 1;
  }

  count(labels: Record<L, string>): number {
    return this.cells.get(this.labelNames.map((n) => labels[n]).join(KEY_SEP))?.count ?? 0;
  }

  render(lines: string[]): void {
    lines.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`);
    for (const [key, cell] of [...this.cells].sort(([a], [b]) => a.localeCompare(b))) {
      const values = key.split(KEY_SEP);
      let cumulative = 0;
      this.bounds.forEach((b, i) => {
        cumulative += cell.buckets[i] ?? 0;
        lines.push(`${this.name}_bucket${labelText(this.labelNames, values, `le="${b}"`)} ${cumulative}`);
      });
      lines.push(`${this.name}_bucket${labelText(this.labelNames, values, 'le="+Inf"')} ${cell.count}`);
      lines.push(`${this.name}_sum${labelText(this.labelNames, values)} ${Math.round(cell.sum * 1e6) / 1e6}`);
      lines.push(`${this.name}_count${labelText(this.labelNames, values)} ${cell.count}`);
    }
  }
}

/** The pipeline's in-process metrics. Names differ from the store-derived families on the same page. */
export class PipelineMetrics {
  readonly documents = new Counter(
    'docroute_documents_processed_total',
    'Documents this process finished, by outcome (pass, hold, reject, failed) and whether it was a duplicate of an earlier route.',
    ['outcome', 'duplicate'],
  );
  readonly documentDuration = new Histogram(
    'docroute_document_duration_seconds',
    'End-to-end time of a document in this process: received to routed, duplicate or failed.',
    ['outcome'],
  );
  readonly stepAttempts = new Counter('docroute_step_attempts_total', 'Step attempts this process finished, by step and result.', [
    'step',
    'result',
  ]);
  readonly stepAttemptDuration = new Histogram(
    'docroute_step_attempt_duration_seconds',
    'Duration of step attempts in this process, failed ones included, by step and result.',
    ['step', 'result'],
  );
  readonly stepFailures = new Counter(
    'docroute_step_failures_total',
    'Failed step attempts in this process by step and error name (error="ThrottledError" counts throttles).',
    ['step', 'error'],
  );
  readonly retries = new Counter(
    'docroute_step_retries_by_error_total',
    'Step retries in this process, by step and the error of the attempt that was retried.',
    ['step', 'error'],
  );
  readonly batches = new Counter('docroute_batches_total', 'Batches this process finished, by result (completed, failed).', ['result']);
  readonly decisions = new Counter('docroute_decisions_total', 'Decisions superseded by a review or a replay in this process.', [
    'kind',
    'outcome',
  ]);

  render(): string {
    const lines: string[] = [];
    for (const m of [
      this.documents,
      this.documentDuration,
      this.stepAttempts,
      this.stepAttemptDuration,
      this.stepFailures,
      this.retries,
      this.batches,
      this.decisions,
    ]) {
      m.render(lines);
    }
    return `${lines.join('\n')}\n`;
  }
}

const docKey = (r: AuditRecord): string => `${r.executionId}${KEY_SEP}${r.documentId ?? ''}`;

/** Maps audit records onto the metrics. Keeps a little state per document in flight (when it arrived, its last error). */
export const createMetricsObserver = (metrics: PipelineMetrics): AuditObserver => {
  const receivedAt = new Map<string, number>();
  const lastError = new Map<string, string>();

  const finishDocument = (r: AuditRecord, outcome: string, duplicate: boolean): void => {
    metrics.documents.inc({ outcome, duplicate: String(duplicate) });
    const key = docKey(r);
    const since = receivedAt.get(key);
    if (since !== undefined) {
      metrics.documentDuration.observe({ outcome }, Math.max(0, Date.parse(r.at) - since) / 1000);
      receivedAt.delete(key);
    }
  };
  const forgetExecution = (executionId: string): void => {
    const prefix = `${executionId}${KEY_SEP}`;
    for (const k of receivedAt.keys()) if (k.startsWith(prefix)) receivedAt.delete(k);
    for (const k of lastError.keys()) if (k.startsWith(prefix)) lastError.delete(k);
  };

  return {
    observe: (r) => {
      switch (r.event) {
        case 'received':
          receivedAt.set(docKey(r), Date.parse(r.at));
          return;
        case 'succeeded':
        case 'failed': {
          if (r.durationMs !== undefined) {
            const result = r.event;
            metrics.stepAttempts.inc({ step: r.step, result });
            metrics.stepAttemptDuration.observe({ step: r.step, result }, r.durationMs / 1000);
            const stepKey = `${docKey(r)}${KEY_SEP}${r.step}`;
            if (r.event === 'failed') {
              const error = r.errorName ?? 'Error';
              metrics.stepFailures.inc({ step: r.step, error });
              lastError.set(stepKey, error);
            } else {
              lastError.delete(stepKey);
            }
          }
          // A document's own failure (the Catch path) carries its outcome.
          if (r.event === 'failed' && r.outcome !== undefined) finishDocument(r, r.outcome, false);
          return;
        }
        case 'retried': {
          const stepKey = `${docKey(r)}${KEY_SEP}${r.step}`;
          metrics.retries.inc({ step: r.step, error: lastError.get(stepKey) ?? 'unknown' });
          lastError.delete(stepKey);
          return;
        }
        case 'routed':
          finishDocument(r, r.outcome ?? 'unknown', false);
          return;
        case 'duplicate':
          finishDocument(r, r.outcome ?? 'unknown', true);
          return;
        case 'batch-completed':
          metrics.batches.inc({ result: 'completed' });
          forgetExecution(r.executionId);
          return;
        case 'reviewed':
        case 'replayed':
          metrics.decisions.inc({ kind: r.event === 'reviewed' ? 'review' : 'replay', outcome: r.outcome ?? 'unknown' });
          return;
        case 'entered':
        case 'batch-started':
        case 'moved':
          return;
      }
    },
    batchFailed: ({ executionId }) => {
      metrics.batches.inc({ result: 'failed' });
      forgetExecution(executionId);
    },
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
};
