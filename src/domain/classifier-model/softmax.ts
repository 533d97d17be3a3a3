/**
 * Multinomial logistic regression (softmax) over sparse vectors, with L2 regularisation, trained by
 * L-BFGS. Small, deterministic (no randomness at all) and enough for a few thousand documents ×
 * tens of thousands of features.
 */

export interface SparseVector {
  readonly indices: Int32Array;
  readonly values: Float64Array;
}

export interface SoftmaxWeights {
  readonly classes: number;
  readonly dims: number;
  /** classes × dims, row-major by class. */
  readonly weights: Float64Array;
  readonly bias: Float64Array;
}

export interface TrainOptions {
  readonly classes: number;
  readonly dims: number;
  /** L2 penalty: the loss is the mean negative log-likelihood + l2/2 · ‖W‖². */
  readonly l2: number;
  /** L-BFGS iterations at most. */
  readonly maxIterations: number;
}

/** Raw class scores (logits) of one vector. */
export const logitsOf = (m: SoftmaxWeights, x: SparseVector): Float64Array => {
  const out = new Float64Array(m.classes);
  for (let c = 0; c < m.classes; c++) {
    let s = m.bias[c] ?? 0;
    const row = c * m.dims;
    for (let k = 0; k < x.indices.length; k++) s += (m.weights[row + (x.indices[k] ?? 0)] ?? 0) * (x.values[k] ?? 0);
    out[c] = s;
  }
  return out;
};

/** Softmax of logits divided by a temperature (1 = none), numerically stable. */
export const softmax = (logits: ArrayLike<number>, temperature = 1): Float64Array => {
  const n = logits.length;
  const out = new Float64Array(n);
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) max = Math.max(max, (logits[i] ?? 0) / temperature);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp((logits[i] ?? 0) / temperature - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < n; i++) out[i] = (out[i] ?? 0) / sum;
  return out;
};

/**
 * Minimises f with L-BFGS (history m) and a backtracking Armijo line search. `fg` returns the value
 * and writes the gradient into its second argument. Stops after `maxIter` iterations or when the
 * gradient's largest component falls below `tol`.
 */
export const lbfgs = (
  fg: (x: Float64Array, grad: Float64Array) => number,
  x0: Float64Array,
  o: { maxIter: number; tol: number; m?: number },
): Float64Array => {
  const n = x0.length;
  const m = o.m ?? 10;
  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  let f = fg(x, g);
  const ss: Float64Array[] = [];
  const ys: Float64Array[] = [];
  const rhos: number[] = [];
  const dotv = (a: Float64Array, b: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < n; i++) s += (a[i] ?? 0) * (b[i] ?? 0);
    return s;
  };
  const xNew = new Float64Array(n);
  const gNew = new Float64Array(n);
  for (let iter = 0; iter < o.maxIter; iter++) {
    let gmax = 0;
    for (let i = 0; i < n; i++) gmax = Math.max(gmax, Math.abs(g[i] ?? 0));
    if (gmax < o.tol) break;
    // Two-loop recursion: d = −H·g.
    const q = Float64Array.from(g);
    const alphas: number[] = [];
    for (let k = ss.length - 1; k >= 0; k--) {
      const a = (rhos[k] ?? 0) * dotv(ss[k] as Float64Array, q);
      alphas[k] = a;
      const y = ys[k] as Float64Array;
      for (let i = 0; i < n; i++) q[i] = (q[i] ?? 0) - a * (y[i] ?? 0);
    }
    const last = ss.length - 1;
    const gamma =
      last >= 0
        ? dotv(ss[last] as Float64Array, ys[last] as Float64Array) / dotv(ys[last] as Float64Array, ys[last] as Float64Array)
        : 1 / Math.max(1, gmax);
    for (let i = 0; i < n; i++) q[i] = (q[i] ?? 0) * gamma;
    for (let k = 0; k < ss.length; k++) {
      const y = ys[k] as Float64Array;
      const b = (rhos[k] ?? 0) * dotv(y, q);
      const s = ss[k] as Float64Array;
      const a = alphas[k] ?? 0;
      for (let i = 0; i < n; i++) q[i] = (q[i] ?? 0) + (a - b) * (s[i] ?? 0);
    }
    for (let i = 0; i < n; i++) q[i] = -(q[i] ?? 0);
    let slope = dotv(g, q);
    if (slope >= 0) {
      // Not a descent direction (curvature went bad): fall back to steepest descent.
      ss.length = 0;
      ys.length = 0;
      rhos.length = 0;
      for (let i = 0; i < n; i++) q[i] = -(g[i] ?? 0) / Math.max(1, gmax);
      slope = dotv(g, q);
    }
    let step = 1;
    let fNew = f;
    for (let t = 0; t < 30; t++) {
      for (let i = 0; i < n; i++) xNew[i] = (x[i] ?? 0) + step * (q[i] ?? 0);
      fNew = fg(xNew, gNew);
      if (fNew <= f + 1e-4 * step * slope) break;
      step /= 2;
    }
    if (!(fNew < f)) break;
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = (xNew[i] ?? 0) - (x[i] ?? 0);
      y[i] = (gNew[i] ?? 0) - (g[i] ?? 0);
    }
    const sy = dotv(s, y);
    if (sy > 1e-12) {
      ss.push(s);
      ys.push(y);
      rhos.push(1 / sy);
      if (ss.length > m) {
        ss.shift();
        ys.shift();
        rhos.shift();
      }
    }
    x.set(xNew);
    g.set(gNew);
    if (f - fNew < 1e-10 * Math.max(1, Math.abs(f))) {
      f = fNew;
      break;
    }
    f = fNew;
  }
  return x;
};

