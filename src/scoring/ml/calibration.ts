import { z } from 'zod';
import { assertNever } from '../../core/index.ts';
import { logLoss } from './metrics.ts';

/** Maps a model's log-odds to a probability that matches observed rates. */
export type Calibrator =
  | { method: 'none' }
  /** p = σ(a·margin + b). */
  | { method: 'platt'; a: number; b: number }
  /** Piecewise-linear through (x[i], y[i]) on the margin, flat outside. */
  | { method: 'isotonic'; x: number[]; y: number[] };

export type CalibrationMethod = Calibrator['method'];

/** Validates a stored calibrator. */
export const calibratorSchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('none') }),
  z.object({ method: z.literal('platt'), a: z.number(), b: z.number() }),
  z.object({
    method: z.literal('isotonic'),
    x: z.array(z.number()).min(1),
    y: z.array(z.number().min(0).max(1)).min(1),
  }),
]);

/** Probabilities never reach 0 or 1: a single surprise must not cost an infinite log-loss. */
const FLOOR = 1e-6;

function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

function clampProbability(p: number): number {
  if (!(p > FLOOR)) return FLOOR;
  return Math.min(p, 1 - FLOOR);
}

/** Calibrated probability of a margin; always strictly inside (0, 1), never NaN. */
export function applyCalibrator(calibrator: Calibrator, margin: number): number {
  switch (calibrator.method) {
    case 'none':
      return clampProbability(sigmoid(margin));
    case 'platt':
      return clampProbability(sigmoid(calibrator.a * margin + calibrator.b));
    case 'isotonic': {
      const { x, y } = calibrator;
      const last = x.length - 1;
      if (!(margin > x[0]!)) return clampProbability(y[0]!);
      if (margin >= x[last]!) return clampProbability(y[last]!);
      let lo = 0;
      let hi = last;
      while (hi - lo > 1) {
        const mid = (lo + hi) >>> 1;
        if (x[mid]! <= margin) lo = mid;
        else hi = mid;
      }
      const x0 = x[lo]!;
      const x1 = x[hi]!;
      const t = x1 > x0 ? (margin - x0) / (x1 - x0) : 0;
      return clampProbability(y[lo]! + t * (y[hi]! - y[lo]!));
    }
    default: {
      return assertNever(calibrator, 'calibrator');
    }
  }
}

/**
 * Platt scaling by Newton's method on (a, b), with Platt's smoothed targets
 * ((N₊+1)/(N₊+2) and 1/(N₋+2)) so that a small or separable calibration set cannot drive the
 * slope to infinity.
 */
export function fitPlatt(margins: ArrayLike<number>, labels: ArrayLike<number>): Calibrator {
  const n = margins.length;
  let positives = 0;
  for (let i = 0; i < n; i++) if (labels[i] === 1) positives++;
  const hiTarget = (positives + 1) / (positives + 2);
  const loTarget = 1 / (n - positives + 2);
  let a = 1;
  let b = 0;
  const loss = (a: number, b: number) => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const z = a * (margins[i] as number) + b;
      const t = labels[i] === 1 ? hiTarget : loTarget;
      const softplus = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
      sum += softplus - t * z;
    }
    return sum;
  };
  let current = loss(a, b);
  for (let iteration = 0; iteration < 100; iteration++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-12;
    let hab = 0;
    let hbb = 1e-12;
    for (let i = 0; i < n; i++) {
      const m = margins[i] as number;
      const p = sigmoid(a * m + b);
      const t = labels[i] === 1 ? hiTarget : loTarget;
      const w = p * (1 - p);
      ga += (p - t) * m;
      gb += p - t;
      haa += w * m * m;
      hab += w * m;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (!(Math.abs(det) > 1e-300)) break;
    const da = -(hbb * ga - hab * gb) / det;
    const db = -(haa * gb - hab * ga) / det;
    let step = 1;
    let next = loss(a + da, b + db);
    while (!(next <= current) && step > 1e-10) {
      step /= 2;
      next = loss(a + step * da, b + step * db);
    }
    if (!(next <= current)) break;
    a += step * da;
    b += step * db;
    const improvement = current - next;
    current = next;
    if (improvement < 1e-10 * Math.max(1, current)) break;
  }
  return Number.isFinite(a) && Number.isFinite(b) ? { method: 'platt', a, b } : { method: 'none' };
}

/**
 * Isotonic regression by pool-adjacent-violators on the margin. Each pooled block keeps its
 * first and last margin so that predictions interpolate between blocks (as scikit-learn does),
 * which keeps the ranking finer than a step function would.
 */
