import { InvalidArgumentError } from 'commander';

/** Commander argument parsers and small helpers shared by the CLI commands. */

/** An integer of at least `min`; the message names the option. */
export const intAtLeast =
  (what: string, min: number) =>
  (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) {
      throw new InvalidArgumentError(`${what} must be ${min === 1 ? 'a positive integer' : `an integer ≥ ${min}`}`);
    }
    return n;
  };

/** Any safe integer (seeds). */
export const integer = (v: string): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('must be an integer');
  return n;
};

/** Runs `fn` over `items` with at most `concurrency` in flight; results keep the input order. */
export const mapLimit = async <T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> => {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return results;
};
