import type { BoundingBox, Extraction } from '../document.js';

/**
 * The page layout field locators search: lines of words, with geometry when the extraction has it
 * (OCR with boxes, PDF text layers) and without it otherwise (older checkpoints that kept only text),
 * so every locator works on both, the geometric checks falling back to line order.
 */

export interface LayoutWord {
  readonly text: string;
  /** In [0, 1]. */
  readonly confidence: number;
  readonly box: BoundingBox | null;
}

export interface LayoutLine {
  readonly page: number;
  /** Position in the page's reading order. */
  readonly index: number;
  /** The words joined by single spaces. */
  readonly text: string;
  readonly words: readonly LayoutWord[];
  readonly box: BoundingBox | null;
}

/** A text with, for each word in it, its offsets and line: a regex match maps back to its words. */
export interface SpannedText {
  readonly text: string;
  readonly spans: readonly WordSpan[];
}

export interface WordSpan {
  readonly start: number;
  readonly end: number;
  readonly word: LayoutWord;
  /** The line's index in its page. */
  readonly line: number;
}

export interface LayoutPage {
  readonly page: number;
  readonly lines: readonly LayoutLine[];
  /** Whether words carry boxes. */
  readonly geometry: boolean;
  /** The page's text for patterns: the original text without geometry, else the lines joined. */
  readonly text: SpannedText;
}

/** Lines joined by "\n", words by " ". */
export const joinLines = (lines: readonly LayoutLine[]): SpannedText => {
  let text = '';
  const spans: WordSpan[] = [];
  lines.forEach((line, i) => {
    if (i > 0) text += '\n';
    line.words.forEach((word, j) => {
      if (j > 0) text += ' ';
      spans.push({ start: text.length, end: text.length + word.text.length, word, line: line.index });
      text += word.text;
    });
  });
  return { text, spans };
};

/** Splits a page's plain text into lines and words, keeping each word's offsets in that text. */
const fromText = (page: number, text: string, confidence: number): LayoutPage => {
  const lines: LayoutLine[] = [];
  const spans: WordSpan[] = [];
  let offset = 0;
  for (const raw of text.split(/(?<=\n|\f)/)) {
    const words: LayoutWord[] = [];
    for (const m of raw.matchAll(/\S+/g)) {
      const word: LayoutWord = { text: m[0], confidence, box: null };
      words.push(word);
      spans.push({ start: offset + m.index, end: offset + m.index + m[0].length, word, line: lines.length });
    }
    if (words.length > 0) lines.push({ page, index: lines.length, text: words.map((w) => w.text).join(' '), words, box: null });
    offset += raw.length;
  }
  return { page, lines, geometry: false, text: { text, spans } };
};

/** Builds the layout; a page without `lines` is split from its text. */
export const layoutOf = (extraction: Extraction): LayoutPage[] => {
  if (extraction.pages.length === 0) return [fromText(1, extraction.text, extraction.confidence)];
  return extraction.pages.map((p): LayoutPage => {
    if (!p.lines || p.lines.length === 0) return fromText(p.page, p.text, p.confidence);
    const lines = p.lines
      .map((line) => ({
        box: line.box,
        words:
          line.words.length > 0
            ? line.words.map((w) => ({ text: w.text.trim(), confidence: w.confidence, box: w.box }))
            : line.text.split(/\s+/).map((text) => ({ text, confidence: line.confidence, box: line.box })),
      }))
      .map(({ box, words }) => ({ box, words: words.filter((w) => w.text.length > 0) }))
      .filter((l) => l.words.length > 0)
      .map(({ words, box }, index): LayoutLine => ({ page: p.page, index, text: words.map((w) => w.text).join(' '), words, box }));
    return { page: p.page, lines, geometry: true, text: joinLines(lines) };
  });
};

export const right = (b: BoundingBox): number => b.left + b.width;
export const bottom = (b: BoundingBox): number => b.top + b.height;

/** The smallest box holding all `boxes`; null when there are none or one is missing. */
export const unionBox = (boxes: readonly (BoundingBox | null)[]): BoundingBox | null => {
  if (boxes.length === 0) return null;
  const all: BoundingBox[] = [];
  for (const b of boxes) {
    if (b === null) return null;
    all.push(b);
  }
  const left = Math.min(...all.map((b) => b.left));
  const top = Math.min(...all.map((b) => b.top));
  return { left, top, width: Math.max(...all.map(right)) - left, height: Math.max(...all.map(bottom)) - top };
};

/** Overlap of two intervals as a fraction of the shorter one. */
export const overlapRatio = (a0: number, a1: number, b0: number, b1: number): number => {
  const shorter = Math.min(a1 - a0, b1 - b0);
  return shorter <= 0 ? 0 : Math.max(0, Math.min(a1, b1) - Math.max(a0, b0)) / shorter;
};

/** Words (or parts of a word) joined by single spaces, with offsets. */
export const joinParts = (parts: readonly { readonly text: string; readonly word: LayoutWord; readonly line: number }[]): SpannedText => {
  let text = '';
  const spans: WordSpan[] = [];
  for (const part of parts) {
    if (part.text.length === 0) continue;
    if (text.length > 0) text += ' ';
    spans.push({ start: text.length, end: text.length + part.text.length, word: part.word, line: part.line });
    text += part.text;
  }
  return { text, spans };
};

/** The spans a [start, end) range of a text touches, each word once. */
export const spansIn = (text: SpannedText, start: number, end: number): WordSpan[] => {
  const seen = new Set<LayoutWord>();
  return text.spans.filter((s) => {
    if (s.start >= end || s.end <= start || seen.has(s.word)) return false;
    seen.add(s.word);
    return true;
  });
};
