/**
 * A faithful re-implementation of Paperless-ngx's document-type classifier, kept as the reference our
 * own classifier is compared with (`docroute eval classify`). Paperless (src/documents/classifier.py)
 * pre-processes the content, vectorises it with scikit-learn's
 * `CountVectorizer(analyzer="word", ngram_range=(1, 2), min_df=0.01)` and fits `MLPClassifier(tol=0.01)`.
 * Everything else is a scikit-learn default, reproduced here step for step: one hidden layer of 100
 * ReLU units, Glorot-uniform initialisation, softmax output (logistic for two classes), log-loss plus
 * `alpha / 2 · ‖W‖² / batch size` with alpha 1e-4, Adam (lr 0.001, β 0.9 / 0.999, ε 1e-8), shuffled
 * mini-batches of min(200, n), and a stop once the epoch loss has failed to improve on the best by
 * `tol` for more than 10 consecutive epochs, or after 200 epochs.
 *
 * The one deliberate difference is the random stream: a seeded mulberry32 instead of NumPy's Mersenne
 * Twister, so runs are deterministic but not bit-identical to scikit-learn's.
 */

import { InvalidStepInputError } from '../errors.js';
import { mulberry32 } from '../random.js';

export interface ReferenceExample {
  readonly text: string;
  readonly label: string;
}

export interface ReferencePrediction {
  readonly documentClass: string;
  /** Probability of the winning class. */
  readonly confidence: number;
  /** Every class with its probability, best first, the winner included. */
  readonly alternatives: readonly { documentClass: string; score: number }[];
}

export interface ReferenceOptions {
  /** Seeds initialisation and shuffling (default 0). */
  readonly seed?: number;
  /** Hidden units (default 100, as scikit-learn). */
  readonly hidden?: number;
  /** Maximum epochs (default 200, as scikit-learn). */
  readonly maxIter?: number;
}

/** A document as term counts: feature indices ascending, with their raw counts. */
export interface CountVector {
  readonly indices: Int32Array;
  readonly values: Float64Array;
}

export interface CountVectorizerResult {
  /** Kept terms in scikit-learn's order (sorted); a term's position is its feature index. */
  readonly vocabulary: readonly string[];
  /** One vector per input text, over `vocabulary`. */
  readonly vectors: readonly CountVector[];
  /** Vectorises a new text with the fitted vocabulary; unknown terms are ignored. */
  readonly transform: (text: string) => CountVector;
}

// --- Text ------------------------------------------------------------------------------------------

/**
 * Paperless's `preprocess_content` without its NLTK branch: lower-case and strip, collapse whitespace,
 * then replace every character that is neither a word character nor whitespace by a space. Paperless
 * then tokenises with NLTK, drops stop words and Snowball-stems when NLTK is enabled; that branch needs
 * NLTK's downloaded data (punkt, stopwords), so it is left out, which is what Paperless itself does
 * when NLTK is disabled or its data is missing.
 */
export const preprocessContent = (content: string): string =>
  content
    .toLowerCase()
    .trim()
    .replace(/\s+/gu, ' ')
    .replace(/[^\p{L}\p{N}_\s]/gu, ' ');

/**
 * scikit-learn's default `token_pattern`, `(?u)\b\w\w+\b`: maximal runs of two or more word characters.
 * Python's Unicode `\w` is letters, numbers and the underscore.
 */
const TOKEN = /[\p{L}\p{N}_]{2,}/gu;

/** The word analyzer with `ngram_range=(1, 2)`: lower-cased tokens, then the bigrams of consecutive tokens. */
export const wordNgrams = (text: string): string[] => {
  const tokens = text.toLowerCase().match(TOKEN) ?? [];
  const out = tokens.slice();
  for (let i = 1; i < tokens.length; i++) out.push(`${tokens[i - 1] ?? ''} ${tokens[i] ?? ''}`);
  return out;
};

const toVector = (terms: readonly string[], index: ReadonlyMap<string, number>): CountVector => {
  const counts = new Map<number, number>();
  for (const term of terms) {
    const j = index.get(term);
    if (j !== undefined) counts.set(j, (counts.get(j) ?? 0) + 1);
  }
  const indices = Int32Array.from(counts.keys()).sort();
  const values = new Float64Array(indices.length);
  for (let k = 0; k < indices.length; k++) values[k] = counts.get(indices[k] ?? 0) ?? 0;
  return { indices, values };
};

