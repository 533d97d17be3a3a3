import type { Extraction } from '../document.js';
import { mulberry32 } from '../random.js';
import { fitTemperature } from './calibration.js';
import { LAYOUT_FEATURES, layoutFeatures } from './layout-features.js';
import { logitsOf, softmax, trainSoftmax, type SoftmaxWeights, type SparseVector } from './softmax.js';
import { blockOf, DEFAULT_TEXT_FEATURES, termCounts, type TermBlock, type TextFeatureOptions } from './text-features.js';

/**
 * The local classifier: TF-IDF over word 1–2-grams and character 3–5-grams, plus standardised
 * layout features, into a multinomial logistic regression whose confidence is calibrated by
 * temperature scaling fitted on out-of-fold predictions. Everything here is pure and deterministic;
 * the entry points read and write the model file.
 */

export const MODEL_FORMAT = 'docroute-classifier/1';

export interface ModelFile {
  readonly format: typeof MODEL_FORMAT;
  /** Hash of the model's content (set by whoever writes the file); part of the Classify step version. */
  readonly version: string;
  readonly createdAt: string;
  readonly classes: readonly string[];
  readonly text: {
    readonly options: TextFeatureOptions;
    /** Feature index = position. */
    readonly terms: readonly string[];
    readonly idf: readonly number[];
  };
  readonly layout: {
    readonly names: readonly string[];
    readonly mean: readonly number[];
    readonly std: readonly number[];
    /** Scale of the standardised layout block relative to the (unit-length) text block. */
    readonly weight: number;
  };
  /**
   * classes × (terms + layout), row-major by class, quantised to int8 per class row (value =
   * byte × scale of its row), base64. A quarter of float32's size; the change in predictions is
   * measured by a test.
   */
  readonly weights: { readonly encoding: 'int8-row-scaled'; readonly scales: readonly number[]; readonly data: string };
  readonly bias: readonly number[];
  /** Calibration: logits are divided by this before the softmax. */
  readonly temperature: number;
  readonly training: {
    readonly documents: number;
    readonly perClass: Readonly<Record<string, number>>;
    readonly calibrationFolds: number;
    readonly hyperparameters: HyperParameters;
  };
}

export interface HyperParameters {
  /** L2 penalty of the logistic regression (per document: mean loss + l2/2 · ‖W‖²). */
  readonly l2: number;
  /** L-BFGS iterations at most. */
  readonly maxIterations: number;
  /** A term must occur in at least this many training documents. */
  readonly minDf: number;
  /** At most this many terms per block (words, characters), the most frequent (by document frequency) first. */
  readonly maxTerms: number;
  readonly layoutWeight: number;
}

export const DEFAULT_HYPERPARAMETERS: HyperParameters = {
  l2: 1e-4,
  maxIterations: 100,
  minDf: 2,
  maxTerms: 10_000,
  layoutWeight: 0.12,
};

export interface LabelledExtraction {
  readonly extraction: Extraction;
  readonly label: string;
}

/** What the vectoriser needs, without the weights: fitted on training documents only. */
interface Vectoriser {
  readonly terms: readonly string[];
  readonly index: ReadonlyMap<string, number>;
  readonly idf: readonly number[];
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly layoutWeight: number;
}

const dimsOf = (v: Pick<Vectoriser, 'terms'>): number => v.terms.length + LAYOUT_FEATURES.length;

/** Per-document features computed once and reused by every fold. */
export interface Prepared {
  readonly counts: ReadonlyMap<string, number>;
  readonly layout: readonly number[];
  /** How the counts were made; a model records it to prepare new documents the same way. */
  readonly textOptions: TextFeatureOptions;
}

export const prepare = (extraction: Extraction, options: TextFeatureOptions = DEFAULT_TEXT_FEATURES): Prepared => ({
  counts: termCounts(extraction.text, options),
  layout: layoutFeatures(extraction),
  textOptions: options,
});

