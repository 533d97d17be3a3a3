import type { DocumentId, MediaType } from '../../domain/document.js';
import type { AnalysisQuery, DocumentAnalyzer } from '../../ports/document-analyzer.js';
import { extractionFromTextract } from './textract-blocks.js';
import { clientRequestTokenFor, textractJobFailedError, type TextractAnalysis } from './textract-client.js';

export interface TextractAnalyzerOptions {
  readonly textract: TextractAnalysis;
  /** Where a document's original lives in S3 (the object store's content address). */
  readonly locate: (documentId: DocumentId) => { bucket: string; key: string };
  /** Encrypts results Textract writes when `outputConfig` is used (not used by default). */
  readonly kmsKeyId?: string;
  /** The clock, for provenance durations. */
  readonly now: () => Date;
}

/**
 * The DocumentAnalyzer port over Amazon Textract's asynchronous analysis: Start with FORMS, TABLES
 * and the configured field queries, then Get (all result pages) until the job ends, mapped onto
 * the shared extraction model. The start is idempotent: the request token is derived from the
 * document and the request, so a retried Start returns the same job.
 */
export const createTextractAnalyzer = (options: TextractAnalyzerOptions): DocumentAnalyzer => ({
  name: 'textract',
  start: async ({ documentId, mediaType, queries }) => {
    const { bucket, key } = options.locate(documentId);
    const input = {
      bucket,
      key,
      queries: queries.map((q: AnalysisQuery) => ({ alias: q.alias, text: q.text })),
      ...(options.kmsKeyId ? { kmsKeyId: options.kmsKeyId } : {}),
    };
    const jobId = await options.textract.startAnalysis({
      ...input,
      mediaType,
      clientRequestToken: clientRequestTokenFor(documentId, input),
    });
    return { jobId };
  },
  poll: async (jobId: string, input: { documentId: DocumentId; mediaType: MediaType; startedAt: string }) => {
    const result = await options.textract.getAnalysis(jobId);
    if (result.status === 'IN_PROGRESS') return { status: 'running' };
    if (result.status === 'FAILED') throw textractJobFailedError(result.message);
    const started = Date.parse(input.startedAt);
    return {
      status: 'done',
      extraction: extractionFromTextract({
        blocks: result.blocks,
        pages: result.pages,
        mediaType: input.mediaType,
        startedAt: input.startedAt,
        ...(Number.isNaN(started) ? {} : { durationMs: Math.max(0, options.now().getTime() - started) }),
        ...(result.modelVersion ? { modelVersion: result.modelVersion } : {}),
      }),
    };
  },
});
