import { ConfigError, toPipelineError, type PipelineError } from './errors.js';

export interface RetryOptions {
  /** Total calls, the first one included (≥ 1). Step Functions' `MaxAttempts` counts retries only: pass it + 1. */
  readonly maxAttempts: number;
  /** The delay cap before the first retry. */
  readonly intervalMs: number;
  /** The cap grows by this factor per retry (≥ 1). */
  readonly backoffRate: number;
  /** No cap grows beyond this. */
  readonly maxDelayMs: number;
  /** Waits; injected so the domain owns no timers and tests run instantly. */
  readonly sleep: (ms: number) => Promise<void>;
  /** A uniform number in [0, 1); injected for deterministic tests. */
  readonly random: () => number;
  /** Called before each wait with the error that failed `attempt` (1-based) and the delay chosen. */
  readonly onRetry?: (error: PipelineError, attempt: number, delayMs: number) => void;
}

/**
 * Calls `fn` until it succeeds, retrying only errors of the taxonomy marked retryable, with
 * exponential backoff and full jitter: before retry n (n = 1, 2, ...) it waits
 * random() × min(maxDelayMs, intervalMs × backoffRate^(n-1)).
 *
 * This mirrors the state machine's Retry block (`JitterStrategy: FULL`) for callers that run
 * outside it, such as `eval classify`, so both see the same bounded behaviour.
 *
 * Contract: `fn` is called at most `maxAttempts` times and receives the 1-based attempt number.
 * A non-retryable error is rethrown at once; when attempts run out the last error is rethrown. What
 * is thrown is always a PipelineError (unknown errors become InternalError via toPipelineError).
 * No wait happens after the last attempt.
 */
export const withRetry = async <T>(fn: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> => {
  if (!Number.isInteger(o.maxAttempts) || o.maxAttempts < 1) {
    throw new ConfigError(`retry maxAttempts must be an integer of at least 1 (got ${o.maxAttempts})`);
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const error = toPipelineError(err);
      if (!error.retryable || attempt >= o.maxAttempts) throw error;
      const cap = Math.min(o.maxDelayMs, o.intervalMs * o.backoffRate ** (attempt - 1));
      const delayMs = o.random() * Math.max(0, cap);
      o.onRetry?.(error, attempt, delayMs);
      await o.sleep(delayMs);
    }
  }
};
