import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecisionInfo, Outcome, RouteResult } from '../../src/domain/document.js';
import { PipelineError } from '../../src/domain/errors.js';
import type { RouteSink } from '../../src/ports/route-sink.js';

/**
 * The RouteSink port's contract, as one suite every adapter runs (see STYLE.md, "contract").
 * What callers may rely on: `deliver` puts the original and the decision record at `locate()`,
 * is idempotent (one entry, identical bytes), and never moves or alters the original; a later
 * decision elsewhere coexists until the earlier entry is withdrawn; `withdraw` is idempotent, never
 * touches the original, and refuses locations that are not route entries.
 */

export interface EntryContents {
  /** The original as the destination holds it (through the link, or the copy); null when absent. */
  readonly original: Uint8Array | null;
  /** The decision record's bytes; null when absent. */
  readonly record: Uint8Array | null;
}

export interface RouteSinkFixture {
  readonly sink: RouteSink;
  /** Stores an original (through the object store the sink reads from) and returns its id. */
  addOriginal(bytes: Uint8Array): Promise<string>;
  /** The original, read from the object store. */
  readOriginal(documentId: string): Promise<Uint8Array>;
  readEntry(location: string): Promise<EntryContents>;
  /** The locations of every entry at an outcome (decision records not listed separately). */
  listEntries(outcome: Outcome): Promise<string[]>;
  /** Locations in this destination's syntax that are not route entries, given an original's id. */
  outsideLocations(documentId: string): string[];
  close(): Promise<void>;
}

/** A field value: it belongs in the decision record, and nowhere the contract does not put it. */
export const FIELD_VALUE = 'DE44 5001 0517 5407 3249 31';

export const routeResult = (documentId: string, outcome: Outcome, decision?: DecisionInfo, name = 'Invoice 2026-114.pdf'): RouteResult => ({
  documentId,
  name,
  outcome,
  documentClass: 'invoice',
  confidence: 0.93,
  fields: { iban: FIELD_VALUE, total: 'EUR 1.250,00' },
  findings:
    outcome === 'pass'
      ? []
      : [
          {
            ruleId: 'iban-check',
            reasonCode: 'IBAN_MISMATCH',
            severity: 'hold',
            message: 'IBAN differs from the vendor master',
            fields: ['iban'],
          },
        ],
  reasons: outcome === 'pass' ? [] : [{ code: 'IBAN_MISMATCH', message: 'IBAN differs from the vendor master' }],
  configVersion: 'cfg-1',
  rulesetVersion: 'rules-1',
  classifier: 'keyword',
  ...(decision === undefined ? {} : { decision }),
});

export const reviewDecision = (version: number, from: Outcome): DecisionInfo => ({
  version,
  kind: 'review',
  supersedes: { version: version - 1, outcome: from },
  reviewer: 'reviewer-7',
  reason: 'checked against the vendor master',
  decidedAt: '2026-03-02T10:00:00.000Z',
});

const same = (a: Uint8Array | null, b: Uint8Array): boolean => a !== null && Buffer.from(a).equals(Buffer.from(b));
const parse = (bytes: Uint8Array | null): unknown => JSON.parse(Buffer.from(bytes ?? new Uint8Array()).toString('utf8'));
const lastSegment = (location: string): string => location.split('/').pop() ?? '';

