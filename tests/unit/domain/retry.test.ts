import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  DependencyUnavailableError,
  InternalError,
  ModelOutputInvalidError,
  ThrottledError,
  UnsupportedDocumentError,
  type PipelineError,
} from '../../../src/domain/errors.js';
import { withRetry, type RetryOptions } from '../../../src/domain/retry.js';

/** Records every sleep; time never passes, so the tests are exact and instant. */
const harness = (randoms: number[] = [1]) => {
  const sleeps: number[] = [];
  const retries: { name: string; attempt: number; delayMs: number }[] = [];
  let i = 0;
  const options: RetryOptions = {
    maxAttempts: 4,
    intervalMs: 1000,
    backoffRate: 2,
    maxDelayMs: 30_000,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    // Cycles through the given values; the default 1 makes every delay its cap.
    random: () => randoms[i++ % randoms.length] ?? 0,
    onRetry: (error: PipelineError, attempt, delayMs) => retries.push({ name: error.name, attempt, delayMs }),
  };
  return { options, sleeps, retries };
};

/** Fails with the given errors in order, then returns `value`. Records the attempt numbers it saw. */
const scripted = <T>(errors: (Error | undefined)[], value: T) => {
  const attempts: number[] = [];
  const fn = (attempt: number): Promise<T> => {
    attempts.push(attempt);
    const err = errors[attempt - 1];
    return err === undefined ? Promise.resolve(value) : Promise.reject(err);
  };
  return { fn, attempts };
};

describe('withRetry', () => {
  it('returns at once when the first call succeeds, without sleeping', async () => {
    const h = harness();
    const s = scripted([], 'ok');
    await expect(withRetry(s.fn, h.options)).resolves.toBe('ok');
    expect(s.attempts).toEqual([1]);
    expect(h.sleeps).toEqual([]);
  });

  it('retries retryable errors with exponential caps and recovers', async () => {
    const h = harness();
    const s = scripted([new ThrottledError('slow'), new DependencyUnavailableError('down'), new ModelOutputInvalidError('bad')], 'ok');
    await expect(withRetry(s.fn, h.options)).resolves.toBe('ok');
    expect(s.attempts).toEqual([1, 2, 3, 4]);
    expect(h.sleeps).toEqual([1000, 2000, 4000]);
    expect(h.retries).toEqual([
      { name: 'ThrottledError', attempt: 1, delayMs: 1000 },
      { name: 'DependencyUnavailableError', attempt: 2, delayMs: 2000 },
      { name: 'ModelOutputInvalidError', attempt: 3, delayMs: 4000 },
    ]);
  });

  it('applies full jitter: delay = random() × cap', async () => {
    const h = harness([0.5, 0.25, 0]);
    const s = scripted([new ThrottledError('1'), new ThrottledError('2'), new ThrottledError('3')], 'ok');
    await withRetry(s.fn, h.options);
    expect(h.sleeps).toEqual([500, 500, 0]);
  });

  it('caps the delay at maxDelayMs', async () => {
    const h = harness();
    const s = scripted(
      Array.from({ length: 5 }, () => new ThrottledError('slow')),
      'ok',
    );
    await withRetry(s.fn, { ...h.options, maxAttempts: 6, intervalMs: 1000, backoffRate: 3, maxDelayMs: 5000 });
    expect(h.sleeps).toEqual([1000, 3000, 5000, 5000, 5000]);
  });

  it('gives up after exactly maxAttempts calls and rethrows the last error, with no sleep after it', async () => {
    const h = harness();
    const last = new ModelOutputInvalidError('third');
    const s = scripted([new ModelOutputInvalidError('first'), new ModelOutputInvalidError('second'), last, undefined], 'never');
    await expect(withRetry(s.fn, { ...h.options, maxAttempts: 3 })).rejects.toBe(last);
    expect(s.attempts).toEqual([1, 2, 3]);
    expect(h.sleeps).toEqual([1000, 2000]);
  });

  it('maxAttempts 1 means a single call', async () => {
    const h = harness();
    const err = new ThrottledError('slow');
    const s = scripted([err], 'ok');
    await expect(withRetry(s.fn, { ...h.options, maxAttempts: 1 })).rejects.toBe(err);
    expect(s.attempts).toEqual([1]);
    expect(h.sleeps).toEqual([]);
  });

  it.each([
    ['ConfigError', new ConfigError('bad key')],
    ['a document error', new UnsupportedDocumentError('no text', 'NO_TEXT_FOUND')],
  ])('rethrows a non-retryable %s at once', async (_label, err) => {
    const h = harness();
    const s = scripted([err], 'ok');
    await expect(withRetry(s.fn, h.options)).rejects.toBe(err);
    expect(s.attempts).toEqual([1]);
    expect(h.sleeps).toEqual([]);
    expect(h.retries).toEqual([]);
  });

  it('turns an unknown error into a terminal InternalError that names only its class', async () => {
    const h = harness();
    const s = scripted([new TypeError('secret customer text')], 'ok');
    const err = await withRetry(s.fn, h.options).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InternalError);
    expect((err as Error).message).toBe('unexpected TypeError');
    expect(s.attempts).toEqual([1]);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses maxAttempts %s without calling fn', async (maxAttempts) => {
    const h = harness();
    const s = scripted([], 'ok');
    await expect(withRetry(s.fn, { ...h.options, maxAttempts })).rejects.toBeInstanceOf(ConfigError);
    expect(s.attempts).toEqual([]);
  });

  it('works without onRetry', async () => {
    const h = harness();
    const { onRetry: _unused, ...options } = h.options;
    const s = scripted([new ThrottledError('slow')], 7);
    await expect(withRetry(s.fn, options)).resolves.toBe(7);
    expect(h.sleeps).toEqual([1000]);
  });
});
