import { describe, expect, it } from 'vitest';
import { DEFAULT_FIELDS } from '../../../src/config/defaults.js';
import type { FieldSpec } from '../../../src/config/field-spec.js';
import type { DecisionInfo, FieldValue, Finding, RouteResult } from '../../../src/domain/document.js';
import {
  applyCorrections,
  checkReviewInput,
  MAX_REASON_CHARS,
  parseCorrections,
  reviewedRecord,
  type Correction,
} from '../../../src/domain/review.js';

const INVOICE_SPECS: readonly FieldSpec[] = DEFAULT_FIELDS['invoice'] ?? [];

/** Narrows a parse or apply result to its success branch, failing the test with the problem otherwise. */
const ok = <T extends object>(r: T | { problem: string }): T => {
  if ('problem' in r) throw new Error(`unexpected problem: ${r.problem}`);
  return r;
};

const problemOf = (r: object): string => {
  if (!('problem' in r) || typeof r.problem !== 'string') throw new Error(`expected a problem, got ${JSON.stringify(r)}`);
  return r.problem;
};

describe('checkReviewInput', () => {
  it('accepts an opaque reviewer id and a one-line reason', () => {
    expect(checkReviewInput('alice', 'Total confirmed with the supplier by phone')).toBeNull();
    expect(checkReviewInput('E1024', 'ok')).toBeNull();
    expect(checkReviewInput('jane.doe+ap@example.com', 'ok')).toBeNull();
    expect(checkReviewInput('a'.repeat(64), 'ok')).toBeNull();
  });

  it.each([[''], ['-alice'], ['.alice'], ['al ice'], ['alice\n'], ['a'.repeat(65)], ['alice;drop'], ['ålice']])(
    'refuses the reviewer id %j',
    (reviewer) => {
      expect(checkReviewInput(reviewer, 'a fine reason')).toMatch(/reviewer id/);
    },
  );

  it.each([[''], ['   '], ['\t \t']])('requires a reason (got %j)', (reason) => {
    expect(checkReviewInput('alice', reason)).toMatch(/reason is required/);
  });

  it.each([
    ['approved\nby phone'],
    ['tab\tinside'],
    ['bell\u0007'],
    ['delete\u007fchar'],
    ['nul\u0000byte'],
    ['next\u0085line'],
    ['csi\u009b31m'],
    ['line\u2028separator'],
    ['para\u2029separator'],
    ['bidi\u202eoverride'],
    ['isolate\u2067x'],
  ])('refuses control characters inside the reason (%j)', (reason) => {
    expect(checkReviewInput('alice', reason)).toMatch(/control characters/);
  });

  it('trims the reason before judging it, so surrounding newlines are fine', () => {
    expect(checkReviewInput('alice', '\n  confirmed by phone \n')).toBeNull();
  });

  it(`refuses a reason longer than ${MAX_REASON_CHARS} characters, counting code points`, () => {
    expect(checkReviewInput('alice', 'x'.repeat(MAX_REASON_CHARS))).toBeNull();
    expect(checkReviewInput('alice', 'x'.repeat(MAX_REASON_CHARS + 1))).toMatch(new RegExp(`longer than ${MAX_REASON_CHARS}`));
    // Astral characters are one character each, not two UTF-16 units.
    expect(checkReviewInput('alice', '😀'.repeat(MAX_REASON_CHARS))).toBeNull();
    expect(checkReviewInput('alice', '😀'.repeat(MAX_REASON_CHARS + 1))).not.toBeNull();
  });

  it('never echoes the reason text in its problem', () => {
    const secret = 'IBAN DE89370400440532013000 belongs to Mr Smith';
    const problems = [
      checkReviewInput('alice', `${secret}\nsecond line`),
      checkReviewInput('alice', `${secret} ${'x'.repeat(MAX_REASON_CHARS)}`),
      checkReviewInput('bad id', secret),
    ];
    for (const p of problems) {
      expect(p).not.toBeNull();
      expect(p).not.toContain('DE89');
      expect(p).not.toContain('Smith');
    }
  });
});

