import type { DocumentId } from '../domain/document.js';

/**
 * Content-addressed originals. Keys are document ids (SHA-256 of the bytes).
 * Contract: originals are immutable: `get` returns exactly the bytes that were stored, and nothing
 * in processing deletes or rewrites them. `get` MUST throw ArtifactMissingError for an unknown id
 * and DependencyUnavailableError for a transient storage failure.
 */
export interface ObjectStore {
  get(documentId: DocumentId): Promise<Uint8Array>;
  /** Size in bytes, or null when absent. Cheap: does not read the body. */
  size(documentId: DocumentId): Promise<number | null>;
}
