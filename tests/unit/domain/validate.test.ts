import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from '../../../src/config/defaults.js';
import type { RuleSpec } from '../../../src/config/schema.js';
import type { FieldSet } from '../../../src/domain/document.js';
import { ConfigError } from '../../../src/domain/errors.js';
import { compileRules, factsOf } from '../../../src/domain/validate.js';

const VALID_IBAN = 'DE89370400440532013000';
const BAD_IBAN = 'DE89370400440532013001';

const invoiceFields = (overrides: Record<string, string | number | undefined> = {}): Record<string, string | number> => {
  const fields: Record<string, string | number | undefined> = {
    invoice_number: 'INV-2026-0412',
    total: 1250,
    iban: VALID_IBAN,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(fields).filter((e): e is [string, string | number] => e[1] !== undefined));
};

const facts = (fields: Record<string, string | number>, documentClass = 'invoice') => ({ documentClass, confidence: 0.9, fields });

const rule = (overrides: Partial<RuleSpec> & Pick<RuleSpec, 'id' | 'conditions'>): RuleSpec => ({
  description: '',
  classes: [],
  outcome: 'hold',
  reasonCode: 'CUSTOM',
  message: 'Custom rule fired.',
  fields: [],
  ...overrides,
});

const codes = (findings: readonly { reasonCode: string }[]): string[] => findings.map((f) => f.reasonCode);

describe('compileRules with the default rules', () => {
  const rules = compileRules(DEFAULT_RULES);

  it('raises nothing for a complete invoice under the limit with a valid IBAN', async () => {
    expect(await rules.evaluate(facts(invoiceFields()))).toEqual([]);
  });

  it('holds an invoice above the approval limit', async () => {
    const findings = await rules.evaluate(facts(invoiceFields({ total: 48900 })));
    expect(findings).toEqual([
      {
        ruleId: 'invoice-approval-limit',
        reasonCode: 'AMOUNT_ABOVE_APPROVAL_LIMIT',
        severity: 'hold',
        message: 'The invoice total is above the approval limit of 10,000.',
        fields: ['total'],
      },
    ]);
  });

  it('does not hold an invoice exactly at the limit', async () => {
    expect(await rules.evaluate(facts(invoiceFields({ total: 10000 })))).toEqual([]);
  });

  it('rejects an invoice whose IBAN fails mod-97', async () => {
    const findings = await rules.evaluate(facts(invoiceFields({ iban: BAD_IBAN })));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ ruleId: 'iban-checksum', reasonCode: 'INVALID_IBAN', severity: 'reject', fields: ['iban'] });
  });

  it('does not fire the IBAN rule when no IBAN was extracted', async () => {
    expect(await rules.evaluate(facts(invoiceFields({ iban: undefined })))).toEqual([]);
  });

  it('holds an invoice with no total as FIELD_MISSING (and no approval-limit finding)', async () => {
    const findings = await rules.evaluate(facts(invoiceFields({ total: undefined })));
    expect(findings.map((f) => [f.ruleId, f.reasonCode, f.severity])).toEqual([['invoice-total-missing', 'FIELD_MISSING', 'hold']]);
  });

  it('treats an empty string as missing', async () => {
    const findings = await rules.evaluate(facts(invoiceFields({ invoice_number: '' })));
    expect(findings.map((f) => f.ruleId)).toEqual(['invoice-number-missing']);
  });

  it('returns every finding that fires, sorted by rule id', async () => {
    const findings = await rules.evaluate(facts({ total: 48900, iban: BAD_IBAN }));
    expect(findings.map((f) => f.ruleId)).toEqual(['iban-checksum', 'invoice-approval-limit', 'invoice-number-missing']);
  });

  it('applies only the rules of the document class', async () => {
    // An invoice-only rule must not fire for a receipt, and vice versa.
    expect(await rules.evaluate(facts({ total: 48900, iban: BAD_IBAN }, 'receipt'))).toEqual([]);
    expect(codes(await rules.evaluate(facts({}, 'receipt')))).toEqual(['FIELD_MISSING']);
    expect((await rules.evaluate(facts({}, 'receipt')))[0]?.ruleId).toBe('receipt-total-missing');
    // The IBAN rule also covers bank statements.
    expect(codes(await rules.evaluate(facts({ iban: BAD_IBAN }, 'bank_statement')))).toEqual(['INVALID_IBAN']);
    expect(await rules.evaluate(facts({}, 'letter'))).toEqual([]);
  });

  it('never puts field values into findings', async () => {
    const findings = await rules.evaluate(facts({ total: 48917.53, iban: BAD_IBAN }));
    expect(findings.length).toBeGreaterThan(0);
    const serialized = JSON.stringify(findings);
    expect(serialized).not.toContain(BAD_IBAN);
    expect(serialized).not.toContain('DE89');
    expect(serialized).not.toContain('48917');
  });
});

