import { unreachable } from '../../core/index.ts';
import { baseLogOdds, classWeights } from './class-weight.ts';
import type { EncodedRows } from './feature-pipeline.ts';
import type { BoostedTreesModel, TreeNodes } from './forest.ts';
import { compileForest, forestMargin } from './forest.ts';

export interface BoostedTreesOptions {
  learningRate?: number;
  maxIterations?: number;
  maxLeaves?: number;
  /** 0 = limited by maxLeaves only. */
  maxDepth?: number;
  minSamplesLeaf?: number;
  minHessianLeaf?: number;
  /** L2 penalty on leaf values. */
  l2?: number;
  /** Categories are ordered by gradient/(hessian + catSmooth) before scanning subsets. */
  catSmooth?: number;
  earlyStoppingRounds?: number;
  /** Share of rows each tree sees (stochastic boosting); 1 = all rows. */
  subsample?: number;
  /** Share of features each tree may split on; 1 = all features. */
  featureFraction?: number;
  /** Required when `subsample` or `featureFraction` is below 1. */
  random?: () => number;
  weights?: Float64Array;
  validation?: { data: EncodedRows; labels: ArrayLike<number>; weights?: Float64Array };
  onIteration?: (iteration: number, maxIterations: number) => void;
}

interface SplitCandidate {
  gain: number;
  feature: number;
  threshold: number;
  missingLeft: boolean;
  leftBins: number[] | null;
}

interface Leaf {
  node: number;
  start: number;
  end: number;
  depth: number;
  hist: Float64Array;
  g: number;
  h: number;
  split: SplitCandidate | null;
}

function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

function meanLogLoss(margins: Float64Array, labels: ArrayLike<number>, weights?: Float64Array): number {
  let sum = 0;
  let total = 0;
  for (let i = 0; i < margins.length; i++) {
    const z = margins[i]!;
    const w = weights ? weights[i]! : 1;
    const softplus = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
    sum += w * (softplus - (labels[i] === 1 ? z : 0));
    total += w;
  }
  return sum / total;
}

/**
 * Histogram gradient boosting for binary log-loss. Features arrive pre-binned (≤ 255 bins), so
 * finding a split scans bins, not rows; a child's histogram is built only for the smaller child
 * and the larger one is the parent's minus it. Trees grow leaf-wise (best gain first) up to
 * `maxLeaves`; categorical features split on subsets found by ordering categories by
 * gradient/hessian (Fisher's ordering, as LightGBM does); missing values have their own bin,
 * which goes to whichever side reduces the loss more.
 */
