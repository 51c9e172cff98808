/**
 * Streaming regression metrics: R², RMSE and MAE in one pass, constant memory, and mergeable
 * across shards (Chan's update for the target's spread, plain sums for the errors).
 * R² is scikit-learn's `r2_score`: 1 - SSE / Σ(y - ȳ)², with ȳ the mean of the rows measured.
 */
export interface RegressionMetrics {
  readonly r2: number;
  readonly rmse: number;
  readonly mae: number;
  readonly rows: number;
}

export interface MetricsAccumulatorJson {
  readonly n: number;
  readonly sse: number;
  readonly sae: number;
  readonly yMean: number;
  readonly yM2: number;
}

export class MetricsAccumulator {
  n = 0;
  /** Σ (y - ŷ)² */
  sse = 0;
  /** Σ |y - ŷ| */
  sae = 0;
  yMean = 0;
  /** Σ (y - ȳ)² (Welford) */
  yM2 = 0;

  /** Adds one observation and its prediction. */
  add(y: number, predicted: number): void {
    const e = y - predicted;
    this.sse += e * e;
    this.sae += Math.abs(e);
    const n = ++this.n;
    const delta = y - this.yMean;
    this.yMean += delta / n;
    this.yM2 += delta * (y - this.yMean);
  }

  merge(other: MetricsAccumulator): this {
    if (other.n === 0) return this;
    const n = this.n + other.n;
    const delta = other.yMean - this.yMean;
    this.yM2 += other.yM2 + (delta * delta * this.n * other.n) / n;
    this.yMean += (delta * other.n) / n;
    this.sse += other.sse;
    this.sae += other.sae;
    this.n = n;
    return this;
  }

  /** R², RMSE, MAE; NaN for all when empty. R² is 1 for a perfect fit of a constant target, else 0 when the target is constant. */
  result(): RegressionMetrics {
    const { n, sse, sae, yM2 } = this;
    if (n === 0) return { r2: NaN, rmse: NaN, mae: NaN, rows: 0 };
    const r2 = yM2 > 0 ? 1 - sse / yM2 : sse === 0 ? 1 : 0;
    return { r2, rmse: Math.sqrt(sse / n), mae: sae / n, rows: n };
  }

  toJSON(): MetricsAccumulatorJson {
    return { n: this.n, sse: this.sse, sae: this.sae, yMean: this.yMean, yM2: this.yM2 };
  }

  static fromJSON(json: MetricsAccumulatorJson): MetricsAccumulator {
    return Object.assign(new MetricsAccumulator(), json);
  }
}

/** Metrics of a linear model over rows packed as [x₁..x_d, y] per row in one flat array. */
/**
 * Each class's scores, ascending (native typed-array sorts, no comparator): the AUC's and the ROC
 * curve's sweeps read them. `positives` is the count of labels equal to 1.
 */
export function scoresByClass(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  positives: number,
): { pos: Float64Array; neg: Float64Array } {
  const pos = new Float64Array(positives);
  const neg = new Float64Array(scores.length - positives);
  for (let i = 0, a = 0, b = 0; i < scores.length; i++) {
    if (labels[i] === 1) pos[a++] = scores[i];
    else neg[b++] = scores[i];
  }
  pos.sort();
  neg.sort();
  return { pos, neg };
}

export function linearModelMetrics(
  weights: readonly number[],
  bias: number,
  rows: ArrayLike<number>,
  into: MetricsAccumulator = new MetricsAccumulator(),
): MetricsAccumulator {
  const d = weights.length;
  const stride = d + 1;
  for (let o = 0; o + stride <= rows.length; o += stride) {
    let p = bias;
    for (let j = 0; j < d; j++) p += weights[j] * rows[o + j];
    into.add(rows[o + d], p);
  }
  return into;
}

/** Holdout (or in-sample) metrics of a pass/fail model at its threshold. */
export interface ClassificationMetrics {
  /** Mean negative log-likelihood (scikit-learn `log_loss`). */
  readonly logLoss: number;
  /** Area under the ROC curve (ties counted half, as scikit-learn `roc_auc_score`); NaN with one class. */
  readonly auc: number;
  readonly accuracy: number;
  /** TP / (TP + FP); 0 when nothing is predicted positive (scikit-learn's zero_division=0). */
  readonly precision: number;
  /** TP / (TP + FN). */
  readonly recall: number;
  readonly threshold: number;
  readonly confusion: { readonly tp: number; readonly fp: number; readonly tn: number; readonly fn: number };
  /** Efron's R² of the probabilities, 1 − Σ(y − p)² / Σ(y − ȳ)²; RMSE = √Brier; MAE = mean |y − p|. */
  readonly r2: number;
  readonly rmse: number;
  readonly mae: number;
  readonly rows: number;
}

/**
 * Classification metrics from logits and 0/1 labels (the rows measured, held in memory: the
 * AUC needs them ranked).
 */
export function classificationMetrics(
  logits: Float64Array,
  labels: Uint8Array,
  threshold: number,
): ClassificationMetrics {
  const n = logits.length;
  let loss = 0;
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  let positives = 0;
  let sse = 0;
  let sae = 0;
  for (let i = 0; i < n; i++) {
    const eta = logits[i];
    const y = labels[i];
    const softplus = eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta));
    loss += softplus - y * eta;
    const p = eta >= 0 ? 1 / (1 + Math.exp(-eta)) : Math.exp(eta) / (1 + Math.exp(eta));
    sse += (y - p) ** 2;
    sae += Math.abs(y - p);
    positives += y;
    const predicted = p >= threshold;
    if (predicted && y === 1) tp++;
    else if (predicted) fp++;
    else if (y === 1) fn++;
    else tn++;
  }
  // AUC = P(logit of a positive > logit of a negative) + ½ P(equal) (Mann-Whitney U): the two
  // classes' logits sorted apart (native typed-array sorts), then one merge-like sweep.
  const negatives = n - positives;
  const { pos, neg } = scoresByClass(logits, labels, positives);
  let wins = 0;
  for (let i = 0, below = 0, upTo = 0; i < positives; i++) {
    const v = pos[i];
    while (below < negatives && neg[below] < v) below++;
    if (upTo < below) upTo = below;
    while (upTo < negatives && neg[upTo] === v) upTo++;
    wins += below + (upTo - below) / 2;
  }
  const auc = positives > 0 && negatives > 0 ? wins / positives / negatives : NaN;
  const ybar = positives / n;
  const syy = positives * (1 - ybar) ** 2 + negatives * ybar ** 2;
  return {
    logLoss: loss / n,
    auc,
    accuracy: (tp + tn) / n,
    precision: tp + fp > 0 ? tp / (tp + fp) : 0,
    recall: tp + fn > 0 ? tp / (tp + fn) : 0,
    threshold,
    confusion: { tp, fp, tn, fn },
    r2: syy > 0 ? 1 - sse / syy : sse === 0 ? 1 : 0,
    rmse: Math.sqrt(sse / n),
    mae: sae / n,
    rows: n,
  };
}
