import type { EncodedRows } from './feature-pipeline.ts';

/**
 * One tree in plain arrays (JSON-ready). Node 0 is the root; a leaf has feature -1. Internal
 * nodes keep their value too: per-tree path contributions (Saabas) need it.
 */
export interface TreeNodes {
  feature: number[];
  left: number[];
  right: number[];
  /** Learning-rate-scaled Newton value of the node's rows. */
  value: number[];
  /** Ordered split: bins 1..threshold go left. */
  threshold: number[];
  /** Ordered split: whether the missing bin (0) goes left. */
  missingLeft: boolean[];
  /** Categorical split: the bins that go left (null for ordered splits and leaves). */
  leftBins: (number[] | null)[];
}

export interface BoostedTreesModel {
  baseScore: number;
  learningRate: number;
  trees: TreeNodes[];
  binCounts: number[];
  categorical: boolean[];
  /** Validation log-loss per iteration, for the report. */
  validationLoss: number[];
}

/** A forest compiled to flat typed arrays: the scoring hot path. */
export interface CompiledForest {
  baseScore: number;
  roots: Int32Array;
  feature: Int32Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
  maskOffset: Int32Array;
  /** Per internal node, one byte per bin of its feature: 1 = go left. */
  masks: Uint8Array;
}

/** Flattens a model's trees into typed arrays with one go-left mask per split. */
export function compileForest(model: BoostedTreesModel): CompiledForest {
  let nodes = 0;
  let maskBytes = 0;
  for (const tree of model.trees) {
    nodes += tree.feature.length;
    for (const f of tree.feature) if (f >= 0) maskBytes += model.binCounts[f] ?? 0;
  }
  const out: CompiledForest = {
    baseScore: model.baseScore,
    roots: new Int32Array(model.trees.length),
    feature: new Int32Array(nodes),
    left: new Int32Array(nodes),
    right: new Int32Array(nodes),
    value: new Float64Array(nodes),
    maskOffset: new Int32Array(nodes),
    masks: new Uint8Array(maskBytes),
  };
  let at = 0;
  let maskAt = 0;
  model.trees.forEach((tree, t) => {
    out.roots[t] = at;
    for (let i = 0; i < tree.feature.length; i++) {
      const f = tree.feature[i]!;
      out.feature[at + i] = f;
      out.left[at + i] = tree.left[i]! + at;
      out.right[at + i] = tree.right[i]! + at;
      out.value[at + i] = tree.value[i]!;
      if (f < 0) continue;
      out.maskOffset[at + i] = maskAt;
      const leftBins = tree.leftBins[i];
      if (leftBins) for (const b of leftBins) out.masks[maskAt + b] = 1;
      else {
        out.masks[maskAt] = tree.missingLeft[i] ? 1 : 0;
        for (let b = 1; b <= tree.threshold[i]!; b++) out.masks[maskAt + b] = 1;
      }
      maskAt += model.binCounts[f] ?? 0;
    }
    at += tree.feature.length;
  });
  return out;
}

/** Sum of leaf values (without the base score) for the row whose bins start at `offset`. */
export function forestMargin(forest: CompiledForest, bins: Uint8Array, offset: number): number {
  const { roots, feature, left, right, value, maskOffset, masks } = forest;
  let sum = 0;
  for (let t = 0; t < roots.length; t++) {
    let node = roots[t]!;
    let f = feature[node]!;
    while (f >= 0) {
      node = masks[maskOffset[node]! + bins[offset + f]!] === 1 ? left[node]! : right[node]!;
      f = feature[node]!;
    }
    sum += value[node]!;
  }
  return sum;
}

/**
 * Saabas path attribution: walking each tree, the change in node value at a split is credited to
 * the split's feature. The contributions plus the returned bias add up to the margin exactly.
 */
export function forestContributions(
  forest: CompiledForest,
  bins: Uint8Array,
  offset: number,
  out: Float64Array,
): number {
  const { roots, feature, left, right, value, maskOffset, masks } = forest;
  let bias = forest.baseScore;
  for (let t = 0; t < roots.length; t++) {
    let node = roots[t]!;
    bias += value[node]!;
    let f = feature[node]!;
    while (f >= 0) {
      const child = masks[maskOffset[node]! + bins[offset + f]!] === 1 ? left[node]! : right[node]!;
      out[f]! += value[child]! - value[node]!;
      node = child;
      f = feature[node]!;
    }
  }
  return bias;
}

/** Log-odds of every encoded row. */
export function boostedMargins(forest: CompiledForest, data: EncodedRows): Float64Array {
  const out = new Float64Array(data.rows);
  for (let i = 0; i < data.rows; i++)
    out[i] = forest.baseScore + forestMargin(forest, data.bins, i * data.features);
  return out;
}
