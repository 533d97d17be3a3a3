import type { FieldValue } from '../document.js';
import { CURRENCY_TOKEN, currencyCode, parseAmount, parseDate, type DateOrder } from '../normalize.js';

/**
 * How an extracted value is compared with a labelled one (evaluation, tuning, tests). Both sides go
 * through `normalizeForComparison` and match when the results are equal and non-empty.
 *
 * The comparison depends on the field's name:
 * - amounts (`total`, `amount`, `*_total`, `amount_*`, `balance`): the number with two decimals;
 *   currency symbols and codes are ignored ("RM 3.90", "$3.90", "3.9" and 3.9 all give "3.90");
 * - dates (`date`, `*_date`, `date_*`): ISO "YYYY-MM-DD", labels read day first unless told otherwise
 *   ("25-DEC-18", "25/12/2018" and "2018-12-25" all give "2018-12-25");
 * - `currency`: the ISO 4217 code ("€" and "eur" give "EUR");
 * - `iban`, `bic`, `invoice_number` and other ids (`*_number`, `*_id`): upper case without spaces;
 * - `email`: lower case, trimmed;
 * - everything else, i.e. text such as `company`, `address`, `issuer`: upper case, and only letters and
 *   digits kept, so case, spacing and punctuation never decide a match ("Book Ta.K (Taman Daya) Sdn
 *   Bhd" equals "BOOK TA .K(TAMAN DAYA) SDN BHD"), but every letter and digit does.
 *
 * Missing values (null, undefined, blank) give "" and never match.
 */
export type ComparisonKind = 'amount' | 'date' | 'currency' | 'code' | 'email' | 'text';

export const comparisonKindOf = (field: string): ComparisonKind => {
  const f = field.toLowerCase();
  if (/(?:^|_)(?:total|amount|balance)(?:$|_)/.test(f)) return 'amount';
  if (/(?:^|_)date(?:$|_)/.test(f)) return 'date';
  if (f === 'currency') return 'currency';
  if (f === 'email' || f.endsWith('_email')) return 'email';
  if (/^(?:iban|bic|vat|invoice_number)$|_(?:number|id|no)$/.test(f)) return 'code';
  return 'text';
};

const CURRENCY_ANYWHERE = new RegExp(CURRENCY_TOKEN, 'giu');

const text = (s: string): string =>
  s
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[^\p{L}\p{N}]/gu, '');

export const normalizeForComparison = (
  field: string,
  value: FieldValue | null | undefined,
  options: { readonly dateOrder?: DateOrder } = {},
): string => {
  if (value === null || value === undefined) return '';
  const s = String(value).trim();
  if (s === '') return '';
  switch (comparisonKindOf(field)) {
    case 'amount': {
      const n = typeof value === 'number' ? value : parseAmount(s.replace(CURRENCY_ANYWHERE, '').trim(), { decimal: '.' });
      return n === null ? text(s) : n.toFixed(2);
    }
    case 'date':
      return parseDate(s, options.dateOrder ? { order: options.dateOrder } : {}) ?? text(s);
    case 'currency':
      return currencyCode(s) ?? text(s);
    case 'code':
      return s.replace(/\s+/g, '').toUpperCase();
    case 'email':
      return s.toLowerCase();
    case 'text':
      return text(s);
  }
};

/** Whether an extracted value matches a labelled one; false when either is missing. */
export const valuesMatch = (field: string, extracted: FieldValue | null | undefined, expected: FieldValue | null | undefined): boolean => {
  const a = normalizeForComparison(field, extracted);
  return a !== '' && a === normalizeForComparison(field, expected);
};
