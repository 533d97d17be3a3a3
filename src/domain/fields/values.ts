import type { FieldType, FieldValue } from '../document.js';
import {
  CURRENCY_TOKEN,
  currencyCode,
  isValidBic,
  isValidIban,
  normalizeBic,
  normalizeEmail,
  normalizeIban,
  normalizePhone,
  parseAmount,
  parseDate,
  type DateOrder,
  type DecimalSeparator,
} from '../normalize.js';

/** Per-field hints for what the text alone leaves open. */
export interface ValueHints {
  readonly dateOrder?: DateOrder | undefined;
  /** Plausible years; a date outside them is dropped unless reading a "7" as "1" brings it in. */
  readonly years?: { readonly min: number; readonly max: number } | undefined;
  readonly decimal?: DecimalSeparator | undefined;
}

/** One value of a type found in a piece of text. */
export interface ValueMatch {
  /** Offsets of the value (including an adjacent currency) in the searched text. */
  readonly start: number;
  readonly end: number;
  readonly value: FieldValue;
  /** ISO 4217, for amounts written with a currency. */
  readonly currency?: string;
  /** False for a value that is found but fails its check (an IBAN's mod-97); it is kept, at a lower quality. */
  readonly valid: boolean;
  /** For amounts: written with decimals ("9.00", not "9"), which is what totals look like. */
  readonly hasDecimals?: boolean;
}

const collapse = (s: string): string => s.replace(/\s+/g, ' ').trim();

