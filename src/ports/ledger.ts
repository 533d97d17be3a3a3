import type { DecisionKind, DocumentId, FinalOutcome, Outcome, Reason, RouteResult } from '../domain/document.js';
import type { AuditRecord } from './audit-log.js';

export interface DocumentRecord {
  readonly documentId: DocumentId;
  readonly name: string;
  readonly size: number;
  readonly firstSeenBatch: string;
}

export interface RouteRecord {
  readonly documentId: DocumentId;
  readonly outcome: Outcome;
  readonly batchId: string;
  readonly executionId: string;
  readonly documentClass: string | null;
  readonly confidence: number | null;
  readonly reasons: readonly Reason[];
  /** Where the routed entry lives (a path locally, an S3 key on AWS). */
  readonly location: string;
  /** When the document was first routed. */
  readonly routedAt: string;
  /** The current decision's version (1 = the pipeline's) and who made it; see DecisionLog. */
  readonly version: number;
  readonly kind: DecisionKind;
  /** When the current decision was made (= routedAt for version 1). */
  readonly decidedAt: string;
}

export interface BatchOutcomeRecord {
  readonly documentId: DocumentId;
  readonly name: string;
  readonly outcome: FinalOutcome | null;
  /** True when the document had been routed by an earlier batch and was not routed again. */
  readonly duplicate: boolean;
  readonly errorName: string | null;
  /** The error's message (content-free by the taxonomy's contract), for failed documents. */
  readonly errorCause: string | null;
  readonly reasonCode: string | null;
}

/**
 * Where every document is, and each batch's membership.
 * Contract: `recordRoute` is first-writer-wins per document (a document is routed once, ever):
 * it returns `first: false` and the existing record when the document was already routed. The
 * `routed` audit record is appended in the same atomic write as the route, and only by the first
 * writer: a crash can never leave a route without its audit record, or audit a route twice.
 * `recordOutcome` is an idempotent upsert per (batch, document). Both are durable on return.
 */
export interface Ledger {
  registerDocument(doc: DocumentRecord): Promise<void>;
  getDocument(documentId: DocumentId): Promise<DocumentRecord | null>;
  /** Adds documents to a batch as received (no outcome yet). Idempotent. */
  addToBatch(batchId: string, docs: readonly { documentId: DocumentId; name: string }[]): Promise<void>;
  getRoute(documentId: DocumentId): Promise<RouteRecord | null>;
  /** `decision` is version 1 of the document's decision chain: the record as delivered and the step versions it used. */
  recordRoute(
    route: RouteRecord,
    audit: AuditRecord,
    decision?: { result: RouteResult; steps: Readonly<Record<string, string>> },
  ): Promise<{ first: boolean; record: RouteRecord }>;
  recordOutcome(
    batchId: string,
    documentId: DocumentId,
    outcome: FinalOutcome,
    detail: { duplicate: boolean; errorName?: string | undefined; errorCause?: string | undefined; reasonCode?: string | undefined },
  ): Promise<void>;
  batchOutcomes(batchId: string): Promise<BatchOutcomeRecord[]>;
}
