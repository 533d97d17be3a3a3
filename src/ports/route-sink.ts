import type { Outcome, RouteResult } from '../domain/document.js';

/**
 * Delivers a decided document to its route destination (a folder locally; S3 + EventBridge on AWS).
 * Contract: idempotent per (outcome, document): delivering the same result twice leaves one entry
 * with identical bytes. It links to or copies the original; it never moves or alters it.
 */
export interface RouteSink {
  deliver(outcome: Outcome, result: RouteResult): Promise<{ location: string }>;
}
