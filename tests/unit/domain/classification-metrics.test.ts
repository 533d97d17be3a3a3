import { describe, expect, it } from 'vitest';
import { classificationMetrics, reliabilityOf, suggestThresholds, type Prediction } from '../../../src/domain/classification-metrics.js';

let counter = 0;
const p = (truth: string, predicted: string, confidence = 0.9): Prediction => {
  counter += 1;
  return { name: `doc-${counter}.pdf`, truth, predicted, confidence };
};

describe('classificationMetrics', () => {
  it('scores a perfect classifier as 1 everywhere', () => {
    const m = classificationMetrics([p('invoice', 'invoice'), p('invoice', 'invoice'), p('receipt', 'receipt')]);
    expect(m.count).toBe(3);
    expect(m.accuracy).toBe(1);
    expect(m.macroF1).toBe(1);
    expect(m.weightedF1).toBe(1);
    expect(m.labels).toEqual(['invoice', 'receipt']);
    expect(m.confusion).toEqual([
      [2, 0],
      [0, 1],
    ]);
    for (const c of m.perClass) expect([c.precision, c.recall, c.f1]).toEqual([1, 1, 1]);
  });

  it('scores an all-wrong classifier as 0, precision 0 where nothing was predicted', () => {
    const m = classificationMetrics([p('a', 'b'), p('b', 'c'), p('c', 'a'), p('a', 'c')]);
    expect(m.accuracy).toBe(0);
    expect(m.macroF1).toBe(0);
    expect(m.weightedF1).toBe(0);
    expect(m.confusion).toEqual([
      [0, 1, 1],
      [0, 0, 1],
      [1, 0, 0],
    ]);
    const only = classificationMetrics([p('a', 'b'), p('b', 'a')]);
    expect(only.perClass.map((c) => c.precision)).toEqual([0, 0]);
    // Nothing predicted as `b` is wrong twice over: precision 0, not NaN.
    const none = classificationMetrics([p('a', 'a'), p('b', 'a')]);
    expect(none.perClass[1]).toEqual({ documentClass: 'b', support: 1, predicted: 0, precision: 0, recall: 0, f1: 0 });
  });

  it('computes per-class P/R/F1, macro- and weighted-F1 on a hand-worked 3-class case', () => {
    // truth a: a a b | truth b: b c | truth c: c
    const m = classificationMetrics([p('a', 'a'), p('a', 'a'), p('a', 'b'), p('b', 'b'), p('b', 'c'), p('c', 'c')]);
    expect(m.labels).toEqual(['a', 'b', 'c']);
    expect(m.confusion).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    expect(m.accuracy).toBeCloseTo(4 / 6, 12);
    const [a, b, c] = m.perClass;
    expect(a).toMatchObject({ support: 3, predicted: 2, precision: 1 });
    expect(a!.recall).toBeCloseTo(2 / 3, 12);
    expect(a!.f1).toBeCloseTo(0.8, 12);
    expect(b).toMatchObject({ support: 2, predicted: 2, precision: 0.5, recall: 0.5, f1: 0.5 });
    expect(c).toMatchObject({ support: 1, predicted: 2, precision: 0.5, recall: 1 });
    expect(c!.f1).toBeCloseTo(2 / 3, 12);
    expect(m.macroF1).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 12); // 59/90
    expect(m.weightedF1).toBeCloseTo((3 * 0.8 + 2 * 0.5 + 1 * (2 / 3)) / 6, 12); // 61/90
  });

  it('appends a predicted-only label as a column (and an empty row) and leaves it out of macro-F1', () => {
    const m = classificationMetrics([p('b', 'b'), p('a', 'unclassified'), p('a', 'a'), p('b', 'b')]);
    expect(m.labels).toEqual(['a', 'b', 'unclassified']);
    expect(m.confusion).toEqual([
      [1, 0, 1],
      [0, 2, 0],
      [0, 0, 0],
    ]);
    expect(m.perClass[2]).toEqual({ documentClass: 'unclassified', support: 0, predicted: 1, precision: 0, recall: 0, f1: 0 });
    // a: P 1, R 1/2, F1 2/3; b: F1 1. Averaged over a and b only.
    expect(m.macroF1).toBeCloseTo((2 / 3 + 1) / 2, 12);
    expect(m.weightedF1).toBeCloseTo((2 * (2 / 3) + 2 * 1) / 4, 12);
    expect(m.accuracy).toBe(0.75);
  });

  it('sorts predicted-only labels after the truth classes, each group in code-unit order', () => {
    const m = classificationMetrics([p('receipt', 'zzz'), p('Invoice', 'aaa'), p('letter', 'letter')]);
    expect(m.labels).toEqual(['Invoice', 'letter', 'receipt', 'aaa', 'zzz']);
  });

  it('is all zeros, not NaN, with no predictions', () => {
    const m = classificationMetrics([]);
    expect(m).toMatchObject({ count: 0, accuracy: 0, macroF1: 0, weightedF1: 0, ece: 0, labels: [], confusion: [], perClass: [] });
    expect(m.bins).toHaveLength(10);
  });
});

