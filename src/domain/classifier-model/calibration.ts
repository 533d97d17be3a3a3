import { softmax } from './softmax.js';

/**
 * Temperature scaling (Guo et al., 2017): one scalar T divides the logits before the softmax. T is
 * fitted on held-out logits (out-of-fold predictions), minimising their negative log-likelihood, so
 * the model's ranking is untouched and only its confidence is made honest: an over-confident linear
 * model on a few hundred documents typically gets T > 1.
 */

/** Mean negative log-likelihood of the true classes at temperature `t`. */
export const meanNll = (logits: readonly ArrayLike<number>[], labels: readonly number[], t: number): number => {
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const row = logits[i];
    if (!row) continue;
    const p = softmax(row, t)[labels[i] ?? 0] ?? 0;
    sum -= Math.log(Math.max(p, 1e-12));
  }
  return logits.length === 0 ? 0 : sum / logits.length;
};

/**
 * The temperature in [0.05, 50] with the lowest NLL, by golden-section search on log T (the NLL
 * is unimodal in T for fixed logits). Returns 1 when there is nothing to fit.
 */
export const fitTemperature = (logits: readonly ArrayLike<number>[], labels: readonly number[]): number => {
  if (logits.length === 0) return 1;
  const f = (logT: number): number => meanNll(logits, labels, Math.exp(logT));
  let lo = Math.log(0.05);
  let hi = Math.log(50);
  const phi = (Math.sqrt(5) - 1) / 2;
  let a = hi - phi * (hi - lo);
  let b = lo + phi * (hi - lo);
  let fa = f(a);
  let fb = f(b);
  for (let i = 0; i < 60 && hi - lo > 1e-4; i++) {
    if (fa < fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - phi * (hi - lo);
      fa = f(a);
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + phi * (hi - lo);
      fb = f(b);
    }
  }
  return Math.exp((lo + hi) / 2);
};
