import { describe, expect, it } from 'vitest';
import { DEFAULT_FIELDS, DEFAULT_RULES } from '../../../src/config/defaults.js';
import { sensitiveFieldNames } from '../../../src/config/field-spec.js';
import { checkRuleFields, parseConfig } from '../../../src/config/load.js';
import type { RuleSpec } from '../../../src/config/schema.js';
import { ConfigError } from '../../../src/domain/errors.js';
import { compileRules } from '../../../src/domain/validate.js';

const SOURCE = '/etc/docroute.config.yaml';

/** The ConfigError `fn` throws; fails the test when it throws nothing or something else. */
const configError = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

const rule = (id: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id,
  classes: ['invoice'],
  conditions: { all: [{ fact: 'fields', path: '$.total', operator: 'fieldMissing', value: true }] },
  outcome: 'hold',
  reasonCode: 'FIELD_MISSING',
  message: 'The total was not found.',
  ...extra,
});

const leaf = (path: string) => ({ all: [{ fact: 'fields', path, operator: 'fieldMissing', value: true }] });

/** A config whose only rules are `rules`, after one valid rule (so indexes in paths are checked). */
const withRules = (...rules: Record<string, unknown>[]) => ({ rules: [rule('ok'), ...rules] });

describe('rule fields are checked against the field specs at load', () => {
  it('loads the default config', () => {
    expect(parseConfig({}).config.rules).toEqual(DEFAULT_RULES);
  });

  it('loads a valid config whose rules read defined fields in every form', () => {
    const loaded = parseConfig(
      withRules(
        rule('bracket-paths', {
          conditions: {
            any: [
              { fact: 'fields', path: "$['invoice_number']", operator: 'fieldMissing', value: true },
              { fact: 'fields', path: '$["date"]', operator: 'dateWithinDays', value: 30 },
            ],
          },
          fields: ['invoice_number', 'date'],
          message: 'Invoice {{fields.invoice_number}} of {{fields.date}} ({{documentClass}}, {{confidence}}, {{today}}, {{ruleId}})',
        }),
        rule('iban-everywhere', { classes: [], conditions: leaf('$.iban'), message: 'IBAN {{fields.iban}}' }),
      ),
      SOURCE,
    );
    expect(loaded.config.rules.map((r) => r.id)).toEqual(['ok', 'bracket-paths', 'iban-everywhere']);
  });

  it('rejects an unknown field in a condition path, naming the source, path, rule and the class fields', () => {
    const text = configError(() => parseConfig(withRules(rule('invoice-total-missing', { conditions: leaf('$.totl') })), SOURCE));
    const invoiceFields = (DEFAULT_FIELDS['invoice'] ?? []).map((f) => f.name).join(', ');
    expect(text).toBe(
      `Invalid configuration in ${SOURCE}: rules.1.conditions.all.0.path: unknown field "totl" (rule "invoice-total-missing"); fields of invoice: ${invoiceFields}.`,
    );
    expect(text).toContain('fields of invoice: issuer, invoice_number, date, due_date, total, currency, iban, bic.');
  });

  it.each([
    ['a bracket path', { conditions: leaf("$['totl']") }, 'rules.1.conditions.all.0.path'],
    ['a nested condition', { conditions: { all: [{ any: [{ not: leaf('$.totl').all[0] }] }] } }, 'rules.1.conditions.all.0.any.0.not.path'],
    [
      'a sumEquals operand',
      { conditions: { all: [{ fact: 'fields', operator: 'sumEquals', value: { of: ['total', 'totl'], equals: 'total' } }] } },
      'rules.1.conditions.all.0.value.of.1',
    ],
    [
      'a sumEquals target',
      { conditions: { all: [{ fact: 'fields', operator: 'sumEquals', value: { of: ['total'], equals: 'totl' } }] } },
      'rules.1.conditions.all.0.value.equals',
    ],
    [
      'a fact reference in a value',
      { conditions: { all: [{ fact: 'fields', path: '$.total', operator: 'lessThan', value: { fact: 'fields', path: '$.totl' } }] } },
      'rules.1.conditions.all.0.value.path',
    ],
    ['the fields list', { fields: ['total', 'totl'] }, 'rules.1.fields.1'],
    ['a message placeholder', { message: 'Total {{fields.totl}} is high' }, 'rules.1.message'],
  ])('rejects an unknown field in %s', (_where, extra, at) => {
    const text = configError(() => parseConfig(withRules(rule('typo', extra)), SOURCE));
    expect(text).toContain(`${at}: unknown field "totl" (rule "typo"); fields of invoice: `);
    expect(text).not.toMatch(/[\r\n]/);
  });

  it('accepts a field defined for any one of the rule classes, and lists each class when none defines it', () => {
    const classes = ['invoice', 'bank_statement'];
    expect(parseConfig(withRules(rule('both', { classes, conditions: leaf('$.closing_balance') }))).config.rules).toHaveLength(2);
    const text = configError(() => parseConfig(withRules(rule('neither', { classes, conditions: leaf('$.company') }))));
    expect(text).toContain('unknown field "company" (rule "neither"); fields of invoice: issuer, ');
    expect(text).toContain('; bank_statement: closing_balance, iban.');
  });

  it('checks a rule with no classes against the fields of every configured class', () => {
    // `company` is a receipt field only: fine for a rule that applies to every class.
    expect(parseConfig(withRules(rule('any-class', { classes: [], conditions: leaf('$.company') }))).config.rules).toHaveLength(2);
    const text = configError(() => parseConfig(withRules(rule('any-class', { classes: [], conditions: leaf('$.nowhere') }))));
    expect(text).toContain('rules.1.conditions.all.0.path: unknown field "nowhere" (rule "any-class"); fields of invoice: ');
    expect(text).toContain('; receipt: company, address, date, total; letter: salutation; bank_statement: closing_balance, iban.');
  });

  it('checks against configured fields, which replace the defaults as a whole', () => {
    const fields = { invoice: [{ name: 'subtotal', type: 'amount', pattern: 'subtotal (\\S+)' }] };
    const sum = rule('sum', { conditions: leaf('$.subtotal') });
    expect(parseConfig({ fields, rules: [sum] }).config.rules).toHaveLength(1);
    // The default rules read fields this config no longer extracts.
    const text = configError(() => parseConfig({ fields }));
    expect(text).toContain(
      'rules.0.conditions.all.0.path: unknown field "total" (rule "invoice-total-missing"); fields of invoice: subtotal.',
    );
  });

  it('says "none" for a class without field specs', () => {
    const classes = [{ name: 'memo', keywords: ['memo'] }];
    const text = configError(() => parseConfig({ classify: { classes }, rules: [rule('memo-total', { classes: ['memo'] })] }));
    expect(text).toContain('unknown field "total" (rule "memo-total"); fields of memo: none.');
  });

  it('rejects a fields path that names no single field', () => {
    const text = configError(() => parseConfig(withRules(rule('deep', { conditions: leaf('$..total') })), SOURCE));
    expect(text).toBe(
      `Invalid configuration in ${SOURCE}: rules.1.conditions.all.0.path: expected a field path like "$.total" or "$['total']" (rule "deep").`,
    );
  });

  it('reports an unknown placeholder before fields, with the rule id and path', () => {
    const text = configError(() => parseConfig(withRules(rule('x', { message: 'Bad {{foo}}' })), SOURCE));
    expect(text).toMatch(
      /^Invalid configuration in \/etc\/docroute\.config\.yaml: rule "x": rules\.1\.message: unknown placeholder "\{\{foo\}\}"; expected one of /,
    );
  });

  it('is exported for a plain rules list, checking every class in `fields` by default', () => {
    const rules: RuleSpec[] = [
      {
        id: 'r',
        description: '',
        classes: [],
        conditions: leaf('$.salutation'),
        outcome: 'hold',
        reasonCode: 'CUSTOM',
        message: 'Dear {{fields.salutation}}',
        fields: [],
      },
    ];
    expect(() => checkRuleFields(rules, DEFAULT_FIELDS)).not.toThrow();
    expect(() => checkRuleFields(rules, { invoice: DEFAULT_FIELDS['invoice'] ?? [] })).toThrow(
      /^rules\.0\.conditions\.all\.0\.path: unknown field "salutation" \(rule "r"\); fields of invoice: /,
    );
  });
});

