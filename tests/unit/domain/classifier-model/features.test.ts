import { describe, expect, it } from 'vitest';
import { LAYOUT_FEATURES, layoutFeatures } from '../../../../src/domain/classifier-model/layout-features.js';
import { blockOf, DEFAULT_TEXT_FEATURES, termCounts, wordTokens } from '../../../../src/domain/classifier-model/text-features.js';
import type { BoundingBox, Extraction, Line, PageText, Word } from '../../../../src/domain/document.js';

describe('wordTokens', () => {
  it('lower-cases words of two or more letters and drops punctuation, digits and single letters', () => {
    expect(wordTokens('To: Bob')).toEqual(['to', 'bob']);
    expect(wordTokens('A b CD, 42 e-mail')).toEqual(['cd', 'mail']);
    expect(wordTokens('abc1def')).toEqual(['abc', 'def']);
  });

  it('keeps apostrophes inside words and non-ASCII letters', () => {
    expect(wordTokens("Don't STRASSE Straße Ünïcode")).toEqual(["don't", 'strasse', 'straße', 'ünïcode']);
    expect(wordTokens("'quoted'")).toEqual(['quoted']);
  });

  it('returns nothing for text without words', () => {
    expect(wordTokens('')).toEqual([]);
    expect(wordTokens('1 2 3 ! x')).toEqual([]);
  });
});

describe('termCounts', () => {
  it('counts word unigrams, bigrams and char_wb 3–5-grams of "To: Bob" exactly', () => {
    const counts = termCounts('To: Bob');
    expect(Object.fromEntries(counts)).toEqual({
      'w:to': 1,
      'w:bob': 1,
      'w:to bob': 1,
      // " to: " padded with one space each side: 3-grams, 4-grams, 5-grams.
      'c: to': 1,
      'c:to:': 1,
      'c:o: ': 1,
      'c: to:': 1,
      'c:to: ': 1,
      'c: to: ': 1,
      'c: bo': 1,
      'c:bob': 1,
      'c:ob ': 1,
      'c: bob': 1,
      'c:bob ': 1,
      'c: bob ': 1,
    });
  });

  it('counts repeats, and skips n-grams longer than the padded token', () => {
    const counts = termCounts('aa AA');
    expect(Object.fromEntries(counts)).toEqual({
      'w:aa': 2,
      'w:aa aa': 1,
      'c: aa': 2,
      'c:aa ': 2,
      'c: aa ': 2,
    });
  });

  it('takes char n-grams of every whitespace token, words or not', () => {
    const counts = termCounts('$1');
    expect(Object.fromEntries(counts)).toEqual({ 'c: $1': 1, 'c:$1 ': 1, 'c: $1 ': 1 });
  });

  it('honours the n-gram range', () => {
    const counts = termCounts('abcd', { charMin: 2, charMax: 2, maxTokens: 10 });
    expect(Object.fromEntries(counts)).toEqual({ 'w:abcd': 1, 'c: a': 1, 'c:ab': 1, 'c:bc': 1, 'c:cd': 1, 'c:d ': 1 });
  });

  it('caps the tokens counted at maxTokens', () => {
    const counts = termCounts('aa bb cc dd', { charMin: 3, charMax: 3, maxTokens: 2 });
    expect([...counts.keys()].sort()).toEqual(['c: aa', 'c: bb', 'c:aa ', 'c:bb ', 'w:aa', 'w:aa bb', 'w:bb']);
    const uncapped = termCounts('aa bb cc dd', { charMin: 3, charMax: 3, maxTokens: 4 });
    expect(uncapped.get('w:dd')).toBe(1);
    expect(uncapped.get('w:cc dd')).toBe(1);
    expect(uncapped.get('c: dd')).toBe(1);
  });

  it('is empty for empty or blank text', () => {
    expect(termCounts('').size).toBe(0);
    expect(termCounts(' \n\t ').size).toBe(0);
  });

  it('uses 3–5-grams and 5000 tokens by default', () => {
    expect(DEFAULT_TEXT_FEATURES).toEqual({ charMin: 3, charMax: 5, maxTokens: 5000 });
  });
});

describe('blockOf', () => {
  it('puts c: terms in the character block and everything else in the word block', () => {
    expect(blockOf('c: to')).toBe('c');
    expect(blockOf('w:to')).toBe('w');
    expect(blockOf('w:to bob')).toBe('w');
    for (const term of termCounts('To: Bob').keys()) expect(blockOf(term)).toBe(term.startsWith('c:') ? 'c' : 'w');
  });
});