export function fitIsotonic(margins: ArrayLike<number>, labels: ArrayLike<number>): Calibrator {
  const n = margins.length;
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => (margins[a] as number) - (margins[b] as number) || a - b,
  );
  // Equal margins form one starting block: the calibrator cannot separate them.
  const sum: number[] = [];
  const weight: number[] = [];
  const lo: number[] = [];
  const hi: number[] = [];
  for (let k = 0; k < n; ) {
    const x = margins[order[k]!] as number;
    let s = 0;
    let w = 0;
    while (k < n && (margins[order[k]!] as number) === x) {
      s += labels[order[k]!] === 1 ? 1 : 0;
      w += 1;
      k++;
    }
    sum.push(s);
    weight.push(w);
    lo.push(x);
    hi.push(x);
    while (sum.length > 1) {
      const last = sum.length - 1;
      if (sum[last - 1]! / weight[last - 1]! < sum[last]! / weight[last]!) break;
      sum[last - 1]! += sum[last]!;
      weight[last - 1]! += weight[last]!;
      hi[last - 1] = hi[last]!;
      sum.pop();
      weight.pop();
      lo.pop();
      hi.pop();
    }
  }
  const floor = 1 / (2 * Math.max(1, n));
  const x: number[] = [];
  const y: number[] = [];
  for (let b = 0; b < sum.length; b++) {
    const v = Math.min(1 - floor, Math.max(floor, sum[b]! / weight[b]!));
    x.push(lo[b]!);
    y.push(v);
    if (hi[b]! > lo[b]!) {
      x.push(hi[b]!);
      y.push(v);
    }
  }
  return { method: 'isotonic', x, y };
}

/** Fits the calibrator of the given method on (margin, outcome) pairs. */
export function fitCalibrator(
  method: CalibrationMethod,
  margins: ArrayLike<number>,
  labels: ArrayLike<number>,
): Calibrator {
  switch (method) {
    case 'none':
      return { method: 'none' };
    case 'platt':
      return fitPlatt(margins, labels);
    case 'isotonic':
      return fitIsotonic(margins, labels);
    default: {
      return assertNever(method, 'calibration method');
    }
  }
}

/**
 * Log-loss of margins once recalibrated on the very outcomes they are judged on. Comparing two
 * models this way puts them on an equal footing (each gets the same few fitted parameters), so
 * the comparison is about how well they rank and separate, not about whose calibrator is older.
 */
export function recalibratedLogLoss(
  method: CalibrationMethod,
  margins: ArrayLike<number>,
  labels: ArrayLike<number>,
): number {
  const calibrator = fitCalibrator(method, margins, labels);
  return logLoss(
    Array.from(margins, (m) => applyCalibrator(calibrator, m)),
    labels,
  );
}

/** The calibrator chosen and the evidence for the choice. */
export interface CalibrationChoice {
  calibrator: Calibrator;
  /** Out-of-fold log-loss of each method on the calibration rows. */
  crossValidatedLogLoss: Record<CalibrationMethod, number>;
}

/**
 * Chooses between no calibration, Platt and isotonic by 5-fold cross-fitted log-loss on the
 * calibration rows (judging a calibrator on the rows it was fitted to would always favour
 * isotonic), then refits the winner on all of them. Folds interleave rows (i mod 5), so a
 * time-ordered calibration window is spread evenly over the folds.
 */
export function chooseCalibrator(
  margins: ArrayLike<number>,
  labels: ArrayLike<number>,
  methods: readonly CalibrationMethod[] = ['none', 'platt', 'isotonic'],
): CalibrationChoice {
  const n = margins.length;
  const folds = 5;
  const result = {
    none: Number.POSITIVE_INFINITY,
    platt: Number.POSITIVE_INFINITY,
    isotonic: Number.POSITIVE_INFINITY,
  };
  for (const method of methods) {
    const predictions = new Float64Array(n);
    for (let fold = 0; fold < folds; fold++) {
      const trainIdx: number[] = [];
      const testIdx: number[] = [];
      for (let i = 0; i < n; i++) (i % folds === fold ? testIdx : trainIdx).push(i);
      const calibrator = fitCalibrator(
        method,
        trainIdx.map((i) => margins[i] as number),
        trainIdx.map((i) => labels[i] as number),
      );
      for (const i of testIdx) predictions[i] = applyCalibrator(calibrator, margins[i] as number);
    }
    result[method] = logLoss(predictions, labels);
  }
  let best: CalibrationMethod = methods[0] ?? 'none';
  for (const method of methods) if (result[method] < result[best]) best = method;
  return { calibrator: fitCalibrator(best, margins, labels), crossValidatedLogLoss: result };
}