const fitVectoriser = (docs: readonly Prepared[], hp: HyperParameters): Vectoriser => {
  const df = new Map<string, number>();
  for (const d of docs) for (const t of d.counts.keys()) df.set(t, (df.get(t) ?? 0) + 1);
  // The most frequent terms of each block, at most maxTerms per block, in a stable order.
  const frequent = (block: TermBlock): string[] =>
    [...df.entries()]
      .filter(([t, n]) => n >= hp.minDf && blockOf(t) === block)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, hp.maxTerms)
      .map(([t]) => t);
  const terms = [...frequent('w'), ...frequent('c')].sort();
  const n = docs.length;
  // Smooth IDF, as scikit-learn: ln((1 + n) / (1 + df)) + 1.
  const idf = terms.map((t) => Math.log((1 + n) / (1 + (df.get(t) ?? 0))) + 1);
  const L = LAYOUT_FEATURES.length;
  const mean = Array.from({ length: L }, (_, j) => docs.reduce((s, d) => s + (d.layout[j] ?? 0), 0) / Math.max(1, n));
  const std = Array.from({ length: L }, (_, j) => {
    const m = mean[j] ?? 0;
    const v = docs.reduce((s, d) => s + ((d.layout[j] ?? 0) - m) ** 2, 0) / Math.max(1, n);
    // A constant feature (or one constant but for float noise) carries nothing: scale 1, not ~0.
    const sd = Math.sqrt(v);
    return sd < 1e-6 ? 1 : sd;
  });
  return { terms, index: new Map(terms.map((t, i) => [t, i])), idf, mean, std, layoutWeight: hp.layoutWeight };
};

/**
 * Sublinear TF × IDF, each block (words, characters) L2-normalised on its own, then the
 * standardised layout block appended.
 */
const vectorise = (v: Vectoriser, d: Prepared): SparseVector => {
  const entries: [number, number, TermBlock][] = [];
  const norms: Record<TermBlock, number> = { w: 0, c: 0 };
  for (const [t, c] of d.counts) {
    const i = v.index.get(t);
    if (i === undefined) continue;
    const w = (1 + Math.log(c)) * (v.idf[i] ?? 1);
    const block = blockOf(t);
    entries.push([i, w, block]);
    norms[block] += w * w;
  }
  entries.sort((a, b) => a[0] - b[0]);
  const L = LAYOUT_FEATURES.length;
  const indices = new Int32Array(entries.length + L);
  const values = new Float64Array(entries.length + L);
  entries.forEach(([i, w, block], k) => {
    indices[k] = i;
    values[k] = w / (Math.sqrt(norms[block]) || 1);
  });
  for (let j = 0; j < L; j++) {
    indices[entries.length + j] = v.terms.length + j;
    const z = ((d.layout[j] ?? 0) - (v.mean[j] ?? 0)) / (v.std[j] ?? 1);
    // Clipped: one absurd page must not dominate the dot product.
    values[entries.length + j] = Math.max(-5, Math.min(5, z)) * v.layoutWeight;
  }
  return { indices, values };
};

interface Fitted {
  readonly vectoriser: Vectoriser;
  readonly weights: SoftmaxWeights;
}

const fit = (docs: readonly Prepared[], ys: readonly number[], classes: number, hp: HyperParameters): Fitted => {
  const vectoriser = fitVectoriser(docs, hp);
  const xs = docs.map((d) => vectorise(vectoriser, d));
  const weights = trainSoftmax(xs, ys, { classes, dims: dimsOf(vectoriser), l2: hp.l2, maxIterations: hp.maxIterations });
  return { vectoriser, weights };
};

/**
 * Document indices per class (classes sorted), each list shuffled by one seeded generator that runs
 * through the classes in order: the basis of every stratified fold and split.
 */
export const shuffledByClass = (labels: readonly string[], seed: number): (readonly [string, number[]])[] => {
  const rng = mulberry32(seed);
  const byClass = new Map<string, number[]>();
  labels.forEach((l, i) => {
    const list = byClass.get(l) ?? [];
    list.push(i);
    byClass.set(l, list);
  });
  return [...byClass.keys()].sort().map((cls) => {
    const idx = byClass.get(cls) ?? [];
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [idx[i], idx[j]] = [idx[j] ?? 0, idx[i] ?? 0];
    }
    return [cls, idx] as const;
  });
};

/**
 * Deterministic stratified folds: documents of each class are dealt round-robin in the given order
 * after a seeded shuffle, so every fold holds about the same share of every class.
 */
