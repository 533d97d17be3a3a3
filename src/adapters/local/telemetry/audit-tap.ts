import type { AuditLog, AuditRecord } from '../../../ports/audit-log.js';
import type { DecisionLog } from '../../../ports/decisions.js';
import type { Ledger } from '../../../ports/ledger.js';

/**
 * The telemetry tap: decorators over the audit, ledger and decision ports that hand every audit
 * record to observers (logs, spans, metrics) once the port has made it durable. Every state
 * transition already produces a content-free audit record, so telemetry sees exactly what the
 * audit trail sees and never more: no document text, no field values.
 *
 * A record whose write failed is not observed (the caller gets the error as before), and an
 * observer can never fail or slow down the write: it runs after it, synchronously, and its errors
 * are swallowed (telemetry is best effort; the audit trail is the record).
 */
export interface AuditObserver {
  observe(record: AuditRecord): void;
  /** A batch ended without its `batch-completed` record (its Aggregate state failed). */
  batchFailed(batch: { batchId: string; executionId: string; at: string; errorName: string }): void;
  /** Exports what is buffered (spans, log lines). */
  flush(): Promise<void>;
  /** Ends what is still open as unfinished, flushes and releases resources. Idempotent. */
  close(): Promise<void>;
}

/** Fans records out to several observers; one observer's failure never reaches the others. */
export const fanOut = (observers: readonly AuditObserver[]): AuditObserver => ({
  observe: (record) => {
    for (const o of observers) {
      try {
        o.observe(record);
      } catch {
        // best effort: a telemetry bug must not fail a pipeline step
      }
    }
  },
  batchFailed: (batch) => {
    for (const o of observers) {
      try {
        o.batchFailed(batch);
      } catch {
        // best effort, as above
      }
    }
  },
  flush: async () => {
    await Promise.allSettled(observers.map((o) => o.flush()));
  },
  close: async () => {
    await Promise.allSettled(observers.map((o) => o.close()));
  },
});

const safely = (observer: AuditObserver, record: AuditRecord): void => {
  try {
    observer.observe(record);
  } catch {
    // best effort, as above
  }
};

export const tapAudit = (inner: AuditLog, observer: AuditObserver): AuditLog => ({
  // The inner append is called in the same turn: the tap keeps the store's commit grouping.
  ...(inner.groupCommit === true ? { groupCommit: true } : {}),
  append: async (record) => {
    await inner.append(record);
    safely(observer, record);
  },
  attempts: (executionId, documentId, step) => inner.attempts(executionId, documentId, step),
  timeline: (documentId) => inner.timeline(documentId),
});

/** `recordRoute` writes the `routed` record with the route: observed only for the first writer. */
export const tapLedger = (inner: Ledger, observer: AuditObserver): Ledger => ({
  registerDocument: (doc) => inner.registerDocument(doc),
  getDocument: (documentId) => inner.getDocument(documentId),
  addToBatch: (batchId, docs) => inner.addToBatch(batchId, docs),
  getRoute: (documentId) => inner.getRoute(documentId),
  recordRoute: async (route, audit, decision) => {
    const result = await inner.recordRoute(route, audit, decision);
    if (result.first) safely(observer, audit);
    return result;
  },
  recordOutcome: (batchId, documentId, outcome, detail) => inner.recordOutcome(batchId, documentId, outcome, detail),
  batchOutcomes: (batchId) => inner.batchOutcomes(batchId),
});

/** `supersede` writes the `reviewed`/`replayed` record with the decision: observed when applied. */
export const tapDecisions = (inner: DecisionLog, observer: AuditObserver): DecisionLog => ({
  decisions: (documentId) => inner.decisions(documentId),
  supersede: async (next, audit, options) => {
    const result = await inner.supersede(next, audit, options);
    if (result.applied) safely(observer, audit);
    return result;
  },
  fieldVersions: (documentId) => inner.fieldVersions(documentId),
  pendingMoves: () => inner.pendingMoves(),
  moved: (documentId, version) => inner.moved(documentId, version),
});
