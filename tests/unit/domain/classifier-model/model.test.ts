import { describe, expect, it } from 'vitest';
import { LAYOUT_FEATURES, layoutFeatures } from '../../../../src/domain/classifier-model/layout-features.js';
import {
  DEFAULT_HYPERPARAMETERS,
  dequantise,
  fromBase64,
  loadModel,
  MODEL_FORMAT,
  prepare,
  quantise,
  stratifiedFolds,
  toBase64,
  trainModel,
  type ModelFile,
  type TrainModelOptions,
} from '../../../../src/domain/classifier-model/model.js';
import { termCounts } from '../../../../src/domain/classifier-model/text-features.js';
import type { Extraction, Line } from '../../../../src/domain/document.js';
import { mulberry32 } from '../../../../src/domain/random.js';

/** A seeded generator for the corpus, independent of the model's own mulberry32. */
const lcg = (seed: number): (() => number) => {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
};

const VOCABULARIES: Readonly<Record<string, readonly string[]>> = {
  invoice: ['invoice', 'amount', 'due', 'vat', 'total', 'payable', 'remit', 'subtotal'],
  letter: ['dear', 'sincerely', 'regards', 'madam', 'yours', 'faithfully', 'enclosed', 'writing'],
  memo: ['memorandum', 'subject', 'distribution', 'internal', 'attn', 'department', 'staff', 'circulate'],
};
const NOISE = ['the', 'of', 'and', 'to', 'page', 'date', 'ref', 'company', 'office', 'please', 'number', 'copy'];

/**
 * A one-page portrait OCR extraction whose lines carry six words each, with boxes. `jitter` (in
 * [0, 1)) moves and resizes the lines a little, as a scan would; without it every line is placed
 * exactly alike.
 */
const textExtraction = (tokens: readonly string[], jitter: () => number = () => 0): Extraction => {
  const lines: Line[] = [];
  for (let k = 0; k * 6 < tokens.length; k++) {
    const chunk = tokens.slice(k * 6, k * 6 + 6);
    const top = 0.08 + k * 0.05 + jitter() * 0.01;
    const left = 0.1 + jitter() * 0.02;
    const height = 0.02 + jitter() * 0.004;
    lines.push({
      text: chunk.join(' '),
      confidence: 0.95,
      box: { left, top, width: 0.7 + jitter() * 0.05, height },
      words: chunk.map((t, j) => ({ text: t, confidence: 0.95, box: { left: left + j * 0.12, top, width: 0.1, height } })),
    });
  }
  const text = lines.map((l) => l.text).join('\n');
  return {
    mediaType: 'image/png',
    pages: [{ page: 1, method: 'ocr', text, confidence: 0.95, width: 600, height: 800, lines }],
    text,
    confidence: 0.95,
    provenance: { engine: 'test' },
  };
};

/** A scanned folder cover: no text at all, no lines, a landscape page. */
const blankLandscape = (random: () => number): Extraction => ({
  mediaType: 'image/png',
  pages: [{ page: 1, method: 'ocr', text: '', confidence: 0, width: 1000 + Math.round(random() * 100), height: 700, lines: [] }],
  text: '',
  confidence: 0,
  provenance: { engine: 'test' },
});

interface Corpus {
  readonly extractions: Extraction[];
  readonly labels: string[];
}

const corpus = (perClass: number, seed: number, jittered = true): Corpus => {
  const random = lcg(seed);
  const pick = (words: readonly string[]): string => words[Math.floor(random() * words.length)] ?? '';
  const extractions: Extraction[] = [];
  const labels: string[] = [];
  for (let i = 0; i < perClass; i++) {
    for (const [label, words] of Object.entries(VOCABULARIES)) {
      const tokens: string[] = [];
      for (let k = 0; k < 30; k++) tokens.push(random() < 0.3 ? pick(words) : pick(NOISE));
      extractions.push(textExtraction(tokens, jittered ? random : undefined));
      labels.push(label);
    }
    extractions.push(blankLandscape(random));
    labels.push('folder');
  }
  return { extractions, labels };
};

