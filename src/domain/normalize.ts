/**
 * Normalisers for field values. Pure, and locale-aware enough for EU, US and Malaysian documents:
 * the order of a numeric date and the decimal separator of an ambiguous amount come from per-field
 * hints, and only decide what the text alone cannot.
 */

/** Which separator marks decimals when the text alone is ambiguous ("48,900", "1.250"). */
export type DecimalSeparator = '.' | ',';

/** Order of day, month and year in a numeric date ("03/04/2026"). */
export type DateOrder = 'DMY' | 'MDY' | 'YMD';

export interface AmountOptions {
  /** Decides "48,900" and "9.000", where one separator is followed by exactly three digits. */
  readonly decimal?: DecimalSeparator;
}

/**
 * "1,250.00" → 1250, "1.250,00" → 1250, "1 250,5" → 1250.5, "-9,32" → -9.32. When both separators
 * occur, the last one is the decimal separator. One separator followed by exactly three digits is a
 * thousands separator ("48,900" → 48900) unless `decimal` says it is the decimal one ("9.000" → 9
 * with `decimal: '.'`). Currency symbols and codes are not accepted here: the locator strips them.
 */
export const parseAmount = (raw: string, options: AmountOptions = {}): number | null => {
  let s = raw.replace(/[\s'\u00a0\u202f]/g, '').replace(/^[-\u2212]/, '-');
  const negative = s.startsWith('-');
  if (negative) s = s.slice(1);
  if (!/^\d[\d.,]*$/.test(s) || /[.,]$/.test(s)) return null;
  const lastDot = s.lastIndexOf('.');
  const lastComma = s.lastIndexOf(',');
  const decimalSep = ((): DecimalSeparator | null => {
    if (lastDot >= 0 && lastComma >= 0) return lastDot > lastComma ? '.' : ',';
    const sep = lastDot >= 0 ? '.' : lastComma >= 0 ? ',' : null;
    if (!sep) return null;
    if (s.split(sep).length - 1 > 1) return null;
    const decimals = s.length - s.lastIndexOf(sep) - 1;
    if (decimals !== 3) return sep;
    return options.decimal === sep ? sep : null;
  })();
  if (decimalSep) {
    const thousands = decimalSep === '.' ? ',' : '.';
    const [whole = '', fraction = ''] = s.split(decimalSep);
    // Thousands groups are exactly three digits: "1,2,3.45" is not an amount.
    if (whole.includes(thousands) && !new RegExp(`^\\d{1,3}(?:\\${thousands}\\d{3})+$`).test(whole)) return null;
    s = `${whole.split(thousands).join('')}.${fraction}`;
  } else {
    if (/[.,]/.test(s) && !/^\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*$/.test(s)) return null;
    s = s.replace(/[.,]/g, '');
  }
  const n = Number(s);
  if (!Number.isFinite(n)) return null;
  return negative && n !== 0 ? -n : n;
};

/** Month names (accents removed, lower case) in English, French, Dutch and German, by month number. */
const MONTH_NAMES: readonly (readonly string[])[] = [
  ['january', 'janvier', 'januari', 'januar', 'janner'],
  ['february', 'fevrier', 'februari', 'februar'],
  ['march', 'mars', 'maart', 'marz', 'maerz', 'mrt'],
  ['april', 'avril'],
  ['may', 'mai', 'mei'],
  ['june', 'juin', 'juni'],
  ['july', 'juillet', 'juli'],
  ['august', 'aout', 'augustus'],
  ['september', 'septembre'],
  ['october', 'octobre', 'oktober'],
  ['november', 'novembre'],
  ['december', 'decembre', 'dezember'],
];

const foldAccents = (s: string): string => s.normalize('NFKD').replace(/\p{M}/gu, '');

/**
 * 1–12 for a month name or an unambiguous abbreviation of at least three letters ("Sept.", "DEC",
 * "juil"); null otherwise ("jui" could be juin or juillet).
 */
export const monthNumber = (raw: string): number | null => {
  const token = foldAccents(raw.trim().replace(/\.$/, '')).toLowerCase();
  if (!/^[a-z]{3,10}$/.test(token)) return null;
  const months = new Set<number>();
  MONTH_NAMES.forEach((names, i) => {
    if (names.some((name) => name.startsWith(token))) months.add(i + 1);
  });
  const [only] = months;
  return months.size === 1 && only !== undefined ? only : null;
};

const iso = (y: number, m: number, d: number): string | null => {
  if (m < 1 || m > 12 || d < 1 || d > 31) return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCMonth() !== m - 1 || date.getUTCFullYear() !== y) return null;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
};

/** Two-digit years pivot at 70: 00–69 → 2000–2069, 70–99 → 1970–1999. */
const fullYear = (y: string): number => {
  const n = Number(y);
  return y.length <= 2 ? (n < 70 ? 2000 + n : 1900 + n) : n;
};

export interface DateOptions {
  /** The order to read an ambiguous numeric date in; default day first. */
  readonly order?: DateOrder;
}

/** Reads a, b, c in `order`; when that is no valid date, the first other order that is. */
const numericDate = (a: string, b: string, c: string, order: DateOrder): string | null => {
  const readings: Record<DateOrder, () => string | null> = {
    DMY: () => (c.length === 2 || c.length === 4 ? iso(fullYear(c), Number(b), Number(a)) : null),
    MDY: () => (c.length === 2 || c.length === 4 ? iso(fullYear(c), Number(a), Number(b)) : null),
    YMD: () => (a.length === 2 ? iso(fullYear(a), Number(b), Number(c)) : null),
  };
  const fallbacks: Record<DateOrder, readonly DateOrder[]> = { DMY: ['DMY', 'MDY'], MDY: ['MDY', 'DMY'], YMD: ['YMD', 'DMY', 'MDY'] };
  for (const o of fallbacks[order]) {
    const date = readings[o]();
    if (date) return date;
  }
  return null;
};

const ORDINAL = '(?:st|nd|rd|th|er)?';

/**
 * Dates to ISO "YYYY-MM-DD", or null when the text is no valid date:
 * - year first: 2026-10-03, 2026/10/03, 2026.10.03 (always year, month, day);
 * - numeric: 03/10/2026, 3.10.26, 03-10-2026 in `order` (default day first). A date that is only
 *   valid in the other order ("03/20/2023" when day first) is read in that order;
 * - month names: "12 October 2026", "25-DEC-18", "1er juillet 2015", "October 12, 2026", "Jan 1, 2022".
 * Two-digit years pivot at 70.
 */
export const parseDate = (raw: string, options: DateOptions = {}): string | null => {
  const s = raw.trim();
  const order = options.order ?? 'DMY';
  let m = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(s);
  if (m) return iso(Number(m[1]), Number(m[2]), Number(m[3]));
  m = /^(\d{1,2})([./-])(\d{1,2})\2(\d{2}|\d{4})$/.exec(s);
  if (m) return numericDate(m[1] ?? '', m[3] ?? '', m[4] ?? '', order);
  m = new RegExp(`^(\\d{1,2})${ORDINAL}[\\s./-]*(\\p{L}{3,10})\\.?[\\s,./-]*(\\d{4}|\\d{2})$`, 'iu').exec(s);
  if (m) {
    const month = monthNumber(m[2] ?? '');
    return month === null ? null : iso(fullYear(m[3] ?? ''), month, Number(m[1]));
  }
  m = new RegExp(`^(\\p{L}{3,10})\\.?[\\s-]*(\\d{1,2})${ORDINAL},?[\\s-]+(\\d{4})$`, 'iu').exec(s);
  if (m) {
    const month = monthNumber(m[1] ?? '');
    return month === null ? null : iso(Number(m[3]), month, Number(m[2]));
  }
  return null;
};

/** Upper-case, no spaces. Validity is a rule's business, not the normaliser's. */
export const normalizeIban = (raw: string): string => raw.replace(/\s+/g, '').toUpperCase();

/** ISO 13616 mod-97 check. */
export const isValidIban = (value: string): boolean => {
  const iban = normalizeIban(value);
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/.test(iban)) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const code = ch >= 'A' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const digit of code) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder === 1;
};

