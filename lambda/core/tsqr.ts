/**
 * Mergeable QR for least squares (TSQR): the p×p upper-triangular factor R of the shard's rows
 * [1, x − s, y − s_y] (bias column first, s a shift), kept in one pass and constant memory.
 *
 * Why QR and not co-moments: the normal equations square the condition number, so co-moments
 * in doubles lose cond(X)² · 1e-16 of the weights (1.6e-6 off the exact solution measured on a
 * semiconductor-process subset with cond ~1e5; useless at 1e7), and no refinement can get back
 * what the rounded co-moments have lost. Householder QR is backward stable column by column,
 * so R carries the data to cond(X) · 1e-16, as LAPACK's own least squares does. Compensated
 * (double-double) co-moments would also do, at ~25 flops per product instead of 2 in the hot
 * loop; a block Householder update costs about what the co-moment update costs.
 *
 * Shards merge exactly as one pass would: stacking two factors [R_a; R_b] and re-triangularising
 * gives an R of all the rows (R is unique up to row signs, normalised to a non-negative diagonal).
 *
 * The shift: the means of a shard's first block of rows, so its columns are centred to within their spread
 * and large offsets (1e6 on a spread of 1, 1e155 magnitudes) cost no precision. Changing the
 * shift by δ is a column operation col_j += δ_j · col_0, and col_0 of R is (r00, 0, …): only the
 * first row of R changes, R[0][j] += δ_j · r00, so factors with different shifts merge.
 *
 * With the bias column first, R = [[√n, √n (x̄ − s)ᵀ], [0, R₁₁]] and R₁₁ is an R factor of the
 * centred features (R₁₁ᵀR₁₁ = X_cᵀX_c), the last column holds Qᵀy: the centred least-squares
 * problem scikit-learn's LinearRegression hands to lstsq, without the rows.
 */

/**
 * Rows buffered between Householder updates (114 KB at 14 columns, in L2). The shift is the first
 * block's column means, so a larger block centres better: on a large-residual fixture with cond
 * 1e6 the distance to the exact solution went 5e-9 → 8e-11 from 128 to 1024 rows.
 */
const BLOCK_ROWS = 1024;

/** JSON form of a QR accumulator (in training partials). */
export interface TsqrJson {
  readonly columns: readonly string[];
  readonly n: number;
  /** Shift per column (features then target), null when no row has been added. */
  readonly shift: readonly (number | null)[];
  /** Row-major upper triangle of R ((k+1)×(k+1) for k columns plus the bias), zeros included. */
  readonly r: readonly (number | null)[];
}

export class Tsqr {
  /** Columns after the bias: features then target. */
  readonly k: number;
  /** Order of R: k + 1 (bias first). */
  readonly p: number;
  n = 0;
  readonly shift: Float64Array;
  private shiftSet = false;
  /** Row-major p×p upper-triangular factor. */
  readonly r: Float64Array;
  private readonly block: Float64Array;
  private rows = 0;

  constructor(readonly columns: readonly string[]) {
    this.k = columns.length;
    this.p = this.k + 1;
    this.shift = new Float64Array(this.k);
    this.r = new Float64Array(this.p * this.p);
    this.block = new Float64Array(BLOCK_ROWS * this.p);
  }

  /** Adds one row: the k values in column order. */
  add(x: ArrayLike<number>, at = 0): void {
    const { k, block, shift } = this;
    // Column-major block (column j at j·BLOCK_ROWS): the Householder loops run down columns.
    const i = this.rows;
    block[i] = 1;
    for (let j = 0; j < k; j++) block[(1 + j) * BLOCK_ROWS + i] = x[at + j] - shift[j];
    this.n++;
    if (++this.rows === BLOCK_ROWS) this.flush();
  }

  /** Folds the buffered rows into R. */
  flush(): void {
    if (this.rows === 0) return;
    if (!this.shiftSet) {
      // The first block's means: rows sit within their spread of it (the block held x − 0 = x).
      const m = this.rows;
      for (let j = 0; j < this.k; j++) {
        const col = (1 + j) * BLOCK_ROWS;
        let sum = 0;
        for (let i = 0; i < m; i++) sum += this.block[col + i];
        const mean = sum / m;
        this.shift[j] = Number.isFinite(mean) ? mean : this.block[col];
        for (let i = 0; i < m; i++) this.block[col + i] -= this.shift[j];
      }
      this.shiftSet = true;
    }
    triangularise(this.r, this.block, this.rows, this.p, BLOCK_ROWS);
    this.rows = 0;
  }

