import { describe, expect, it } from 'vitest';
import { isValidIban, normalizeIban, parseAmount, parseDate } from '../../../src/domain/normalize.js';

describe('parseAmount', () => {
  it.each([
    ['1,250.00', 1250],
    ['1250.5', 1250.5],
    ['0.99', 0.99],
    ['1,234,567.89', 1234567.89],
    ['1,234,567', 1234567],
  ])('reads US-style %s', (raw, expected) => {
    expect(parseAmount(raw)).toBe(expected);
  });

  it.each([
    ['1.250,00', 1250],
    ['12,5', 12.5],
    ['1.234.567,89', 1234567.89],
    ['1.234.567', 1234567],
  ])('reads EU-style %s', (raw, expected) => {
    expect(parseAmount(raw)).toBe(expected);
  });

  it.each([
    ['48,900', 48900],
    ['48.900', 48900],
  ])('treats one separator followed by exactly three digits as thousands: %s', (raw, expected) => {
    expect(parseAmount(raw)).toBe(expected);
  });

  it.each([
    ['1 250,50', 1250.5],
    ['1\u00a0250,50', 1250.5],
    ["1'250.00", 1250],
    [' 860.00 ', 860],
  ])('ignores space, no-break space and apostrophe grouping: %j', (raw, expected) => {
    expect(parseAmount(raw)).toBe(expected);
  });

  it.each(['', 'abc', 'EUR 12', '1e5', '12abc', '1,2x', '€'])('returns null for %j', (raw) => {
    expect(parseAmount(raw)).toBeNull();
  });
});

describe('parseDate', () => {
  it.each([
    ['2026-10-03', '2026-10-03'],
    ['2026-1-3', '2026-01-03'],
  ])('reads ISO %s', (raw, expected) => {
    expect(parseDate(raw)).toBe(expected);
  });

  it.each([
    ['03/10/2026', '2026-10-03'],
    ['3.10.2026', '2026-10-03'],
    ['03-10-2026', '2026-10-03'],
    ['12/01/2026', '2026-01-12'],
  ])('reads numeric dates day first: %s', (raw, expected) => {
    expect(parseDate(raw)).toBe(expected);
  });

  it.each([
    ['3.10.26', '2026-10-03'],
    ['01/01/00', '2000-01-01'],
    ['01/01/69', '2069-01-01'],
    ['01/01/70', '1970-01-01'],
    ['31/12/99', '1999-12-31'],
  ])('expands two-digit years around 1970: %s', (raw, expected) => {
    expect(parseDate(raw)).toBe(expected);
  });

  it.each([
    ['12 October 2026', '2026-10-12'],
    ['1 Sept. 2026', '2026-09-01'],
    ['5 dec 2025', '2025-12-05'],
    ['  12 October 2026  ', '2026-10-12'],
  ])('reads month names: %j', (raw, expected) => {
    expect(parseDate(raw)).toBe(expected);
  });

  it.each([
    '31/02/2026',
    '29/02/2027',
    '31/04/2026',
    '2026-13-01',
    '2026-02-30',
    '00/01/2026',
    '01/13/2026',
    '12 Okt 2026',
    '12 Foo 2026',
    'October 12, 2026',
    '',
    'yesterday',
  ])('returns null for invalid or unknown %j', (raw) => {
    expect(parseDate(raw)).toBeNull();
  });

  it('accepts 29 February in a leap year', () => {
    expect(parseDate('29/02/2028')).toBe('2028-02-29');
  });
});

describe('normalizeIban', () => {
  it('removes whitespace and upper-cases', () => {
    expect(normalizeIban(' de89 3704 0044\t0532 0130 00 ')).toBe('DE89370400440532013000');
  });
});

describe('isValidIban', () => {
  it.each(['DE89370400440532013000', 'GB82WEST12345698765432', 'FR1420041010050500013M02606', 'NL91ABNA0417164300', 'BE68539007547034'])(
    'accepts the known valid IBAN %s',
    (iban) => {
      expect(isValidIban(iban)).toBe(true);
    },
  );

  it('accepts spaces and lower case', () => {
    expect(isValidIban('DE89 3704 0044 0532 0130 00')).toBe(true);
    expect(isValidIban('gb82 west 1234 5698 7654 32')).toBe(true);
  });

  it.each([
    ['wrong check digits', 'DE88370400440532013000'],
    ['one changed account digit', 'DE89370400440532013001'],
    ['two swapped digits', 'DE89370400440532031000'],
  ])('rejects %s', (_why, iban) => {
    expect(isValidIban(iban)).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['too short', 'DE8937040044'],
    ['too long', `DE89${'1'.repeat(31)}`],
    ['digits for a country', '1289370400440532013000'],
    ['letters for check digits', 'DEAB370400440532013000'],
    ['punctuation', 'DE89-3704-0044-0532-0130-00'],
  ])('rejects a malformed IBAN (%s)', (_why, iban) => {
    expect(isValidIban(iban)).toBe(false);
  });
});