/**
 * scikit-learn's `CountVectorizer(ngram_range=(1, 2), min_df=minDf)` fitted on `texts`. As in
 * scikit-learn, a whole number is an absolute document count and a fraction is a proportion of the
 * documents: the threshold is `minDf * n` (not rounded, as in current scikit-learn), and a term is kept
 * when it occurs in at least that many documents. Counts are raw (not binary, not tf-idf).
 */
export const countVectorizer = (texts: readonly string[], minDf: number): CountVectorizerResult => {
  const analyzed = texts.map(wordNgrams);
  const documentFrequency = new Map<string, number>();
  for (const terms of analyzed) for (const term of new Set(terms)) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
  const minDocCount = Number.isInteger(minDf) ? minDf : minDf * texts.length;
  const vocabulary = [...documentFrequency].filter(([, df]) => df >= minDocCount).map(([term]) => term);
  // Python sorts strings by code point; for the BMP text OCR yields, UTF-16 order is the same.
  vocabulary.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const index = new Map(vocabulary.map((term, j) => [term, j] as const));
  return {
    vocabulary,
    vectors: analyzed.map((terms) => toVector(terms, index)),
    transform: (text) => toVector(wordNgrams(text), index),
  };
};

// --- Network ---------------------------------------------------------------------------------------

const ALPHA = 1e-4;
const LEARNING_RATE = 0.001;
const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8;
const TOL = 0.01;
const N_ITER_NO_CHANGE = 10;
const MAX_BATCH = 200;
/** numpy.finfo(float64).eps: scikit-learn clips probabilities to [eps, 1 - eps] inside the log-loss. */
const EPS64 = 2.220446049250313e-16;

interface Network {
  readonly hidden: number;
  /** 1 (logistic) for two classes, else one softmax unit per class. */
  readonly outputs: number;
  /** dims × hidden, row-major by feature: a sparse input touches whole rows. */
  readonly w1: Float64Array;
  readonly b1: Float64Array;
  /** hidden × outputs, row-major by hidden unit. */
  readonly w2: Float64Array;
  readonly b2: Float64Array;
}

/** Hidden activations (after ReLU) of one sparse input, into `out`. */
const hiddenOf = (net: Network, x: CountVector, out: Float64Array): void => {
  const H = net.hidden;
  const w1 = net.w1;
  out.set(net.b1);
  for (let k = 0; k < x.indices.length; k++) {
    const row = (x.indices[k] ?? 0) * H;
    const v = x.values[k] ?? 0;
    for (let j = 0; j < H; j++) out[j] = (out[j] ?? 0) + v * (w1[row + j] ?? 0);
  }
  for (let j = 0; j < H; j++) if ((out[j] ?? 0) < 0) out[j] = 0;
};

/** Output probabilities (softmax, or the logistic of the single unit) from hidden activations, into `out`. */
const outputOf = (net: Network, h: Float64Array, out: Float64Array): void => {
  const H = net.hidden;
  const O = net.outputs;
  const w2 = net.w2;
  out.set(net.b2);
  for (let j = 0; j < H; j++) {
    const a = h[j] ?? 0;
    if (a === 0) continue;
    const row = j * O;
    for (let c = 0; c < O; c++) out[c] = (out[c] ?? 0) + a * (w2[row + c] ?? 0);
  }
  if (O === 1) {
    out[0] = 1 / (1 + Math.exp(-(out[0] ?? 0)));
    return;
  }
  let max = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < O; c++) max = Math.max(max, out[c] ?? 0);
  let sum = 0;
  for (let c = 0; c < O; c++) {
    const e = Math.exp((out[c] ?? 0) - max);
    out[c] = e;
    sum += e;
  }
  for (let c = 0; c < O; c++) out[c] = (out[c] ?? 0) / sum;
};

/** scikit-learn's `_init_coef` for ReLU: weights, then intercepts, uniform in ±sqrt(6 / (fan_in + fan_out)). */
const glorot = (random: () => number, fanIn: number, fanOut: number): { w: Float64Array; b: Float64Array } => {
  const bound = Math.sqrt(6 / (fanIn + fanOut));
  const w = new Float64Array(fanIn * fanOut);
  for (let i = 0; i < w.length; i++) w[i] = -bound + 2 * bound * random();
  const b = new Float64Array(fanOut);
  for (let i = 0; i < b.length; i++) b[i] = -bound + 2 * bound * random();
  return { w, b };
};