describe('reliabilityOf and ECE', () => {
  it('computes the expected calibration error on a known example', () => {
    const preds = [
      p('a', 'a', 0.95),
      p('a', 'a', 0.95),
      p('a', 'b', 0.95),
      p('a', 'a', 0.95),
      p('a', 'a', 1), // confidence 1 joins the last bin
      p('a', 'a', 0.55),
      p('a', 'b', 0.55),
      p('a', 'b', 0.25),
    ];
    const { bins, ece } = reliabilityOf(preds);
    expect(bins).toHaveLength(10);
    const last = bins[9]!;
    expect(last.count).toBe(5);
    expect(last.accuracy).toBeCloseTo(0.8, 12);
    expect(last.meanConfidence).toBeCloseTo(0.96, 12);
    expect(bins[5]).toMatchObject({ count: 2, accuracy: 0.5 });
    expect(bins[5]!.meanConfidence).toBeCloseTo(0.55, 12);
    expect(bins[2]).toMatchObject({ count: 1, accuracy: 0, meanConfidence: 0.25 });
    // 5/8·|0.8−0.96| + 2/8·|0.5−0.55| + 1/8·|0−0.25|
    expect(ece).toBeCloseTo(0.1 + 0.0125 + 0.03125, 12);
    expect(classificationMetrics(preds).ece).toBeCloseTo(0.14375, 12);
  });

  it('is 0 for a perfectly calibrated classifier', () => {
    const preds = [p('a', 'a', 0.75), p('a', 'a', 0.75), p('a', 'a', 0.75), p('a', 'b', 0.75)];
    expect(reliabilityOf(preds).ece).toBeCloseTo(0, 12);
  });

  it('uses equal-width bins with lower bounds inclusive, empty bins included', () => {
    const m = classificationMetrics([p('a', 'a', 0), p('a', 'a', 0.25), p('a', 'b', 0.5), p('a', 'a', 0.74), p('a', 'a', 1)], { bins: 4 });
    expect(m.bins.map((b) => [b.lower, b.upper, b.count])).toEqual([
      [0, 0.25, 1],
      [0.25, 0.5, 1],
      [0.5, 0.75, 2],
      [0.75, 1, 1],
    ]);
    expect(m.bins[2]).toMatchObject({ accuracy: 0.5 });
    const empty = reliabilityOf([p('a', 'a', 0.95)], 5).bins[0]!;
    expect(empty).toEqual({ lower: 0, upper: 0.2, count: 0, meanConfidence: 0, accuracy: 0 });
  });

  it('clamps out-of-range confidences into the end bins and rejects a bad bin count', () => {
    const { bins } = reliabilityOf([p('a', 'a', 1.2), p('a', 'a', -0.1)], 2);
    expect(bins.map((b) => b.count)).toEqual([1, 1]);
    expect(bins[1]!.meanConfidence).toBe(1);
    expect(() => reliabilityOf([], 0)).toThrow(RangeError);
    expect(() => classificationMetrics([], { bins: 2.5 })).toThrow(RangeError);
  });
});

