import type { FieldSpec } from '../../../../src/config/field-spec.js';
import type { BoundingBox, Extraction, Line, Word } from '../../../../src/domain/document.js';
import { extractFields } from '../../../../src/domain/extract-fields.js';

/** Synthetic page geometry: a character is 0.01 of the page wide, a line 0.02 high. */
export const CHAR_WIDTH = 0.01;
export const LINE_HEIGHT = 0.02;

const union = (boxes: readonly BoundingBox[]): BoundingBox => {
  const left = Math.min(...boxes.map((b) => b.left));
  const top = Math.min(...boxes.map((b) => b.top));
  return {
    left,
    top,
    width: Math.max(...boxes.map((b) => b.left + b.width)) - left,
    height: Math.max(...boxes.map((b) => b.top + b.height)) - top,
  };
};

/** One OCR line: its words laid out from `left`, one space apart, at `top`. */
export const row = (text: string, left: number, top: number, confidence = 0.9): Line => {
  let x = left;
  const words: Word[] = text.split(' ').map((t) => {
    const word: Word = { text: t, confidence, box: { left: x, top, width: t.length * CHAR_WIDTH, height: LINE_HEIGHT } };
    x += (t.length + 1) * CHAR_WIDTH;
    return word;
  });
  return { text, confidence, box: union(words.map((w) => w.box)), words };
};

/** A one-page extraction with geometry, as OCR (or a PDF text layer, with confidence 1) gives it. */
export const page = (lines: readonly Line[], method: 'ocr' | 'text-layer' = 'ocr'): Extraction => {
  const text = lines.map((l) => l.text).join('\n');
  const words = lines.flatMap((l) => l.words);
  const confidence = words.reduce((a, w) => a + w.confidence, 0) / Math.max(1, words.length);
  return {
    mediaType: method === 'ocr' ? 'image/png' : 'application/pdf',
    pages: [{ page: 1, method, text, confidence, width: 1000, height: 1000, lines }],
    text,
    confidence,
    provenance: { engine: 'test' },
  };
};

/** A text-only extraction, as older checkpoints kept it: no lines, no boxes. */
export const textOnly = (text: string, confidence = 1): Extraction => ({
  mediaType: 'application/pdf',
  pages: [{ page: 1, method: 'text-layer', text, confidence, width: 595, height: 842 }],
  text,
  confidence,
  provenance: { engine: 'test' },
});

/** Runs one spec and returns its field (or undefined). */
export const field = (extraction: Extraction, spec: FieldSpec, before: readonly FieldSpec[] = []) =>
  extractFields(extraction, 'doc', { doc: [...before, spec] }).fields[spec.name];