describe('parseCorrections', () => {
  it('parses field=value pairs in order, keeping the raw value', () => {
    expect(ok(parseCorrections(['total=1.234,56', 'iban=DE89 3704 0044 0532 0130 00']))).toEqual({
      corrections: [
        { field: 'total', raw: '1.234,56' },
        { field: 'iban', raw: 'DE89 3704 0044 0532 0130 00' },
      ],
    });
  });

  it('splits at the first "=" only: an "=" inside the value is kept', () => {
    expect(ok(parseCorrections(['issuer=A=B Trading', 'invoice_number==7']))).toEqual({
      corrections: [
        { field: 'issuer', raw: 'A=B Trading' },
        { field: 'invoice_number', raw: '=7' },
      ],
    });
  });

  it('accepts no corrections at all', () => {
    expect(ok(parseCorrections([]))).toEqual({ corrections: [] });
  });

  it('refuses a field named twice', () => {
    const problem = problemOf(parseCorrections(['total=1', 'date=2026-10-03', 'total=2']));
    expect(problem).toMatch(/twice/);
    expect(problem).toContain('"total"');
  });

  it.each([['Total=1'], ['=5'], ['total'], ['1total=2'], ['to-tal=3'], ['total amount=4']])('refuses the bad field name in %j', (set) => {
    expect(problemOf(parseCorrections([set]))).toMatch(/field=value with a lowercase field name/);
  });

  it('names the bad field, not the value, when there is an "="', () => {
    const problem = problemOf(parseCorrections(['IBAN=DE89370400440532013000']));
    expect(problem).toContain('IBAN');
    expect(problem).not.toContain('DE89');
  });
});

describe('applyCorrections', () => {
  const extracted: Readonly<Record<string, FieldValue>> = Object.freeze({
    invoice_number: 'T-00042',
    total: 48900,
    date: '2026-10-03',
    iban: 'DE89370400440532013000',
  });

  it.each([
    ['1.234,56', 1234.56],
    ['48900.00', 48900],
    ['48,900.00', 48900],
    ['EUR 9.500,00', 9500],
  ])('normalises the amount %j to the number %j', (raw, value) => {
    const { fields, corrected } = ok(applyCorrections(extracted, INVOICE_SPECS, [{ field: 'total', raw }]));
    expect(fields['total']).toBe(value);
    expect(typeof fields['total']).toBe('number');
    expect(corrected).toEqual(['total']);
  });

  it('normalises a date to ISO, day first by default', () => {
    const { fields } = ok(applyCorrections(extracted, INVOICE_SPECS, [{ field: 'date', raw: '05.11.2026' }]));
    expect(fields['date']).toBe('2026-11-05');
    const named = ok(applyCorrections(extracted, INVOICE_SPECS, [{ field: 'due_date', raw: '12 October 2026' }]));
    expect(named.fields['due_date']).toBe('2026-10-12');
  });

  it("honours the field's hints (a month-first date field)", () => {
    const specs: FieldSpec[] = [{ name: 'date', type: 'date', pattern: 'x', hints: { dateOrder: 'MDY' } }];
    const { fields } = ok(applyCorrections({}, specs, [{ field: 'date', raw: '05/11/2026' }]));
    expect(fields['date']).toBe('2026-05-11');
  });

  it('normalises a valid IBAN and refuses one that fails mod-97, without echoing it', () => {
    const valid = ok(applyCorrections(extracted, INVOICE_SPECS, [{ field: 'iban', raw: 'gb82 west 1234 5698 7654 32' }]));
    expect(valid.fields['iban']).toBe('GB82WEST12345698765432');

    const problem = problemOf(applyCorrections(extracted, INVOICE_SPECS, [{ field: 'iban', raw: 'DE00 3704 0044 0532 0130 00' }]));
    expect(problem).toMatch(/"iban" is not a valid iban/);
    expect(problem).not.toContain('3704');
  });

  it('refuses a value that is not of the field type, naming the field only', () => {
    const problem = problemOf(applyCorrections(extracted, INVOICE_SPECS, [{ field: 'total', raw: 'about 12 thousand' }]));
    expect(problem).toBe('the value given for "total" is not a valid amount');
    expect(problemOf(applyCorrections(extracted, INVOICE_SPECS, [{ field: 'date', raw: '31.02.2026' }]))).toMatch(/"date"/);
  });

  it("refuses a field the document's class does not have, listing the fields it has", () => {
    const problem = problemOf(applyCorrections(extracted, INVOICE_SPECS, [{ field: 'totl', raw: '12.00' }]));
    expect(problem).toContain('"totl" is not a field');
    expect(problem).toContain('expected one of issuer, invoice_number, date, due_date, total, currency, iban, bic');
    expect(problemOf(applyCorrections(extracted, [], [{ field: 'total', raw: '1' }]))).toContain('(none)');
  });

  it('refuses the whole set when one correction is bad (no partial result)', () => {
    const r = applyCorrections(extracted, INVOICE_SPECS, [
      { field: 'total', raw: '12.00' },
      { field: 'iban', raw: 'not an iban' },
    ]);
    expect(problemOf(r)).toMatch(/"iban"/);
    expect('fields' in r).toBe(false);
  });

  it('returns a new field set and leaves the input untouched', () => {
    const input: Record<string, FieldValue> = { ...extracted };
    const before = structuredClone(input);
    const corrections: Correction[] = [
      { field: 'total', raw: '9.500,00' },
      { field: 'date', raw: '2026-10-04' },
    ];
    const { fields, corrected } = ok(applyCorrections(input, INVOICE_SPECS, corrections));
    expect(input).toEqual(before);
    expect(fields).not.toBe(input);
    expect(fields).toEqual({ ...before, total: 9500, date: '2026-10-04' });
    // Names only, in the order given: the corrected values are never listed here.
    expect(corrected).toEqual(['total', 'date']);
  });

  it('adds a field the extraction missed', () => {
    const { fields, corrected } = ok(applyCorrections({ total: 12 }, INVOICE_SPECS, [{ field: 'invoice_number', raw: ' INV-7 ' }]));
    expect(fields).toEqual({ total: 12, invoice_number: 'INV-7' });
    expect(corrected).toEqual(['invoice_number']);
  });
});

