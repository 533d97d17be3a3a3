import type { DecisionKind, DocumentId, FieldValue, Outcome, RouteResult } from '../domain/document.js';
import type { AuditRecord } from './audit-log.js';

/** One decision of a document's chain (version 1 is the pipeline's route). */
export interface DecisionRecord {
  readonly documentId: DocumentId;
  readonly version: number;
  readonly kind: DecisionKind;
  readonly outcome: Outcome;
  /** Where the decided entry lives (a path locally, an S3 URI on AWS). */
  readonly location: string;
  readonly decidedAt: string;
  /** The batch (pipeline), review or replay that made it. */
  readonly batchId: string;
  readonly executionId: string;
  /** The decision record as delivered; null for routes recorded before decisions were versioned. */
  readonly result: RouteResult | null;
  /**
   * The checkpoint version of each step's result the decision was computed from (Extract,
   * Classify, ExtractFields, Validate), so a replay can start from the very same cached results.
   */
  readonly steps: Readonly<Record<string, string>> | null;
}

/** A reviewer's corrected field set. Version 1 is the extraction itself, which is never rewritten. */
export interface FieldVersion {
  readonly documentId: DocumentId;
  readonly version: number;
  readonly fields: Readonly<Record<string, FieldValue>>;
  /** The fields this version changed relative to the one before. */
  readonly corrected: readonly string[];
  readonly author: string;
  readonly createdAt: string;
}

/**
 * The decision chain behind each route: reviews and replays append decisions, never rewrite them.
 * Contract:
 * - `supersede` appends `next` (version = current version + 1) and makes it the document's
 *   current route in ONE atomic write, together with its audit record and, when given, the
 *   reviewer's field version. It applies only if the current version is still `next.version - 1`
 *   (optimistic concurrency): of two reviewers, or a reviewer and a replay, exactly one wins, and
 *   the loser gets `applied: false` with the decision that beat it.
 * - The write also records the move as pending: the new decision is recorded *before* it is
 *   delivered, so a human decision is never lost to a destination that is down. `pendingMoves`
 *   lists documents whose latest decision still has to be delivered (and whose earlier entries,
 *   `previousLocations`, withdrawn); `moved` clears them once done. A crash in between leaves the
 *   move pending and the next command finishes it.
 */
export interface DecisionLog {
  decisions(documentId: DocumentId): Promise<DecisionRecord[]>;
  supersede(
    next: DecisionRecord,
    audit: AuditRecord,
    options?: { fieldVersion?: FieldVersion },
  ): Promise<{ applied: boolean; current: DecisionRecord | null }>;
  fieldVersions(documentId: DocumentId): Promise<FieldVersion[]>;
  pendingMoves(): Promise<{ documentId: DocumentId; version: number; previousLocations: string[] }[]>;
  /** Clears the pending moves of a document up to and including `version`. */
  moved(documentId: DocumentId, version: number): Promise<void>;
}
