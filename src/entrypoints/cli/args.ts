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
