import { describe, expect, it } from 'vitest';
import { createTokenBucket } from '../../../../src/adapters/local/token-bucket.js';
import { ThrottledError } from '../../../../src/domain/errors.js';

/** A virtual clock: sleeping advances time, so the tests are exact and instant. */
const virtualClock = () => {
  let t = 0;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: (ms: number) => {
      sleeps.push(ms);
      t += ms;
      return Promise.resolve();
    },
    advance: (ms: number) => (t += ms),
    sleeps,
    get t() {
      return t;
    },
  };
};

describe('token bucket', () => {
  it('lets a burst through at once, then paces to the rate', async () => {
    const clock = virtualClock();
    const bucket = createTokenBucket({ ratePerSecond: 2, burst: 3, maxWaitMs: 10_000, now: clock.now, sleep: clock.sleep });
    for (let i = 0; i < 3; i++) await bucket.acquire('ocr');
    expect(clock.t).toBe(0);
    await bucket.acquire('ocr');
    expect(clock.t).toBeCloseTo(500);
    await bucket.acquire('ocr');
    expect(clock.t).toBeCloseTo(1000);
  });

  it('never exceeds the rate over a long run, with concurrent callers', async () => {
    const clock = virtualClock();
    const bucket = createTokenBucket({ ratePerSecond: 5, burst: 5, maxWaitMs: 60_000, now: clock.now, sleep: clock.sleep });
    await Promise.all(Array.from({ length: 55 }, () => bucket.acquire('ocr')));
    // 5 from the burst, 50 more at 5/s: at least 10 s of virtual time.
    expect(clock.t).toBeGreaterThanOrEqual(9_999);
  });

  it('refills with idle time up to the burst size only', async () => {
    const clock = virtualClock();
    const bucket = createTokenBucket({ ratePerSecond: 1, burst: 2, maxWaitMs: 10_000, now: clock.now, sleep: clock.sleep });
    await bucket.acquire('k');
    await bucket.acquire('k');
    clock.advance(60_000);
    await bucket.acquire('k');
    await bucket.acquire('k');
    expect(clock.sleeps).toEqual([]);
    await bucket.acquire('k');
    expect(clock.sleeps).toHaveLength(1);
  });

  it('throws a retryable ThrottledError instead of waiting past maxWaitMs', async () => {
    const clock = virtualClock();
    const bucket = createTokenBucket({ ratePerSecond: 1, burst: 1, maxWaitMs: 500, now: clock.now, sleep: clock.sleep });
    await bucket.acquire('k');
    const err = await bucket.acquire('k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ThrottledError);
    expect((err as ThrottledError).retryable).toBe(true);
  });

  it('keeps keys independent and is a no-op when disabled', async () => {
    const clock = virtualClock();
    const bucket = createTokenBucket({ ratePerSecond: 1, burst: 1, maxWaitMs: 10_000, now: clock.now, sleep: clock.sleep });
    await bucket.acquire('a');
    await bucket.acquire('b');
    expect(clock.sleeps).toEqual([]);
    const off = createTokenBucket({ ratePerSecond: 0, burst: 1, maxWaitMs: 0, now: clock.now, sleep: clock.sleep });
    for (let i = 0; i < 100; i++) await off.acquire('a');
    expect(clock.sleeps).toEqual([]);
  });
});
