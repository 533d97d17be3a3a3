/**
 * File names come from customers: any bytes but '/' and NUL on POSIX, not necessarily UTF-8, and
 * free to hold newlines, terminal escapes or bidi overrides. `escapeFileName` renders one as a
 * string that is safe to store, print and log: valid UTF-8 stays as it is, except that control
 * characters (C0, DEL, C1), bidi controls and the backslash are escaped (`\n`, `\x1b`, `\u202e`,
 * `\\`), and bytes that are not UTF-8 become `\xNN`. The mapping is one-to-one, so two different
 * names never print the same.
 */

const SHORT_ESCAPES: Readonly<Record<number, string>> = { 0x09: '\\t', 0x0a: '\\n', 0x0d: '\\r', 0x5c: '\\\\' };

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** Code points that are printed escaped although they are valid UTF-8. */
const needsEscape = (cp: number): boolean =>
  cp < 0x20 ||
  cp === 0x5c ||
  (cp >= 0x7f && cp <= 0x9f) ||
  cp === 0x061c ||
  (cp >= 0x200e && cp <= 0x200f) ||
  (cp >= 0x202a && cp <= 0x202e) ||
  (cp >= 0x2066 && cp <= 0x2069) ||
  cp === 0xfeff;

/** The code point starting at `i` and its length in bytes, or null where the bytes are not UTF-8. */
const decodeAt = (bytes: Uint8Array, i: number): readonly [number, number] | null => {
  const lead = bytes[i] ?? 0;
  if (lead < 0x80) return [lead, 1];
  let length: number;
  let cp: number;
  let min: number;
  if (lead >= 0xc2 && lead <= 0xdf) [length, cp, min] = [2, lead & 0x1f, 0x80];
  else if (lead >= 0xe0 && lead <= 0xef) [length, cp, min] = [3, lead & 0x0f, 0x800];
  else if (lead >= 0xf0 && lead <= 0xf4) [length, cp, min] = [4, lead & 0x07, 0x10000];
  else return null;
  if (i + length > bytes.length) return null;
  for (let k = 1; k < length; k++) {
    const next = bytes[i + k] ?? 0;
    if ((next & 0xc0) !== 0x80) return null;
    cp = (cp << 6) | (next & 0x3f);
  }
  // Overlong forms (a '/' hidden as C0 AF), surrogates and values past Unicode are not UTF-8.
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return null;
  return [cp, length];
};

export const escapeFileName = (name: Uint8Array | string): string => {
  const bytes = typeof name === 'string' ? new TextEncoder().encode(name) : name;
  let out = '';
  for (let i = 0; i < bytes.length;) {
    const decoded = decodeAt(bytes, i);
    if (!decoded) {
      out += `\\x${hex2(bytes[i] ?? 0)}`;
      i += 1;
      continue;
    }
    const [cp, length] = decoded;
    if (!needsEscape(cp)) out += String.fromCodePoint(cp);
    else out += SHORT_ESCAPES[cp] ?? (cp <= 0xff ? `\\x${hex2(cp)}` : `\\u${cp.toString(16).padStart(4, '0')}`);
    i += length;
  }
  return out;
};