describe('sensitive fields from the config', () => {
  it('masks IBANs by default and fields marked sensitive in rule messages', async () => {
    const fields = {
      ...DEFAULT_FIELDS,
      invoice: [
        ...(DEFAULT_FIELDS['invoice'] ?? []),
        { name: 'customer_ref', type: 'id', pattern: 'ref (\\S+)', sensitive: true, query: 'What is the customer reference?' },
      ],
    };
    const { config } = parseConfig({
      fields,
      rules: [
        rule('show', {
          conditions: leaf('$.total'),
          message: 'IBAN {{fields.iban}}, ref {{fields.customer_ref}}, number {{fields.invoice_number}}',
        }),
      ],
    });
    expect([...sensitiveFieldNames(config.fields)].sort()).toEqual(['customer_ref', 'iban']);
    const compiled = compileRules(config.rules, { sensitiveFields: sensitiveFieldNames(config.fields) });
    const [finding] = await compiled.evaluate({
      documentClass: 'invoice',
      confidence: 0.9,
      fields: { iban: 'DE89370400440532013000', customer_ref: 'CUST-778812', invoice_number: 'INV-1' },
    });
    expect(finding?.message).toBe('IBAN ••••3000, ref ••••8812, number INV-1');
  });

  it('lets a field spec opt an IBAN out of masking', () => {
    const fields = { bank_statement: [{ name: 'iban', type: 'iban', pattern: 'iban (\\S+)', sensitive: false }] };
    const { config } = parseConfig({ fields, rules: [] });
    expect(sensitiveFieldNames(config.fields).size).toBe(0);
  });

  it('rejects an empty Textract query', () => {
    const fields = { invoice: [{ name: 'total', type: 'amount', pattern: 'x', query: '' }] };
    expect(configError(() => parseConfig({ fields, rules: [] }))).toContain('fields.invoice.0.query');
  });
});