describe('reviewedRecord', () => {
  const limitFinding: Finding = {
    ruleId: 'invoice-approval-limit',
    reasonCode: 'AMOUNT_ABOVE_APPROVAL_LIMIT',
    severity: 'hold',
    message: 'The invoice total is above the approval limit of 10,000.',
    fields: ['total'],
  };
  const prior: RouteResult = {
    documentId: 'a'.repeat(64),
    name: 'invoice-42.pdf',
    outcome: 'hold',
    documentClass: 'invoice',
    confidence: 0.91,
    fields: { total: 48900, iban: '••••3000' },
    findings: [limitFinding],
    reasons: [
      { code: 'AMOUNT_ABOVE_APPROVAL_LIMIT', message: 'The invoice total is above the approval limit (rule invoice-approval-limit)' },
    ],
    configVersion: 'cfg-1',
    rulesetVersion: 'rules-1',
    classifier: 'keywords',
    decision: { version: 1, kind: 'pipeline' },
  };
  const info = (extra: Partial<DecisionInfo> = {}): DecisionInfo & { reviewer: string; reason: string } => ({
    version: 2,
    kind: 'review',
    supersedes: { version: 1, outcome: 'hold' },
    reviewer: 'alice',
    reason: 'Confirmed with the supplier',
    decidedAt: '2026-11-28T12:00:00.000Z',
    ...extra,
  });

  it('approves: outcome pass, REVIEW_APPROVED first, naming the reviewer and the reason', () => {
    const decisionInfo = info();
    const r = reviewedRecord({ prior, action: 'approve', info: decisionInfo, fields: prior.fields, findings: prior.findings });
    expect(r.outcome).toBe('pass');
    expect(r.reasons).toEqual([{ code: 'REVIEW_APPROVED', message: 'Approved by reviewer alice: Confirmed with the supplier.' }]);
    expect(r.decision).toEqual(decisionInfo);
    // What the reviewer saw stays: findings, and everything that identifies the document.
    expect(r.findings).toEqual([limitFinding]);
    expect(r).toMatchObject({
      documentId: prior.documentId,
      name: prior.name,
      documentClass: 'invoice',
      confidence: 0.91,
      configVersion: 'cfg-1',
      rulesetVersion: 'rules-1',
      classifier: 'keywords',
    });
  });

  it('rejects: outcome reject, REVIEW_REJECTED first', () => {
    const r = reviewedRecord({ prior, action: 'reject', info: info(), fields: prior.fields, findings: prior.findings });
    expect(r.outcome).toBe('reject');
    expect(r.reasons[0]?.code).toBe('REVIEW_REJECTED');
    expect(r.reasons[0]?.message).toMatch(/^Rejected by reviewer alice: /);
    expect(r.reasons).toHaveLength(1);
  });

  it('trims the reason in the record', () => {
    const r = reviewedRecord({ prior, action: 'approve', info: info({ reason: '  ok  ' }), fields: {}, findings: [] });
    expect(r.reasons[0]?.message).toBe('Approved by reviewer alice: ok.');
  });

  it('does not add RULES_AFTER_CORRECTION when nothing was corrected, even with findings', () => {
    const r = reviewedRecord({ prior, action: 'approve', info: info(), fields: prior.fields, findings: [limitFinding] });
    expect(r.reasons.map((x) => x.code)).toEqual(['REVIEW_APPROVED']);
    const empty = reviewedRecord({
      prior,
      action: 'approve',
      info: info({ correctedFields: [] }),
      fields: prior.fields,
      findings: [limitFinding],
    });
    expect(empty.reasons.map((x) => x.code)).toEqual(['REVIEW_APPROVED']);
  });

  it('does not add RULES_AFTER_CORRECTION when the corrections silenced the rules', () => {
    const r = reviewedRecord({
      prior,
      action: 'approve',
      info: info({ correctedFields: ['total'], fieldsVersion: 2 }),
      fields: { total: 9500, iban: '••••3000' },
      findings: [],
    });
    expect(r.reasons.map((x) => x.code)).toEqual(['REVIEW_APPROVED']);
    expect(r.reasons[0]?.message).toContain('Corrected: total.');
    expect(r.fields).toEqual({ total: 9500, iban: '••••3000' });
    expect(r.findings).toEqual([]);
    expect(r.decision).toMatchObject({ correctedFields: ['total'], fieldsVersion: 2 });
  });

  it('adds RULES_AFTER_CORRECTION, second, when rules still fire on the corrected fields', () => {
    const ibanFinding: Finding = {
      ruleId: 'iban-checksum',
      reasonCode: 'INVALID_IBAN',
      severity: 'reject',
      message: 'The IBAN fails its mod-97 checksum.',
      fields: ['iban'],
    };
    const one = reviewedRecord({
      prior,
      action: 'approve',
      info: info({ correctedFields: ['total'], fieldsVersion: 2 }),
      fields: { total: 20000 },
      findings: [limitFinding],
    });
    expect(one.reasons.map((x) => x.code)).toEqual(['REVIEW_APPROVED', 'RULES_AFTER_CORRECTION']);
    expect(one.reasons[1]?.message).toBe('On the corrected fields, rule invoice-approval-limit (AMOUNT_ABOVE_APPROVAL_LIMIT) still fires.');

    const two = reviewedRecord({
      prior,
      action: 'reject',
      info: info({ correctedFields: ['total', 'iban'], fieldsVersion: 2 }),
      fields: { total: 20000 },
      findings: [ibanFinding, limitFinding],
    });
    expect(two.reasons.map((x) => x.code)).toEqual(['REVIEW_REJECTED', 'RULES_AFTER_CORRECTION']);
    expect(two.reasons[0]?.message).toContain('Corrected: total, iban.');
    expect(two.reasons[1]?.message).toMatch(/rules iban-checksum \(INVALID_IBAN\), invoice-approval-limit .* still fire\.$/);
  });

  it('does not modify the prior record', () => {
    const before = structuredClone(prior);
    reviewedRecord({ prior, action: 'reject', info: info({ correctedFields: ['total'] }), fields: { total: 1 }, findings: [] });
    expect(prior).toEqual(before);
  });
});