const box = (left: number, top: number, width: number, height: number): BoundingBox => ({ left, top, width, height });
const word = (text: string, confidence: number, b: BoundingBox): Word => ({ text, confidence, box: b });
const line = (words: Word[], b: BoundingBox): Line => ({
  text: words.map((w) => w.text).join(' '),
  confidence: 1,
  box: b,
  words,
});

const page = (text: string, lines: Line[] | undefined, width = 600, height = 800, n = 1): PageText => ({
  page: n,
  method: 'ocr',
  text,
  confidence: 0.9,
  width,
  height,
  ...(lines ? { lines } : {}),
});

const extraction = (pages: PageText[]): Extraction => ({
  mediaType: 'image/png',
  pages,
  text: pages.map((p) => p.text).join('\f'),
  confidence: 0.9,
  provenance: { engine: 'test' },
});

const byName = (values: readonly number[]): Record<string, number> =>
  Object.fromEntries(LAYOUT_FEATURES.map((name, i) => [name, values[i] ?? Number.NaN]));

/** Two lines with word boxes; every expected value below is worked out by hand. */
const HAND_BUILT = extraction([
  page('To: Bob\nHello world', [
    line([word('To:', 0.9, box(0.1, 0.1, 0.1, 0.02)), word('Bob', 0.5, box(0.25, 0.1, 0.15, 0.02))], box(0.1, 0.1, 0.3, 0.02)),
    line([word('Hello', 0.8, box(0.1, 0.6, 0.2, 0.04)), word('world', 1, box(0.35, 0.6, 0.25, 0.04))], box(0.1, 0.6, 0.5, 0.04)),
  ]),
]);

