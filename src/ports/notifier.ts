import type { BatchSummary } from '../domain/summarize.js';

/**
 * Publishes a batch summary (file, webhook, SNS).
 * Contract: throws DependencyUnavailableError (retryable) when the destination is down; never
 * includes document content (the summary holds counts, ids and reason codes only).
 */
export interface Notifier {
  readonly name: string;
  notify(summary: BatchSummary): Promise<void>;
}