describe('suggestThresholds', () => {
  // invoice, best first: ✓ ✓ ✓ ✗ ✓ ✓ ✗ ✗
  // passed precision at each threshold: 1/1 2/2 3/3 3/4 4/5 5/6 5/7 5/8
  const invoices: Prediction[] = [
    p('invoice', 'invoice', 0.99),
    p('invoice', 'invoice', 0.95),
    p('invoice', 'invoice', 0.9),
    p('receipt', 'invoice', 0.85),
    p('invoice', 'invoice', 0.8),
    p('invoice', 'invoice', 0.7),
    p('letter', 'invoice', 0.6),
    p('receipt', 'invoice', 0.5),
  ];
  const receipts = [p('receipt', 'receipt', 0.9), p('receipt', 'receipt', 0.8), p('receipt', 'receipt', 0.4)];
  const letters = Array.from({ length: 6 }, (_, i) => p('invoice', 'letter', 0.5 + i / 20));
  const all = [...letters, ...invoices, ...receipts];

  it('picks the lowest threshold that reaches the target, with its precision and coverage', () => {
    const [invoice] = suggestThresholds(all, { targetPrecision: 0.8 });
    expect(invoice!.documentClass).toBe('invoice');
    expect(invoice!.threshold).toBe(0.7);
    expect(invoice!.precision).toBeCloseTo(5 / 6, 12);
    expect(invoice!.coverage).toBe(0.75);
    expect(invoice!.support).toBe(8);
  });

  it('defaults to 95 % precision and skips a threshold whose precision dips below it', () => {
    expect(suggestThresholds(all)).toEqual([{ documentClass: 'invoice', threshold: 0.9, precision: 1, coverage: 3 / 8, support: 8 }]);
    // 0.8 passes 4 of 5 (80 %), 0.7 passes 5 of 6 (83 %): neither reaches 90 %.
    expect(suggestThresholds(all, { targetPrecision: 0.9 })[0]!.threshold).toBe(0.9);
  });

  it('omits classes with fewer than minSupport predictions or that never reach the target', () => {
    expect(suggestThresholds(all).map((s) => s.documentClass)).toEqual(['invoice']); // receipt: 3 < 5; letter: always wrong
    const low = suggestThresholds(all, { minSupport: 3 });
    expect(low.map((s) => s.documentClass)).toEqual(['invoice', 'receipt']);
    expect(low[1]).toEqual({ documentClass: 'receipt', threshold: 0.4, precision: 1, coverage: 1, support: 3 });
    expect(suggestThresholds(all, { minSupport: 9 })).toEqual([]);
  });

  it('passes or holds equal confidences together', () => {
    const tied = [p('a', 'a', 0.9), p('a', 'a', 0.8), p('b', 'a', 0.8), p('a', 'a', 0.8), p('a', 'a', 0.8), p('a', 'a', 0.7)];
    // At 0.8 the four tied predictions pass together: 4 of 5 right.
    const [s] = suggestThresholds(tied, { targetPrecision: 0.8 });
    expect(s).toMatchObject({ threshold: 0.7, coverage: 1 });
    expect(s!.precision).toBeCloseTo(5 / 6, 12);
    const [strict] = suggestThresholds(tied, { targetPrecision: 0.85 });
    expect(strict).toMatchObject({ threshold: 0.9, precision: 1, coverage: 1 / 6 });
  });

  it('rejects a target outside (0, 1]', () => {
    expect(() => suggestThresholds(all, { targetPrecision: 0 })).toThrow(RangeError);
    expect(() => suggestThresholds(all, { targetPrecision: 1.5 })).toThrow(RangeError);
  });
});
