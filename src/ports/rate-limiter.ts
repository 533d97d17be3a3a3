/**
 * A token bucket shared by everything that calls a rate-limited provider (Textract on AWS; the
 * OCR engine locally, so both modes behave alike).
 * Contract: `acquire` resolves when `cost` tokens were taken. When the wait would exceed the
 * limiter's maximum wait, it MUST throw ThrottledError (retryable) instead of blocking forever, so
 * the state machine backs off with jitter.
 */
export interface RateLimiter {
  acquire(key: string, cost?: number): Promise<void>;
}
