import { describe, expect, it } from 'vitest';
import { faultsActive, FaultsSchema, type FaultSpec } from '../../../src/config/faults.js';
import { faultsFromEnv } from '../../../src/config/env.js';
import { createFaultPlan } from '../../../src/adapters/faults/fault-plan.js';
import { withFaultPorts, withFaults } from '../../../src/adapters/faults/with-faults.js';
import { isStorageFull, storageError } from '../../../src/adapters/storage-errors.js';
import {
  ConfigError,
  DependencyUnavailableError,
  PipelineError,
  StepTimeoutError,
  StorageFullError,
  ThrottledError,
} from '../../../src/domain/errors.js';

const spec = (raw: unknown): FaultSpec => FaultsSchema.parse(raw);

/** A fake clock the test moves by hand. */
const manualClock = (): { now: () => number; advance: (ms: number) => void } => {
  let t = 1000;
  return { now: () => t, advance: (ms) => (t += ms) };
};

/** Calls `fn` n times, sequentially; counts results by error name ('ok' for success). */
const tally = async (n: number, fn: () => Promise<unknown>): Promise<Record<string, number>> => {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    let key = 'ok';
    try {
      await fn();
    } catch (err) {
      key = err instanceof PipelineError ? err.name : 'other';
    }
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
};

const fakeOcr = () => {
  const state = { calls: 0 };
  return {
    state,
    port: {
      name: 'fake-ocr',
      recognize: async () => {
        state.calls += 1;
        return Promise.resolve({ text: 'x', confidence: 0.9 });
      },
      close: () => Promise.resolve(),
    },
  };
};

