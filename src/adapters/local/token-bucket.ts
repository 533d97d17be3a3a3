import { ThrottledError } from '../../domain/errors.js';
import type { RateLimiter } from '../../ports/rate-limiter.js';

export interface TokenBucketOptions {
  /** Tokens added per second. 0 or less disables limiting. */
  readonly ratePerSecond: number;
  /** Bucket size: how many tokens may be spent at once after a quiet spell. */
  readonly burst: number;
  /** Longest an `acquire` may wait before it fails with ThrottledError (retried by the state machine). */
  readonly maxWaitMs: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

interface Bucket {
  tokens: number;
  updated: number;
  /** Tokens promised to waiters that have not woken yet: later callers queue behind them (FIFO-fair). */
  reserved: number;
}

/**
 * An in-process token bucket per key: the local counterpart of the DynamoDB bucket many Lambdas
 * share on AWS. A caller reserves its tokens up front and sleeps until they have accrued, so
 * concurrent callers are served in arrival order and the long-run rate never exceeds `ratePerSecond`.
 */
export const createTokenBucket = (options: TokenBucketOptions): RateLimiter => {
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const buckets = new Map<string, Bucket>();
  return {
    acquire: async (key, cost = 1) => {
      if (options.ratePerSecond <= 0) return;
      if (cost > options.burst) throw new ThrottledError(`a request for ${cost} tokens exceeds the bucket size ${options.burst}`);
      const t = now();
      let b = buckets.get(key);
      if (!b) {
        b = { tokens: options.burst, updated: t, reserved: 0 };
        buckets.set(key, b);
      }
      b.tokens = Math.min(options.burst, b.tokens + ((t - b.updated) / 1000) * options.ratePerSecond);
      b.updated = t;
      const deficit = cost + b.reserved - b.tokens;
      if (deficit <= 0) {
        b.tokens -= cost;
        return;
      }
      const waitMs = (deficit / options.ratePerSecond) * 1000;
      if (waitMs > options.maxWaitMs) throw new ThrottledError(`rate limit: ${key} would wait ${Math.ceil(waitMs)} ms`);
      b.reserved += cost;
      try {
        await sleep(waitMs);
      } finally {
        b.reserved -= cost;
      }
      const t2 = now();
      b.tokens = Math.min(options.burst, b.tokens + ((t2 - b.updated) / 1000) * options.ratePerSecond) - cost;
      b.updated = t2;
    },
  };
};
