import { describe, expect, it } from 'vitest';
import type { FinalOutcome } from '../../../src/domain/document.js';
import { ReconciliationError } from '../../../src/domain/errors.js';
import { summarize } from '../../../src/domain/summarize.js';
import type { BatchOutcomeRecord } from '../../../src/ports/ledger.js';

const NOW = new Date('2026-10-05T08:30:00.000Z');

const row = (
  documentId: string,
  outcome: FinalOutcome | null,
  extra: { duplicate?: boolean; reasonCode?: string; errorName?: string } = {},
): BatchOutcomeRecord => ({
  documentId,
  name: `${documentId}.pdf`,
  outcome,
  duplicate: extra.duplicate ?? false,
  errorName: extra.errorName ?? null,
  errorCause: null,
  reasonCode: extra.reasonCode ?? null,
});

/** The value `fn` throws; fails the test when it does not throw. */
const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to throw');
};

const input = (outcomes: BatchOutcomeRecord[], received = outcomes.length) => ({
  batchId: 'batch-1',
  executionId: 'exec-1',
  configVersion: 'cfg-1',
  received,
  outcomes,
  now: NOW,
});

describe('summarize', () => {
  it('counts each outcome and stamps the batch', () => {
    const summary = summarize(
      input([
        row('a', 'pass'),
        row('b', 'pass'),
        row('c', 'hold', { reasonCode: 'AMOUNT_ABOVE_APPROVAL_LIMIT' }),
        row('d', 'reject', { reasonCode: 'INVALID_IBAN' }),
        row('e', 'failed', { reasonCode: 'PIPELINE_ERROR', errorName: 'InternalError' }),
      ]),
    );
    expect(summary).toEqual({
      batchId: 'batch-1',
      executionId: 'exec-1',
      configVersion: 'cfg-1',
      received: 5,
      pass: 2,
      hold: 1,
      reject: 1,
      failed: 1,
      duplicates: 0,
      reasons: { AMOUNT_ABOVE_APPROVAL_LIMIT: 1, INVALID_IBAN: 1, PIPELINE_ERROR: 1 },
      reconciled: true,
      completedAt: '2026-10-05T08:30:00.000Z',
    });
  });

  it('counts duplicates under their existing outcome as well', () => {
    const summary = summarize(
      input([row('a', 'pass', { duplicate: true }), row('b', 'hold', { duplicate: true, reasonCode: 'FIELD_MISSING' }), row('c', 'pass')]),
    );
    expect(summary.duplicates).toBe(2);
    expect(summary.pass).toBe(2);
    expect(summary.hold).toBe(1);
  });

  it('aggregates reason codes across documents, sorted by code', () => {
    const summary = summarize(
      input([
        row('a', 'hold', { reasonCode: 'FIELD_MISSING' }),
        row('b', 'reject', { reasonCode: 'CORRUPT_PDF' }),
        row('c', 'hold', { reasonCode: 'FIELD_MISSING' }),
        row('d', 'hold', { reasonCode: 'LOW_CONFIDENCE' }),
      ]),
    );
    expect(summary.reasons).toEqual({ CORRUPT_PDF: 1, FIELD_MISSING: 2, LOW_CONFIDENCE: 1 });
    expect(Object.keys(summary.reasons)).toEqual(['CORRUPT_PDF', 'FIELD_MISSING', 'LOW_CONFIDENCE']);
  });

  it('summarises an empty batch', () => {
    const summary = summarize(input([], 0));
    expect([summary.received, summary.pass, summary.hold, summary.reject, summary.failed]).toEqual([0, 0, 0, 0, 0]);
    expect(summary.reasons).toEqual({});
  });

  it('throws ReconciliationError naming every document without an outcome', () => {
    const err = thrown(() => summarize(input([row('a', 'pass'), row('b', null), row('c', 'hold'), row('d', null)])));
    expect(err).toBeInstanceOf(ReconciliationError);
    const e = err as ReconciliationError;
    expect(e.missing).toEqual(['b', 'd']);
    expect(e.message).toContain('batch-1');
    expect(e.message).toContain('received 4');
    expect(e.message).toContain('= 2');
    expect(e.message).toContain('no outcome for b, d');
  });

  it('throws when received differs from the outcomes, even with no missing rows', () => {
    const fewer = thrown(() => summarize(input([row('a', 'pass'), row('b', 'reject')], 3)));
    expect(fewer).toBeInstanceOf(ReconciliationError);
    expect((fewer as ReconciliationError).missing).toEqual([]);
    expect((fewer as Error).message).toMatch(/received 3.*= 2$/);
    const more = thrown(() => summarize(input([row('a', 'pass'), row('b', 'reject')], 1)));
    expect(more).toBeInstanceOf(ReconciliationError);
  });
});