/**
 * One Adam step on a parameter block. The gradient is `(grad + alpha · param) / n` for weights and
 * `grad` for intercepts (`alpha` 0), as in scikit-learn's `_compute_loss_grad`. `grad` is cleared for
 * the next batch as it is read. Returns ‖param‖² before the step, which the batch loss needs.
 */
const adamStep = (
  param: Float64Array,
  grad: Float64Array,
  m: Float64Array,
  v: Float64Array,
  alpha: number,
  invN: number,
  stepSize: number,
): number => {
  let squares = 0;
  for (let i = 0; i < param.length; i++) {
    const p = param[i] ?? 0;
    squares += p * p;
    const g = ((grad[i] ?? 0) + alpha * p) * invN;
    grad[i] = 0;
    const mi = BETA1 * (m[i] ?? 0) + (1 - BETA1) * g;
    const vi = BETA2 * (v[i] ?? 0) + (1 - BETA2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] = p - (stepSize * mi) / (Math.sqrt(vi) + EPSILON);
  }
  return squares;
};

const shuffleInPlace = (order: Int32Array, random: () => number): void => {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i] ?? 0;
    order[i] = order[j] ?? 0;
    order[j] = t;
  }
};

/** Fits the network; `ys[i]` is the class index of `xs[i]`, among `classes` (≥ 2). */
const fitNetwork = (
  xs: readonly CountVector[],
  ys: Int32Array,
  dims: number,
  classes: number,
  hidden: number,
  maxIter: number,
  random: () => number,
): Network => {
  const H = hidden;
  const O = classes === 2 ? 1 : classes;
  const l1 = glorot(random, dims, H);
  const l2 = glorot(random, H, O);
  const net: Network = { hidden: H, outputs: O, w1: l1.w, b1: l1.b, w2: l2.w, b2: l2.b };
  const { w1, b1, w2, b2 } = net;

  const g1 = new Float64Array(w1.length);
  const gb1 = new Float64Array(H);
  const g2 = new Float64Array(w2.length);
  const gb2 = new Float64Array(O);
  // Adam's first and second moments, one pair per parameter block.
  const zeros = (like: Float64Array): Float64Array => new Float64Array(like.length);
  const [m1, v1, m2, v2, mb1, vb1, mb2, vb2] = [zeros(w1), zeros(w1), zeros(w2), zeros(w2), zeros(b1), zeros(b1), zeros(b2), zeros(b2)];

  const n = xs.length;
  const batchSize = Math.min(MAX_BATCH, n);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const h = new Float64Array(H);
  const delta2 = new Float64Array(O);
  /** Deltas of the active hidden units, and which units they are. */
  const delta1 = new Float64Array(H);
  const active = new Int32Array(H);
  const prob = new Float64Array(O);

  let t = 0;
  let bestLoss = Number.POSITIVE_INFINITY;
  let noImprovement = 0;
  for (let epoch = 0; epoch < maxIter; epoch++) {
    shuffleInPlace(order, random);
    let accumulated = 0;
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(n, start + batchSize);
      const size = end - start;
      let dataLoss = 0;
      for (let s = 0; s < size; s++) {
        const i = order[start + s] ?? 0;
        const x = xs[i];
        if (!x) continue;
        const y = ys[i] ?? 0;
        hiddenOf(net, x, h);
        outputOf(net, h, prob);
        // Log-loss with scikit-learn's clipping; delta = probability − one-hot target for both heads.
        if (O === 1) {
          const p = Math.min(1 - EPS64, Math.max(EPS64, prob[0] ?? 0));
          dataLoss -= y === 1 ? Math.log(p) : Math.log(1 - p);
          delta2[0] = (prob[0] ?? 0) - y;
        } else {
          dataLoss -= Math.log(Math.min(1 - EPS64, Math.max(EPS64, prob[y] ?? 0)));
          for (let c = 0; c < O; c++) delta2[c] = (prob[c] ?? 0) - (c === y ? 1 : 0);
        }
        // Output layer: hidden activations × delta2. Hidden deltas pass the ReLU mask only where the
        // unit fired, so the first-layer gradient below touches the active units only.
        for (let c = 0; c < O; c++) gb2[c] = (gb2[c] ?? 0) + (delta2[c] ?? 0);
        let activeCount = 0;
        for (let j = 0; j < H; j++) {
          const a = h[j] ?? 0;
          if (a === 0) continue;
          const row = j * O;
          let back = 0;
          for (let c = 0; c < O; c++) {
            const d = delta2[c] ?? 0;
            back += d * (w2[row + c] ?? 0);
            g2[row + c] = (g2[row + c] ?? 0) + a * d;
          }
          delta1[activeCount] = back;
          active[activeCount++] = j;
          gb1[j] = (gb1[j] ?? 0) + back;
        }
        // First layer: only the rows of the input's non-zero features get a data gradient.
        for (let k = 0; k < x.indices.length; k++) {
          const row = (x.indices[k] ?? 0) * H;
          const v = x.values[k] ?? 0;
          for (let q = 0; q < activeCount; q++) {
            const at = row + (active[q] ?? 0);
            g1[at] = (g1[at] ?? 0) + v * (delta1[q] ?? 0);
          }
        }
      }
      t++;
      const stepSize = (LEARNING_RATE * Math.sqrt(1 - BETA2 ** t)) / (1 - BETA1 ** t);
      const invN = 1 / size;
      const squares = adamStep(w1, g1, m1, v1, ALPHA, invN, stepSize) + adamStep(w2, g2, m2, v2, ALPHA, invN, stepSize);
      adamStep(b1, gb1, mb1, vb1, 0, invN, stepSize);
      adamStep(b2, gb2, mb2, vb2, 0, invN, stepSize);
      const batchLoss = dataLoss / size + (0.5 * ALPHA * squares) / size;
      accumulated += batchLoss * size;
    }
    const loss = accumulated / n;
    if (loss > bestLoss - TOL) noImprovement++;
    else noImprovement = 0;
    if (loss < bestLoss) bestLoss = loss;
    if (noImprovement > N_ITER_NO_CHANGE) break;
  }
  return net;
};

