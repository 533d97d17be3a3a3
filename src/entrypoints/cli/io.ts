/** One line to stdout (results) or stderr (progress, warnings, errors). */
export const out = (s: string): void => {
  process.stdout.write(`${s}\n`);
};
export const err = (s: string): void => {
  process.stderr.write(`${s}\n`);
};
