import { z } from 'zod';

/**
 * Fault injection: which calls to which ports fail, how often and when. For gamedays and crash
 * trials only; off unless `DOCROUTE_FAULTS` (JSON, wins) or the config's `faults:` section names a
 * fault. Every probability is drawn from a seeded generator, so a run is reproducible per seed.
 */

/** The ports a fault can target: the names of the runtime's `deps`. */
export const FAULT_PORTS = ['ocr', 'classifier', 'objects', 'checkpoints', 'audit', 'ledger', 'sink', 'pdf', 'images', 'notifier'] as const;
export type FaultPort = (typeof FAULT_PORTS)[number];

/** Where a process may SIGKILL itself: the seams crash safety depends on. */
export const CRASH_POINTS = ['before-checkpoint-write', 'after-checkpoint-write', 'mid-route', 'after-audit-append'] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

const probability = z.number().min(0).max(1);

/** Per-port probabilities; only known port names. */
const perPort = z.partialRecord(z.enum(FAULT_PORTS), probability);

/**
 * A window in milliseconds since the process opened its runtime (`from: open`, the default), or
 * since the first call the window applies to (`from: first-call`: an outage that begins when
 * traffic arrives, whatever the start-up took).
 */
const WindowSchema = z
  .object({
    afterMs: z.number().int().min(0).default(0),
    forMs: z.number().int().positive(),
    from: z.enum(['open', 'first-call']).default('open'),
  })
  .strict();

const CrashSchema = z
  .object({
    at: z.enum(CRASH_POINTS),
    /** Crash the nth time (1-based, per process) the point is reached. */
    nth: z.number().int().min(1).optional(),
    /** Or crash each time the point is reached with this probability (seeded). */
    probability: probability.optional(),
  })
  .strict()
  .refine((c) => (c.nth === undefined) !== (c.probability === undefined), { error: 'expected exactly one of "nth" or "probability"' });

export const FaultsSchema = z
  .object({
    /** Seeds every draw; the same seed and the same call order give the same faults. */
    seed: z.number().int().min(0).max(0xffffffff).optional(),
    /** Probability per call of a ThrottledError. */
    throttle: perPort.optional(),
    /** Probability per call of a StepTimeoutError. */
    timeout: perPort.optional(),
    /** DependencyUnavailableError on every call during the window. */
    outage: z.partialRecord(z.enum(FAULT_PORTS), WindowSchema).optional(),
    /** Every write to the object store, the route sink and the store fails with ENOSPC (StorageFullError). */
    diskFull: WindowSchema.optional(),
    crash: CrashSchema.optional(),
  })
  .strict();

export type FaultSpec = z.output<typeof FaultsSchema>;
export type FaultWindow = z.output<typeof WindowSchema>;

/** True when the spec injects anything at all; an empty spec (the default) leaves the ports untouched. */
export const faultsActive = (spec: FaultSpec | undefined): spec is FaultSpec =>
  spec !== undefined &&
  (Object.values(spec.throttle ?? {}).some((p) => p > 0) ||
    Object.values(spec.timeout ?? {}).some((p) => p > 0) ||
    Object.keys(spec.outage ?? {}).length > 0 ||
    spec.diskFull !== undefined ||
    spec.crash !== undefined);

/** The zod issues as "path: what" (never the values themselves). */
export const describeFaultIssues = (issues: readonly z.core.$ZodIssue[]): string =>
  issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.map(String).join('.') : '(top level)'}: ${i.message}`)
    .join('; ');
