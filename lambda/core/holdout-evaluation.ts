/**
 * What the model report plots about the rows the metrics were measured on (the holdout, or the
 * training rows when the holdout fraction is 0), computed where the trainer measures them
 * (lambda/core/train.ts `solveMerged`), so every way a run is trained (one process, SageMaker's
 * leader host, a Batch reduce) hands the same figures to the report:
 *
 * - a bounded, deterministic sample of (actual, predicted) pairs: at most
 *   {@link HOLDOUT_SAMPLE_LIMIT} rows, row ⌊k · n / m⌋ for k = 0..m−1 in the order the metrics
 *   visit them (the merged shard's holdout rows: shard-name order, then key order), so the same
 *   run samples the same rows;
 * - regression: the histogram of every residual (actual − predicted), not only the sample's;
 * - classification: the ROC curve over every row (one point per distinct score, thinned evenly
 *   to at most {@link ROC_POINT_LIMIT} points when there are more).
 *
 * The hosts already send their holdout rows to the one that solves (training partials carry
 * them: MAE and AUC need every held-out row), so no per-host sampling is needed.
 */
import { scoresByClass } from './metrics';

/** Holdout points the report plots at most (a scatter of more says nothing more). */
export const HOLDOUT_SAMPLE_LIMIT = 1000;
/** Bins of the residual histogram. */
export const RESIDUAL_BINS = 30;
/** ROC points kept at most. */
export const ROC_POINT_LIMIT = 256;

export interface Histogram {
  /** Bin edges, ascending: one more than `counts`. */
  readonly edges: readonly number[];
  readonly counts: readonly number[];
}

export interface HoldoutEvaluation {
  /** Which rows: the holdout, or the training rows (holdout fraction 0, classification only). */
  readonly on: 'holdout' | 'train';
  /** Rows evaluated (all of them, not only the sample). */
  readonly rows: number;
  /**
   * The sample: regression, target and prediction in target units; classification, the 0/1
   * label (1 = the positive class) and the predicted probability of the positive class.
   */
  readonly sample: { readonly actual: readonly number[]; readonly predicted: readonly number[] };
  /** Regression: every residual, actual − predicted. */
  readonly residuals?: Histogram;
  /** Classification with both classes present: false and true positive rates, from (0,0) to (1,1). */
  readonly roc?: { readonly fpr: readonly number[]; readonly tpr: readonly number[] };
}

/** Indices ⌊k · n / m⌋, k = 0..m−1, m = min(n, limit): every row when n ≤ limit. */
export function sampleIndices(n: number, limit = HOLDOUT_SAMPLE_LIMIT): number[] {
  const m = Math.min(n, limit);
  return Array.from({ length: m }, (_, k) => Math.floor((k * n) / m));
}

/** Equal-width bins between the smallest and largest value (one bin when they are equal). */
export function histogram(values: ArrayLike<number>, bins = RESIDUAL_BINS): Histogram {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < lo) lo = values[i];
    if (values[i] > hi) hi = values[i];
  }
  if (values.length === 0) return { edges: [], counts: [] };
  const k = hi > lo ? bins : 1;
  const width = hi > lo ? (hi - lo) / k : 1;
  const edges = Array.from({ length: k + 1 }, (_, i) => (i === k ? (hi > lo ? hi : lo + 1) : lo + i * width));
  const counts = new Array<number>(k).fill(0);
  for (let i = 0; i < values.length; i++) counts[Math.min(k - 1, Math.floor((values[i] - lo) / width))]++;
  return { edges, counts };
}

/** Regression over rows packed as [x₁..x_d, y]: prediction = wᵀx + b. */
export function regressionEvaluation(
  weights: readonly number[],
  bias: number,
  rows: Float64Array,
): HoldoutEvaluation {
  const d = weights.length;
  const stride = d + 1;
  const n = Math.floor(rows.length / stride);
  const predicted = new Float64Array(n);
  const residual = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * stride;
    let p = bias;
    for (let j = 0; j < d; j++) p += weights[j] * rows[o + j];
    predicted[i] = p;
    residual[i] = rows[o + d] - p;
  }
  const at = sampleIndices(n);
  return {
    on: 'holdout',
    rows: n,
    sample: { actual: at.map((i) => rows[i * stride + d]), predicted: at.map((i) => predicted[i]) },
    residuals: histogram(residual),
  };
}

const probability = (eta: number) =>
  eta >= 0 ? 1 / (1 + Math.exp(-eta)) : Math.exp(eta) / (1 + Math.exp(eta));

/** Classification from the logits and 0/1 labels the metrics were computed from. */
export function classificationEvaluation(
  logits: Float64Array,
  labels: Uint8Array,
  on: 'holdout' | 'train',
): HoldoutEvaluation {
  const n = logits.length;
  const at = sampleIndices(n);
  const roc = rocCurve(logits, labels);
  return {
    on,
    rows: n,
    sample: { actual: at.map((i) => labels[i]), predicted: at.map((i) => probability(logits[i])) },
    ...(roc ? { roc } : {}),
  };
}

/**
 * The ROC curve: one point per distinct score, highest first (tied scores move together, so the
 * trapezoid area equals the Mann-Whitney AUC with ties counted half); null with one class.
 */
export function rocCurve(
  scores: Float64Array,
  labels: Uint8Array,
  limit = ROC_POINT_LIMIT,
): { fpr: number[]; tpr: number[] } | null {
  const n = scores.length;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i];
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return null;
  // Each class's scores sorted apart (as the AUC in ./metrics.ts), then swept from the highest
  // score down, tied scores of both classes in one step.
  const { pos, neg } = scoresByClass(scores, labels, positives);
  const fpr = [0];
  const tpr = [0];
  let p = positives - 1;
  let q = negatives - 1;
  // A NaN score (sorted last) ranks nowhere: left out, so the sweep always moves.
  while (p >= 0 && Number.isNaN(pos[p])) p--;
  while (q >= 0 && Number.isNaN(neg[q])) q--;
  const topP = p;
  const topQ = q;
  while (p >= 0 || q >= 0) {
    const s = Math.max(p >= 0 ? pos[p] : -Infinity, q >= 0 ? neg[q] : -Infinity);
    while (p >= 0 && pos[p] === s) p--;
    while (q >= 0 && neg[q] === s) q--;
    fpr.push((topQ - q) / negatives);
    tpr.push((topP - p) / positives);
  }
  if (fpr.length <= limit) return { fpr, tpr };
  const m = fpr.length;
  const keep = Array.from({ length: limit }, (_, k) => Math.round((k * (m - 1)) / (limit - 1)));
  return { fpr: keep.map((i) => fpr[i]), tpr: keep.map((i) => tpr[i]) };
}
