import { describe, expect, it } from 'vitest';
import {
  currencyCode,
  isValidBic,
  isValidIban,
  monthNumber,
  normalizeBic,
  normalizeEmail,
  normalizeIban,
  normalizePhone,
  parseAmount,
  parseDate,
} from '../../../src/domain/normalize.js';

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

describe('parseAmount with hints and signs', () => {
  it.each([
    ['9.000', '.', 9],
    ['9.000', ',', 9000],
    ['48,900', ',', 48.9],
    ['48,900', '.', 48900],
    ['1.250,00', '.', 1250],
  ] as const)('reads %s with decimal %j as %d', (raw, decimal, expected) => {
    expect(parseAmount(raw, { decimal })).toBe(expected);
  });

  it.each([
    ['-9,32', -9.32],
    ['\u22127.43', -7.43],
    ['-0.00', 0],
  ])('reads the negative amount %s', (raw, expected) => {
    expect(parseAmount(raw)).toBe(expected);
  });

  it.each(['1,2,3.45', '12,34,567', '1.', '-', '1.2.3,4'])('rejects malformed grouping %j', (raw) => {
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
    '13/13/2026',
    '12 Foo 2026',
    '12 Jui 2026',
    '12 Octobre, 2026x',
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

describe('parseDate with an order hint', () => {
  it.each([
    ['03/04/2026', 'DMY', '2026-04-03'],
    ['03/04/2026', 'MDY', '2026-03-04'],
    ['26/04/03', 'YMD', '2026-04-03'],
    ['04-12-17', 'DMY', '2017-12-04'],
  ] as const)('reads %s as %s', (raw, order, expected) => {
    expect(parseDate(raw, { order })).toBe(expected);
  });

  it('reads a date that is only valid in the other order in that order', () => {
    expect(parseDate('03/20/2023', { order: 'DMY' })).toBe('2023-03-20');
    expect(parseDate('20/03/2023', { order: 'MDY' })).toBe('2023-03-20');
    expect(parseDate('01/13/2026')).toBe('2026-01-13');
  });

  it('always reads a four-digit year first as year, month, day', () => {
    expect(parseDate('2026/04/03', { order: 'MDY' })).toBe('2026-04-03');
    expect(parseDate('2026.04.03')).toBe('2026-04-03');
  });
});

describe('parseDate with month names', () => {
  it.each([
    ['25 DEC 2018', '2018-12-25'],
    ['25-DEC-18', '2018-12-25'],
    ['28 MAR 18', '2018-03-28'],
    ['October 12, 2026', '2026-10-12'],
    ['Jan 1, 2022', '2022-01-01'],
    ['1st March 2026', '2026-03-01'],
    ['02 Juillet 2015', '2015-07-02'],
    ['1er juin 2015', '2015-06-01'],
    ['19 april 2014', '2014-04-19'],
    ['8 mei 2015', '2015-05-08'],
    ['12 Okt 2026', '2026-10-12'],
    ['3 März 2026', '2026-03-03'],
    ['5 déc. 2025', '2025-12-05'],
  ])('reads %j', (raw, expected) => {
    expect(parseDate(raw)).toBe(expected);
  });

  it.each([
    ['dec', 12],
    ['Sept.', 9],
    ['juil', 7],
    ['JUN', 6],
    ['mrt', 3],
    ['jui', null],
    ['ma', null],
    ['decembre2', null],
  ])('knows the month %j as %j', (raw, expected) => {
    expect(monthNumber(raw)).toBe(expected);
  });
});

describe('BIC', () => {
  it.each(['INGBNL2A', 'RABONL2U', 'DEUTDEFF500', 'ingb nl 2a'])('accepts %j', (bic) => {
    expect(isValidBic(bic)).toBe(true);
  });

  it.each(['INGBXX2A', 'INGBNL2', 'ING1NL2A', 'SUBTOTAL', ''])('rejects %j', (bic) => {
    expect(isValidBic(bic)).toBe(false);
  });

  it('normalises to upper case without spaces', () => {
    expect(normalizeBic(' ingb nl2a ')).toBe('INGBNL2A');
  });
});

describe('normalizeEmail', () => {
  it('trims and lower-cases', () => {
    expect(normalizeEmail(' Azure.Interior24@Example.com ')).toBe('azure.interior24@example.com');
  });

  it.each(['no-at-sign.example.com', 'a@b', '@example.com', 'a b@example.com'])('rejects %j', (raw) => {
    expect(normalizeEmail(raw)).toBeNull();
  });
});

describe('normalizePhone', () => {
  it.each([
    ['+60 3-1234 5678', '+60312345678'],
    ['(870)-931-0505', '8709310505'],
    ['0049 30 1234567', '+49301234567'],
    ['03-41318972', '0341318972'],
    ['020 7604101', '0207604101'],
  ])('reads %j as %j', (raw, expected) => {
    expect(normalizePhone(raw)).toBe(expected);
  });

  it.each(['12345', '+1234567890123456', 'call me', '12-34'])('rejects %j', (raw) => {
    expect(normalizePhone(raw)).toBeNull();
  });
});

describe('currencyCode', () => {
  it.each([
    ['€', 'EUR'],
    ['$', 'USD'],
    ['£', 'GBP'],
    ['RM', 'MYR'],
    ['eur', 'EUR'],
    ['CHF', 'CHF'],
    ['XYZ', null],
  ])('maps %j to %j', (raw, expected) => {
    expect(currencyCode(raw)).toBe(expected);
  });
});
