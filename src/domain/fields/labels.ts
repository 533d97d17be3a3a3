import type { LayoutLine } from './layout.js';

/**
 * Label matching. Labels and lines are compared as "keys": lower case, accents and punctuation
 * dropped, and a break between letters and digits, so "Invoice No." matches "INVOICE NO:",
 * "SUB-TOTAL" matches "sub total", and "TOTAL:9.00" or "993548900Factuurnummer" (words run
 * together by OCR or a PDF producer) still show their label. "#" is kept: it is a label in itself.
 */

interface KeyChar {
  readonly word: number;
  /** Offset in the word's text just after this character. */
  readonly end: number;
}

export interface LineKey {
  readonly key: string;
  /** For each character of `key`, where it came from; null for inserted spaces. */
  readonly origin: readonly (KeyChar | null)[];
}

const kindOf = (c: string): 'letter' | 'digit' | 'other' => {
  const code = c.charCodeAt(0);
  // ASCII (nearly every character of a document) without a Unicode regex test.
  if (code < 0x80)
    return code >= 0x30 && code <= 0x39
      ? 'digit'
      : (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || code === 0x23
        ? 'letter'
        : 'other';
  return /\p{N}/u.test(c) ? 'digit' : /[\p{L}#]/u.test(c) ? 'letter' : 'other';
};

/** ASCII has no decomposition: only the rest pays for NFKD and the mark-stripping regex. */
const fold = (ch: string): string =>
  ch.charCodeAt(0) < 0x80 ? ch.toLowerCase() : ch.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();

/** The key of a sequence of words (a line, or a label split on spaces). */
export const keyOf = (words: readonly string[]): LineKey => {
  let key = '';
  const origin: (KeyChar | null)[] = [];
  let last: 'letter' | 'digit' | 'space' = 'space';
  const space = (): void => {
    if (last !== 'space') {
      key += ' ';
      origin.push(null);
      last = 'space';
    }
  };
  words.forEach((text, word) => {
    space();
    let offset = 0;
    for (const raw of text) {
      offset += raw.length;
      for (const c of fold(raw)) {
        const kind = kindOf(c);
        if (kind === 'other') {
          space();
          continue;
        }
        if (last !== 'space' && last !== kind) space();
        key += c;
        origin.push({ word, end: offset });
        last = kind;
      }
    }
  });
  if (key.endsWith(' ')) {
    key = key.slice(0, -1);
    origin.pop();
  }
  return { key, origin };
};

/** Labels come from the config (a bounded set); each line is keyed once, not once per label list. */
const labelKeys = new Map<string, string>();
const lineKeys = new WeakMap<LayoutLine, LineKey>();

export const labelKey = (label: string): string => {
  let k = labelKeys.get(label);
  if (k === undefined) {
    k = keyOf(label.split(/\s+/)).key;
    labelKeys.set(label, k);
  }
  return k;
};

const lineKeyOf = (line: LayoutLine): LineKey => {
  let k = lineKeys.get(line);
  if (k === undefined) {
    k = keyOf(line.words.map((w) => w.text));
    lineKeys.set(line, k);
  }
  return k;
};

/** A label found in a line. */
export interface LabelHit {
  readonly line: LayoutLine;
  /** The label, as configured, that was found. */
  readonly label: string;
  /** Key offsets of the label in the line's key. */
  readonly start: number;
  readonly end: number;
  /** Index of the label's first and last word in the line. */
  readonly firstWord: number;
  readonly lastWord: number;
  /** Offset in the last word's text where the label ends: what follows is already the value. */
  readonly endInWord: number;
}

const occurrences = (haystack: string, needle: string): number[] => {
  const found: number[] = [];
  if (!needle) return found;
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) {
    const before = i === 0 || haystack[i - 1] === ' ';
    const after = i + needle.length === haystack.length || haystack[i + needle.length] === ' ';
    if (before && after) found.push(i);
  }
  return found;
};

/**
 * Where any of `labels` occurs in `line`, minus occurrences inside an `exclude` phrase (so "total"
 * is not found in "sub total"). Overlapping hits keep the longest label ("grand total" over "total").
 */
export const findLabels = (line: LayoutLine, labels: readonly string[], exclude: readonly string[] = []): LabelHit[] => {
  const { key, origin } = lineKeyOf(line);
  const excluded = exclude.flatMap((phrase) => {
    const k = labelKey(phrase);
    return occurrences(key, k).map((start) => [start, start + k.length] as const);
  });
  const hits: { label: string; start: number; end: number }[] = [];
  for (const label of labels) {
    const k = labelKey(label);
    for (const start of occurrences(key, k)) {
      const end = start + k.length;
      if (excluded.some(([s, e]) => s < end && e > start)) continue;
      hits.push({ label, start, end });
    }
  }
  hits.sort((a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: { label: string; start: number; end: number }[] = [];
  for (const h of hits) if (!kept.some((k) => k.start < h.end && k.end > h.start)) kept.push(h);
  kept.sort((a, b) => a.start - b.start);
  return kept.flatMap((h) => {
    const first = origin[h.start];
    const last = origin[h.end - 1];
    if (!first || !last) return [];
    return [{ line, label: h.label, start: h.start, end: h.end, firstWord: first.word, lastWord: last.word, endInWord: last.end }];
  });
};
