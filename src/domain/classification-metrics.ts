/**
 * Classification evaluation: predictions in, metrics out. Pure (no I/O, no clock) and unrounded, so
 * the CLI, a report and a test score the same predictions the same way; rounding is for display.
 */

export interface Prediction {
  /** The document's path relative to the evaluated folder. */
  readonly name: string;
  /** The labelled class. */
  readonly truth: string;
  /** The classifier's answer; may be a label no document has, such as `unclassified`. */
  readonly predicted: string;
  /** The classifier's confidence in `predicted`, in [0, 1]. */
  readonly confidence: number;
}

export interface ClassMetrics {
  readonly documentClass: string;
  /** Documents labelled with this class. */
  readonly support: number;
  /** Documents the classifier put in this class. */
  readonly predicted: number;
  /** Correct / predicted; 0 when nothing was predicted as this class. */
  readonly precision: number;
  /** Correct / support; 0 when no document has this label. */
  readonly recall: number;
  /** Harmonic mean of precision and recall; 0 when both are 0. */
  readonly f1: number;
}

export interface CalibrationBin {
  /** Confidences in [lower, upper) fall in this bin; the last bin also holds `upper` (1). */
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
  /** Mean confidence of the bin's predictions; 0 for an empty bin (check `count`). */
  readonly meanConfidence: number;
  /** Share of the bin's predictions that are correct; 0 for an empty bin (check `count`). */
  readonly accuracy: number;
}

export interface ClassificationMetrics {
  /** Predictions scored. */
  readonly count: number;
  /** Correct / count; 0 when there are no predictions. */
  readonly accuracy: number;
  /**
   * Unweighted mean F1 over the classes that have support (at least one labelled document). A
   * predicted-only label such as `unclassified` has no recall to speak of, so it is not averaged;
   * its predictions still cost the true class its recall. 0 when there are no predictions.
   */
  readonly macroF1: number;
  /** Mean F1 weighted by support: a large class weighs more. 0 when there are no predictions. */
  readonly weightedF1: number;
  /** One per label, in `labels` order. */
  readonly perClass: readonly ClassMetrics[];
  /** Truth classes sorted, then any label that was only predicted (e.g. `unclassified`), sorted. */
  readonly labels: readonly string[];
  /** `confusion[t][p]`: documents labelled `labels[t]` and predicted as `labels[p]`. */
  readonly confusion: readonly (readonly number[])[];
  /** Expected calibration error over `bins`: Σ (n_b / N) · |accuracy_b − meanConfidence_b|. */
  readonly ece: number;
  /** Equal-width confidence bins over [0, 1], empty ones included, lowest first. */
  readonly bins: readonly CalibrationBin[];
}

const DEFAULT_BINS = 10;
const DEFAULT_TARGET_PRECISION = 0.95;
const DEFAULT_MIN_SUPPORT = 5;

const ratio = (part: number, whole: number): number => (whole === 0 ? 0 : part / whole);

/** A confidence outside [0, 1] (or NaN) is a classifier bug; it is clamped rather than lost from the bins. */
const clampConfidence = (c: number): number => (Number.isNaN(c) ? 0 : Math.min(1, Math.max(0, c)));

/** Code-unit order: the same on every machine, unlike `localeCompare`. */
const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Reliability of the confidences: equal-width bins and the expected calibration error. A perfectly
 * calibrated classifier is right 80 % of the time when it says 0.8, and has an ECE of 0.
 */
export const reliabilityOf = (
  predictions: readonly Prediction[],
  bins: number = DEFAULT_BINS,
): { readonly bins: readonly CalibrationBin[]; readonly ece: number } => {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`bins must be a positive integer, got ${bins}`);
  const count = new Array<number>(bins).fill(0);
  const confidence = new Array<number>(bins).fill(0);
  const correct = new Array<number>(bins).fill(0);
  for (const p of predictions) {
    const c = clampConfidence(p.confidence);
    // Confidence 1 belongs in the last bin, not in a bin of its own.
    const i = Math.min(bins - 1, Math.floor(c * bins));
    count[i] = (count[i] ?? 0) + 1;
    confidence[i] = (confidence[i] ?? 0) + c;
    if (p.predicted === p.truth) correct[i] = (correct[i] ?? 0) + 1;
  }
  const result = count.map((n, i) => ({
    lower: i / bins,
    upper: (i + 1) / bins,
    count: n,
    meanConfidence: ratio(confidence[i] ?? 0, n),
    accuracy: ratio(correct[i] ?? 0, n),
  }));
  const total = predictions.length;
  const ece = result.reduce((s, b) => s + ratio(b.count, total) * Math.abs(b.accuracy - b.meanConfidence), 0);
  return { bins: result, ece };
};

