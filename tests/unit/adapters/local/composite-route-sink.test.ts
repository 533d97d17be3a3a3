import { describe, expect, it } from 'vitest';
import { CompositeRouteSink } from '../../../../src/adapters/local/composite-route-sink.js';
import type { Outcome, RouteResult } from '../../../../src/domain/document.js';
import { DependencyUnavailableError, ThrottledError } from '../../../../src/domain/errors.js';
import type { RouteSink } from '../../../../src/ports/route-sink.js';

const result = (outcome: Outcome): RouteResult => ({
  documentId: 'd'.repeat(64),
  name: 'scan.png',
  outcome,
  documentClass: 'invoice',
  confidence: 0.8,
  fields: {},
  findings: [],
  reasons: [],
  configVersion: 'c',
  rulesetVersion: 'r',
  classifier: 'rules',
});

/** A fake sink that appends what it was asked to a shared log, so the order across sinks shows. */
const recordingSink = (name: string, log: string[], fail?: Error): RouteSink => ({
  locate: (outcome) => `${name}:${outcome}`,
  deliver: (outcome) => {
    log.push(`${name}.deliver(${outcome})`);
    return fail ? Promise.reject(fail) : Promise.resolve({ location: `${name}:${outcome}` });
  },
  withdraw: (location) => {
    log.push(`${name}.withdraw(${location})`);
    return Promise.resolve();
  },
});

describe('composite route sink', () => {
  it("returns the primary's location, not an extra's", async () => {
    const log: string[] = [];
    const sink = new CompositeRouteSink(recordingSink('folder', log), { pass: [recordingSink('hook', log)] });
    expect(await sink.deliver('pass', result('pass'))).toEqual({ location: 'folder:pass' });
  });

  it('calls extras after the primary, in order, and only for their outcome', async () => {
    const log: string[] = [];
    const sink = new CompositeRouteSink(recordingSink('folder', log), {
      pass: [recordingSink('passHook', log), recordingSink('audit', log)],
      hold: [recordingSink('holdHook', log)],
    });
    await sink.deliver('pass', result('pass'));
    await sink.deliver('hold', result('hold'));
    await sink.deliver('reject', result('reject'));
    expect(log).toEqual([
      'folder.deliver(pass)',
      'passHook.deliver(pass)',
      'audit.deliver(pass)',
      'folder.deliver(hold)',
      'holdHook.deliver(hold)',
      'folder.deliver(reject)',
    ]);
  });

  it('works with no extras at all', async () => {
    const log: string[] = [];
    const sink = new CompositeRouteSink(recordingSink('folder', log));
    expect(await sink.deliver('hold', result('hold'))).toEqual({ location: 'folder:hold' });
    expect(log).toEqual(['folder.deliver(hold)']);
  });

  it('fails the delivery when an extra fails, with its taxonomy error, and takes the primary entry back', async () => {
    const log: string[] = [];
    const sink = new CompositeRouteSink(recordingSink('folder', log), {
      pass: [recordingSink('hook', log, new ThrottledError('pass webhook answered 429')), recordingSink('later', log)],
    });
    await expect(sink.deliver('pass', result('pass'))).rejects.toBeInstanceOf(ThrottledError);
    // A document whose delivery did not complete must not stay in a folder downstream consumes.
    expect(log).toEqual(['folder.deliver(pass)', 'hook.deliver(pass)', 'folder.withdraw(folder:pass)']);
  });

  it('never calls extras when the primary fails', async () => {
    const log: string[] = [];
    const sink = new CompositeRouteSink(recordingSink('folder', log, new DependencyUnavailableError('disk full')), {
      pass: [recordingSink('hook', log)],
    });
    await expect(sink.deliver('pass', result('pass'))).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(log).toEqual(['folder.deliver(pass)']);
  });

  it('withdraws from the primary only', async () => {
    const log: string[] = [];
    const sink = new CompositeRouteSink(recordingSink('folder', log), {
      pass: [recordingSink('passHook', log)],
      hold: [recordingSink('holdHook', log)],
      reject: [recordingSink('rejectHook', log)],
    });
    await sink.withdraw('/data/hold/abc-scan.png');
    expect(log).toEqual(['folder.withdraw(/data/hold/abc-scan.png)']);
  });
});

describe('composite route sink: locate', () => {
  it("answers the primary's location without delivering anything", () => {
    const log: string[] = [];
    const sink = new CompositeRouteSink(recordingSink('folder', log), { pass: [recordingSink('webhook', log)] });
    expect(sink.locate('pass', result('pass'))).toBe('folder:pass');
    expect(log).toEqual([]);
  });
});
