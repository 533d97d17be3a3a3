import type { Outcome, RouteResult } from '../domain/document.js';

/**
 * Delivers a decided document to its route destination (a folder locally; S3 + EventBridge on AWS;
 * optionally a webhook per outcome).
 * Contract: `deliver` is idempotent per (outcome, document, decision version): delivering the same
 * result twice leaves one entry with identical bytes. It links to or copies the original; it never
 * moves or alters it. Failures are taxonomy errors: ThrottledError/DependencyUnavailableError when
 * the destination is busy or down (retried), ConfigError when it refuses us.
 */
export interface RouteSink {
  deliver(outcome: Outcome, result: RouteResult): Promise<{ location: string }>;
  /** Where `deliver` puts this result, without delivering it (decisions are recorded before delivery). */
  locate(outcome: Outcome, result: RouteResult): string;
  /**
   * Removes the entry an earlier decision left at `location` (a review or replay moved the document
   * to another outcome). Idempotent: an entry already gone is not an error. Never touches the original.
   */
  withdraw(location: string): Promise<void>;
}
