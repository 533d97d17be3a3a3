import type { DocumentId } from '../domain/document.js';

export interface CheckpointKey {
  readonly documentId: DocumentId;
  readonly step: string;
  readonly configVersion: string;
}

/**
 * Step results, keyed by document, step and config version: the basis of idempotency and resume.
 * Contract: `put` is durable when it resolves (a crash after it never loses the value) and is
 * idempotent (writing the same key twice keeps one value). `get` returns undefined for a miss.
 */
export interface Checkpoints {
  get<T>(key: CheckpointKey): Promise<T | undefined>;
  put(key: CheckpointKey, value: unknown): Promise<void>;
}
