import type { DocumentId, Extraction, MediaType } from '../domain/document.js';

/** A field question for the analyzer (Textract QUERIES): its alias is the field name. */
export interface AnalysisQuery {
  readonly alias: string;
  readonly text: string;
}

/**
 * An asynchronous document analysis service (Amazon Textract's StartDocumentAnalysis /
 * GetDocumentAnalysis): the AWS Extract step. The state machine polls it with a bounded Wait loop.
 * Contract: `start` is idempotent per (document, request) — a retried start returns the same job;
 * `poll` answers `running` until the job ends, then the document's extraction in the shared model.
 * Both throw ThrottledError on quota limits (retried with backoff), DependencyUnavailableError on
 * outages, and DocumentErrors (terminal, routed to reject) for documents the service cannot read.
 */
export interface DocumentAnalyzer {
  readonly name: string;
  start(input: { documentId: DocumentId; mediaType: MediaType; queries: readonly AnalysisQuery[] }): Promise<{ jobId: string }>;
  poll(
    jobId: string,
    input: { documentId: DocumentId; mediaType: MediaType; startedAt: string },
  ): Promise<{ status: 'running' } | { status: 'done'; extraction: Extraction }>;
}
