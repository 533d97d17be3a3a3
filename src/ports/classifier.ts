import type { Classification, Extraction } from '../domain/document.js';

/**
 * Assigns a document class.
 * Contract: returns a class from the configured list or `unclassified`, a confidence in [0, 1] and
 * the alternatives best first. Transient provider failures MUST be thrown as ThrottledError or
 * DependencyUnavailableError so the state machine retries them.
 */
export interface Classifier {
  readonly name: string;
  classify(extraction: Extraction): Promise<Classification>;
}

export const UNCLASSIFIED = 'unclassified';