describe('layoutFeatures', () => {
  it('names its features uniquely and returns one value per name', () => {
    expect(new Set(LAYOUT_FEATURES).size).toBe(LAYOUT_FEATURES.length);
    expect(LAYOUT_FEATURES.filter((n) => n.startsWith('grid_'))).toHaveLength(16);
    expect(layoutFeatures(HAND_BUILT)).toHaveLength(LAYOUT_FEATURES.length);
  });

  it('computes known values on a hand-built two-line page', () => {
    const f = byName(layoutFeatures(HAND_BUILT));
    expect(f.log_words).toBeCloseTo(Math.log(5), 12);
    expect(f.log_lines).toBeCloseTo(Math.log(3), 12);
    expect(f.log_chars).toBeCloseTo(Math.log(17), 12); // "To:Bob" + "Helloworld"
    expect(f.log_pages).toBe(0);
    expect(f.aspect).toBeCloseTo(0.75, 12);
    expect(f.mean_word_confidence).toBeCloseTo(0.8, 12);
    expect(f.low_confidence_share).toBeCloseTo(0.25, 12);
    expect(f.mean_line_height).toBeCloseTo(0.03, 12);
    expect(f.std_line_height).toBeCloseTo(0.01, 12);
    expect(f.median_line_height).toBeCloseTo(0.03, 12);
    expect(f.max_line_height).toBeCloseTo(0.04, 12);
    expect(f.text_coverage).toBeCloseTo(0.002 + 0.003 + 0.008 + 0.01, 12);
    expect(f.mean_line_gap).toBeCloseTo(0.5, 12);
    expect(f.std_line_gap).toBe(0);
    expect(f.mean_line_left).toBeCloseTo(0.1, 12);
    expect(f.std_line_left).toBeCloseTo(0, 12);
    expect(f.mean_line_width).toBeCloseTo(0.4, 12);
    expect(f.std_line_width).toBeCloseTo(0.1, 12);
    expect(f.words_per_line).toBe(2);
    expect(f.short_line_share).toBe(1);
    expect(f.text_top).toBeCloseTo(0.1, 12);
    expect(f.text_bottom).toBeCloseTo(0.64, 12);
    expect(f.text_left).toBeCloseTo(0.1, 12);
    expect(f.text_right).toBeCloseTo(0.6, 12);
    expect(f.digit_token_share).toBe(0);
    expect(f.upper_token_share).toBe(0);
    expect(f.mean_token_length).toBeCloseTo(3.75, 12);
    expect(f.punctuation_share).toBeCloseTo(1 / 19, 12);
    expect(f.vowelless_token_share).toBe(0);
    expect(f.colon_line_share).toBe(0.5);
    // Word centres: To: (0.15, 0.11) → row 0 col 0; Bob (0.325, 0.11) → 0,1; Hello (0.2, 0.62) → 2,0;
    // world (0.475, 0.62) → 2,1. Each cell holds the area of its words.
    expect(f.grid_0_0).toBeCloseTo(0.002, 12);
    expect(f.grid_0_1).toBeCloseTo(0.003, 12);
    expect(f.grid_2_0).toBeCloseTo(0.008, 12);
    expect(f.grid_2_1).toBeCloseTo(0.01, 12);
    const others = LAYOUT_FEATURES.filter((n) => n.startsWith('grid_') && !['grid_0_0', 'grid_0_1', 'grid_2_0', 'grid_2_1'].includes(n));
    for (const n of others) expect(f[n]).toBe(0);
  });

  it('computes the token shares from the page text', () => {
    const f = byName(layoutFeatures(extraction([page('INVOICE 42 total: brrr', undefined)])));
    expect(f.digit_token_share).toBeCloseTo(0.25, 12);
    expect(f.upper_token_share).toBeCloseTo(0.25, 12);
    expect(f.vowelless_token_share).toBeCloseTo(0.25, 12);
    expect(f.mean_token_length).toBeCloseTo(4.5, 12);
    expect(f.punctuation_share).toBeCloseTo(1 / 22, 12);
    expect(f.log_chars).toBeCloseTo(Math.log(20), 12);
    // No geometry: the line and word features are 0.
    expect(f.log_words).toBe(0);
    expect(f.log_lines).toBe(0);
    expect(f.colon_line_share).toBe(0);
  });

  it('reads the first page only, counting the others in log_pages', () => {
    const one = layoutFeatures(HAND_BUILT);
    const first = HAND_BUILT.pages[0]!;
    const three = layoutFeatures(
      extraction([
        first,
        page('Completely different text: 123', [line([word('x', 0.1, box(0.9, 0.9, 0.1, 0.1))], box(0.9, 0.9, 0.1, 0.1))], 1000, 500, 2),
        page('', [], 600, 800, 3),
      ]),
    );
    const i = LAYOUT_FEATURES.indexOf('log_pages');
    expect(three[i]).toBeCloseTo(Math.log(3), 12);
    expect(three.filter((_, k) => k !== i)).toEqual(one.filter((_, k) => k !== i));
  });

  it('gives finite values for a page with no text and no lines (log_words 0, the page shape kept)', () => {
    for (const lines of [[], undefined]) {
      const values = layoutFeatures(extraction([page('', lines, 1000, 700)]));
      expect(values).toHaveLength(LAYOUT_FEATURES.length);
      expect(values.every((v) => Number.isFinite(v))).toBe(true);
      const f = byName(values);
      expect(f.log_words).toBe(0);
      expect(f.log_chars).toBe(0);
      expect(f.aspect).toBeCloseTo(1000 / 700, 12);
      expect(values.filter((_, k) => LAYOUT_FEATURES[k] !== 'aspect').every((v) => v === 0)).toBe(true);
    }
  });

  it('gives finite values for no pages and for degenerate numbers', () => {
    const none = layoutFeatures(extraction([]));
    expect(none).toHaveLength(LAYOUT_FEATURES.length);
    expect(none.every((v) => v === 0)).toBe(true);
    // A zero-height page and a NaN confidence must not leak NaN or Infinity.
    const odd = layoutFeatures(
      extraction([page('ab', [line([word('ab', Number.NaN, box(0.1, 0.1, 0.1, 0.1))], box(0.1, 0.1, 0.1, 0.1))], 600, 0)]),
    );
    expect(odd.every((v) => Number.isFinite(v))).toBe(true);
    const f = byName(odd);
    expect(f.aspect).toBe(0);
    expect(f.mean_word_confidence).toBe(0);
    expect(f.log_words).toBeCloseTo(Math.log(2), 12);
  });

  it('clamps words outside the page into the border grid cells', () => {
    const f = byName(
      layoutFeatures(
        extraction([
          page('ab cd', [line([word('ab', 1, box(-0.5, -0.5, 0.2, 0.2)), word('cd', 1, box(1.2, 1.2, 0.1, 0.1))], box(0, 0, 1, 1))]),
        ]),
      ),
    );
    expect(f.grid_0_0).toBeCloseTo(0.04, 12);
    expect(f.grid_3_3).toBeCloseTo(0.01, 12);
  });
});
