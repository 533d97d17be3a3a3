import type { FinalOutcome } from './document.js';
import { ReconciliationError } from './errors.js';
import type { BatchOutcomeRecord } from '../ports/ledger.js';

export interface BatchSummary {
  readonly batchId: string;
  readonly executionId: string;
  readonly configVersion: string;
  readonly received: number;
  readonly pass: number;
  readonly hold: number;
  readonly reject: number;
  readonly failed: number;
  /** Already routed by an earlier batch; counted under their existing outcome, not routed again. */
  readonly duplicates: number;
  /** reason code → count, across held, rejected and failed documents. */
  readonly reasons: Readonly<Record<string, number>>;
  readonly reconciled: true;
  readonly completedAt: string;
}

/**
 * Counts a batch and checks `received = pass + hold + reject + failed`. A mismatch throws
 * ReconciliationError naming the documents with no outcome: nothing is allowed to vanish quietly.
 */
export const summarize = (input: {
  batchId: string;
  executionId: string;
  configVersion: string;
  received: number;
  outcomes: readonly BatchOutcomeRecord[];
  now: Date;
}): BatchSummary => {
  const counts: Record<FinalOutcome, number> = { pass: 0, hold: 0, reject: 0, failed: 0 };
  const reasons: Record<string, number> = {};
  let duplicates = 0;
  const missing: string[] = [];
  for (const o of input.outcomes) {
    if (!o.outcome) {
      missing.push(o.documentId);
      continue;
    }
    counts[o.outcome] += 1;
    if (o.duplicate) duplicates += 1;
    if (o.reasonCode) reasons[o.reasonCode] = (reasons[o.reasonCode] ?? 0) + 1;
  }
  const accounted = counts.pass + counts.hold + counts.reject + counts.failed;
  if (missing.length > 0 || accounted !== input.received) {
    throw new ReconciliationError(
      `batch ${input.batchId} does not reconcile: received ${input.received}, pass ${counts.pass} + hold ${counts.hold} + reject ${counts.reject} + failed ${counts.failed} = ${accounted}` +
        (missing.length ? `; no outcome for ${missing.join(', ')}` : ''),
      missing,
    );
  }
  return {
    batchId: input.batchId,
    executionId: input.executionId,
    configVersion: input.configVersion,
    received: input.received,
    ...counts,
    duplicates,
    reasons: Object.fromEntries(Object.entries(reasons).sort(([a], [b]) => a.localeCompare(b))),
    reconciled: true,
    completedAt: input.now.toISOString(),
  };
};