describe('fault spec', () => {
  it('is off when empty, on when any fault is named', () => {
    expect(faultsActive(undefined)).toBe(false);
    expect(faultsActive(spec({}))).toBe(false);
    expect(faultsActive(spec({ seed: 3 }))).toBe(false);
    expect(faultsActive(spec({ throttle: { ocr: 0 } }))).toBe(false);
    expect(faultsActive(spec({ throttle: { ocr: 0.1 } }))).toBe(true);
    expect(faultsActive(spec({ diskFull: { forMs: 10 } }))).toBe(true);
    expect(faultsActive(spec({ crash: { at: 'mid-route', nth: 2 } }))).toBe(true);
  });

  it('DOCROUTE_FAULTS: unset is undefined; valid JSON is parsed', () => {
    expect(faultsFromEnv({})).toBeUndefined();
    expect(faultsFromEnv({ DOCROUTE_FAULTS: '{"seed":7,"throttle":{"ocr":0.3}}' })).toEqual({ seed: 7, throttle: { ocr: 0.3 } });
  });

  it.each([
    ['{"throttle":{"ocr":1.5}}', 'throttle.ocr'],
    ['{"throttle":{"scanner":0.5}}', 'throttle'],
    ['{"outage":{"classifier":{"afterMs":0}}}', 'outage.classifier.forMs'],
    ['{"crash":{"at":"somewhere","nth":1}}', 'crash.at'],
    ['{"crash":{"at":"mid-route"}}', 'crash'],
    ['{"chaos":true}', '(top level)'],
  ])('DOCROUTE_FAULTS=%s fails with a ConfigError naming %s', (raw, where) => {
    let caught: unknown;
    try {
      faultsFromEnv({ DOCROUTE_FAULTS: raw });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toContain(`DOCROUTE_FAULTS: ${where}`);
  });

  it('DOCROUTE_FAULTS that is not JSON is a ConfigError', () => {
    expect(() => faultsFromEnv({ DOCROUTE_FAULTS: '{throttle' })).toThrow(ConfigError);
  });
});

describe('fault plan: probabilities', () => {
  it('throttles at the configured rate, the same calls for the same seed', async () => {
    const run = async (seed: number) => {
      const { port, state } = fakeOcr();
      const ocr = withFaults(port, 'ocr', createFaultPlan(spec({ seed, throttle: { ocr: 0.3 } })));
      const counts = await tally(1000, () => ocr.recognize());
      return { counts, calls: state.calls };
    };
    const a = await run(7);
    // Exact for seed 7: a regression in the generator or the draw order changes these numbers.
    expect(a.counts).toEqual({ ThrottledError: 296, ok: 704 });
    // The adapter is not called when the fault fires.
    expect(a.calls).toBe(704);
    expect(await run(7)).toEqual(a);
    const b = await run(8);
    expect(b.counts.ThrottledError).not.toBe(296);
    expect(Math.abs((b.counts.ThrottledError ?? 0) - 300)).toBeLessThan(50);
  });

  it('timeouts are StepTimeoutErrors; throttle wins when both fire', async () => {
    const { port } = fakeOcr();
    const ocr = withFaults(port, 'ocr', createFaultPlan(spec({ seed: 1, throttle: { ocr: 0.2 }, timeout: { ocr: 0.1 } })));
    const counts = await tally(2000, () => ocr.recognize());
    expect(counts).toEqual({ ThrottledError: 398, StepTimeoutError: 148, ok: 1454 });
  });

  it('a port draws from its own stream: faults on ocr do not depend on classifier traffic', () => {
    const s = spec({ seed: 5, throttle: { ocr: 0.5, classifier: 0.5 } });
    const pattern = (interleave: boolean) => {
      const plan = createFaultPlan(s);
      const seen: boolean[] = [];
      for (let i = 0; i < 50; i++) {
        if (interleave) plan.faultFor('classifier', 'classify', false);
        seen.push(plan.faultFor('ocr', 'recognize', false) !== null);
      }
      return seen;
    };
    expect(pattern(true)).toEqual(pattern(false));
    expect(pattern(false).filter(Boolean).length).toBeGreaterThan(0);
  });

  it('counts what it injected', async () => {
    const plan = createFaultPlan(spec({ seed: 7, throttle: { ocr: 0.3 } }));
    const ocr = withFaults(fakeOcr().port, 'ocr', plan);
    await tally(1000, () => ocr.recognize());
    expect(plan.counts()).toEqual({ 'ocr.throttle': 296 });
  });
});

describe('fault plan: windows', () => {
  it('an outage fails every call inside its window only', async () => {
    const clock = manualClock();
    const plan = createFaultPlan(spec({ outage: { classifier: { afterMs: 100, forMs: 50 } } }), { now: clock.now });
    const classifier = withFaults(
      { name: 'c', needsText: true, classify: () => Promise.resolve({ documentClass: 'invoice' }) },
      'classifier',
      plan,
    );
    await expect(classifier.classify()).resolves.toEqual({ documentClass: 'invoice' });
    clock.advance(100);
    await expect(classifier.classify()).rejects.toBeInstanceOf(DependencyUnavailableError);
    clock.advance(49);
    await expect(classifier.classify()).rejects.toBeInstanceOf(DependencyUnavailableError);
    clock.advance(1);
    await expect(classifier.classify()).resolves.toEqual({ documentClass: 'invoice' });
    expect(plan.counts()).toEqual({ 'classifier.outage': 2 });
  });

  it('a first-call window starts with the first call it applies to, not at start-up', async () => {
    const clock = manualClock();
    const plan = createFaultPlan(spec({ outage: { classifier: { forMs: 50, from: 'first-call' } } }), { now: clock.now });
    const classifier = withFaults({ classify: () => Promise.resolve('ok') }, 'classifier', plan);
    clock.advance(10_000);
    await expect(classifier.classify()).rejects.toBeInstanceOf(DependencyUnavailableError);
    clock.advance(49);
    await expect(classifier.classify()).rejects.toBeInstanceOf(DependencyUnavailableError);
    clock.advance(1);
    await expect(classifier.classify()).resolves.toBe('ok');
  });

  it('disk full fails writes with a retryable StorageFullError (STORAGE_FULL); reads go through', async () => {
    const clock = manualClock();
    const plan = createFaultPlan(spec({ diskFull: { afterMs: 0, forMs: 1000 } }), { now: clock.now });
    const rows: string[] = [];
    const store = {
      put: (_k: unknown, v: string) => Promise.resolve(void rows.push(v)),
      get: () => Promise.resolve(rows.at(-1)),
    };
    const checkpoints = withFaults(store, 'checkpoints', plan);
    const err: unknown = await checkpoints.put({}, 'a').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageFullError);
    expect(err).toMatchObject({ name: 'StorageFullError', retryable: true, reasonCode: 'STORAGE_FULL' });
    expect((err as Error).message).toContain('ENOSPC');
    expect(rows).toEqual([]);
    await expect(checkpoints.get()).resolves.toBeUndefined();
    clock.advance(1000);
    await checkpoints.put({}, 'b');
    expect(rows).toEqual(['b']);
  });
});