/** ISO 3166-1 alpha-2 codes, for the country part of a BIC. */
const COUNTRIES = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
    'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
    'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO ' +
    'JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR ' +
    'MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO ' +
    'RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV ' +
    'TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW'
  ).split(' '),
);

/** Upper-case, no spaces. */
export const normalizeBic = (raw: string): string => raw.replace(/\s+/g, '').toUpperCase();

/** ISO 9362: 4 letters (bank), a country code, 2 characters (location), optionally 3 (branch). */
export const isValidBic = (value: string): boolean => {
  const bic = normalizeBic(value);
  return /^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$/.test(bic) && COUNTRIES.has(bic.slice(4, 6));
};

/** Trimmed and lower-cased; null when it is not shaped like an address. */
export const normalizeEmail = (raw: string): string | null => {
  const email = raw.trim().toLowerCase();
  return /^[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}$/.test(email) ? email : null;
};

/**
 * Digits only, with a leading "+" for an international number ("+60 3-1234 5678" → "+60312345678",
 * "0049 30 1234567" → "+49301234567"); null outside 7–15 digits (E.164).
 */
export const normalizePhone = (raw: string): string | null => {
  const s = raw.trim();
  if (!/^(?:\+|\d|\()[\d\s().\-/]*\d$/.test(s)) return null;
  const international = s.startsWith('+') || s.startsWith('00');
  const all = s.replace(/\D/g, '');
  const digits = s.startsWith('00') ? all.slice(2) : all;
  if (digits.length < 7 || digits.length > 15) return null;
  return international ? `+${digits}` : digits;
};

const CURRENCY_SYMBOLS: Readonly<Record<string, string>> = {
  '€': 'EUR',
  $: 'USD',
  US$: 'USD',
  '£': 'GBP',
  '¥': 'JPY',
  RM: 'MYR',
  S$: 'SGD',
  EURO: 'EUR',
  EUROS: 'EUR',
};

const CURRENCY_CODES = new Set([
  'EUR',
  'USD',
  'GBP',
  'CHF',
  'MYR',
  'SGD',
  'JPY',
  'CNY',
  'SEK',
  'NOK',
  'DKK',
  'PLN',
  'CZK',
  'CAD',
  'AUD',
  'INR',
]);

/** The ISO 4217 code for a currency code or symbol ("€" → "EUR", "RM" → "MYR"); null if unknown. */
export const currencyCode = (raw: string): string | null => {
  const s = raw.trim().toUpperCase();
  return CURRENCY_SYMBOLS[s] ?? (CURRENCY_CODES.has(s) ? s : null);
};

/** Currency codes and symbols as a regex alternation, longest first. */
export const CURRENCY_TOKEN = '(?:US\\$|S\\$|EUR|USD|GBP|CHF|MYR|SGD|JPY|CNY|SEK|NOK|DKK|PLN|CZK|CAD|AUD|INR|RM|€|\\$|£|¥)';
