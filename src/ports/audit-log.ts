import type { DocumentId, FinalOutcome } from '../domain/document.js';

export type AuditEventType =
  | 'received'
  | 'entered'
  | 'succeeded'
  | 'retried'
  | 'failed'
  | 'routed'
  | 'duplicate'
  | 'batch-started'
  | 'batch-completed'
  /** A reviewer decided a held document (who, why, the prior decision). */
  | 'reviewed'
  /** A replay re-decided a document from cached results under the current config. */
  | 'replayed'
  /** A later decision's entry was delivered and the earlier entry withdrawn. */
  | 'moved';

/**
 * One state transition. Never carries document text, field values or file contents: only ids,
 * step names, error names and reason codes.
 */
export interface AuditRecord {
  /** ISO-8601 UTC. */
  readonly at: string;
  readonly executionId: string;
  readonly batchId: string;
  readonly documentId: DocumentId | null;
  readonly step: string;
  readonly attempt: number;
  readonly event: AuditEventType;
  readonly durationMs?: number;
  readonly outcome?: FinalOutcome;
  readonly errorName?: string;
  readonly reasonCodes?: readonly string[];
  /** Short, content-free note (e.g. "from checkpoint"). */
  readonly note?: string;
}

export interface StoredAuditRecord extends AuditRecord {
  readonly seq: number;
}

/**
 * Append-only audit trail.
 * Contract: `append` is durable when it resolves; records are never updated or deleted.
 * `attempts` counts the `entered` records for one execution, document and step, so a step knows
 * which attempt it is on both engines (Step Functions re-invokes a Lambda on retry).
 */
export interface AuditLog {
  /**
   * True when the writes issued within one turn of the event loop, to this log and to the
   * checkpoints and ledger of the same store, commit together in call order, each resolving only
   * after that commit, and a write commits only if every earlier one of its group did (the
   * embedded SQLite store). The step wrapper then issues a step's `entered`, checkpoint and
   * `succeeded` together: one commit per step. Otherwise each waits for the one before it.
   */
  readonly groupCommit?: boolean;
  append(record: AuditRecord): Promise<void>;
  attempts(executionId: string, documentId: DocumentId, step: string): Promise<number>;
  timeline(documentId: DocumentId): Promise<StoredAuditRecord[]>;
}
