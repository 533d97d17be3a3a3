/**
 * Normalisers for field values. Pure and locale-aware enough for EU and US documents; a later
 * extraction issue adds hints (day-first vs month-first) per class.
 */

/** "1,250.00" → 1250, "1.250,00" → 1250, "1 250,5" → 1250.5, "48,900" → 48900. */
export const parseAmount = (raw: string): number | null => {
  let s = raw.replace(/[\s'\u00a0]/g, '');
  if (!/^\d[\d.,]*$/.test(s)) return null;
  const lastDot = s.lastIndexOf('.');
  const lastComma = s.lastIndexOf(',');
  const decimalSep = (() => {
    if (lastDot >= 0 && lastComma >= 0) return lastDot > lastComma ? '.' : ',';
    const sep = lastDot >= 0 ? '.' : lastComma >= 0 ? ',' : null;
    if (!sep) return null;
    const count = s.split(sep).length - 1;
    const decimals = s.length - s.lastIndexOf(sep) - 1;
    // One separator followed by exactly three digits is a thousands separator ("48,900").
    return count === 1 && decimals !== 3 ? sep : null;
  })();
  if (decimalSep) {
    const thousands = decimalSep === '.' ? ',' : '.';
    s = s.split(thousands).join('').replace(decimalSep, '.');
  } else {
    s = s.replace(/[.,]/g, '');
  }
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
};

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

const iso = (y: number, m: number, d: number): string | null => {
  if (m < 1 || m > 12 || d < 1 || d > 31) return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCMonth() !== m - 1) return null;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
};

const fullYear = (y: number): number => (y < 100 ? (y < 70 ? 2000 + y : 1900 + y) : y);

/** ISO dates, day-first numeric dates (EU default), and "12 October 2026" → "YYYY-MM-DD". */
export const parseDate = (raw: string): string | null => {
  const s = raw.trim();
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(s);
  if (m) return iso(Number(m[1]), Number(m[2]), Number(m[3]));
  m = /^(\d{1,2})[./-](\d{1,2})[./-](\d{2}|\d{4})$/.exec(s);
  if (m) return iso(fullYear(Number(m[3])), Number(m[2]), Number(m[1]));
  m = /^(\d{1,2})\s+([a-z]+)\.?\s+(\d{2}|\d{4})$/i.exec(s);
  if (m) {
    const month = MONTHS.indexOf((m[2] ?? '').slice(0, 3).toLowerCase()) + 1;
    if (month > 0) return iso(fullYear(Number(m[3])), month, Number(m[1]));
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
