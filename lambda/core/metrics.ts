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
