import { faultsActive, type CrashPoint, type FaultPort, type FaultSpec } from '../../config/faults.js';
import { createFaultPlan, type FaultPlan, type FaultPlanOptions } from './fault-plan.js';

/**
 * A decorator for any port object: the named async methods first ask the fault plan whether this
 * call fails (and throw the taxonomy error it names, before the real adapter is touched), and pass
 * the crash points around the writes crash safety depends on. Everything else (sync methods like
 * `locate`, properties like `name`) reaches the adapter untouched, with the adapter as `this`.
 */

/** The async methods of each port that faults apply to. Writes are also hit by `diskFull`. */
export const FAULT_METHODS: Readonly<Record<FaultPort, { readonly calls: readonly string[]; readonly writes: readonly string[] }>> = {
  ocr: { calls: ['recognize'], writes: [] },
  classifier: { calls: ['classify'], writes: [] },
  objects: { calls: ['get', 'size'], writes: ['ingestFile', 'put'] },
  checkpoints: { calls: ['get'], writes: ['put'] },
  audit: { calls: ['attempts', 'timeline'], writes: ['append'] },
  ledger: {
    calls: ['getDocument', 'getRoute', 'batchOutcomes'],
    writes: ['registerDocument', 'addToBatch', 'recordRoute', 'recordOutcome'],
  },
  sink: { calls: [], writes: ['deliver', 'withdraw'] },
  pdf: { calls: ['open'], writes: [] },
  images: { calls: ['pageCount', 'prepare'], writes: [] },
  notifier: { calls: ['notify'], writes: [] },
};

/** Crash points around a port method: before the call, or after it returned. */
const CRASH_HOOKS: Partial<Record<FaultPort, Record<string, { before?: CrashPoint; after?: CrashPoint }>>> = {
  checkpoints: { put: { before: 'before-checkpoint-write', after: 'after-checkpoint-write' } },
  // The destination is written; the route is recorded by the next call (ledger.recordRoute).
  sink: { deliver: { after: 'mid-route' } },
  audit: { append: { after: 'after-audit-append' } },
};

type AnyFn = (...args: unknown[]) => unknown;

export const withFaults = <T extends object>(port: T, name: FaultPort, plan: FaultPlan): T => {
  const { calls, writes } = FAULT_METHODS[name];
  const wrapped = new Map<PropertyKey, AnyFn>();
  const bound = new Map<PropertyKey, AnyFn>();
  const target = port as Record<PropertyKey, unknown>;
  for (const method of [...calls, ...writes]) {
    const original = target[method];
    if (typeof original !== 'function') continue;
    const write = writes.includes(method);
    const hooks = CRASH_HOOKS[name]?.[method];
    wrapped.set(method, async (...args: unknown[]) => {
      const fault = plan.faultFor(name, method, write);
      if (fault) throw fault;
      if (hooks?.before) plan.reach(hooks.before);
      const result: unknown = await (original as AnyFn).apply(port, args);
      if (hooks?.after) plan.reach(hooks.after);
      return result;
    });
  }
  return new Proxy(port, {
    get(t, prop) {
      const w = wrapped.get(prop);
      if (w) return w;
      const value: unknown = Reflect.get(t, prop, t);
      if (typeof value !== 'function') return value;
      // Adapters may use private fields: their methods must run with the adapter as `this`.
      let b = bound.get(prop);
      if (!b) {
        b = (value as AnyFn).bind(t);
        bound.set(prop, b);
      }
      return b;
    },
  });
};

/** The runtime's ports, by their `deps` names (notifiers is a list of `notifier` ports). */
export type FaultablePorts = Partial<Record<Exclude<FaultPort, 'notifier'>, object>> & { readonly notifiers?: readonly object[] };

/**
 * Wraps every port of `deps` the spec could touch. With no active spec it returns `deps` itself:
 * the very same object with the very same adapters, so fault injection costs nothing when off.
 */
export const withFaultPorts = <D extends FaultablePorts>(
  deps: D,
  spec: FaultSpec | undefined,
  options: FaultPlanOptions = {},
): { deps: D; plan: FaultPlan | null } => {
  if (!faultsActive(spec)) return { deps, plan: null };
  const plan = createFaultPlan(spec, options);
  const ports: Record<string, unknown> = {};
  for (const name of Object.keys(FAULT_METHODS) as FaultPort[]) {
    if (name === 'notifier') continue;
    const p = deps[name];
    if (p) ports[name] = withFaults(p, name, plan);
  }
  if (deps.notifiers) ports['notifiers'] = deps.notifiers.map((n) => withFaults(n, 'notifier', plan));
  return { deps: { ...deps, ...ports }, plan };
};
