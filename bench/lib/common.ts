import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';

/** What every figure is given by bench/run.ts. */
export interface BenchContext {
  readonly quick: boolean;
  /** ../shared/datasets (or --data <dir>) when present; null: generated documents only. */
  readonly dataDir: string | null;
  readonly cores: number;
  /** Progress goes to stderr; never document text. */
  readonly log: (line: string) => void;
}

export const CORES = availableParallelism();

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((x, y) => x - y);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/**
 * Runs every variant `rounds` times, interleaved in a rotating order (no variant always first, with
 * cold caches, or always last, under whatever load arrived meanwhile). Returns each variant's runs.
 */
export const interleave = async <K extends string, R>(
  variants: readonly K[],
  rounds: number,
  run: (variant: K, round: number) => Promise<R>,
): Promise<Record<K, R[]>> => {
  const out = Object.fromEntries(variants.map((v) => [v, [] as R[]])) as Record<K, R[]>;
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < variants.length; k++) {
      const variant = variants[(round + k) % variants.length] as K;
      out[variant].push(await run(variant, round));
    }
  }
  return out;
};

/** A fresh temp directory, removed by the returned function. */
export const freshDir = (prefix: string): { dir: string; remove: () => void } => {
  const dir = mkdtempSync(path.join(tmpdir(), `docroute-bench-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
};

const CLOCK_TICKS_PER_SECOND = 100; // Linux USER_HZ (getconf CLK_TCK)

/**
 * CPU seconds used so far by this process (all its threads) and by the children it has waited for.
 * Wall time on a shared machine swings with other load; CPU per unit of work does not.
 */
export const cpuSeconds = (): number => {
  const own = process.cpuUsage();
  let children = 0;
  try {
    // /proc/self/stat: fields after "(comm)"; cutime and cstime are the 14th and 15th of those.
    const stat = readFileSync('/proc/self/stat', 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    children = (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    children = Number.NaN; // not Linux: no figure rather than a wrong one
  }
  return (own.user + own.system) / 1e6 + children;
};