const CREATED_AT = '2026-01-02T03:04:05.000Z';
const TRAIN = corpus(12, 1);
const PREPARED = TRAIN.extractions.map((e) => prepare(e));
const train = (options: Partial<TrainModelOptions> = {}) =>
  trainModel(PREPARED, TRAIN.labels, { createdAt: CREATED_AT, calibrationFolds: 3, ...options });
const RESULT = train();
const withVersion = (model: Omit<ModelFile, 'version'>): ModelFile => ({ ...model, version: '0123456789abcdef' });

describe('prepare', () => {
  it('is the term counts of the text and the layout features of the extraction', () => {
    const e = TRAIN.extractions[0]!;
    const p = prepare(e);
    expect(p.counts).toEqual(termCounts(e.text));
    expect(p.layout).toEqual(layoutFeatures(e));
    const narrow = prepare(e, { charMin: 3, charMax: 3, maxTokens: 100 });
    expect([...narrow.counts.keys()].filter((t) => t.startsWith('c:')).every((t) => t.length === 5)).toBe(true);
  });
});

describe('trainModel', () => {
  const loaded = loadModel(withVersion(RESULT.model));
  const classOf = (e: Extraction): string => {
    const p = loaded.probabilities(e);
    return RESULT.model.classes[Array.from(p).indexOf(Math.max(...p))] ?? '';
  };

  it('records what it was trained on', () => {
    const m = RESULT.model;
    expect(m.format).toBe(MODEL_FORMAT);
    expect(m.createdAt).toBe(CREATED_AT);
    expect(m.classes).toEqual(['folder', 'invoice', 'letter', 'memo']);
    expect(m.training).toEqual({
      documents: 48,
      perClass: { folder: 12, invoice: 12, letter: 12, memo: 12 },
      calibrationFolds: 3,
      hyperparameters: DEFAULT_HYPERPARAMETERS,
    });
    expect(m.layout.names).toEqual(LAYOUT_FEATURES);
    expect(m.layout.mean).toHaveLength(LAYOUT_FEATURES.length);
    expect(m.layout.std).toHaveLength(LAYOUT_FEATURES.length);
    expect(m.layout.std.every((s) => s > 0)).toBe(true);
    expect(m.text.idf).toHaveLength(m.text.terms.length);
    expect(m.text.idf.every((v) => v >= 1)).toBe(true);
    expect([...m.text.terms].sort()).toEqual(m.text.terms);
    expect(new Set(m.text.terms).size).toBe(m.text.terms.length);
    expect(m.bias).toHaveLength(4);
    expect(m.weights.scales).toHaveLength(4);
    expect(dequantise(m.weights)).toHaveLength(4 * (m.text.terms.length + LAYOUT_FEATURES.length));
  });

  it('learns the class vocabularies as terms and drops terms below minDf', () => {
    const terms = new Set(RESULT.model.text.terms);
    for (const w of ['invoice', 'sincerely', 'memorandum', 'the']) expect(terms.has(`w:${w}`)).toBe(true);
    expect(terms.has('c: the ')).toBe(true);
    const once = corpus(12, 1);
    once.extractions[0] = textExtraction(['zzqxv', ...once.extractions[0]!.text.split(/\s+/)]);
    const m = trainModel(
      once.extractions.map((e) => prepare(e)),
      once.labels,
      { createdAt: CREATED_AT, calibrationFolds: 0 },
    ).model;
    expect(m.text.terms.some((t) => t.includes('zzqxv'))).toBe(false);
    const keepAll = trainModel(
      once.extractions.map((e) => prepare(e)),
      once.labels,
      { createdAt: CREATED_AT, calibrationFolds: 0, hyperparameters: { minDf: 1 } },
    ).model;
    expect(keepAll.text.terms).toContain('w:zzqxv');
  });

  it('keeps at most maxTerms terms per block', () => {
    const m = train({ calibrationFolds: 0, hyperparameters: { maxTerms: 5 } }).model;
    expect(m.text.terms.filter((t) => t.startsWith('w:'))).toHaveLength(5);
    expect(m.text.terms.filter((t) => t.startsWith('c:'))).toHaveLength(5);
    // The most frequent: the noise words occur in nearly every text document.
    expect(m.text.terms.filter((t) => t.startsWith('w:')).every((t) => NOISE.includes(t.slice(2)))).toBe(true);
  });

  it('classifies its training documents and held-out documents, text-less pages included (by layout)', () => {
    TRAIN.extractions.forEach((e, i) => expect(classOf(e)).toBe(TRAIN.labels[i]));
    const held = corpus(6, 777);
    held.extractions.forEach((e, i) => expect(classOf(e)).toBe(held.labels[i]));
    expect(held.labels.filter((l) => l === 'folder')).toHaveLength(6);
    const p = loaded.probabilities(blankLandscape(() => 0.5));
    expect(p[0]).toBeGreaterThan(0.5);
  });

  it('returns probabilities that sum to 1 in class order', () => {
    for (const e of corpus(2, 5).extractions) {
      const p = loaded.probabilities(e);
      expect(p).toHaveLength(4);
      expect(Array.from(p).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
      expect(Array.from(p).every((v) => v >= 0 && v <= 1)).toBe(true);
    }
  });

  it('predicts every document out of fold and fits a positive temperature', () => {
    const oof = RESULT.outOfFold;
    expect(oof).not.toBeNull();
    expect(oof?.predicted).toHaveLength(TRAIN.labels.length);
    expect(oof?.confidence).toHaveLength(TRAIN.labels.length);
    expect(oof?.predicted.every((c) => RESULT.model.classes.includes(c))).toBe(true);
    // The best of 4 calibrated probabilities is at least 1/4.
    expect(oof?.confidence.every((c) => c >= 0.25 && c <= 1)).toBe(true);
    const correct = oof?.predicted.filter((c, i) => c === TRAIN.labels[i]).length ?? 0;
    expect(correct / TRAIN.labels.length).toBeGreaterThanOrEqual(0.9);
    expect(RESULT.model.temperature).toBeGreaterThan(0);
    expect(Number.isFinite(RESULT.model.temperature)).toBe(true);
  });

  it('is deterministic: the same inputs give identical JSON', () => {
    expect(JSON.stringify(train())).toBe(JSON.stringify(RESULT));
  });

  it('reports progress: one step per fold and one for the final fit', () => {
    const calls: [number, number][] = [];
    train({ onProgress: (done, total) => calls.push([done, total]) });
    expect(calls).toEqual([
      [1, 4],
      [2, 4],
      [3, 4],
      [4, 4],
    ]);
  });

  it('skips calibration with fewer than two folds (T = 1, no out-of-fold predictions)', () => {
    const calls: [number, number][] = [];
    const r = train({ calibrationFolds: 0, onProgress: (done, total) => calls.push([done, total]) });
    expect(r.outOfFold).toBeNull();
    expect(r.model.temperature).toBe(1);
    expect(r.model.training.calibrationFolds).toBe(0);
    expect(calls).toEqual([[1, 1]]);
    expect(train({ calibrationFolds: 1 }).outOfFold).toBeNull();
  });

  it('uses no more folds than the smallest class has documents', () => {
    const docs = PREPARED.slice(0, 12);
    const labels = TRAIN.labels.slice(0, 12).map((l) => (l === 'invoice' ? 'invoice' : 'other'));
    // 3 invoices, 9 others: at most 3 folds even if 10 are asked for.
    const r = trainModel(docs, labels, { createdAt: CREATED_AT, calibrationFolds: 10 });
    expect(r.model.training.calibrationFolds).toBe(3);
    expect(r.outOfFold?.predicted).toHaveLength(12);
  });

  it('refuses fewer than two classes', () => {
    expect(() => trainModel(PREPARED.slice(0, 3), ['a', 'a', 'a'], { createdAt: CREATED_AT })).toThrow(RangeError);
  });
});

/*
 * A regression guard. A layout feature that is constant up to floating-point noise (here std_line_gap
 * of evenly spaced lines: 0 on text-less pages, ~2e-17 on text pages) would get a std of ~1e-17, stored
 * as 0 after rounding; loadModel would then divide by 0, (0 − 0) / 0 is NaN, the ±5 clip (Math.max/Math.min) passes
 * NaN through, and every probability of a text-less page is NaN (the Classifier then reports a NaN
 * confidence). Training pages all of one size do the same to `aspect` (A4, 595/842: std ~1e-16
 * for most corpus sizes), where the rounded mean makes it (x − mean) / 0 = ±Infinity, clipped to ±5:
 * finite, but not the value the weights were trained on.
 * The std has a floor (std < 1e-6 → 1), applied before rounding; these tests hold it there.
 */
describe('layout features that are constant up to floating-point noise', () => {
  const regular = corpus(6, 3, false);
  const model = trainModel(
    regular.extractions.map((e) => prepare(e)),
    regular.labels,
    { createdAt: CREATED_AT, calibrationFolds: 0 },
  ).model;

  it('stores a usable (positive) standard deviation for every layout feature', () => {
    expect(model.layout.std.every((s) => s > 0)).toBe(true);
  });

  it('gives a text-less page finite probabilities and its class', () => {
    const p = loadModel(withVersion(model)).probabilities(blankLandscape(() => 0.5));
    expect(Array.from(p).every((v) => Number.isFinite(v))).toBe(true);
    expect(p[0]).toBeGreaterThan(0.5);
  });
});

describe('loadModel', () => {
  it('rejects a model whose weights do not match its terms and layout features', () => {
    const m = RESULT.model;
    const fewerTerms = withVersion({ ...m, text: { ...m.text, terms: m.text.terms.slice(1), idf: m.text.idf.slice(1) } });
    expect(() => loadModel(fewerTerms)).toThrow(RangeError);
    expect(() => loadModel(fewerTerms)).toThrow(/weights; expected/);
    const shortWeights = withVersion({ ...m, weights: quantise(new Float64Array(8), 4) });
    expect(() => loadModel(shortWeights)).toThrow(RangeError);
  });

  it('rejects a model trained with other layout features', () => {
    const m = RESULT.model;
    const names = [...m.layout.names];
    names[0] = 'log_words_v0';
    expect(() => loadModel(withVersion({ ...m, layout: { ...m.layout, names } }))).toThrow(RangeError);
    expect(() => loadModel(withVersion({ ...m, layout: { ...m.layout, names } }))).toThrow(/layout features/);
  });

  it('accepts the model as trained', () => {
    expect(() => loadModel(withVersion(RESULT.model))).not.toThrow();
  });
});

describe('stratifiedFolds', () => {
  const labels = [...Array<string>(10).fill('a'), ...Array<string>(7).fill('b'), ...Array<string>(3).fill('c')];
  // Interleave so the classes are not contiguous.
  const mixed = labels.map((_, i) => labels[(i * 7) % labels.length]!);

  it('assigns every document a fold in [0, k)', () => {
    const folds = stratifiedFolds(mixed, 3, 1);
    expect(folds).toHaveLength(mixed.length);
    expect(folds.every((f) => Number.isInteger(f) && f >= 0 && f < 3)).toBe(true);
  });

  it('balances every class across the folds (sizes differ by at most one)', () => {
    for (const k of [2, 3, 5]) {
      const folds = stratifiedFolds(mixed, k, 42);
      for (const cls of ['a', 'b', 'c']) {
        const perFold = Array.from({ length: k }, (_, f) => mixed.filter((l, i) => l === cls && folds[i] === f).length);
        expect(Math.max(...perFold) - Math.min(...perFold)).toBeLessThanOrEqual(1);
      }
      const sizes = Array.from({ length: k }, (_, f) => folds.filter((x) => x === f).length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('is deterministic by seed, and the seed changes the assignment', () => {
    expect(stratifiedFolds(mixed, 3, 7)).toEqual(stratifiedFolds(mixed, 3, 7));
    expect(stratifiedFolds(mixed, 3, 7)).not.toEqual(stratifiedFolds(mixed, 3, 8));
  });
});

describe('mulberry32', () => {
  it('is a deterministic stream in [0, 1) that depends on the seed', () => {
    const a = mulberry32(123);
    const b = mulberry32(123);
    const c = mulberry32(124);
    const xs = Array.from({ length: 10_000 }, () => a());
    expect(Array.from({ length: 10_000 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 10 }, () => c())).not.toEqual(xs.slice(0, 10));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
    expect(new Set(xs).size).toBeGreaterThan(9990);
  });
});

describe('toBase64 / fromBase64', () => {
  const randomBytes = (n: number, seed: number): Uint8Array => {
    const r = mulberry32(seed);
    return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
  };

  it('round-trips random bytes of every length mod 3, including 0, 1, 2 and 3', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 6, 7, 31, 32, 33, 1000]) {
      const bytes = randomBytes(n, n + 1);
      const encoded = toBase64(bytes);
      expect(encoded).toBe(Buffer.from(bytes).toString('base64'));
      expect(Array.from(fromBase64(encoded))).toEqual(Array.from(bytes));
    }
  });

  it('encodes the known RFC 4648 vectors and decodes them without padding too', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'Zg=='],
      ['fo', 'Zm8='],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, encoded] of vectors) {
      expect(toBase64(new TextEncoder().encode(plain))).toBe(encoded);
      expect(new TextDecoder().decode(fromBase64(encoded))).toBe(plain);
      expect(new TextDecoder().decode(fromBase64(encoded.replace(/=+$/, '')))).toBe(plain);
    }
    expect(Array.from(fromBase64(toBase64(Uint8Array.from([0, 255, 128, 127]))))).toEqual([0, 255, 128, 127]);
  });

  it('rejects characters outside the alphabet', () => {
    expect(() => fromBase64('ab$d')).toThrow(RangeError);
    expect(() => fromBase64('ab-_')).toThrow(RangeError);
  });
});