describe('compileRules with custom rules', () => {
  it('applies a rule with no classes to every class', async () => {
    const rules = compileRules([
      rule({ id: 'any-class', conditions: { all: [{ fact: 'confidence', operator: 'lessThan', value: 0.95 }] } }),
    ]);
    expect(codes(await rules.evaluate(facts({}, 'letter')))).toEqual(['CUSTOM']);
    expect(codes(await rules.evaluate(facts({}, 'unclassified')))).toEqual(['CUSTOM']);
  });

  it('supports the matchesRegex operator, case-insensitively', async () => {
    const rules = compileRules([
      rule({
        id: 'test-number',
        conditions: { all: [{ fact: 'fields', path: '$.invoice_number', operator: 'matchesRegex', value: '^test-' }] },
      }),
    ]);
    expect(codes(await rules.evaluate(facts({ invoice_number: 'TEST-001' })))).toEqual(['CUSTOM']);
    expect(await rules.evaluate(facts({ invoice_number: 'INV-001' }))).toEqual([]);
    expect(await rules.evaluate(facts({}))).toEqual([]);
  });

  it('supports missing: false (fires when present)', async () => {
    const rules = compileRules([
      rule({ id: 'has-iban', conditions: { all: [{ fact: 'fields', path: '$.iban', operator: 'missing', value: false }] } }),
    ]);
    expect(codes(await rules.evaluate(facts({ iban: VALID_IBAN })))).toEqual(['CUSTOM']);
    expect(await rules.evaluate(facts({}))).toEqual([]);
  });

  it('turns a rule that throws at run time into a RULE_ERROR hold naming the rule, without hiding other findings', async () => {
    const rules = compileRules([
      rule({
        id: 'broken-path',
        classes: ['invoice'],
        // A JSONPath filter that throws when evaluated against the facts.
        conditions: { all: [{ fact: 'fields', path: '$..[?(@.x.y.z())]', operator: 'equal', value: 1 }] },
      }),
      rule({
        id: 'iban-check',
        classes: ['invoice'],
        outcome: 'reject',
        reasonCode: 'INVALID_IBAN',
        conditions: { all: [{ fact: 'fields', path: '$.iban', operator: 'validIban', value: false }] },
      }),
    ]);
    const findings = await rules.evaluate(facts({ iban: 'DE89370400440532013001' }));
    expect(findings.map((f) => [f.ruleId, f.reasonCode, f.severity])).toEqual([
      ['broken-path', 'RULE_ERROR', 'hold'],
      ['iban-check', 'INVALID_IBAN', 'reject'],
    ]);
    expect(findings[0]?.message).toContain('broken-path');
    expect(JSON.stringify(findings)).not.toContain('DE89370400440532013001');
  });

  it('rejects bad rules at compile time with the rule id and the path', () => {
    const noRoot = () => compileRules([rule({ id: 'no-root', conditions: {} })]);
    expect(noRoot).toThrow(ConfigError);
    expect(noRoot).toThrow(/rule "no-root": rules\.0\.conditions/);
    const badOp = () =>
      compileRules([rule({ id: 'bad-op', conditions: { all: [{ fact: 'fields', path: '$.total', operator: 'nope', value: 1 }] } })]);
    expect(badOp).toThrow(/rule "bad-op": rules\.0\.conditions\.all\.0\.operator: unknown operator "nope"/);
    const badRegex = () =>
      compileRules([
        rule({ id: 'bad-regex', conditions: { all: [{ fact: 'fields', path: '$.iban', operator: 'matchesRegex', value: '(' }] } }),
      ]);
    expect(badRegex).toThrow(/rules\.0\.conditions\.all\.0\.value: expected a valid regular expression/);
    const badFact = () => compileRules([rule({ id: 'bad-fact', conditions: { any: [{ fact: 'feilds', operator: 'equal', value: 1 }] } })]);
    expect(badFact).toThrow(/rules\.0\.conditions\.any\.0\.fact/);
  });

  it('returns nothing when no rule applies to the class', async () => {
    const rules = compileRules([
      rule({
        id: 'invoice-only',
        classes: ['invoice'],
        conditions: { all: [{ fact: 'confidence', operator: 'greaterThanInclusive', value: 0 }] },
      }),
    ]);
    expect(await rules.evaluate(facts({}, 'receipt'))).toEqual([]);
    expect(codes(await rules.evaluate(facts({}, 'invoice')))).toEqual(['CUSTOM']);
  });
});

