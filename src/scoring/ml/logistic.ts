import { baseLogOdds, classWeights } from './class-weight.ts';
import type { EncodedRows } from './feature-pipeline.ts';

/** A fitted L2-regularised logistic regression over the pipeline's design columns. */
export interface LogisticModel {
  intercept: number;
  coefficients: number[];
  /** Training mean of each design column: the baseline explanations are measured from. */
  means: number[];
  l2: number;
  iterations: number;
}

export interface LogisticOptions {
  /** Penalty on the mean log-loss: (l2 / 2)·‖β‖², intercept unpenalised. */
  l2?: number;
  maxIterations?: number;
  /** Stop when the gradient's max-norm falls below this. */
  tolerance?: number;
  weights?: Float64Array;
  /** Warm start (same design width), used when sweeping the penalty. */
  initial?: LogisticModel;
}

function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/**
 * Minimises the penalised mean log-loss with L-BFGS (10 pairs, backtracking Armijo line search).
 * Deterministic: no sampling, a fixed starting point (the base-rate intercept), a fixed order.
 * Newton/IRLS would need the d×d Hessian each step; with one-hot columns L-BFGS reaches the same
 * optimum with a fraction of the work.
 */
export function trainLogistic(
  data: EncodedRows,
  designWidth: number,
  labels: ArrayLike<number>,
  options: LogisticOptions = {},
): LogisticModel {
  const n = data.rows;
  const k = data.slots;
  const d = designWidth + 1;
  const l2 = options.l2 ?? 1e-3;
  const maxIterations = options.maxIterations ?? 300;
  const tolerance = options.tolerance ?? 1e-5;
  const weights = options.weights;
  const { designIndex, designValue } = data;
  const { total: totalWeight, positive: positiveWeight } = classWeights(labels, weights, n);
  const means = new Float64Array(designWidth);
  for (let i = 0; i < n; i++) {
    const w = weights ? weights[i]! : 1;
    for (let s = i * k; s < i * k + k; s++) means[designIndex[s]!]! += w * designValue[s]!;
  }
  for (let j = 0; j < designWidth; j++) means[j]! /= totalWeight;

  const theta = new Float64Array(d);
  if (options.initial && options.initial.coefficients.length === designWidth) {
    theta[0] = options.initial.intercept;
    theta.set(options.initial.coefficients, 1);
  } else {
    theta[0] = baseLogOdds(positiveWeight, totalWeight);
  }

  const evaluate = (x: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const base = i * k;
      let z = x[0]!;
      for (let s = base; s < base + k; s++) z += x[designIndex[s]! + 1]! * designValue[s]!;
      const w = weights ? weights[i]! : 1;
      const y = labels[i] === 1 ? 1 : 0;
      loss += w * (softplus(z) - y * z);
      const r = w * (sigmoid(z) - y);
      grad[0]! += r;
      for (let s = base; s < base + k; s++) grad[designIndex[s]! + 1]! += r * designValue[s]!;
    }
    let penalty = 0;
    for (let j = 1; j < d; j++) {
      grad[j] = grad[j]! / totalWeight + l2 * x[j]!;
      penalty += x[j]! * x[j]!;
    }
    grad[0] = grad[0]! / totalWeight;
    return loss / totalWeight + 0.5 * l2 * penalty;
  };

  const memory = 10;
  const sHistory: Float64Array[] = [];
  const yHistory: Float64Array[] = [];
  const rhoHistory: number[] = [];
  const grad = new Float64Array(d);
  const nextGrad = new Float64Array(d);
  const direction = new Float64Array(d);
  const next = new Float64Array(d);
  const alpha = new Float64Array(memory);
  let loss = evaluate(theta, grad);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    let gmax = 0;
    for (let j = 0; j < d; j++) gmax = Math.max(gmax, Math.abs(grad[j]!));
    if (gmax < tolerance) break;
    // Two-loop recursion: direction = -H·grad.
    for (let j = 0; j < d; j++) direction[j] = -grad[j]!;
    for (let m = sHistory.length - 1; m >= 0; m--) {
      let dot = 0;
      const s = sHistory[m]!;
      for (let j = 0; j < d; j++) dot += s[j]! * direction[j]!;
      alpha[m] = rhoHistory[m]! * dot;
      const y = yHistory[m]!;
      for (let j = 0; j < d; j++) direction[j]! -= alpha[m]! * y[j]!;
    }
    if (sHistory.length > 0) {
      const s = sHistory[sHistory.length - 1]!;
      const y = yHistory[yHistory.length - 1]!;
      let sy = 0;
      let yy = 0;
      for (let j = 0; j < d; j++) {
        sy += s[j]! * y[j]!;
        yy += y[j]! * y[j]!;
      }
      const gamma = sy / yy;
      for (let j = 0; j < d; j++) direction[j]! *= gamma;
    } else {
      let norm = 0;
      for (let j = 0; j < d; j++) norm += grad[j]! * grad[j]!;
      const scale = 1 / Math.max(1, Math.sqrt(norm));
      for (let j = 0; j < d; j++) direction[j]! *= scale;
    }
    for (let m = 0; m < sHistory.length; m++) {
      let dot = 0;
      const y = yHistory[m]!;
      for (let j = 0; j < d; j++) dot += y[j]! * direction[j]!;
      const beta = rhoHistory[m]! * dot;
      const s = sHistory[m]!;
      for (let j = 0; j < d; j++) direction[j]! += (alpha[m]! - beta) * s[j]!;
    }
    let slope = 0;
    for (let j = 0; j < d; j++) slope += grad[j]! * direction[j]!;
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      sHistory.length = 0;
      yHistory.length = 0;
      rhoHistory.length = 0;
      for (let j = 0; j < d; j++) direction[j] = -grad[j]!;
      slope = 0;
      for (let j = 0; j < d; j++) slope -= grad[j]! * grad[j]!;
    }
    let step = 1;
    let nextLoss = Number.POSITIVE_INFINITY;
    for (let tries = 0; tries < 40; tries++) {
      for (let j = 0; j < d; j++) next[j] = theta[j]! + step * direction[j]!;
      nextLoss = evaluate(next, nextGrad);
      if (nextLoss <= loss + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(nextLoss < loss)) break;
    const s = new Float64Array(d);
    const y = new Float64Array(d);
    let sy = 0;
    for (let j = 0; j < d; j++) {
      s[j] = next[j]! - theta[j]!;
      y[j] = nextGrad[j]! - grad[j]!;
      sy += s[j]! * y[j]!;
    }
    if (sy > 1e-12) {
      if (sHistory.length === memory) {
        sHistory.shift();
        yHistory.shift();
        rhoHistory.shift();
      }
      sHistory.push(s);
      yHistory.push(y);
      rhoHistory.push(1 / sy);
    }
    const improvement = loss - nextLoss;
    theta.set(next);
    grad.set(nextGrad);
    loss = nextLoss;
    if (improvement < 1e-12 * Math.max(1, Math.abs(loss))) break;
  }
  return {
    intercept: theta[0]!,
    coefficients: Array.from(theta.subarray(1)),
    means: Array.from(means),
    l2,
    iterations,
  };
}

/** Log-odds for each row of `data`. */
export function logisticMargins(model: LogisticModel, data: EncodedRows): Float64Array {
  const out = new Float64Array(data.rows);
  const k = data.slots;
  const coefficients = Float64Array.from(model.coefficients);
  for (let i = 0; i < data.rows; i++) {
    let z = model.intercept;
    for (let s = i * k; s < i * k + k; s++) z += coefficients[data.designIndex[s]!]! * data.designValue[s]!;
    out[i] = z;
  }
  return out;
}

export { sigmoid };