describe('fault plan: crash points', () => {
  it('kills the nth time a point is reached, after the write it follows', async () => {
    const kills: number[] = [];
    const written: string[] = [];
    const plan = createFaultPlan(spec({ crash: { at: 'after-checkpoint-write', nth: 3 } }), {
      kill: () => kills.push(written.length),
    });
    const checkpoints = withFaults(
      { put: (_k: unknown, v: string) => Promise.resolve(void written.push(v)), get: () => Promise.resolve(undefined) },
      'checkpoints',
      plan,
    );
    for (const v of ['a', 'b', 'c', 'd', 'e']) await checkpoints.put({}, v);
    // Once, on the 3rd put, with the 3rd value already written.
    expect(kills).toEqual([3]);
    expect(plan.counts()).toEqual({ 'crash.after-checkpoint-write': 1 });
  });

  it('before-checkpoint-write kills before the value is written', async () => {
    const kills: number[] = [];
    const written: string[] = [];
    const plan = createFaultPlan(spec({ crash: { at: 'before-checkpoint-write', nth: 2 } }), { kill: () => kills.push(written.length) });
    const checkpoints = withFaults({ put: (_k: unknown, v: string) => Promise.resolve(void written.push(v)) }, 'checkpoints', plan);
    await checkpoints.put({}, 'a');
    await checkpoints.put({}, 'b');
    expect(kills).toEqual([1]);
  });

  it('mid-route kills after the destination is written; after-audit-append after the row', async () => {
    const events: string[] = [];
    const route = createFaultPlan(spec({ crash: { at: 'mid-route', nth: 1 } }), { kill: () => events.push('kill') });
    const sink = withFaults(
      { deliver: () => Promise.resolve(void events.push('delivered')).then(() => ({ location: 'x' })), locate: () => 'x' },
      'sink',
      route,
    );
    await sink.deliver();
    expect(events).toEqual(['delivered', 'kill']);
    // A sync method stays sync and unwrapped.
    expect(sink.locate()).toBe('x');

    const audited: string[] = [];
    const audit = createFaultPlan(spec({ crash: { at: 'after-audit-append', nth: 2 } }), { kill: () => audited.push('kill') });
    const log = withFaults({ append: (r: string) => Promise.resolve(void audited.push(r)) }, 'audit', audit);
    await log.append('r1');
    await log.append('r2');
    await log.append('r3');
    expect(audited).toEqual(['r1', 'r2', 'kill', 'r3']);
  });

  it('crash.probability is seeded', () => {
    const kills = (seed: number): number => {
      let n = 0;
      const plan = createFaultPlan(spec({ seed, crash: { at: 'mid-route', probability: 0.1 } }), { kill: () => (n += 1) });
      for (let i = 0; i < 500; i++) plan.reach('mid-route');
      return n;
    };
    expect(kills(3)).toBe(kills(3));
    expect(kills(3)).toBe(38);
  });
});

describe('withFaultPorts', () => {
  it('off: returns the very same deps object with the very same adapters', () => {
    const deps = { ocr: fakeOcr().port, classifier: {}, notifiers: [{ name: 'n', notify: () => Promise.resolve() }], config: {} };
    for (const off of [undefined, spec({}), spec({ seed: 9, throttle: { ocr: 0 } })]) {
      const { deps: out, plan } = withFaultPorts(deps, off);
      expect(out).toBe(deps);
      expect(out.ocr).toBe(deps.ocr);
      expect(out.notifiers).toBe(deps.notifiers);
      expect(plan).toBeNull();
    }
  });

  it('on: wraps every port by its deps name, notifiers included; other keys pass through', async () => {
    const ocr = fakeOcr();
    const notified: string[] = [];
    const deps = {
      ocr: ocr.port,
      notifiers: [{ name: 'n', notify: () => Promise.resolve(void notified.push('n')) }],
      config: { x: 1 },
    };
    const { deps: out, plan } = withFaultPorts(deps, spec({ throttle: { ocr: 1 }, outage: { notifier: { forMs: 60_000 } } }));
    expect(plan).not.toBeNull();
    expect(out.config).toBe(deps.config);
    expect(out.ocr.name).toBe('fake-ocr');
    await expect(out.ocr.recognize()).rejects.toBeInstanceOf(ThrottledError);
    await expect(out.notifiers[0]!.notify()).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(ocr.state.calls).toBe(0);
    expect(notified).toEqual([]);
    // The original deps are untouched.
    await deps.ocr.recognize();
    expect(ocr.state.calls).toBe(1);
  });

  it('methods run with the adapter as `this` (private fields keep working)', async () => {
    class Store {
      #rows: string[] = [];
      put(_k: unknown, v: string): Promise<void> {
        this.#rows.push(v);
        return Promise.resolve();
      }
      count(): number {
        return this.#rows.length;
      }
    }
    const store = new Store();
    const wrapped = withFaults(store, 'checkpoints', createFaultPlan(spec({ timeout: { checkpoints: 0 } })));
    await wrapped.put({}, 'a');
    expect(wrapped.count()).toBe(1);
    expect(wrapped).toBeInstanceOf(Store);
  });
});

describe('storage errors', () => {
  it.each(['ENOSPC', 'EDQUOT', 'SQLITE_FULL'])('%s is a StorageFullError', (code) => {
    const err = storageError(Object.assign(new Error('disk'), { code }), 'cannot write to the pass folder');
    expect(isStorageFull({ code })).toBe(true);
    expect(err).toBeInstanceOf(StorageFullError);
    expect(err.message).toBe(`cannot write to the pass folder (${code}): no space left`);
  });

  it('other codes are DependencyUnavailableError; taxonomy errors pass through', () => {
    expect(storageError(Object.assign(new Error('x'), { code: 'EACCES' }), 'w')).toBeInstanceOf(DependencyUnavailableError);
    const timeout = new StepTimeoutError('t');
    expect(storageError(timeout, 'w')).toBe(timeout);
  });
});