/** Separators and bullets that sit between a label and its value ("Total: 9", "No. # 12"). */
const LEADING_NOISE = /^[\s:;#=.,>*\-\u2013\u2014|]+/;
const TRAILING_NOISE = /[\s:;=,|*]+$/;

// Amounts: "1,234.56", "1.234,56", "1 234,56" (space groups only with decimal commas, so "3 900.00"
// stays a quantity and an amount), "1'234.50", "-9,32", "$8.20", "29.99 €". Not part of a date
// ("25/12/2018"), a time ("8:13"), a percentage or a longer token ("INV2023").
const NUMBER =
  "[-\u2212]?(?:\\d{1,3}(?:[.,'\u00a0\u202f]\\d{3})+(?:[.,]\\d{1,3})?|\\d{1,3}(?:[ \u00a0\u202f]\\d{3})+,\\d{1,2}|\\d+(?:[.,]\\d{1,3})?)";
const AMOUNT_RE = new RegExp(
  `(?<![\\p{L}\\p{N}.,%-]|\\p{N}[/:])(?:(?<pre>${CURRENCY_TOKEN})\\s?)?(?<num>${NUMBER})(?![\\p{N}%/:]|[.,-]\\p{N})(?:\\s?(?<post>${CURRENCY_TOKEN})(?![\\p{L}]))?`,
  'gu',
);

const findAmounts = (text: string, hints: ValueHints): ValueMatch[] => {
  const out: ValueMatch[] = [];
  for (const m of text.matchAll(AMOUNT_RE)) {
    const num = m.groups?.['num'] ?? '';
    const value = parseAmount(num, hints.decimal ? { decimal: hints.decimal } : {});
    if (value === null) continue;
    const symbol = m.groups?.['pre'] ?? m.groups?.['post'];
    const currency = symbol ? currencyCode(symbol) : null;
    out.push({
      start: m.index,
      end: m.index + m[0].length,
      value,
      valid: true,
      hasDecimals: /[.,]\d{1,2}$/.test(num) || (hints.decimal !== undefined && num.endsWith(`${hints.decimal}${num.slice(-3)}`)),
      ...(currency ? { currency } : {}),
    });
  }
  return out;
};

const MONTH_WORD = '\\p{L}{3,10}\\.?';
/** Year first; numeric day and month (one optional space around the separators, as OCR leaves it); month names. */
const DATE_FORMS = [
  '\\d{4}[-/.]\\d{1,2}[-/.]\\d{1,2}',
  '\\d{1,2} ?([-/.]) ?\\d{1,2} ?\\1 ?(?:\\d{4}|\\d{2})',
  `\\d{1,2}(?:st|nd|rd|th|er)?[\\s./-]*${MONTH_WORD}[\\s,./-]*(?:\\d{4}|\\d{2})`,
  `${MONTH_WORD}[\\s-]*\\d{1,2}(?:st|nd|rd|th)?,?[\\s-]+\\d{4}`,
];
const DATE_RE = new RegExp(`(?<![\\p{L}\\p{N}])(?:${DATE_FORMS.map((f) => `(?:${f})`).join('|')})(?![\\p{N}])`, 'giu');

/**
 * A date within the hinted years. OCR reads "1" as "7" often enough ("22/03/2078") that a year
 * outside them is read again with one "7" as "1"; such a date is kept, marked not valid.
 */
const dateIn = (raw: string, hints: ValueHints): { value: string; valid: boolean } | null => {
  const value = parseDate(raw.replace(/ ?([-/.]) ?(?=\d)/g, '$1'), hints.dateOrder ? { order: hints.dateOrder } : {});
  if (value === null || !hints.years) return value === null ? null : { value, valid: true };
  const { min, max } = hints.years;
  const inRange = (y: string): boolean => Number(y) >= min && Number(y) <= max;
  const year = value.slice(0, 4);
  if (inRange(year)) return { value, valid: true };
  for (let i = year.indexOf('7'); i >= 0; i = year.indexOf('7', i + 1)) {
    const repaired = `${year.slice(0, i)}1${year.slice(i + 1)}`;
    const date = parseDate(`${repaired}${value.slice(4)}`);
    if (inRange(repaired) && date !== null) return { value: date, valid: false };
  }
  return null;
};

const findDates = (text: string, hints: ValueHints): ValueMatch[] => {
  const out: ValueMatch[] = [];
  for (const m of text.matchAll(DATE_RE)) {
    const date = dateIn(m[0], hints);
    if (date !== null) out.push({ start: m.index, end: m.index + m[0].length, ...date });
  }
  return out;
};

const IBAN_RE = /(?<![A-Z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?/gi;

/**
 * IBANs, each shortened from the right to the longest prefix that passes mod-97, because a
 * following word can stick to the last group ("... 7034 BIC"). One that never passes is kept whole,
 * marked invalid: the iban-checksum rule, not extraction, rejects it.
 */
const findIbans = (text: string): ValueMatch[] => {
  const out: ValueMatch[] = [];
  for (const m of text.matchAll(IBAN_RE)) {
    let raw = m[0];
    let valid = isValidIban(raw);
    for (let cut = raw.length - 1; !valid && normalizeIban(raw.slice(0, cut)).length >= 15; cut--) {
      if (isValidIban(raw.slice(0, cut))) {
        raw = raw.slice(0, cut).trimEnd();
        valid = true;
      }
    }
    out.push({ start: m.index, end: m.index + raw.length, value: normalizeIban(raw), valid });
  }
  return out;
};

const simple =
  (re: RegExp, normalise: (raw: string) => string | number | null) =>
  (text: string): ValueMatch[] => {
    const out: ValueMatch[] = [];
    for (const m of text.matchAll(re)) {
      const value = normalise(m[0]);
      if (value !== null) out.push({ start: m.index, end: m.index + m[0].length, value, valid: true });
    }
    return out;
  };

const findBics = simple(/(?<![\p{L}\p{N}])[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?(?![\p{L}\p{N}])/gu, (raw) =>
  isValidBic(raw) ? normalizeBic(raw) : null,
);
const findEmails = simple(/[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu, normalizeEmail);
const findPhones = simple(/(?<![\p{L}\p{N}])(?:\+|\(\+?)?\d[\d\s().\-/]{5,}\d(?![\p{L}\p{N}])/gu, normalizePhone);
const findNumbers = simple(/(?<![\p{L}\p{N}.,])[-\u2212]?\d+(?:[.,]\d+)*(?![\p{L}\p{N}]|[.,]\d)/gu, (raw) => parseAmount(raw));

/** Ids: one token of letters, digits and / _ . - with at least one digit ("INV-2026-0412", "2026/77"). */
const findIds = simple(/(?<![\p{L}\p{N}])[\p{L}\p{N}](?:[\p{L}\p{N}/_.-]*[\p{L}\p{N}])?/gu, (raw) =>
  raw.length >= 3 && /\d/.test(raw) ? raw : null,
);

const findText = (text: string): ValueMatch[] => {
  const lead = LEADING_NOISE.exec(text)?.[0].length ?? 0;
  const body = text.slice(lead).replace(TRAILING_NOISE, '');
  const value = collapse(body);
  return value && /[\p{L}\p{N}]/u.test(value) ? [{ start: lead, end: lead + body.length, value, valid: true }] : [];
};

/** Every value of `type` in `text`, in text order. For `text`, the whole text minus separators. */
export const findValues = (type: FieldType, text: string, hints: ValueHints = {}): ValueMatch[] => {
  switch (type) {
    case 'amount':
      return findAmounts(text, hints);
    case 'date':
      return findDates(text, hints);
    case 'iban':
      return findIbans(text);
    case 'bic':
      return findBics(text);
    case 'email':
      return findEmails(text);
    case 'phone':
      return findPhones(text);
    case 'number':
      return findNumbers(text);
    case 'id':
      return findIds(text);
    case 'text':
      return findText(text);
  }
};

const AMOUNT_WITH_CURRENCY = new RegExp(`^(?:(${CURRENCY_TOKEN})\\s*)?(.+?)(?:\\s*(${CURRENCY_TOKEN}))?$`, 'u');

/**
 * Normalises a value that a pattern captured as a whole. Null when it does not normalise; then the
 * pattern's next match is tried. IBANs are normalised but not judged (see `valid`).
 */
export const normalizeValue = (
  type: FieldType,
  raw: string,
  hints: ValueHints = {},
): { readonly value: FieldValue; readonly valid: boolean; readonly currency?: string } | null => {
  const s = raw.trim();
  switch (type) {
    case 'amount':
    case 'number': {
      const m = AMOUNT_WITH_CURRENCY.exec(s);
      const value = parseAmount(m?.[2] ?? s, hints.decimal ? { decimal: hints.decimal } : {});
      if (value === null) return null;
      const symbol = m?.[1] ?? m?.[3];
      const currency = type === 'amount' && symbol ? currencyCode(symbol) : null;
      return { value, valid: true, ...(currency ? { currency } : {}) };
    }
    case 'date':
      return dateIn(s, hints);
    case 'iban':
      return s ? { value: normalizeIban(s), valid: isValidIban(s) } : null;
    case 'bic':
      return isValidBic(s) ? { value: normalizeBic(s), valid: true } : null;
    case 'email': {
      const value = normalizeEmail(s);
      return value === null ? null : { value, valid: true };
    }
    case 'phone': {
      const value = normalizePhone(s);
      return value === null ? null : { value, valid: true };
    }
    case 'id':
    case 'text': {
      const value = collapse(s);
      return value ? { value, valid: true } : null;
    }
  }
};
