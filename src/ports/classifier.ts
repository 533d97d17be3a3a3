import type { Classification, Extraction } from '../domain/document.js';

/**
 * Assigns a document class.
 * Contract: returns a class from the configured list or `unclassified`, a confidence in [0, 1] and
 * the top-k alternatives best first (the winner included). Transient provider failures MUST be
 * thrown as ThrottledError or DependencyUnavailableError, and unusable model output as
 * ModelOutputInvalidError, so the state machine retries them (a bounded number of times).
 * Messages must never contain document text.
 */
export interface Classifier {
  /** Recorded with every classification: `rules`, `local-model`, `bedrock`, `openai-compatible`. */
  readonly name: string;
  /**
   * Whether the classifier can only work from text. One that also reads layout (the local model)
   * classifies text-less pages (folders, handwriting); for the others the Classify step rejects
   * a text-less document as NO_TEXT_FOUND without calling them.
   */
  readonly needsText: boolean;
  classify(extraction: Extraction): Promise<Classification>;
}

export const UNCLASSIFIED = 'unclassified';