  /** Folds another accumulator over the same columns into this one. */
  merge(other: Tsqr): this {
    if (other.k !== this.k || other.columns.some((c, i) => c !== this.columns[i]))
      throw new Error(`cannot merge QR over [${other.columns}] into [${this.columns}]`);
    if (other.n === 0) return this;
    other.flush();
    this.flush();
    const p = this.p;
    // Their factor, column-major (p rows of p), re-shifted to this shift.
    const theirs = new Float64Array(p * p);
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) theirs[j * p + i] = other.r[i * p + j];
    if (!this.shiftSet) {
      this.shift.set(other.shift);
      this.shiftSet = true;
    } else {
      const r00 = theirs[0];
      for (let j = 0; j < this.k; j++) theirs[(1 + j) * p] += (other.shift[j] - this.shift[j]) * r00;
    }
    triangularise(this.r, theirs, p, p, p);
    this.n += other.n;
    return this;
  }

  /** R with the buffered rows folded in (a view, do not modify). */
  factor(): Float64Array {
    this.flush();
    return this.r;
  }

  /** Column means: s_j + R[0][j] / R[0][0]. */
  means(): Float64Array {
    const r = this.factor();
    const out = new Float64Array(this.k);
    for (let j = 0; j < this.k; j++) out[j] = this.n > 0 ? this.shift[j] + r[1 + j] / r[0] : NaN;
    return out;
  }

  toJSON(): TsqrJson {
    const r = this.factor();
    const safe = (v: number) => (Number.isFinite(v) ? v : null);
    return {
      columns: [...this.columns],
      n: this.n,
      shift: this.shiftSet ? Array.from(this.shift, safe) : Array.from(this.shift, () => null),
      r: Array.from(r, safe),
    };
  }

  static fromJSON(json: TsqrJson): Tsqr {
    const q = new Tsqr(json.columns);
    if (json.shift.length !== q.k || json.r.length !== q.p * q.p)
      throw new Error(`QR over ${q.k} columns has a malformed shift or factor`);
    q.n = json.n;
    q.shiftSet = json.n > 0;
    q.shift.set(json.shift.map((v) => v ?? NaN));
    q.r.set(json.r.map((v) => v ?? NaN));
    return q;
  }

  /**
   * An R factor from co-moments (count, means, centred co-moments of the same k columns), for
   * inputs that carry only statistics: Cholesky of the centred Gram matrix, semidefinite pivots
   * set to zero. Exact only to cond² · 1e-16 (the co-moments already squared it).
   */
  static fromComoments(
    columns: readonly string[],
    n: number,
    mean: ArrayLike<number>,
    c: (i: number, j: number) => number,
  ): Tsqr {
    const q = new Tsqr(columns);
    if (n === 0) return q;
    const { k, p } = q;
    q.n = n;
    q.shiftSet = true;
    for (let j = 0; j < k; j++) q.shift[j] = mean[j];
    const r = q.r;
    r[0] = Math.sqrt(n);
    // Upper Cholesky of C (k×k) into R[1..k][1..k]: R₁₁ᵀR₁₁ = C.
    for (let i = 0; i < k; i++) {
      let s = c(i, i);
      for (let t = 0; t < i; t++) s -= r[(1 + t) * p + 1 + i] ** 2;
      const scale = Math.max(c(i, i), 0);
      if (!(s > 1e-15 * scale) || !(scale > 0)) continue; // semidefinite: the row stays zero
      const rii = Math.sqrt(s);
      r[(1 + i) * p + 1 + i] = rii;
      for (let j = i + 1; j < k; j++) {
        let t2 = c(i, j);
        for (let t = 0; t < i; t++) t2 -= r[(1 + t) * p + 1 + i] * r[(1 + t) * p + 1 + j];
        r[(1 + i) * p + 1 + j] = t2 / rii;
      }
    }
    return q;
  }
}

/**
 * Householder QR of [R; B] (R p×p upper triangular row-major, B m×p column-major with column j
 * at j·ld), R overwritten with the new factor (diagonal made non-negative), B destroyed. Norms
 * are scaled, so values near the double range (1e155 squared overflows) do not overflow.
 */
export function triangularise(r: Float64Array, b: Float64Array, m: number, p: number, ld: number): void {
  for (let j = 0; j < p; j++) {
    const cj = j * ld;
    const alpha = r[j * p + j];
    let scale = Math.abs(alpha);
    for (let i = 0; i < m; i++) {
      const v = Math.abs(b[cj + i]);
      if (v > scale) scale = v;
    }
    if (scale === 0) continue;
    let ss = 0;
    const invScale = 1 / scale;
    for (let i = 0; i < m; i++) {
      const v = b[cj + i] * invScale;
      ss += v * v;
    }
    if (ss === 0) continue; // nothing below the diagonal to annihilate
    const a = alpha * invScale;
    const norm = scale * Math.sqrt(a * a + ss);
    const beta = alpha >= 0 ? -norm : norm;
    const tau = (beta - alpha) / beta;
    const inv = 1 / (alpha - beta);
    for (let i = 0; i < m; i++) b[cj + i] *= inv;
    for (let c = j + 1; c < p; c++) {
      const cc = c * ld;
      let w = r[j * p + c];
      for (let i = 0; i < m; i++) w += b[cj + i] * b[cc + i];
      w *= tau;
      r[j * p + c] -= w;
      for (let i = 0; i < m; i++) b[cc + i] -= w * b[cj + i];
    }
    r[j * p + j] = beta;
  }
  for (let j = 0; j < p; j++) {
    if (r[j * p + j] < 0) for (let c = j; c < p; c++) r[j * p + c] = -r[j * p + c];
  }
}