// --- Reference -------------------------------------------------------------------------------------

/** Paperless's `min_df`. */
const MIN_DF = 0.01;

/** Trains the Paperless-style reference; returns a predictor. */
export const trainPaperlessReference = (
  examples: readonly ReferenceExample[],
  options: ReferenceOptions = {},
): ((text: string) => ReferencePrediction) => {
  if (examples.length === 0) throw new InvalidStepInputError('The reference classifier needs at least one training example.');
  const hidden = options.hidden ?? 100;
  const maxIter = options.maxIter ?? 200;
  if (!Number.isInteger(hidden) || hidden < 1) throw new InvalidStepInputError('hidden must be a positive integer.');
  if (!Number.isInteger(maxIter) || maxIter < 1) throw new InvalidStepInputError('maxIter must be a positive integer.');

  // scikit-learn's LabelBinarizer orders the classes by sorted label.
  const classes = [...new Set(examples.map((e) => e.label))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (classes.length === 1) {
    const only = classes[0] ?? '';
    return () => ({ documentClass: only, confidence: 1, alternatives: [{ documentClass: only, score: 1 }] });
  }
  const classIndex = new Map(classes.map((c, i) => [c, i] as const));

  const vectorizer = countVectorizer(
    examples.map((e) => preprocessContent(e.text)),
    MIN_DF,
  );
  // scikit-learn refuses to fit with an empty vocabulary, and so does Paperless.
  if (vectorizer.vocabulary.length === 0)
    throw new InvalidStepInputError('After pruning, no terms remain to train the reference classifier on.');
  const ys = Int32Array.from(examples, (e) => classIndex.get(e.label) ?? 0);
  const net = fitNetwork(
    vectorizer.vectors,
    ys,
    vectorizer.vocabulary.length,
    classes.length,
    hidden,
    maxIter,
    mulberry32(options.seed ?? 0),
  );

  const h = new Float64Array(net.hidden);
  const out = new Float64Array(net.outputs);
  return (text) => {
    hiddenOf(net, vectorizer.transform(preprocessContent(text)), h);
    outputOf(net, h, out);
    const probabilities = net.outputs === 1 ? [1 - (out[0] ?? 0), out[0] ?? 0] : Array.from(out);
    // Best first; ties keep class order, so the winner is numpy's argmax (the first maximum).
    const alternatives = classes
      .map((documentClass, i) => ({ documentClass, score: probabilities[i] ?? 0, i }))
      .sort((a, b) => b.score - a.score || a.i - b.i)
      .map(({ documentClass, score }) => ({ documentClass, score }));
    const best = alternatives[0] ?? { documentClass: classes[0] ?? '', score: 0 };
    return { documentClass: best.documentClass, confidence: best.score, alternatives };
  };
};
