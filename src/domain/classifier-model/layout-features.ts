import type { Extraction, Line, Word } from '../document.js';

/**
 * Layout features from the OCR geometry (normalised boxes, as Textract returns them): how much
 * text, how big, how confident, how it is spread over the page. They carry what text n-grams
 * cannot: folders, handwriting and advertisements have little readable text but a telling shape.
 * Computed from the first page, which is what a scan's class shows; `pages` counts the rest.
 */

const GRID = 4;

export const LAYOUT_FEATURES: readonly string[] = [
  'log_words',
  'log_lines',
  'log_chars',
  'log_pages',
  'aspect',
  'mean_word_confidence',
  'low_confidence_share',
  'mean_line_height',
  'std_line_height',
  'median_line_height',
  'max_line_height',
  'text_coverage',
  'mean_line_gap',
  'std_line_gap',
  'mean_line_left',
  'std_line_left',
  'mean_line_width',
  'std_line_width',
  'words_per_line',
  'short_line_share',
  'text_top',
  'text_bottom',
  'text_left',
  'text_right',
  'digit_token_share',
  'upper_token_share',
  'mean_token_length',
  'punctuation_share',
  'vowelless_token_share',
  'colon_line_share',
  ...Array.from({ length: GRID * GRID }, (_, i) => `grid_${Math.floor(i / GRID)}_${i % GRID}`),
];

const mean = (xs: readonly number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
const std = (xs: readonly number[]): number => {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
};
const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};
const share = <T>(xs: readonly T[], p: (x: T) => boolean): number => (xs.length === 0 ? 0 : xs.filter(p).length / xs.length);

/** The feature vector, in LAYOUT_FEATURES order. Finite numbers only. */
export const layoutFeatures = (extraction: Extraction): number[] => {
  const page = extraction.pages[0];
  const lines: readonly Line[] = page?.lines ?? [];
  const words: Word[] = lines.flatMap((l) => l.words);
  const text = page?.text ?? '';
  const tokens = text.match(/[\p{L}\p{N}]+/gu) ?? [];
  const heights = lines.map((l) => l.box.height);
  const tops = lines.map((l) => l.box.top).sort((a, b) => a - b);
  const gaps = tops.slice(1).map((t, i) => t - (tops[i] ?? 0));
  const confidences = words.map((w) => w.confidence);
  const grid = new Array<number>(GRID * GRID).fill(0);
  for (const w of words) {
    const cx = Math.min(GRID - 1, Math.max(0, Math.floor((w.box.left + w.box.width / 2) * GRID)));
    const cy = Math.min(GRID - 1, Math.max(0, Math.floor((w.box.top + w.box.height / 2) * GRID)));
    grid[cy * GRID + cx] = (grid[cy * GRID + cx] ?? 0) + w.box.width * w.box.height;
  }
  const width = page?.width ?? 0;
  const height = page?.height ?? 0;
  const features = [
    Math.log1p(words.length),
    Math.log1p(lines.length),
    Math.log1p(text.replace(/\s+/g, '').length),
    Math.log(Math.max(1, extraction.pages.length)),
    height > 0 ? width / height : 0,
    mean(confidences),
    share(confidences, (c) => c < 0.6),
    mean(heights),
    std(heights),
    median(heights),
    heights.length ? Math.max(...heights) : 0,
    words.reduce((n, w) => n + w.box.width * w.box.height, 0),
    mean(gaps),
    std(gaps),
    mean(lines.map((l) => l.box.left)),
    std(lines.map((l) => l.box.left)),
    mean(lines.map((l) => l.box.width)),
    std(lines.map((l) => l.box.width)),
    lines.length ? words.length / lines.length : 0,
    share(lines, (l) => l.words.length < 3),
    lines.length ? Math.min(...lines.map((l) => l.box.top)) : 0,
    lines.length ? Math.max(...lines.map((l) => l.box.top + l.box.height)) : 0,
    lines.length ? Math.min(...lines.map((l) => l.box.left)) : 0,
    lines.length ? Math.max(...lines.map((l) => l.box.left + l.box.width)) : 0,
    share(tokens, (t) => /^\p{N}+$/u.test(t)),
    share(tokens, (t) => t.length > 1 && t === t.toUpperCase() && /\p{L}/u.test(t)),
    mean(tokens.map((t) => t.length)),
    text.length ? (text.match(/[^\p{L}\p{N}\s]/gu) ?? []).length / text.length : 0,
    share(tokens, (t) => t.length >= 3 && /^\p{L}+$/u.test(t) && !/[aeiouy]/i.test(t)),
    share(lines, (l) => /:/.test(l.text)),
    ...grid,
  ];
  return features.map((f) => (Number.isFinite(f) ? f : 0));
};
