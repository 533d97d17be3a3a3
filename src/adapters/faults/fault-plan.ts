import type { CrashPoint, FaultPort, FaultSpec, FaultWindow } from '../../config/faults.js';
import { DependencyUnavailableError, StepTimeoutError, ThrottledError, type PipelineError } from '../../domain/errors.js';
import { mulberry32 } from '../../domain/random.js';
import { storageError } from '../storage-errors.js';

/**
 * The decisions of a fault spec, call by call: which call fails with which taxonomy error, and
 * when the process kills itself. Each port draws from its own seeded generator, so the faults a
 * port sees depend on the seed and that port's call order only, not on how calls to other ports
 * interleave with it.
 */

export type FaultKind = 'throttle' | 'timeout' | 'outage' | 'diskFull' | 'crash';

export interface FaultPlanOptions {
  /** Milliseconds on a monotonic clock; windows are measured from the plan's creation. */
  readonly now?: () => number;
  /** How the process dies at a crash point. Tests pass a fake. */
  readonly kill?: () => void;
}

export interface FaultPlan {
  readonly spec: FaultSpec;
  /** The error this call must fail with, or null. `write`: the call writes to storage. */
  faultFor(port: FaultPort, method: string, write: boolean): PipelineError | null;
  /** A crash point was reached; kills the process the chosen time. */
  reach(point: CrashPoint): void;
  /** How many faults were injected, by `<port>.<kind>` (`crash.<point>` for crashes). */
  counts(): Readonly<Record<string, number>>;
}

/** FNV-1a: a stable 32-bit number per port name, mixed into the seed. */
const hash32 = (s: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
};

const DEFAULT_SEED = 1;

export const selfKill = (): void => {
  process.kill(process.pid, 'SIGKILL');
};

export const createFaultPlan = (spec: FaultSpec, options: FaultPlanOptions = {}): FaultPlan => {
  const now = options.now ?? (() => performance.now());
  const kill = options.kill ?? selfKill;
  const start = now();
  const seed = spec.seed ?? DEFAULT_SEED;
  const generators = new Map<string, () => number>();
  const draw = (stream: string): number => {
    let g = generators.get(stream);
    if (!g) {
      g = mulberry32((seed ^ hash32(stream)) >>> 0);
      generators.set(stream, g);
    }
    return g();
  };
  const counts: Record<string, number> = {};
  const count = (key: string): void => {
    counts[key] = (counts[key] ?? 0) + 1;
  };
  /** When each `first-call` window's clock started (the first call it applied to). */
  const firstCalls = new Map<string, number>();
  const within = (w: FaultWindow | undefined, key: string): boolean => {
    if (!w) return false;
    let origin = start;
    if (w.from === 'first-call') {
      origin = firstCalls.get(key) ?? now();
      firstCalls.set(key, origin);
    }
    const t = now() - origin;
    return t >= w.afterMs && t < w.afterMs + w.forMs;
  };
  const reached = new Map<CrashPoint, number>();

  return {
    spec,
    faultFor: (port, method, write) => {
      // Draw for every configured probability on every call, whatever wins: the sequence stays
      // aligned with the call count, so a fixed seed gives fixed counts.
      const throttleP = spec.throttle?.[port];
      const timeoutP = spec.timeout?.[port];
      const throttled = throttleP !== undefined && draw(`throttle:${port}`) < throttleP;
      const timedOut = timeoutP !== undefined && draw(`timeout:${port}`) < timeoutP;
      const what = `${port}.${method}`;
      if (within(spec.outage?.[port], `outage:${port}`)) {
        count(`${port}.outage`);
        return new DependencyUnavailableError(`fault injected: ${what} unavailable (outage)`);
      }
      if (write && within(spec.diskFull, 'diskFull')) {
        count(`${port}.diskFull`);
        return storageError(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }), `fault injected: ${what}`);
      }
      if (throttled) {
        count(`${port}.throttle`);
        return new ThrottledError(`fault injected: ${what} throttled`);
      }
      if (timedOut) {
        count(`${port}.timeout`);
        return new StepTimeoutError(`fault injected: ${what} timed out`);
      }
      return null;
    },
    reach: (point) => {
      const crash = spec.crash;
      if (crash?.at !== point) return;
      const n = (reached.get(point) ?? 0) + 1;
      reached.set(point, n);
      const chosen = crash.nth !== undefined ? n === crash.nth : draw(`crash:${point}`) < (crash.probability ?? 0);
      if (chosen) {
        count(`crash.${point}`);
        kill();
      }
    },
    counts: () => ({ ...counts }),
  };
};