/** Accuracy, per-class precision/recall/F1, their macro and weighted means, the confusion matrix and calibration. */
export const classificationMetrics = (predictions: readonly Prediction[], options: { bins?: number } = {}): ClassificationMetrics => {
  const truths = [...new Set(predictions.map((p) => p.truth))].sort(byCodeUnit);
  const truthSet = new Set(truths);
  const predictedOnly = [...new Set(predictions.map((p) => p.predicted))].filter((l) => !truthSet.has(l)).sort(byCodeUnit);
  const labels = [...truths, ...predictedOnly];
  const index = new Map(labels.map((l, i) => [l, i]));

  const confusion = labels.map(() => new Array<number>(labels.length).fill(0));
  let correct = 0;
  for (const p of predictions) {
    const row = confusion[index.get(p.truth) ?? 0];
    const col = index.get(p.predicted) ?? 0;
    if (row) row[col] = (row[col] ?? 0) + 1;
    if (p.predicted === p.truth) correct += 1;
  }

  const perClass = labels.map((documentClass, i): ClassMetrics => {
    const tp = confusion[i]?.[i] ?? 0;
    const support = (confusion[i] ?? []).reduce((s, n) => s + n, 0);
    const predicted = confusion.reduce((s, row) => s + (row[i] ?? 0), 0);
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, support);
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { documentClass, support, predicted, precision, recall, f1 };
  });

  const supported = perClass.filter((c) => c.support > 0);
  const count = predictions.length;
  const { bins, ece } = reliabilityOf(predictions, options.bins ?? DEFAULT_BINS);
  return {
    count,
    accuracy: ratio(correct, count),
    macroF1: ratio(
      supported.reduce((s, c) => s + c.f1, 0),
      supported.length,
    ),
    weightedF1: ratio(
      supported.reduce((s, c) => s + c.f1 * c.support, 0),
      count,
    ),
    perClass,
    labels,
    confusion,
    ece,
    bins,
  };
};

export interface ThresholdSuggestion {
  /** A predicted class. */
  readonly documentClass: string;
  /** Pass a document of this class when its confidence is ≥ this (the routing step holds below it). */
  readonly threshold: number;
  /** Precision of the predictions that pass; ≥ the target. */
  readonly precision: number;
  /** Share of this class's predictions that pass, in (0, 1]. */
  readonly coverage: number;
  /** Predictions of this class that the suggestion is based on. */
  readonly support: number;
}

/**
 * Per predicted class, in code-unit order: the lowest confidence threshold at which the predictions
 * that pass (confidence ≥ threshold) reach `targetPrecision` (default 0.95). The lowest one passes
 * the most documents. Candidates are the observed confidences, so equal confidences pass or are held
 * together and the threshold is always one of them (exact, not rounded).
 *
 * A class is omitted, rather than given a made-up threshold, when it has fewer than `minSupport`
 * (default 5) predictions, because a threshold fitted to two documents says nothing, or when no
 * threshold reaches the target, because then every document of that class needs review. Precision
 * need not rise with the threshold, so the lowest passing threshold may have a higher one above it
 * that does not pass; this is about what happened on these documents, not a guarantee.
 */
export const suggestThresholds = (
  predictions: readonly Prediction[],
  options: { targetPrecision?: number; minSupport?: number } = {},
): ThresholdSuggestion[] => {
  const target = options.targetPrecision ?? DEFAULT_TARGET_PRECISION;
  const minSupport = options.minSupport ?? DEFAULT_MIN_SUPPORT;
  if (!(target > 0 && target <= 1)) throw new RangeError(`targetPrecision must be in (0, 1], got ${target}`);
  if (!(minSupport >= 1)) throw new RangeError(`minSupport must be at least 1, got ${minSupport}`);

  const byClass = new Map<string, Prediction[]>();
  for (const p of predictions) {
    const list = byClass.get(p.predicted) ?? [];
    list.push(p);
    byClass.set(p.predicted, list);
  }

  const suggestions: ThresholdSuggestion[] = [];
  for (const documentClass of [...byClass.keys()].sort(byCodeUnit)) {
    const list = byClass.get(documentClass) ?? [];
    if (list.length < minSupport) continue;
    // Walk down from the most confident, one group of equal confidences at a time, remembering the
    // lowest threshold whose passed set still reaches the target.
    const sorted = list.map((p) => ({ c: clampConfidence(p.confidence), ok: p.predicted === p.truth })).sort((a, b) => b.c - a.c);
    let passed = 0;
    let right = 0;
    let best: ThresholdSuggestion | null = null;
    for (let i = 0; i < sorted.length;) {
      const c = sorted[i]?.c ?? 0;
      while (i < sorted.length && sorted[i]?.c === c) {
        passed += 1;
        if (sorted[i]?.ok) right += 1;
        i += 1;
      }
      const precision = right / passed;
      if (precision >= target) best = { documentClass, threshold: c, precision, coverage: passed / list.length, support: list.length };
    }
    if (best) suggestions.push(best);
  }
  return suggestions;
};
