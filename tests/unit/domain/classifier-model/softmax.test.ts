import { describe, expect, it } from 'vitest';
import {
  lbfgs,
  logitsOf,
  softmax,
  trainSoftmax,
  type SoftmaxWeights,
  type SparseVector,
} from '../../../../src/domain/classifier-model/softmax.js';

/** A small seeded generator, independent of anything in src. */
const lcg = (seed: number): (() => number) => {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
};

const sum = (xs: ArrayLike<number>): number => Array.from(xs).reduce((a, b) => a + b, 0);
const argmax = (xs: ArrayLike<number>): number => Array.from(xs).reduce((b, v, i, a) => (v > (a[b] ?? 0) ? i : b), 0);

/** A sparse vector from index → value pairs, indices sorted as trainSoftmax requires. */
const sparse = (entries: Record<number, number>): SparseVector => {
  const pairs = Object.entries(entries)
    .map(([k, v]) => [Number(k), v] as const)
    .sort((a, b) => a[0] - b[0]);
  return { indices: Int32Array.from(pairs.map((p) => p[0])), values: Float64Array.from(pairs.map((p) => p[1])) };
};

describe('softmax', () => {
  it('is exp(z) normalised to sum to 1', () => {
    const p = softmax([1, 2, 3]);
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const total = e[0]! + e[1]! + e[2]!;
    expect(sum(p)).toBeCloseTo(1, 12);
    expect(p[0]).toBeCloseTo(e[0]! / total, 12);
    expect(p[1]).toBeCloseTo(e[1]! / total, 12);
    expect(p[2]).toBeCloseTo(e[2]! / total, 12);
  });

  it('gives equal logits equal probabilities', () => {
    expect(Array.from(softmax([7, 7, 7, 7]))).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('is stable for huge logits (shift-invariant, no overflow to NaN or Infinity)', () => {
    const big = softmax([1000, 1001, 1002]);
    const small = softmax([0, 1, 2]);
    for (let i = 0; i < 3; i++) expect(big[i]).toBeCloseTo(small[i]!, 12);
    const extreme = softmax([1e300, -1e300, 0]);
    expect(Array.from(extreme)).toEqual([1, 0, 0]);
    const negative = softmax([-1e6, -1e6 - 1]);
    expect(negative.every((v) => Number.isFinite(v))).toBe(true);
    expect(negative[0]).toBeCloseTo(1 / (1 + Math.exp(-1)), 12);
  });

  it('divides the logits by the temperature: T > 1 flattens, T < 1 sharpens', () => {
    const z = [2, 0, -1];
    const plain = softmax(z);
    const flat = softmax(z, 4);
    const sharp = softmax(z, 0.25);
    expect(flat[0]).toBeLessThan(plain[0]!);
    expect(flat[2]).toBeGreaterThan(plain[2]!);
    expect(sharp[0]).toBeGreaterThan(plain[0]!);
    expect(sharp[2]).toBeLessThan(plain[2]!);
    const scaled = softmax(z.map((v) => v / 4));
    for (let i = 0; i < 3; i++) expect(flat[i]).toBeCloseTo(scaled[i]!, 12);
    expect(sum(flat)).toBeCloseTo(1, 12);
    expect(sum(sharp)).toBeCloseTo(1, 12);
    // The ranking never changes.
    expect(argmax(flat)).toBe(0);
    expect(argmax(sharp)).toBe(0);
  });
});

describe('logitsOf', () => {
  it('is bias + W·x over the sparse entries', () => {
    const m: SoftmaxWeights = {
      classes: 2,
      dims: 4,
      weights: Float64Array.from([1, 2, 3, 4, -1, 0, 0.5, 10]),
      bias: Float64Array.from([0.25, -3]),
    };
    const z = logitsOf(m, sparse({ 1: 2, 3: -0.5 }));
    expect(z[0]).toBeCloseTo(0.25 + 2 * 2 + 4 * -0.5, 12);
    expect(z[1]).toBeCloseTo(-3 + 0 * 2 + 10 * -0.5, 12);
  });

  it('is the bias alone for an empty vector', () => {
    const m: SoftmaxWeights = { classes: 2, dims: 1, weights: Float64Array.from([5, 6]), bias: Float64Array.from([1, 2]) };
    expect(Array.from(logitsOf(m, sparse({})))).toEqual([1, 2]);
  });
});

describe('lbfgs', () => {
  it('finds the minimum of a convex quadratic ½xᵀAx − bᵀx (where Ax = b)', () => {
    const A = [
      [4, 1, 0],
      [1, 3, 0.5],
      [0, 0.5, 2],
    ];
    const b = [1, 2, 3];
    const fg = (x: Float64Array, g: Float64Array): number => {
      let f = 0;
      for (let i = 0; i < 3; i++) {
        let ax = 0;
        for (let j = 0; j < 3; j++) ax += A[i]![j]! * x[j]!;
        g[i] = ax - b[i]!;
        f += 0.5 * x[i]! * ax - b[i]! * x[i]!;
      }
      return f;
    };
    const x = lbfgs(fg, new Float64Array(3), { maxIter: 100, tol: 1e-10 });
    // At the minimum the gradient Ax − b vanishes.
    for (let i = 0; i < 3; i++) {
      let ax = 0;
      for (let j = 0; j < 3; j++) ax += A[i]![j]! * x[j]!;
      expect(ax).toBeCloseTo(b[i]!, 7);
    }
    // Cross-check one coordinate by Cramer's rule: x₃ = det(A with column 3 = b) / det(A).
    const det = 4 * (3 * 2 - 0.5 * 0.5) - 1 * (1 * 2 - 0.5 * 0);
    const det3 = 4 * (3 * 3 - 2 * 0.5) - 1 * (1 * 3 - 2 * 0) + 1 * (1 * 0.5 - 3 * 0);
    expect(x[2]).toBeCloseTo(det3 / det, 7);
  });

  it('handles an ill-conditioned quadratic (condition number 10⁴)', () => {
    const d = [1, 100, 10_000];
    const c = [3, -2, 0.5];
    const fg = (x: Float64Array, g: Float64Array): number => {
      let f = 0;
      for (let i = 0; i < 3; i++) {
        const r = x[i]! - c[i]!;
        g[i] = d[i]! * r;
        f += 0.5 * d[i]! * r * r;
      }
      return f;
    };
    const x = lbfgs(fg, new Float64Array(3), { maxIter: 200, tol: 1e-9 });
    for (let i = 0; i < 3; i++) expect(x[i]).toBeCloseTo(c[i]!, 5);
  });

  it('finds the Rosenbrock minimum (1, 1) from the classic start (−1.2, 1)', () => {
    const fg = (x: Float64Array, g: Float64Array): number => {
      const a = x[0]!;
      const b = x[1]!;
      g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
      g[1] = 200 * (b - a * a);
      return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
    };
    const x = lbfgs(fg, Float64Array.from([-1.2, 1]), { maxIter: 1000, tol: 1e-10 });
    expect(x[0]).toBeCloseTo(1, 3);
    expect(x[1]).toBeCloseTo(1, 3);
  });

  it('returns a copy of x0 without evaluating further when the start is already optimal, and never mutates x0', () => {
    let calls = 0;
    const fg = (x: Float64Array, g: Float64Array): number => {
      calls++;
      g[0] = 2 * (x[0]! - 5);
      return (x[0]! - 5) ** 2;
    };
    const start = Float64Array.from([5]);
    const x = lbfgs(fg, start, { maxIter: 50, tol: 1e-8 });
    expect(calls).toBe(1);
    expect(x).not.toBe(start);
    expect(x[0]).toBe(5);

    const away = Float64Array.from([-3]);
    const moved = lbfgs(fg, away, { maxIter: 50, tol: 1e-8 });
    expect(away[0]).toBe(-3);
    expect(moved[0]).toBeCloseTo(5, 6);
  });

  it('stops after maxIter iterations', () => {
    let calls = 0;
    const fg = (x: Float64Array, g: Float64Array): number => {
      calls++;
      g[0] = 2 * (x[0]! - 5);
      return (x[0]! - 5) ** 2;
    };
    const x = lbfgs(fg, Float64Array.from([0]), { maxIter: 0, tol: 1e-8 });
    expect(x[0]).toBe(0);
    expect(calls).toBe(1);
  });
});

/** A plain primal reference: full-batch gradient descent on W (K×D) and b for the same loss. */
const primalReference = (
  xs: readonly SparseVector[],
  ys: readonly number[],
  K: number,
  D: number,
  l2: number,
  iterations: number,
  step: number,
): { W: Float64Array; b: Float64Array } => {
  const dense = xs.map((x) => {
    const d = new Float64Array(D);
    x.indices.forEach((j, k) => (d[j] = x.values[k]!));
    return d;
  });
  const W = new Float64Array(K * D);
  const b = new Float64Array(K);
  for (let it = 0; it < iterations; it++) {
    const gW = primalGradient(dense, ys, K, D, l2, W, b);
    for (let i = 0; i < K * D; i++) W[i] = W[i]! - step * gW.W[i]!;
    for (let c = 0; c < K; c++) b[c] = b[c]! - step * gW.b[c]!;
  }
  return { W, b };
};

/** ∇ of mean NLL + l2/2·‖W‖² with respect to W and b, written out directly. */
const primalGradient = (
  dense: readonly Float64Array[],
  ys: readonly number[],
  K: number,
  D: number,
  l2: number,
  W: Float64Array,
  b: Float64Array,
): { W: Float64Array; b: Float64Array } => {
  const N = dense.length;
  const gW = new Float64Array(K * D);
  const gb = new Float64Array(K);
  dense.forEach((x, i) => {
    const z = Array.from({ length: K }, (_, c) => {
      let s = b[c]!;
      for (let j = 0; j < D; j++) s += W[c * D + j]! * x[j]!;
      return s;
    });
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const total = e.reduce((a, v) => a + v, 0);
    for (let c = 0; c < K; c++) {
      const res = (e[c]! / total - (c === ys[i] ? 1 : 0)) / N;
      gb[c] = gb[c]! + res;
      for (let j = 0; j < D; j++) gW[c * D + j] = gW[c * D + j]! + res * x[j]!;
    }
  });
  for (let k = 0; k < K * D; k++) gW[k] = gW[k]! + l2 * W[k]!;
  return { W: gW, b: gb };
};

const norm = (w: Float64Array): number => Math.sqrt(sum(w.map((v) => v * v)));

/** 3 classes; features 0–14 are 5 per class (3 or 4 of them set per vector), 15–24 shared noise. */
const separable = (perClass: number, seed: number): { xs: SparseVector[]; ys: number[] } => {
  const random = lcg(seed);
  const xs: SparseVector[] = [];
  const ys: number[] = [];
  for (let i = 0; i < perClass; i++) {
    for (let c = 0; c < 3; c++) {
      const entries: Record<number, number> = {};
      // Three or four of the class's five features: all but two picks, which may coincide.
      const dropped = [Math.floor(random() * 5), Math.floor(random() * 5)];
      for (let j = 0; j < 5; j++) if (!dropped.includes(j)) entries[c * 5 + j] = 1;
      for (let k = 0; k < 3; k++) entries[15 + Math.floor(random() * 10)] = 0.2 + 0.3 * random();
      xs.push(sparse(entries));
      ys.push(c);
    }
  }
  return { xs, ys };
};

describe('trainSoftmax', () => {
  it('classifies its training data and held-out vectors of a separable sparse problem', () => {
    const train = separable(10, 1);
    expect(train.xs).toHaveLength(30);
    const m = trainSoftmax(train.xs, train.ys, { classes: 3, dims: 25, l2: 1e-3, maxIterations: 200 });
    expect(m.classes).toBe(3);
    expect(m.dims).toBe(25);
    expect(m.weights).toHaveLength(75);
    expect(m.bias).toHaveLength(3);
    train.xs.forEach((x, i) => expect(argmax(logitsOf(m, x))).toBe(train.ys[i]));
    const held = separable(10, 99);
    held.xs.forEach((x, i) => expect(argmax(logitsOf(m, x))).toBe(held.ys[i]));
    // Each class's own features carry positive weight for it, more than for any other class.
    for (let c = 0; c < 3; c++) {
      for (let j = c * 5; j < c * 5 + 5; j++) {
        for (let o = 0; o < 3; o++) if (o !== c) expect(m.weights[c * 25 + j]).toBeGreaterThan(m.weights[o * 25 + j]!);
      }
    }
  });

  it('matches a direct primal gradient-descent solution (W rebuilt from the Gram-space fit)', () => {
    // Overlapping features with non-unit values, so W = Σ αᵢxᵢ mixes documents.
    const xs = [
      sparse({ 0: 1, 3: 0.5 }),
      sparse({ 0: 0.8, 4: 1 }),
      sparse({ 1: 1, 3: 0.7 }),
      sparse({ 1: 0.6, 5: 1.2 }),
      sparse({ 2: 1, 4: 0.3 }),
      sparse({ 2: 0.9, 5: 0.4 }),
      sparse({ 0: 0.3, 1: 0.4, 2: 0.2 }),
      sparse({ 3: 1 }),
    ];
    const ys = [0, 0, 1, 1, 2, 2, 0, 1];
    const K = 3;
    const D = 7; // feature 6 is never used: its weights must be exactly 0
    const l2 = 0.05;
    const m = trainSoftmax(xs, ys, { classes: K, dims: D, l2, maxIterations: 500 });
    const ref = primalReference(xs, ys, K, D, l2, 20_000, 0.5);
    for (let i = 0; i < K * D; i++) expect(m.weights[i]).toBeCloseTo(ref.W[i]!, 4);
    for (let c = 0; c < K; c++) expect(m.bias[c]).toBeCloseTo(ref.b[c]!, 4);
    for (let c = 0; c < K; c++) expect(m.weights[c * D + 6]).toBe(0);
    // And the reference really is the optimum: its gradient vanishes, and so does the trainer's.
    const dense = xs.map((x) => {
      const d = new Float64Array(D);
      x.indices.forEach((j, k) => (d[j] = x.values[k]!));
      return d;
    });
    const gRef = primalGradient(dense, ys, K, D, l2, ref.W, ref.b);
    const gFit = primalGradient(dense, ys, K, D, l2, Float64Array.from(m.weights), Float64Array.from(m.bias));
    expect(Math.max(...gRef.W.map(Math.abs), ...gRef.b.map(Math.abs))).toBeLessThan(1e-8);
    expect(Math.max(...gFit.W.map(Math.abs), ...gFit.b.map(Math.abs))).toBeLessThan(1e-5);
    // The solution is not trivial.
    expect(norm(m.weights)).toBeGreaterThan(1);
  });

  it('shrinks the weights as the L2 penalty grows', () => {
    const { xs, ys } = separable(10, 7);
    const norms = [1e-3, 1e-2, 1e-1, 1].map((l2) => norm(trainSoftmax(xs, ys, { classes: 3, dims: 25, l2, maxIterations: 300 }).weights));
    for (let i = 1; i < norms.length; i++) expect(norms[i]).toBeLessThan(norms[i - 1]!);
  });

  it('is deterministic', () => {
    const { xs, ys } = separable(5, 3);
    const a = trainSoftmax(xs, ys, { classes: 3, dims: 25, l2: 1e-2, maxIterations: 100 });
    const b = trainSoftmax(xs, ys, { classes: 3, dims: 25, l2: 1e-2, maxIterations: 100 });
    expect(Array.from(a.weights)).toEqual(Array.from(b.weights));
    expect(Array.from(a.bias)).toEqual(Array.from(b.bias));
  });
});
