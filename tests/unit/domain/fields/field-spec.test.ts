import { describe, expect, it } from 'vitest';
import { DEFAULT_FIELDS } from '../../../../src/config/default-fields.js';
import { FieldSpecSchema } from '../../../../src/config/field-spec.js';
import { parseConfig } from '../../../../src/config/load.js';
import { ConfigError } from '../../../../src/domain/errors.js';

const errorOf = (fields: unknown): string => {
  try {
    parseConfig({ fields: { invoice: fields } });
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('FieldSpecSchema', () => {
  it('accepts every built-in spec unchanged', () => {
    for (const specs of Object.values(DEFAULT_FIELDS)) {
      for (const spec of specs) expect(FieldSpecSchema.parse(spec)).toEqual(spec);
    }
  });

  it('still accepts a bare pattern', () => {
    expect(FieldSpecSchema.safeParse({ name: 'total', type: 'amount', pattern: 'total (\\S+)' }).success).toBe(true);
  });

  it('accepts each kind of locator', () => {
    const spec = {
      name: 'total',
      type: 'amount',
      required: true,
      hints: { decimal: ',', dateOrder: 'MDY', rounding: 0.05, years: { min: 2000, max: 2040 } },
      pick: 'largest',
      locators: [
        { label: ['total', 'amount due'], direction: 'right', exclude: ['sub total'], prefer: ['grand total'], until: ['change'] },
        { label: 'Total', position: { region: 'bottom', maxLines: 10 } },
        { pattern: 'total (\\S+)', position: { region: 'top', maxHeight: 0.3 } },
        { position: { region: 'top' }, skip: ['^receipt$'] },
        { block: { after: 'company', start: '\\d', stop: ['tel'], skip: ['reg'], maxLines: 4 } },
        { currencyOf: 'total' },
      ],
    };
    expect(FieldSpecSchema.safeParse(spec).success).toBe(true);
  });

  it.each([
    ['neither pattern nor locators', { name: 'total', type: 'amount' }, /fields\.invoice\.0: expected either "pattern" or "locators"/],
    ['both pattern and locators', { name: 'total', type: 'amount', pattern: 'x', locators: [{ pattern: 'y' }] }, /expected either/],
    [
      'an empty locator',
      { name: 'total', type: 'amount', locators: [{}] },
      /fields\.invoice\.0\.locators\.0: expected one of "label", "pattern"/,
    ],
    [
      'two kinds in one locator',
      { name: 'total', type: 'amount', locators: [{ label: ['total'], pattern: 'x' }] },
      /locators\.0: expected one kind of locator, got "label" and "pattern"/,
    ],
    [
      'a key of another kind',
      { name: 'total', type: 'amount', locators: [{ pattern: 'x', direction: 'right' }] },
      /locators\.0\.direction: not allowed in a pattern locator/,
    ],
    [
      'a bad direction',
      { name: 'total', type: 'amount', locators: [{ label: ['total'], direction: 'up' }] },
      /direction: expected one of "right"/,
    ],
    [
      'a bad regex',
      { name: 'total', type: 'amount', locators: [{ pattern: '(' }] },
      /locators\.0\.pattern: expected a valid regular expression/,
    ],
    [
      'a bad skip regex',
      { name: 'c', type: 'text', locators: [{ position: { region: 'top' }, skip: ['['] }] },
      /skip\.0: expected a valid regular/,
    ],
    ['an unknown key', { name: 'total', type: 'amount', locators: [{ label: ['total'], near: 'x' }] }, /unknown key\(s\) "near"/],
    [
      'a label of punctuation only',
      { name: 'total', type: 'amount', locators: [{ label: [':'] }] },
      /label\.0: expected a label with a letter/,
    ],
    [
      'an unknown region',
      { name: 'c', type: 'text', locators: [{ position: { region: 'middle' } }] },
      /position\.region: expected one of "top", "bottom"/,
    ],
    ['an unknown pick', { name: 'c', type: 'text', pattern: 'x', pick: 'best' }, /pick: expected one of "first", "last", "largest"/],
    ['an unknown type', { name: 'c', type: 'money', pattern: 'x' }, /type: expected one of "text", "amount", "date", "iban", "bic"/],
    [
      'a bad date order',
      { name: 'd', type: 'date', pattern: 'x', hints: { dateOrder: 'DDMM' } },
      /hints\.dateOrder: expected one of "DMY"/,
    ],
    [
      'years the wrong way round',
      { name: 'd', type: 'date', pattern: 'x', hints: { years: { min: 2040, max: 2000 } } },
      /years: expected min <= max/,
    ],
  ])('rejects %s with a clear path and message', (_why, spec, message) => {
    const text = errorOf([spec]);
    expect(text).toMatch(message);
    expect(text).not.toMatch(/[\r\n]/);
  });
});
