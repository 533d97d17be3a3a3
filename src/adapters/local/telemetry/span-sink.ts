import {
  ROOT_CONTEXT,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type HrTime,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { AuditRecord } from '../../../ports/audit-log.js';
import type { AuditObserver } from './audit-tap.js';

/**
 * OpenTelemetry spans rebuilt from the audit records, with the records' own times:
 *
 *   batch                        batch-started  → batch-completed (or the batch's failure)
 *   └─ document                  received       → end of the step that routed it | duplicate | failed
 *      └─ <Step> (one per attempt: Ingest, Extract, Classify, ...)  succeeded | failed
 *
 * A step attempt's span is made when it ends: it starts `durationMs` before its end record, so its
 * length is the step's measured duration. One trace per batch run. Spans of a batch this process
 * did not start (a resumed batch, a replay) are opened on their first record and marked
 * `docroute.started_elsewhere`; whatever is still open at close is ended as `docroute.unfinished`.
 * Attributes are ids, step names, outcomes, error names and reason codes: never content.
 */

export const SPAN = { batch: 'batch', document: 'document' } as const;

/** Epoch milliseconds (fractions kept) → HrTime. A plain number would be read as performance time. */
export const hrTime = (ms: number): HrTime => {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
};

interface DocumentSpan {
  readonly span: Span;
  readonly ctx: Context;
  /** Routed or found a duplicate inside a step: the span ends with that step's own end record. */
  ending: boolean;
}

interface BatchSpan {
  readonly span: Span;
  readonly ctx: Context;
  readonly documents: Map<string, DocumentSpan>;
  readonly counts: Map<string, number>;
}

export interface SpanProviderLike {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

export const createSpanObserver = (tracer: Tracer, provider: SpanProviderLike, now: () => number = Date.now): AuditObserver => {
  const batches = new Map<string, BatchSpan>();
  /**
   * Inputs refused before their batch starts (not a regular file, unreadable) are routed to reject
   * first and received after: their outcome waits here for their document span. Key: execution, document.
   */
  const routedEarly = new Map<string, AuditRecord>();
  let closed = false;

  const openBatch = (r: AuditRecord, startedHere: boolean): BatchSpan => {
    const span = tracer.startSpan(
      SPAN.batch,
      {
        root: true,
        startTime: hrTime(Date.parse(r.at)),
        attributes: {
          'docroute.batch_id': r.batchId,
          'docroute.execution_id': r.executionId,
          ...(startedHere ? {} : { 'docroute.started_elsewhere': true }),
        },
      },
      ROOT_CONTEXT,
    );
    const b: BatchSpan = { span, ctx: trace.setSpan(ROOT_CONTEXT, span), documents: new Map(), counts: new Map() };
    batches.set(r.executionId, b);
    return b;
  };

  const batchOf = (r: AuditRecord): BatchSpan => batches.get(r.executionId) ?? openBatch(r, false);

  const openDocument = (b: BatchSpan, r: AuditRecord, startedHere: boolean): DocumentSpan => {
    const span = tracer.startSpan(
      SPAN.document,
      {
        startTime: hrTime(Date.parse(r.at)),
        attributes: {
          'docroute.document_id': r.documentId ?? '',
          'docroute.batch_id': r.batchId,
          'docroute.execution_id': r.executionId,
          ...(startedHere ? {} : { 'docroute.started_elsewhere': true }),
        },
      },
      b.ctx,
    );
    const d: DocumentSpan = { span, ctx: trace.setSpan(b.ctx, span), ending: false };
    b.documents.set(r.documentId ?? '', d);
    const early = routedEarly.get(`${r.executionId} ${r.documentId ?? ''}`);
    if (early) {
      routedEarly.delete(`${r.executionId} ${r.documentId ?? ''}`);
      decideDocument(
        early,
        early.outcome ?? 'unknown',
        { 'docroute.reason_codes': [...(early.reasonCodes ?? [])], 'docroute.duplicate': false },
        'with-step',
      );
    }
    return d;
  };

  const documentOf = (r: AuditRecord): DocumentSpan => {
    const b = batchOf(r);
    return b.documents.get(r.documentId ?? '') ?? openDocument(b, r, false);
  };

  /**
   * Records a document's outcome. `routed` and `duplicate` are written inside a step (Route*,
   * Ingest) whose `succeeded` follows: the span ends then, so it contains that step's span.
   */
  const decideDocument = (r: AuditRecord, outcome: string, attributes: Attributes, how: 'now' | 'with-step', error?: string): void => {
    const b = batches.get(r.executionId);
    const d = b?.documents.get(r.documentId ?? '');
    if (!b || !d) return;
    d.span.setAttributes({ 'docroute.outcome': outcome, ...attributes });
    if (error) d.span.setStatus({ code: SpanStatusCode.ERROR, message: error });
    b.counts.set(outcome, (b.counts.get(outcome) ?? 0) + 1);
    if (how === 'now') endDocument(b, r);
    else d.ending = true;
  };

  const endDocument = (b: BatchSpan, r: AuditRecord): void => {
    b.documents.get(r.documentId ?? '')?.span.end(hrTime(Date.parse(r.at)));
    b.documents.delete(r.documentId ?? '');
  };

  const endBatch = (executionId: string, endMs: number, attributes: Attributes, error?: string): void => {
    const b = batches.get(executionId);
    if (!b) return;
    for (const d of b.documents.values()) {
      d.span.setAttribute('docroute.unfinished', true);
      d.span.end(hrTime(endMs));
    }
    for (const [outcome, n] of b.counts) b.span.setAttribute(`docroute.documents.${outcome}`, n);
    for (const k of routedEarly.keys()) if (k.startsWith(`${executionId} `)) routedEarly.delete(k);
    b.span.setAttributes(attributes);
    if (error) b.span.setStatus({ code: SpanStatusCode.ERROR, message: error });
    b.span.end(hrTime(endMs));
    batches.delete(executionId);
  };

  const stepAttempt = (r: AuditRecord & { durationMs: number }): void => {
    const d = documentOf(r);
    const end = Date.parse(r.at);
    const span = tracer.startSpan(
      r.step,
      {
        startTime: hrTime(end - r.durationMs),
        attributes: {
          'docroute.step': r.step,
          'docroute.attempt': r.attempt,
          'docroute.document_id': r.documentId ?? '',
          'docroute.result': r.event,
          'docroute.duration_ms': r.durationMs,
          ...(r.errorName ? { 'error.type': r.errorName } : {}),
          ...(r.note === 'retryable' || r.note === 'terminal' ? { 'docroute.retryable': r.note === 'retryable' } : {}),
        },
      },
      d.ctx,
    );
    if (r.event === 'failed') span.setStatus({ code: SpanStatusCode.ERROR, message: r.errorName ?? 'Error' });
    span.end(hrTime(end));
    if (d.ending) endDocument(batchOf(r), r);
  };

  return {
    observe: (r) => {
      if (closed) return;
      switch (r.event) {
        case 'batch-started':
          if (!batches.has(r.executionId)) openBatch(r, true);
          return;
        case 'received': {
          const b = batchOf(r);
          if (!b.documents.has(r.documentId ?? '')) openDocument(b, r, true);
          return;
        }
        case 'retried':
          documentOf(r).span.addEvent('retry', { 'docroute.step': r.step, 'docroute.attempt': r.attempt }, hrTime(Date.parse(r.at)));
          return;
        case 'entered':
          // The attempt's span is made when it ends; here only the document is opened if needed.
          documentOf(r);
          return;
        case 'succeeded':
        case 'failed':
          if (r.durationMs !== undefined) stepAttempt({ ...r, durationMs: r.durationMs });
          if (r.event === 'failed' && r.outcome !== undefined && r.documentId !== null) {
            decideDocument(r, r.outcome, { ...(r.errorName ? { 'error.type': r.errorName } : {}) }, 'now', r.errorName ?? 'Error');
          }
          return;
        case 'routed':
          if (!batches.get(r.executionId)?.documents.has(r.documentId ?? '')) {
            routedEarly.set(`${r.executionId} ${r.documentId ?? ''}`, r);
            return;
          }
          decideDocument(
            r,
            r.outcome ?? 'unknown',
            { 'docroute.reason_codes': [...(r.reasonCodes ?? [])], 'docroute.duplicate': false },
            'with-step',
          );
          return;
        case 'duplicate':
          decideDocument(r, r.outcome ?? 'unknown', { 'docroute.duplicate': true }, 'with-step');
          return;
        case 'replayed':
        case 'reviewed':
          // A replay re-runs steps under its own id: its decision ends that document's span.
          decideDocument(r, r.outcome ?? 'unknown', { 'docroute.decision': r.event }, 'now');
          return;
        case 'batch-completed':
          endBatch(r.executionId, Date.parse(r.at), {});
          return;
        case 'moved':
          return;
      }
    },
    batchFailed: ({ executionId, at, errorName }) => {
      if (closed) return;
      endBatch(executionId, Date.parse(at), { 'error.type': errorName }, errorName);
    },
    flush: () => provider.forceFlush(),
    close: async () => {
      if (closed) return;
      closed = true;
      const at = now();
      for (const id of [...batches.keys()]) endBatch(id, at, { 'docroute.unfinished': true });
      await provider.shutdown();
    },
  };
};
