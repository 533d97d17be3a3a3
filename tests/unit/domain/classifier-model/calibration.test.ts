import { describe, expect, it } from 'vitest';
import { fitTemperature, meanNll } from '../../../../src/domain/classifier-model/calibration.js';

const lcg = (seed: number): (() => number) => {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
};

/**
 * `n` predictions over 3 classes, each with logit `margin` on its predicted class and 0 on the
 * others; the label is the predicted class with probability `accuracy`, otherwise one of the two
 * others. Softmax says the predicted class has probability e^m / (e^m + 2), whatever the accuracy.
 */
const synthetic = (n: number, margin: number, accuracy: number, seed: number): { logits: number[][]; labels: number[] } => {
  const random = lcg(seed);
  const logits: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const predicted = Math.floor(random() * 3);
    const z = [0, 0, 0];
    z[predicted] = margin;
    logits.push(z);
    labels.push(random() < accuracy ? predicted : (predicted + 1 + Math.floor(random() * 2)) % 3);
  }
  return { logits, labels };
};

const empiricalAccuracy = (logits: readonly number[][], labels: readonly number[]): number =>
  logits.filter((z, i) => z.indexOf(Math.max(...z)) === labels[i]).length / logits.length;

/**
 * For the data above the NLL-optimal temperature has a closed form: the predicted class's
 * probability must equal the empirical accuracy a, so e^(m/T) / (e^(m/T) + 2) = a, i.e.
 * T = m / ln(2a / (1 − a)).
 */
const optimalTemperature = (margin: number, accuracy: number): number => margin / Math.log((2 * accuracy) / (1 - accuracy));

describe('meanNll', () => {
  it('is the mean of −ln p(true class)', () => {
    expect(meanNll([[0, 0]], [0], 1)).toBeCloseTo(Math.LN2, 12);
    const p = Math.exp(2) / (Math.exp(2) + 1);
    expect(meanNll([[2, 0]], [0], 1)).toBeCloseTo(-Math.log(p), 12);
    expect(
      meanNll(
        [
          [2, 0],
          [2, 0],
        ],
        [0, 1],
        1,
      ),
    ).toBeCloseTo((-Math.log(p) - Math.log(1 - p)) / 2, 12);
  });

  it('applies the temperature to the logits', () => {
    const q = Math.exp(1) / (Math.exp(1) + 1);
    expect(meanNll([[2, 0]], [0], 2)).toBeCloseTo(-Math.log(q), 12);
  });

  it('is 0 for no examples and finite for a certain-but-wrong prediction', () => {
    expect(meanNll([], [], 1)).toBe(0);
    const v = meanNll([[1e6, 0]], [1], 1);
    expect(Number.isFinite(v)).toBe(true);
    expect(v).toBeGreaterThan(20);
  });
});

describe('fitTemperature', () => {
  it('returns 1 when there is nothing to fit', () => {
    expect(fitTemperature([], [])).toBe(1);
  });

  it('softens over-confident logits: T > 1 and a lower NLL than at T = 1', () => {
    const { logits, labels } = synthetic(3000, 5, 0.7, 11);
    const accuracy = empiricalAccuracy(logits, labels);
    // Softmax claims ~0.987 confidence; the truth is ~0.7.
    expect(Math.exp(5) / (Math.exp(5) + 2)).toBeGreaterThan(0.98);
    expect(accuracy).toBeGreaterThan(0.65);
    expect(accuracy).toBeLessThan(0.75);
    const t = fitTemperature(logits, labels);
    expect(t).toBeGreaterThan(1);
    expect(t).toBeCloseTo(optimalTemperature(5, accuracy), 2);
    expect(meanNll(logits, labels, t)).toBeLessThan(meanNll(logits, labels, 1));
  });

  it('sharpens under-confident logits: T < 1 and a lower NLL than at T = 1', () => {
    const { logits, labels } = synthetic(3000, 0.5, 0.95, 12);
    const accuracy = empiricalAccuracy(logits, labels);
    // Softmax claims ~0.45 confidence; the truth is ~0.95.
    expect(Math.exp(0.5) / (Math.exp(0.5) + 2)).toBeLessThan(0.5);
    expect(accuracy).toBeGreaterThan(0.9);
    const t = fitTemperature(logits, labels);
    expect(t).toBeLessThan(1);
    expect(t).toBeCloseTo(optimalTemperature(0.5, accuracy), 3);
    expect(meanNll(logits, labels, t)).toBeLessThan(meanNll(logits, labels, 1));
  });

  it('keeps T near 1 when the logits are already calibrated', () => {
    // e^m / (e^m + 2) = 0.8 for m = ln 8.
    const { logits, labels } = synthetic(5000, Math.log(8), 0.8, 13);
    const t = fitTemperature(logits, labels);
    expect(t).toBeGreaterThan(0.9);
    expect(t).toBeLessThan(1.1);
  });

  it('minimises the NLL: neither T·1.1 nor T/1.1 is better', () => {
    // Irregular logits (not the closed-form case), labels correlated with them.
    const random = lcg(21);
    const logits: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 500; i++) {
      const z = [random() * 6 - 3, random() * 6 - 3, random() * 6 - 3, random() * 6 - 3];
      logits.push(z);
      labels.push(random() < 0.6 ? z.indexOf(Math.max(...z)) : Math.floor(random() * 4));
    }
    const t = fitTemperature(logits, labels);
    const at = meanNll(logits, labels, t);
    expect(meanNll(logits, labels, t * 1.1)).toBeGreaterThanOrEqual(at);
    expect(meanNll(logits, labels, t / 1.1)).toBeGreaterThanOrEqual(at);
    expect(meanNll(logits, labels, t * 1.01)).toBeGreaterThanOrEqual(at);
    expect(meanNll(logits, labels, t / 1.01)).toBeGreaterThanOrEqual(at);
  });

  it('stays within [0.05, 50]: the bounds for always-right and never-right predictions', () => {
    const logits = [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ];
    // Always right: the NLL falls as T → 0, so the fit hits the lower bound.
    expect(fitTemperature(logits, [0, 1, 2])).toBeCloseTo(0.05, 3);
    // Never right: the NLL falls as T → ∞ (uniform is best), so the fit hits the upper bound.
    expect(fitTemperature(logits, [1, 2, 0])).toBeGreaterThan(49.9);
    expect(fitTemperature(logits, [1, 2, 0])).toBeLessThanOrEqual(50);
  });

  it('does not depend on the order of the examples', () => {
    const { logits, labels } = synthetic(400, 3, 0.8, 5);
    const order = logits.map((_, i) => i).reverse();
    const a = fitTemperature(logits, labels);
    const b = fitTemperature(
      order.map((i) => logits[i]!),
      order.map((i) => labels[i]!),
    );
    expect(b).toBeCloseTo(a, 6);
  });
});
