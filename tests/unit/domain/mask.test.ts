import { describe, expect, it } from 'vitest';
import { isSensitiveField, sensitiveFieldNames } from '../../../src/config/field-spec.js';
import { maskValue } from '../../../src/domain/mask.js';

describe('maskValue', () => {
  it('keeps only the last 4 characters of an IBAN', () => {
    expect(maskValue('DE89370400440532013000')).toBe('••••3000');
  });

  it('masks the string form of a number', () => {
    expect(maskValue(123456789)).toBe('••••6789');
    expect(maskValue(1250.5)).toBe('••••50.5');
  });

  it.each([[''], ['1'], ['abcd'], [1234]])('masks %j, 4 characters or fewer, completely', (value) => {
    expect(maskValue(value)).toBe('••••');
  });

  it('shows the 4 last characters from 5 characters on', () => {
    expect(maskValue('abcde')).toBe('••••bcde');
  });

  it('counts characters, not UTF-16 units', () => {
    expect(maskValue('ab😀cde')).toBe('••••😀cde');
  });

  it('never contains the hidden part', () => {
    const masked = maskValue('GB82WEST12345698765432');
    expect(masked).not.toContain('GB82');
    expect(masked).not.toContain('WEST');
  });
});

describe('isSensitiveField', () => {
  it('defaults to true for IBANs only', () => {
    expect(isSensitiveField({ type: 'iban' })).toBe(true);
    expect(isSensitiveField({ type: 'amount' })).toBe(false);
    expect(isSensitiveField({ type: 'id' })).toBe(false);
  });

  it('follows an explicit flag either way', () => {
    expect(isSensitiveField({ type: 'id', sensitive: true })).toBe(true);
    expect(isSensitiveField({ type: 'iban', sensitive: false })).toBe(false);
  });

  it('collects sensitive field names across classes', () => {
    const names = sensitiveFieldNames({
      invoice: [
        { name: 'iban', type: 'iban', pattern: 'x' },
        { name: 'total', type: 'amount', pattern: 'x' },
      ],
      payslip: [{ name: 'employee_id', type: 'id', pattern: 'x', sensitive: true }],
      bank_statement: [{ name: 'account_iban', type: 'iban', pattern: 'x', sensitive: false }],
    });
    expect([...names].sort()).toEqual(['employee_id', 'iban']);
  });
});