describe('factsOf', () => {
  it('flattens a field set into values with the class and confidence', () => {
    const fieldSet: FieldSet = {
      documentClass: 'invoice',
      fields: {
        total: { name: 'total', type: 'amount', value: 48900, confidence: 0.97 },
        iban: { name: 'iban', type: 'iban', value: VALID_IBAN, confidence: 0.97 },
      },
    };
    expect(factsOf(fieldSet, 0.8)).toEqual({ documentClass: 'invoice', confidence: 0.8, fields: { total: 48900, iban: VALID_IBAN } });
  });

  it('feeds the rules end to end', async () => {
    const fieldSet: FieldSet = {
      documentClass: 'invoice',
      fields: {
        invoice_number: { name: 'invoice_number', type: 'text', value: 'HFL-88213', confidence: 1 },
        total: { name: 'total', type: 'amount', value: 48900, confidence: 1 },
      },
    };
    expect(codes(await compileRules(DEFAULT_RULES).evaluate(factsOf(fieldSet, 1)))).toEqual(['AMOUNT_ABOVE_APPROVAL_LIMIT']);
  });
});

describe('the banking operators', () => {
  /** Whether a single rule with this condition fires on these facts. */
  const fires = async (condition: Record<string, unknown>, f: Record<string, unknown>): Promise<boolean> => {
    const compiled = compileRules([rule({ id: 'r', conditions: { all: [condition] } })]);
    const findings = await compiled.evaluate({ documentClass: 'invoice', confidence: 0.9, fields: {}, ...f });
    return findings.length === 1 && findings[0]?.reasonCode === 'CUSTOM';
  };

  it('validBic: fires on a malformed present BIC, never on an absent one', async () => {
    const c = { fact: 'fields', path: '$.bic', operator: 'validBic', value: false };
    expect(await fires(c, { fields: { bic: 'DEUTDEFF' } })).toBe(false);
    expect(await fires(c, { fields: { bic: 'DEUTDEFF500' } })).toBe(false);
    expect(await fires(c, { fields: { bic: 'DEUT1EFF' } })).toBe(true);
    expect(await fires(c, { fields: { bic: 'DEUTDEFF5' } })).toBe(true);
    expect(await fires(c, { fields: {} })).toBe(false);
  });

  it('dateWithinDays: counts back from the today fact; future and unreadable dates are not within', async () => {
    const c = { fact: 'fields', path: '$.date', operator: 'dateWithinDays', value: 30 };
    const today = '2026-11-29';
    expect(await fires(c, { today, fields: { date: '2026-11-29' } })).toBe(true);
    expect(await fires(c, { today, fields: { date: '2026-10-30' } })).toBe(true); // 30 days
    expect(await fires(c, { today, fields: { date: '2026-10-29' } })).toBe(false); // 31 days
    expect(await fires(c, { today, fields: { date: '2026-11-30' } })).toBe(false); // tomorrow
    expect(await fires(c, { today, fields: { date: '2026-02-30' } })).toBe(false); // not a date
    expect(await fires(c, { fields: { date: '2026-11-29' } })).toBe(false); // no today
  });

  it('amountAbove and confidenceBelow compare numbers (numeric strings too)', async () => {
    const above = { fact: 'fields', path: '$.total', operator: 'amountAbove', value: 10000 };
    expect(await fires(above, { fields: { total: 10000.01 } })).toBe(true);
    expect(await fires(above, { fields: { total: '12000.50' } })).toBe(true);
    expect(await fires(above, { fields: { total: 10000 } })).toBe(false);
    expect(await fires(above, { fields: { total: 'EUR ten' } })).toBe(false);
    const low = { fact: 'confidence', operator: 'confidenceBelow', value: 0.8 };
    expect(await fires(low, { confidence: 0.79 })).toBe(true);
    expect(await fires(low, { confidence: 0.8 })).toBe(false);
  });

  it('sumEquals: the named parts add up to the total within the tolerance; missing parts never equal', async () => {
    const c = { fact: 'fields', operator: 'sumEquals', value: { of: ['subtotal', 'tax'], equals: 'total', tolerance: 0.01 } };
    expect(await fires(c, { fields: { subtotal: 100, tax: 19, total: 119 } })).toBe(true);
    expect(await fires(c, { fields: { subtotal: 100, tax: 19, total: 119.01 } })).toBe(true);
    expect(await fires(c, { fields: { subtotal: 100, tax: 19, total: 119.05 } })).toBe(false);
    expect(await fires(c, { fields: { subtotal: 100, total: 119 } })).toBe(false);
    const mismatch = { not: c };
    expect(await fires(mismatch, { fields: { subtotal: 100, tax: 19, total: 120 } })).toBe(true);
  });

  it('fieldMissing is the presence check under its documented name', async () => {
    const c = { fact: 'fields', path: '$.total', operator: 'fieldMissing', value: true };
    expect(await fires(c, { fields: {} })).toBe(true);
    expect(await fires(c, { fields: { total: '' } })).toBe(true);
    expect(await fires(c, { fields: { total: 0 } })).toBe(false);
  });

  it('rejects malformed operator values at load, with the rule id and path', () => {
    const bad = (value: unknown, operator: string) =>
      compileRules([rule({ id: 'bad-one', conditions: { all: [{ fact: 'fields', path: '$.total', operator, value }] } })]);
    expect(() => bad({ of: [], equals: 'total' }, 'sumEquals')).toThrow(
      /rule "bad-one": rules\.0\.conditions\.all\.0\.value: expected \{ of:/,
    );
    expect(() => bad('90', 'dateWithinDays')).toThrow(/rules\.0\.conditions\.all\.0\.value: expected a number/);
    expect(() => bad(1, 'amountBelow')).toThrow(/unknown operator "amountBelow"/);
  });

  it('evaluates concurrent documents with their own today', async () => {
    const compiled = compileRules([
      rule({ id: 'r', conditions: { all: [{ fact: 'fields', path: '$.date', operator: 'dateWithinDays', value: 0 }] } }),
    ]);
    const [a, b] = await Promise.all([
      compiled.evaluate({ documentClass: 'invoice', confidence: 1, fields: { date: '2026-01-01' }, today: '2026-01-01' }),
      compiled.evaluate({ documentClass: 'invoice', confidence: 1, fields: { date: '2026-01-01' }, today: '2026-01-02' }),
    ]);
    expect([a.length, b.length]).toEqual([1, 0]);
  });
});
