/**
 * Mergeable sufficient statistics for d numeric columns: count, means and the centred
 * co-moment matrix C = Σ (x - x̄)(x - x̄)ᵀ. One pass (Welford), constant memory, and partials
 * from any number of shards merge exactly (Chan et al.), which is what makes training split
 * as T = n/p: each shard yields a partial, partials add, one small solve finishes.
 */
// Type-only: the schema (and zod) stay out of the hot path that only builds and merges moments.
import type { MomentsJson } from './moments-json';

export type { MomentsJson };

export class Moments {
  readonly d: number;
  n = 0;
  readonly mean: Float64Array;
  /** Row-major d×d; only the upper triangle is updated per row, mirrored on read. */
  readonly c: Float64Array;
  private readonly delta: Float64Array;

  constructor(readonly columns: readonly string[]) {
    this.d = columns.length;
    this.mean = new Float64Array(this.d);
    this.c = new Float64Array(this.d * this.d);
    this.delta = new Float64Array(this.d);
  }

  /** Adds one row; `x` holds the d values in column order. */
  add(x: ArrayLike<number>): void {
    const { d, mean, c, delta } = this;
    const n = ++this.n;
    for (let i = 0; i < d; i++) {
      delta[i] = x[i] - mean[i];
      mean[i] += delta[i] / n;
    }
    for (let i = 0; i < d; i++) {
      const di = delta[i];
      const row = i * d;
      for (let j = i; j < d; j++) c[row + j] += di * (x[j] - mean[j]);
    }
  }

  /** Folds another partial over the same columns into this one (Chan's parallel update). */
  merge(other: Moments): this {
    if (other.d !== this.d || other.columns.some((name, i) => name !== this.columns[i])) {
      throw new Error(`cannot merge moments over [${other.columns}] into [${this.columns}]`);
    }
    if (other.n === 0) return this;
    const { d, mean, c, delta } = this;
    const na = this.n;
    const nb = other.n;
    const n = na + nb;
    for (let i = 0; i < d; i++) delta[i] = other.mean[i] - mean[i];
    const w = (na * nb) / n;
    for (let i = 0; i < d; i++) {
      const row = i * d;
      for (let j = i; j < d; j++) c[row + j] += other.comoment(i, j) + delta[i] * delta[j] * w;
    }
    for (let i = 0; i < d; i++) mean[i] += (delta[i] * nb) / n;
    this.n = n;
    return this;
  }

  /** Centred co-moment of columns i and j. */
  comoment(i: number, j: number): number {
    return i <= j ? this.c[i * this.d + j] : this.c[j * this.d + i];
  }

  /** Sample covariance (n - 1 denominator), NaN below two rows. */
  covariance(i: number, j: number): number {
    return this.n > 1 ? this.comoment(i, j) / (this.n - 1) : NaN;
  }

  toJSON(): MomentsJson {
    const full: number[] = new Array(this.d * this.d);
    for (let i = 0; i < this.d; i++) {
      for (let j = 0; j < this.d; j++) full[i * this.d + j] = this.comoment(i, j);
    }
    return { columns: [...this.columns], n: this.n, mean: Array.from(this.mean), comoments: full };
  }

  static fromJSON(json: MomentsJson): Moments {
    const m = new Moments(json.columns);
    if (json.mean.length !== m.d || json.comoments.length !== m.d * m.d) {
      throw new Error(`moments over ${m.d} columns have malformed mean or comoments`);
    }
    m.n = json.n;
    m.mean.set(json.mean);
    m.c.set(json.comoments);
    return m;
  }

  static mergeAll(columns: readonly string[], parts: Iterable<Moments>): Moments {
    const total = new Moments(columns);
    for (const part of parts) total.merge(part);
    return total;
  }
}
