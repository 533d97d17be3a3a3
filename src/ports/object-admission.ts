import type { DocumentId } from '../domain/document.js';

/** An uploaded object, as the upload event names it (the key URL-decoded). */
export interface UploadedObject {
  readonly bucket: string;
  readonly key: string;
  readonly size?: number;
  readonly versionId?: string;
}

/**
 * Turns an upload into a document: reads the object once, computes its SHA-256 while streaming and
 * stores a content-addressed, immutable copy (nothing when the same bytes are stored already).
 * Contract: idempotent; throws DocumentErrors (terminal: recorded and skipped) for objects that are
 * not documents (a folder marker, outside the inbox prefix, over the size limit), ThrottledError /
 * DependencyUnavailableError for transient storage failures, ConfigError when access is refused.
 */
export interface ObjectAdmission {
  admit(object: UploadedObject): Promise<{ documentId: DocumentId; size: number }>;
}