export const routeSinkContract = (name: string, setup: () => Promise<RouteSinkFixture>): void => {
  describe(`RouteSink contract: ${name}`, () => {
    let f: RouteSinkFixture;
    beforeAll(async () => {
      f = await setup();
    });
    afterAll(async () => {
      await f.close();
    });

    /** A fresh original per test, so tests never see each other's entries. */
    const original = async (size = 2048): Promise<{ id: string; bytes: Uint8Array }> => {
      const bytes = new Uint8Array(randomBytes(size));
      return { id: await f.addOriginal(bytes), bytes };
    };
    const entriesOf = async (id: string, outcome: Outcome): Promise<string[]> =>
      (await f.listEntries(outcome)).filter((l) => lastSegment(l).startsWith(id.slice(0, 12)));

    it('delivers the original and the decision record at the location locate() names', async () => {
      const { id, bytes } = await original(3 * 1024 * 1024);
      const result = routeResult(id, 'pass');
      const predicted = f.sink.locate('pass', result);
      const { location } = await f.sink.deliver('pass', result);
      expect(location).toBe(predicted);
      const entry = await f.readEntry(location);
      expect(same(entry.original, bytes)).toBe(true);
      expect(parse(entry.record)).toEqual(result);
      expect(await entriesOf(id, 'pass')).toEqual([location]);
    });

    it('is idempotent: the same result twice leaves one entry with identical bytes', async () => {
      const { id, bytes } = await original();
      const result = routeResult(id, 'hold');
      const first = await f.sink.deliver('hold', result);
      const before = await f.readEntry(first.location);
      const second = await f.sink.deliver('hold', result);
      expect(second.location).toBe(first.location);
      const after = await f.readEntry(second.location);
      expect(same(after.original, bytes)).toBe(true);
      expect(same(after.record, before.record ?? new Uint8Array())).toBe(true);
      expect(await entriesOf(id, 'hold')).toEqual([first.location]);
    });

    it('never moves or alters the original', async () => {
      const { id, bytes } = await original();
      const { location } = await f.sink.deliver('reject', routeResult(id, 'reject'));
      expect(same(await f.readOriginal(id), bytes)).toBe(true);
      await f.sink.withdraw(location);
      expect(same(await f.readOriginal(id), bytes)).toBe(true);
    });

    it('withdraws an entry and its record; a second withdraw is not an error', async () => {
      const { id } = await original();
      const { location } = await f.sink.deliver('hold', routeResult(id, 'hold'));
      await f.sink.withdraw(location);
      expect(await f.readEntry(location)).toEqual({ original: null, record: null });
      expect(await entriesOf(id, 'hold')).toEqual([]);
      await f.sink.withdraw(location);
    });

    it('keeps a later decision at another outcome alongside the earlier one until that is withdrawn', async () => {
      const { id, bytes } = await original();
      const v1 = routeResult(id, 'hold');
      const v2 = routeResult(id, 'pass', reviewDecision(2, 'hold'));
      const held = await f.sink.deliver('hold', v1);
      const passed = await f.sink.deliver('pass', v2);
      expect(passed.location).not.toBe(held.location);
      expect(await entriesOf(id, 'hold')).toEqual([held.location]);
      expect(await entriesOf(id, 'pass')).toEqual([passed.location]);
      expect(parse((await f.readEntry(held.location)).record)).toEqual(v1);

      await f.sink.withdraw(held.location);
      expect(await entriesOf(id, 'hold')).toEqual([]);
      const now = await f.readEntry(passed.location);
      expect(same(now.original, bytes)).toBe(true);
      expect(parse(now.record)).toEqual(v2);
    });

    it('replaces the record in place when a later decision keeps the outcome', async () => {
      const { id } = await original();
      const v1 = routeResult(id, 'hold');
      const v2 = routeResult(id, 'hold', reviewDecision(2, 'hold'));
      const a = await f.sink.deliver('hold', v1);
      const b = await f.sink.deliver('hold', v2);
      expect(b.location).toBe(a.location);
      expect(parse((await f.readEntry(b.location)).record)).toEqual(v2);
      expect(await entriesOf(id, 'hold')).toEqual([a.location]);
    });

    it('keeps a hostile file name inside the outcome', async () => {
      const { id, bytes } = await original();
      const result = routeResult(id, 'reject', undefined, '../../originals/..\\evil\u0000name\n.pdf');
      const { location } = await f.sink.deliver('reject', result);
      expect(await entriesOf(id, 'reject')).toEqual([location]);
      expect(same((await f.readEntry(location)).original, bytes)).toBe(true);
      await f.sink.withdraw(location);
      expect(await entriesOf(id, 'reject')).toEqual([]);
    });

    it('refuses to withdraw what is not a route entry, and removes nothing', async () => {
      const { id, bytes } = await original();
      const { location } = await f.sink.deliver('pass', routeResult(id, 'pass'));
      for (const outside of f.outsideLocations(id)) {
        await expect(f.sink.withdraw(outside)).rejects.toBeInstanceOf(PipelineError);
      }
      expect(same(await f.readOriginal(id), bytes)).toBe(true);
      expect(same((await f.readEntry(location)).original, bytes)).toBe(true);
    });
  });
};