export function trainBoostedTrees(
  data: EncodedRows,
  labels: ArrayLike<number>,
  binCounts: ArrayLike<number>,
  categorical: ArrayLike<number>,
  options: BoostedTreesOptions = {},
): BoostedTreesModel {
  const learningRate = options.learningRate ?? 0.05;
  const maxIterations = options.maxIterations ?? 500;
  const maxLeaves = Math.max(2, options.maxLeaves ?? 31);
  const maxDepth = options.maxDepth ?? 0;
  const minLeaf = Math.max(1, options.minSamplesLeaf ?? 20);
  const minHess = options.minHessianLeaf ?? 1e-3;
  const lambda = options.l2 ?? 1;
  const catSmooth = options.catSmooth ?? 10;
  const patience = options.earlyStoppingRounds ?? 30;
  const weights = options.weights;
  const subsample = Math.min(1, Math.max(0.05, options.subsample ?? 1));
  const featureFraction = Math.min(1, Math.max(0.05, options.featureFraction ?? 1));
  const random = options.random;
  if ((subsample < 1 || featureFraction < 1) && !random)
    unreachable('subsampling needs an injected random source');
  const n = data.rows;
  const F = data.features;
  const bins = data.bins;

  const binOffset = new Int32Array(F + 1);
  for (let f = 0; f < F; f++) binOffset[f + 1] = binOffset[f]! + (binCounts[f] as number);
  const totalBins = binOffset[F]!;

  const classes = classWeights(labels, weights, n);
  const baseScore = baseLogOdds(classes.positive, classes.total);

  const margin = new Float64Array(n).fill(baseScore);
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  const order = new Uint32Array(n);
  const scratch = new Uint32Array(n);
  const pool: Float64Array[] = [];
  const takeHist = () => pool.pop() ?? new Float64Array(totalBins * 3);

  const validation = options.validation;
  const validMargin = validation ? new Float64Array(validation.data.rows).fill(baseScore) : null;
  const validationLoss: number[] = [];
  let bestLoss = Number.POSITIVE_INFINITY;
  let bestIteration = 0;

  const trees: TreeNodes[] = [];
  const featureAllowed = new Uint8Array(F).fill(1);

  const buildHist = (hist: Float64Array, start: number, end: number) => {
    hist.fill(0);
    for (let i = start; i < end; i++) {
      const r = order[i]!;
      const g = grad[r]!;
      const h = hess[r]!;
      const base = r * F;
      for (let f = 0; f < F; f++) {
        const k = (binOffset[f]! + bins[base + f]!) * 3;
        hist[k]! += g;
        hist[k + 1]! += h;
        hist[k + 2]! += 1;
      }
    }
  };

  const leafGain = (g: number, h: number) => (g * g) / (h + lambda);

  const findSplit = (leaf: Leaf, count: number): SplitCandidate | null => {
    if (count < 2 * minLeaf) return null;
    if (maxDepth > 0 && leaf.depth >= maxDepth) return null;
    const { hist, g: G, h: H } = leaf;
    const parent = leafGain(G, H);
    let best: SplitCandidate | null = null;
    let bestGain = 1e-12;
    for (let f = 0; f < F; f++) {
      if (featureAllowed[f] === 0) continue;
      const o = binOffset[f]!;
      const B = binCounts[f] as number;
      if (categorical[f] === 1) {
        const present: number[] = [];
        for (let b = 0; b < B; b++) if (hist[(o + b) * 3 + 2]! > 0) present.push(b);
        if (present.length < 2) continue;
        present.sort((a, b) => {
          const ka = (o + a) * 3;
          const kb = (o + b) * 3;
          return hist[ka]! / (hist[ka + 1]! + catSmooth) - hist[kb]! / (hist[kb + 1]! + catSmooth) || a - b;
        });
        let gl = 0;
        let hl = 0;
        let cl = 0;
        for (let i = 0; i + 1 < present.length; i++) {
          const k = (o + present[i]!) * 3;
          gl += hist[k]!;
          hl += hist[k + 1]!;
          cl += hist[k + 2]!;
          const cr = count - cl;
          const hr = H - hl;
          if (cl < minLeaf || cr < minLeaf || hl < minHess || hr < minHess) continue;
          const gain = leafGain(gl, hl) + leafGain(G - gl, hr) - parent;
          if (gain > bestGain) {
            bestGain = gain;
            best = { gain, feature: f, threshold: 0, missingLeft: false, leftBins: present.slice(0, i + 1) };
          }
        }
      } else {
        const gm = hist[o * 3]!;
        const hm = hist[o * 3 + 1]!;
        const cm = hist[o * 3 + 2]!;
        for (let variant = 0; variant < (cm > 0 ? 2 : 1); variant++) {
          const missingLeft = variant === 1;
          let gl = missingLeft ? gm : 0;
          let hl = missingLeft ? hm : 0;
          let cl = missingLeft ? cm : 0;
          for (let t = 1; t < B; t++) {
            const k = (o + t) * 3;
            gl += hist[k]!;
            hl += hist[k + 1]!;
            cl += hist[k + 2]!;
            const cr = count - cl;
            if (cr < minLeaf) break;
            const hr = H - hl;
            if (cl < minLeaf || hl < minHess || hr < minHess) continue;
            const gain = leafGain(gl, hl) + leafGain(G - gl, hr) - parent;
            if (gain > bestGain) {
              bestGain = gain;
              // With no missing rows here, unseen missing values follow the larger side.
              best = {
                gain,
                feature: f,
                threshold: t,
                missingLeft: cm > 0 ? missingLeft : hl > hr,
                leftBins: null,
              };
            }
          }
        }
      }
    }
    return best;
  };

  for (let iteration = 0; iteration < maxIterations; iteration++) {
    for (let i = 0; i < n; i++) {
      const p = sigmoid(margin[i]!);
      const w = weights ? weights[i]! : 1;
      grad[i] = w * (p - (labels[i] === 1 ? 1 : 0));
      hess[i] = Math.max(1e-16, w * p * (1 - p));
    }
    // The tree is grown on a sample of rows; all rows still get its leaf values below.
    let sampled = 0;
    for (let i = 0; i < n; i++) if (subsample >= 1 || random!() < subsample) order[sampled++] = i;
    if (featureFraction < 1) {
      featureAllowed.fill(0);
      const wanted = Math.max(1, Math.round(F * featureFraction));
      for (let chosen = 0; chosen < wanted; ) {
        const f = Math.floor(random!() * F);
        if (featureAllowed[f] === 0) {
          featureAllowed[f] = 1;
          chosen++;
        }
      }
    }
    const tree: TreeNodes = {
      feature: [],
      left: [],
      right: [],
      value: [],
      threshold: [],
      missingLeft: [],
      leftBins: [],
    };
    const addNode = (g: number, h: number) => {
      tree.feature.push(-1);
      tree.left.push(-1);
      tree.right.push(-1);
      tree.value.push((-g / (h + lambda)) * learningRate);
      tree.threshold.push(0);
      tree.missingLeft.push(false);
      tree.leftBins.push(null);
      return tree.feature.length - 1;
    };
    let G = 0;
    let H = 0;
    for (let i = 0; i < sampled; i++) {
      G += grad[order[i]!]!;
      H += hess[order[i]!]!;
    }
    const rootHist = takeHist();
    buildHist(rootHist, 0, sampled);
    const root: Leaf = {
      node: addNode(G, H),
      start: 0,
      end: sampled,
      depth: 0,
      hist: rootHist,
      g: G,
      h: H,
      split: null,
    };
    root.split = findSplit(root, sampled);
    const leaves: Leaf[] = [root];
    while (leaves.length < maxLeaves) {
      let pick = -1;
      let pickGain = 0;
      for (let i = 0; i < leaves.length; i++) {
        const s = leaves[i]!.split;
        if (s && s.gain > pickGain) {
          pickGain = s.gain;
          pick = i;
        }
      }
      if (pick < 0) break;
      const leaf = leaves[pick]!;
      const split = leaf.split!;
      const f = split.feature;
      const mask = new Uint8Array(binCounts[f] as number);
      if (split.leftBins) {
        for (const b of split.leftBins) mask[b] = 1;
        // Categories absent here (unseen ones included) follow the side with more weight.
        let hl = 0;
        for (const b of split.leftBins) hl += leaf.hist[(binOffset[f]! + b) * 3 + 1]!;
        if (hl > leaf.h - hl) {
          for (let b = 0; b < mask.length; b++) if (leaf.hist[(binOffset[f]! + b) * 3 + 2] === 0) mask[b] = 1;
        }
      } else {
        mask[0] = split.missingLeft ? 1 : 0;
        for (let b = 1; b <= split.threshold; b++) mask[b] = 1;
      }
      // Stable partition of the leaf's rows.
      let l = leaf.start;
      let r = 0;
      for (let i = leaf.start; i < leaf.end; i++) {
        const row = order[i]!;
        if (mask[bins[row * F + f]!] === 1) order[l++] = row;
        else scratch[r++] = row;
      }
      order.set(scratch.subarray(0, r), l);
      const mid = l;
      const leftCount = mid - leaf.start;
      const rightCount = leaf.end - mid;
      const smallHist = takeHist();
      const leftSmaller = leftCount <= rightCount;
      if (leftSmaller) buildHist(smallHist, leaf.start, mid);
      else buildHist(smallHist, mid, leaf.end);
      const largeHist = leaf.hist;
      for (let k = 0; k < totalBins * 3; k++) largeHist[k]! -= smallHist[k]!;
      const leftHist = leftSmaller ? smallHist : largeHist;
      const rightHist = leftSmaller ? largeHist : smallHist;
      let gl = 0;
      let hl = 0;
      const o = binOffset[f]!;
      for (let b = 0; b < mask.length; b++) {
        gl += leftHist[(o + b) * 3]!;
        hl += leftHist[(o + b) * 3 + 1]!;
      }
      const node = leaf.node;
      const leftNode = addNode(gl, hl);
      const rightNode = addNode(leaf.g - gl, leaf.h - hl);
      tree.feature[node] = f;
      tree.left[node] = leftNode;
      tree.right[node] = rightNode;
      tree.threshold[node] = split.threshold;
      tree.missingLeft[node] = mask[0] === 1;
      tree.leftBins[node] = split.leftBins ? Array.from(mask.keys()).filter((b) => mask[b] === 1) : null;
      const leftLeaf: Leaf = {
        node: leftNode,
        start: leaf.start,
        end: mid,
        depth: leaf.depth + 1,
        hist: leftHist,
        g: gl,
        h: hl,
        split: null,
      };
      const rightLeaf: Leaf = {
        node: rightNode,
        start: mid,
        end: leaf.end,
        depth: leaf.depth + 1,
        hist: rightHist,
        g: leaf.g - gl,
        h: leaf.h - hl,
        split: null,
      };
      leftLeaf.split = findSplit(leftLeaf, leftCount);
      rightLeaf.split = findSplit(rightLeaf, rightCount);
      leaves.splice(pick, 1, leftLeaf, rightLeaf);
    }
    for (const leaf of leaves) pool.push(leaf.hist);
    trees.push(tree);
    const single = compileForest({
      baseScore: 0,
      learningRate,
      trees: [tree],
      binCounts: Array.from(binCounts),
      categorical: [],
      validationLoss: [],
    });
    if (sampled === n) {
      for (const leaf of leaves) {
        const v = tree.value[leaf.node]!;
        for (let i = leaf.start; i < leaf.end; i++) margin[order[i]!]! += v;
      }
    } else {
      for (let i = 0; i < n; i++) margin[i]! += forestMargin(single, bins, i * F);
    }
    if (validation && validMargin) {
      const vb = validation.data.bins;
      for (let i = 0; i < validMargin.length; i++) validMargin[i]! += forestMargin(single, vb, i * F);
      const loss = meanLogLoss(validMargin, validation.labels, validation.weights);
      validationLoss.push(loss);
      if (loss < bestLoss - 1e-7) {
        bestLoss = loss;
        bestIteration = iteration + 1;
      } else if (iteration + 1 - bestIteration >= patience) {
        break;
      }
    } else {
      bestIteration = iteration + 1;
    }
    options.onIteration?.(iteration + 1, maxIterations);
    if (leaves.length === 1) break;
  }
  return {
    baseScore,
    learningRate,
    trees: trees.slice(0, Math.max(1, bestIteration)),
    binCounts: Array.from(binCounts),
    categorical: Array.from(categorical, (c) => c === 1),
    validationLoss,
  };
}