/**
 * Fits the weights; `ys[i]` is the class index of `xs[i]`; indices of every vector must be sorted.
 * The loss is the mean negative log-likelihood + l2/2 · ‖W‖².
 *
 * With far fewer documents than features, the optimum of an L2-regularised linear model lies in the
 * span of the training vectors (the representer theorem): W = Σᵢ αᵢ xᵢ. So training runs L-BFGS
 * over the N×N Gram matrix instead of the N×D features (a few hundred documents train in about a
 * second whatever the vocabulary size) and W is rebuilt at the end.
 */
export const trainSoftmax = (xs: readonly SparseVector[], ys: readonly number[], o: TrainOptions): SoftmaxWeights => {
  const { classes: K, dims: D } = o;
  const N = xs.length;
  // Gram matrix: scatter document i into a dense row once, then read it from every other document.
  const gram = new Float64Array(N * N);
  const dense = new Float64Array(D);
  for (let i = 0; i < N; i++) {
    const xi = xs[i];
    if (!xi) continue;
    for (let k = 0; k < xi.indices.length; k++) dense[xi.indices[k] ?? 0] = xi.values[k] ?? 0;
    for (let j = i; j < N; j++) {
      const xj = xs[j];
      if (!xj) continue;
      let v = 0;
      for (let k = 0; k < xj.indices.length; k++) v += (dense[xj.indices[k] ?? 0] ?? 0) * (xj.values[k] ?? 0);
      gram[i * N + j] = v;
      gram[j * N + i] = v;
    }
    for (let k = 0; k < xi.indices.length; k++) dense[xi.indices[k] ?? 0] = 0;
  }
  // Parameters: α (N×K) then the bias (K).
  const z = new Float64Array(N * K);
  const r = new Float64Array(N * K);
  /** out = G·m for an N×K matrix m (row-major). The hot loop of training. */
  const gramTimes = (m: Float64Array, out: Float64Array): void => {
    out.fill(0);
    for (let i = 0; i < N; i++) {
      const oi = i * K;
      const gi = i * N;
      for (let j = 0; j < N; j++) {
        /* eslint-disable @typescript-eslint/no-non-null-assertion -- indices are in bounds by construction; this loop is the training cost */
        const gij = gram[gi + j]!;
        if (gij === 0) continue;
        const mj = j * K;
        for (let c = 0; c < K; c++) out[oi + c]! += gij * m[mj + c]!;
        /* eslint-enable @typescript-eslint/no-non-null-assertion */
      }
    }
  };
  const gr = new Float64Array(N * K);
  const fg = (theta: Float64Array, grad: Float64Array): number => {
    const alpha = theta.subarray(0, N * K);
    gramTimes(alpha, z); // z = G·α (the bias is added below)
    let loss = 0;
    let reg = 0;
    grad.fill(0);
    const logits = new Float64Array(K);
    for (let i = 0; i < N; i++) {
      for (let c = 0; c < K; c++) {
        const zc = z[i * K + c] ?? 0;
        reg += (alpha[i * K + c] ?? 0) * zc; // ‖W‖² = αᵀGα
        logits[c] = zc + (theta[N * K + c] ?? 0);
      }
      const p = softmax(logits);
      const y = ys[i] ?? 0;
      loss -= Math.log(Math.max(p[y] ?? 0, 1e-300)) / N;
      for (let c = 0; c < K; c++) {
        const res = ((p[c] ?? 0) - (c === y ? 1 : 0)) / N;
        // r = (P − Y)/N + λα: the gradient with respect to W, expressed in the span.
        r[i * K + c] = res + o.l2 * (alpha[i * K + c] ?? 0);
        grad[N * K + c] = (grad[N * K + c] ?? 0) + res;
      }
    }
    // The gradient with respect to α is G·r.
    gramTimes(r, gr);
    grad.set(gr, 0);
    return loss + (o.l2 / 2) * reg;
  };
  const theta = lbfgs(fg, new Float64Array(N * K + K), { maxIter: o.maxIterations, tol: 1e-6 });
  const alpha = theta.subarray(0, N * K);
  const bias = Float64Array.from(theta.subarray(N * K));
  // W = Σᵢ αᵢ xᵢ.
  const weights = new Float64Array(K * D);
  for (let i = 0; i < N; i++) {
    const x = xs[i];
    if (!x) continue;
    for (let c = 0; c < K; c++) {
      const a = alpha[i * K + c] ?? 0;
      if (a === 0) continue;
      const row = c * D;
      for (let k = 0; k < x.indices.length; k++) {
        const j = row + (x.indices[k] ?? 0);
        weights[j] = (weights[j] ?? 0) + a * (x.values[k] ?? 0);
      }
    }
  }
  return { classes: K, dims: D, weights, bias };
};
