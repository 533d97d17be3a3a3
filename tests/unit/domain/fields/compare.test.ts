import { describe, expect, it } from 'vitest';
import { comparisonKindOf, normalizeForComparison, valuesMatch } from '../../../../src/domain/fields/compare.js';

describe('normalizeForComparison', () => {
  it.each([
    ['total', '9.00', '9.00'],
    ['total', 9, '9.00'],
    ['total', 'RM 3.90', '3.90'],
    ['total', '$6.90', '6.90'],
    ['amount', '1,250.00', '1250.00'],
    ['invoice_total', 717.97, '717.97'],
  ])('%s: amounts as two-decimal numbers (%j → %j)', (fieldName, value, expected) => {
    expect(normalizeForComparison(fieldName, value)).toBe(expected);
  });

  it.each([
    ['25/12/2018', '2018-12-25'],
    ['25-12-18', '2018-12-25'],
    ['25 DEC 2018', '2018-12-25'],
    ['24-MAR-2018', '2018-03-24'],
    ['11.02.18', '2018-02-11'],
    ['2018-03-23', '2018-03-23'],
  ])('date: labels read day first (%j → %j)', (value, expected) => {
    expect(normalizeForComparison('date', value)).toBe(expected);
  });

  it('date: month first when told', () => {
    expect(normalizeForComparison('due_date', '03/04/2023', { dateOrder: 'MDY' })).toBe('2023-03-04');
  });

  it('text: only letters and digits count, in upper case', () => {
    expect(normalizeForComparison('company', 'Book Ta.K (Taman Daya) Sdn Bhd')).toBe(
      normalizeForComparison('company', 'BOOK TA .K(TAMAN DAYA) SDN BHD'),
    );
    expect(normalizeForComparison('address', 'NO.53 55,57 & 59, JALAN SAGU 18,')).toBe('NO53555759JALANSAGU18');
    expect(normalizeForComparison('company', 'SDN BHD')).not.toBe(normalizeForComparison('company', 'SDN BND'));
  });

  it('codes and currencies', () => {
    expect(normalizeForComparison('iban', 'nl50 ingb 0683 2513 09')).toBe('NL50INGB0683251309');
    expect(normalizeForComparison('invoice_number', ' inv/2023/03/0008 ')).toBe('INV/2023/03/0008');
    expect(normalizeForComparison('currency', '€')).toBe('EUR');
    expect(normalizeForComparison('partner_email', 'A@Example.com')).toBe('a@example.com');
  });

  it.each([null, undefined, '', '   '])('missing values give "" and never match (%j)', (value) => {
    expect(normalizeForComparison('company', value)).toBe('');
    expect(valuesMatch('company', value, value)).toBe(false);
  });

  it('valuesMatch compares normalised values', () => {
    expect(valuesMatch('total', 9, '9.00')).toBe(true);
    expect(valuesMatch('total', 9.6, '9.00')).toBe(false);
    expect(valuesMatch('date', '2018-12-25', '25/12/2018')).toBe(true);
  });

  it.each([
    ['total', 'amount'],
    ['amount_tax', 'amount'],
    ['date', 'date'],
    ['date_due', 'date'],
    ['currency', 'currency'],
    ['iban', 'code'],
    ['invoice_number', 'code'],
    ['company', 'text'],
    ['issuer', 'text'],
  ] as const)('knows %s as %s', (fieldName, kind) => {
    expect(comparisonKindOf(fieldName)).toBe(kind);
  });
});