export const stratifiedFolds = (labels: readonly string[], k: number, seed: number): number[] => {
  const fold = new Array<number>(labels.length).fill(0);
  let offset = 0;
  for (const [, idx] of shuffledByClass(labels, seed)) {
    idx.forEach((docIndex, n) => (fold[docIndex] = (n + offset) % k));
    offset += idx.length;
  }
  return fold;
};

export interface TrainModelOptions {
  readonly hyperparameters?: Partial<HyperParameters>;
  /** Folds for the out-of-fold logits the temperature is fitted on (0 or 1: no calibration, T = 1). */
  readonly calibrationFolds?: number;
  readonly seed?: number;
  /** ISO time stamp recorded in the model. */
  readonly createdAt: string;
  /** Called as work progresses (fits done / fits planned), for a progress line. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface TrainResult {
  readonly model: Omit<ModelFile, 'version'>;
  /**
   * The calibration folds' held-out predictions, calibrated: an honest estimate of how the model
   * does on documents it has not seen (null without calibration folds). `predicted[i]` is for `docs[i]`.
   */
  readonly outOfFold: { readonly predicted: readonly string[]; readonly confidence: readonly number[] } | null;
}

/** Trains on prepared documents (see `prepare`); `labels[i]` belongs to `docs[i]`. */
export const trainModel = (docs: readonly Prepared[], labels: readonly string[], options: TrainModelOptions): TrainResult => {
  const hp: HyperParameters = { ...DEFAULT_HYPERPARAMETERS, ...options.hyperparameters };
  // The model prepares new documents the way these were prepared.
  const textOptions = docs[0]?.textOptions ?? DEFAULT_TEXT_FEATURES;
  if (docs.some((d) => JSON.stringify(d.textOptions) !== JSON.stringify(textOptions))) {
    throw new RangeError('documents were prepared with different text feature options');
  }
  if (labels.length !== docs.length) throw new RangeError(`${docs.length} documents but ${labels.length} labels`);
  const classes = [...new Set(labels)].sort();
  if (classes.length < 2) throw new RangeError(`training needs at least two classes; got ${classes.length}`);
  const ys = labels.map((l) => classes.indexOf(l));
  const k = Math.min(options.calibrationFolds ?? 5, Math.min(...classes.map((c) => labels.filter((l) => l === c).length)));
  const total = (k >= 2 ? k : 0) + 1;
  let done = 0;
  let temperature = 1;
  let outOfFold: TrainResult['outOfFold'] = null;
  if (k >= 2) {
    const folds = stratifiedFolds(labels, k, options.seed ?? 1);
    const oofLogits: Float64Array[] = new Array<Float64Array>(docs.length);
    for (let f = 0; f < k; f++) {
      const train = docs.map((_, i) => i).filter((i) => folds[i] !== f);
      const test = docs.map((_, i) => i).filter((i) => folds[i] === f);
      const m = fit(
        train.map((i) => docs[i] as Prepared),
        train.map((i) => ys[i] ?? 0),
        classes.length,
        hp,
      );
      for (const i of test) oofLogits[i] = logitsOf(m.weights, vectorise(m.vectoriser, docs[i] as Prepared));
      options.onProgress?.(++done, total);
    }
    temperature = fitTemperature(oofLogits, ys);
    const calibrated = oofLogits.map((z) => softmax(z, temperature));
    const best = calibrated.map((p) => p.reduce((b, v, i) => (v > (p[b] ?? 0) ? i : b), 0));
    outOfFold = {
      predicted: best.map((b) => classes[b] ?? ''),
      confidence: best.map((b, i) => calibrated[i]?.[b] ?? 0),
    };
  }
  const m = fit(docs, ys, classes.length, hp);
  options.onProgress?.(++done, total);
  const perClass: Record<string, number> = {};
  for (const c of classes) perClass[c] = labels.filter((l) => l === c).length;
  const model: Omit<ModelFile, 'version'> = {
    format: MODEL_FORMAT,
    createdAt: options.createdAt,
    classes,
    text: { options: textOptions, terms: m.vectoriser.terms, idf: m.vectoriser.idf.map(round6) },
    layout: { names: LAYOUT_FEATURES, mean: m.vectoriser.mean.map(round6), std: m.vectoriser.std.map(round6), weight: hp.layoutWeight },
    weights: quantise(m.weights.weights, classes.length),
    bias: [...m.weights.bias].map(round6),
    temperature: round6(temperature),
    training: { documents: docs.length, perClass, calibrationFolds: k >= 2 ? k : 0, hyperparameters: hp },
  };
  return { model, outOfFold };
};

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Base64 of bytes (no Buffer in the domain). */
export const toBase64 = (bytes: Uint8Array): string => {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] ?? 0;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += (B64[(n >> 18) & 63] ?? '') + (B64[(n >> 12) & 63] ?? '');
    out += b === undefined ? '=' : (B64[(n >> 6) & 63] ?? '');
    out += c === undefined ? '=' : (B64[n & 63] ?? '');
  }
  return out;
};