describe('quantise / dequantise', () => {
  it('keeps every weight within half a step (scale/2) of its row', () => {
    const r = mulberry32(9);
    const rows = 3;
    const cols = 200;
    const w = Float64Array.from({ length: rows * cols }, (_, i) => (r() * 2 - 1) * (i < cols ? 0.01 : i < 2 * cols ? 1 : 40));
    const q = quantise(w, rows);
    expect(q.encoding).toBe('int8-row-scaled');
    expect(q.scales).toHaveLength(rows);
    const back = dequantise(q);
    expect(back).toHaveLength(w.length);
    for (let row = 0; row < rows; row++) {
      const slice = Array.from(w.subarray(row * cols, (row + 1) * cols));
      const max = Math.max(...slice.map(Math.abs));
      expect(q.scales[row]).toBeCloseTo(max / 127, 12);
      for (let j = 0; j < cols; j++) {
        const i = row * cols + j;
        expect(Math.abs(back[i]! - w[i]!)).toBeLessThanOrEqual(q.scales[row]! / 2 + 1e-12);
      }
      // The largest magnitude maps to ±127 steps exactly.
      const at = row * cols + slice.findIndex((v) => Math.abs(v) === max);
      expect(back[at]).toBeCloseTo(w[at]!, 12);
    }
    // Rows of different magnitudes get their own scales.
    expect(q.scales[2]! / q.scales[0]!).toBeGreaterThan(1000);
  });

  it('stores one byte per weight', () => {
    const q = quantise(Float64Array.from([1, -1, 0.5, -0.5, 0, 0.25]), 2);
    expect(fromBase64(q.data)).toHaveLength(6);
    // Row 0 has scale 1/127, row 1 scale 0.5/127: 0.5 and 0.25 fall half-way and round up to 64 steps.
    const expected = [1, -1, 64 / 127, -0.5, 0, (64 * 0.5) / 127];
    dequantise(q).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 12));
  });

  it('gives an all-zero row scale 1 and zeros back', () => {
    const q = quantise(Float64Array.from([0, 0, 0, 2, -4, 1]), 2);
    expect(q.scales[0]).toBe(1);
    expect(Array.from(dequantise(q).subarray(0, 3))).toEqual([0, 0, 0]);
  });

  it('refuses data that does not divide into the rows', () => {
    const q = quantise(Float64Array.from([1, 2, 3, 4]), 2);
    expect(() => dequantise({ ...q, scales: [1, 1, 1] })).toThrow(RangeError);
    expect(() => dequantise({ ...q, scales: [] })).toThrow(RangeError);
  });
});
