import { describe, expect, it } from 'vitest';
import type { RuleSpec } from '../../../src/config/schema.js';
import { ConfigError } from '../../../src/domain/errors.js';
import { compileRules, fieldReferencesOf, type RulesFacts } from '../../../src/domain/validate.js';

const IBAN = 'DE89370400440532013001';

/** A rule that always fires on invoices, so only its message is under test. */
const firing = (message: string, extra: Partial<RuleSpec> = {}): RuleSpec => ({
  id: 'always',
  description: '',
  classes: [],
  conditions: { all: [{ fact: 'documentClass', operator: 'equal', value: 'invoice' }] },
  outcome: 'hold',
  reasonCode: 'CUSTOM',
  message,
  fields: [],
  ...extra,
});

const facts = (fields: RulesFacts['fields'], extra: Partial<RulesFacts> = {}): RulesFacts => ({
  documentClass: 'invoice',
  confidence: 0.876,
  today: '2026-06-30',
  fields,
  ...extra,
});

const messageOf = async (message: string, f: RulesFacts, sensitive: readonly string[] = []): Promise<string | undefined> => {
  const findings = await compileRules([firing(message)], { sensitiveFields: new Set(sensitive) }).evaluate(f);
  return findings[0]?.message;
};

const compileError = (rules: RuleSpec[]): string => {
  try {
    compileRules(rules);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('rule message templates', () => {
  it('leaves a message without placeholders as it is', async () => {
    expect(await messageOf('The invoice total was not found.', facts({}))).toBe('The invoice total was not found.');
  });

  it('fills in the document class, confidence (2 decimals), date and rule id', async () => {
    expect(await messageOf('{{documentClass}} at {{confidence}} on {{today}} by {{ruleId}}', facts({}))).toBe(
      'invoice at 0.88 on 2026-06-30 by always',
    );
    expect(await messageOf('{{confidence}}', facts({}, { confidence: 1 }))).toBe('1.00');
  });

  it('fills in field values, numbers and strings, and allows spaces inside the braces', async () => {
    expect(await messageOf('Total {{fields.total}} from {{ fields.issuer }}.', facts({ total: 48900.5, issuer: 'Northwind' }))).toBe(
      'Total 48900.5 from Northwind.',
    );
  });

  it('masks sensitive fields to their last 4 characters', async () => {
    const message = await messageOf('IBAN {{fields.iban}}, total {{fields.total}}', facts({ iban: IBAN, total: 12 }), ['iban']);
    expect(message).toBe('IBAN ••••3001, total 12');
    expect(message).not.toContain(IBAN);
  });

  it('does not mask a field that is not sensitive', async () => {
    expect(await messageOf('IBAN {{fields.iban}}', facts({ iban: IBAN }))).toBe(`IBAN ${IBAN}`);
  });

  it('says (missing) for an absent or empty field, sensitive or not, and for a missing date', async () => {
    expect(await messageOf('[{{fields.total}}] [{{fields.iban}}]', facts({ total: '' }), ['iban'])).toBe('[(missing)] [(missing)]');
    expect(await messageOf('on {{today}}', { documentClass: 'invoice', confidence: 0.9, fields: {} })).toBe('on (missing)');
  });

  it('renders a value once: placeholders inside a value stay literal', async () => {
    expect(await messageOf('Ref {{fields.ref}}', facts({ ref: '{{ruleId}}' }))).toBe('Ref {{ruleId}}');
  });

  it('renders per evaluation, never carrying values over between documents', async () => {
    const rules = compileRules([firing('Total {{fields.total}}')]);
    expect((await rules.evaluate(facts({ total: 1 })))[0]?.message).toBe('Total 1');
    expect((await rules.evaluate(facts({ total: 2 })))[0]?.message).toBe('Total 2');
  });

  it('keeps the RULE_ERROR message of a rule that throws', async () => {
    const broken = firing('Total {{fields.total}}', {
      id: 'broken-path',
      conditions: { all: [{ fact: 'fields', path: '$..[?(@.x.y.z())]', operator: 'equal', value: 1 }] },
    });
    const [finding] = await compileRules([broken]).evaluate(facts({ total: 5 }));
    expect(finding?.reasonCode).toBe('RULE_ERROR');
    expect(finding?.message).toContain('broken-path');
    expect(finding?.message).not.toContain('{{');
  });

  it('rejects an unknown placeholder at compile time, naming the rule, the path and what is allowed', () => {
    const rules = [firing('ok'), firing('Bad {{foo}} here', { id: 'x' })];
    expect(compileError(rules)).toBe(
      'rule "x": rules.1.message: unknown placeholder "{{foo}}"; expected one of {{documentClass}}, {{confidence}}, {{today}}, {{ruleId}}, {{fields.<name>}}',
    );
  });

  it.each([
    ['a field placeholder without a name', 'Total {{fields.}}', /unknown placeholder "\{\{fields\.\}\}"/],
    ['an upper-case field name', 'Total {{fields.Total}}', /unknown placeholder "\{\{fields\.Total\}\}"/],
    ['an empty placeholder', 'Total {{}}', /unknown placeholder "\{\{\}\}"/],
    ['a fact path', 'Total {{fields.total.value}}', /unknown placeholder/],
    ['an unclosed placeholder', 'Total {{fields.total is high', /malformed placeholder "\{\{fields\.total is high"/],
    ['a stray closing brace pair', 'Total fields.total}} is high', /malformed placeholder "\}\} is high"/],
    ['a single closing brace', 'Total {{fields.total} is high', /malformed placeholder/],
  ])('rejects %s', (_what, message, expected) => {
    const text = compileError([firing(message, { id: 'tpl' })]);
    expect(text).toMatch(/^rule "tpl": rules\.0\.message: /);
    expect(text).toMatch(expected);
    expect(text).not.toMatch(/[\r\n]/);
  });
});

describe('fieldReferencesOf', () => {
  it('lists every field a rule names, with where it is named', () => {
    const rule = firing('IBAN {{fields.iban}} and {{today}}', {
      conditions: {
        all: [
          { fact: 'fields', path: '$.total', operator: 'fieldMissing', value: false },
          { any: [{ fact: 'fields', path: "$['date']", operator: 'dateWithinDays', value: 30 }] },
          { not: { fact: 'fields', operator: 'sumEquals', value: { of: ['subtotal', 'tax'], equals: 'total' } } },
          { fact: 'fields', path: '$["net"]', operator: 'lessThan', value: { fact: 'fields', path: '$.gross' } },
          { fact: 'confidence', operator: 'confidenceBelow', value: 0.5 },
        ],
      },
      fields: ['total', 'bic'],
    });
    expect(fieldReferencesOf(rule)).toEqual([
      { field: 'total', at: 'conditions.all.0.path' },
      { field: 'date', at: 'conditions.all.1.any.0.path' },
      { field: 'subtotal', at: 'conditions.all.2.not.value.of.0' },
      { field: 'tax', at: 'conditions.all.2.not.value.of.1' },
      { field: 'total', at: 'conditions.all.2.not.value.equals' },
      { field: 'net', at: 'conditions.all.3.path' },
      { field: 'gross', at: 'conditions.all.3.value.path' },
      { field: 'total', at: 'fields.0' },
      { field: 'bic', at: 'fields.1' },
      { field: 'iban', at: 'message' },
    ]);
  });

  it('marks a fields path that names no single field', () => {
    const rule = firing('x', { conditions: { all: [{ fact: 'fields', path: '$..total', operator: 'equal', value: 1 }] } });
    expect(fieldReferencesOf(rule)).toEqual([{ field: null, at: 'conditions.all.0.path' }]);
  });
});