export const fromBase64 = (s: string): Uint8Array => {
  const clean = s.replace(/=+$/, '');
  if (/[^A-Za-z0-9+/]/.test(clean)) throw new RangeError('not base64');
  const bytes = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let j = 0;
  for (let i = 0; i < clean.length; i += 4) {
    const n =
      (B64.indexOf(clean[i] ?? 'A') << 18) |
      (B64.indexOf(clean[i + 1] ?? 'A') << 12) |
      (B64.indexOf(clean[i + 2] ?? 'A') << 6) |
      B64.indexOf(clean[i + 3] ?? 'A');
    if (j < bytes.length) bytes[j++] = (n >> 16) & 255;
    if (j < bytes.length) bytes[j++] = (n >> 8) & 255;
    if (j < bytes.length) bytes[j++] = n & 255;
  }
  return bytes;
};

/** int8 per row: each row's largest magnitude maps to ±127. */
export const quantise = (weights: Float64Array, rows: number): ModelFile['weights'] => {
  const cols = weights.length / rows;
  const data = new Int8Array(weights.length);
  const scales: number[] = [];
  for (let r = 0; r < rows; r++) {
    let max = 0;
    for (let j = 0; j < cols; j++) max = Math.max(max, Math.abs(weights[r * cols + j] ?? 0));
    const scale = max / 127 || 1;
    scales.push(scale);
    for (let j = 0; j < cols; j++) data[r * cols + j] = Math.round((weights[r * cols + j] ?? 0) / scale);
  }
  return { encoding: 'int8-row-scaled', scales, data: toBase64(new Uint8Array(data.buffer)) };
};

export const dequantise = (w: ModelFile['weights']): Float64Array => {
  const data = new Int8Array(fromBase64(w.data).buffer);
  const rows = w.scales.length;
  if (rows === 0 || data.length % rows !== 0) throw new RangeError('weights do not divide into the class rows');
  const cols = data.length / rows;
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = (data[i] ?? 0) * (w.scales[Math.floor(i / cols)] ?? 0);
  return out;
};

/** A loaded model, ready to score documents. */
export interface LoadedModel {
  readonly file: ModelFile;
  /** Calibrated class probabilities, in `file.classes` order. */
  probabilities(extraction: Extraction): Float64Array;
  /** The same for a document already prepared with the model's text options (evaluation reuses them). */
  probabilitiesOf(prepared: Prepared): Float64Array;
}

export const loadModel = (file: ModelFile): LoadedModel => {
  const dims = file.text.terms.length + file.layout.names.length;
  const weights = dequantise(file.weights);
  if (weights.length !== dims * file.classes.length) {
    throw new RangeError(`model has ${weights.length} weights; expected ${dims * file.classes.length}`);
  }
  if (file.layout.names.join() !== LAYOUT_FEATURES.join()) {
    throw new RangeError('model was trained with other layout features; retrain it with this version');
  }
  const vectoriser: Vectoriser = {
    terms: file.text.terms,
    index: new Map(file.text.terms.map((t, i) => [t, i])),
    idf: file.text.idf,
    mean: file.layout.mean,
    std: file.layout.std,
    layoutWeight: file.layout.weight,
  };
  const sw: SoftmaxWeights = { classes: file.classes.length, dims, weights, bias: Float64Array.from(file.bias) };
  const probabilitiesOf = (prepared: Prepared): Float64Array => softmax(logitsOf(sw, vectorise(vectoriser, prepared)), file.temperature);
  return {
    file,
    probabilities: (extraction) => probabilitiesOf(prepare(extraction, file.text.options)),
    probabilitiesOf,
  };
};
