import type { Moments } from './moments';

/**
 * Ordinary least squares (optionally ridge) from merged sufficient statistics.
 *
 * The solve works on the standardised problem: with s_j the population standard deviation of
 * feature j (n denominator, as scikit-learn's StandardScaler), Z = (X - x̄) / s has ZᵀZ = C_xx / (s sᵀ)
 * and Zᵀy = C_xy / s, both read straight from the centred co-moments. Solving
 * (ZᵀZ + ridge·I) β = Zᵀy by Cholesky and mapping back w = β / s, b = ȳ - wᵀx̄ gives exactly
 * `LinearRegression` (ridge 0) or `make_pipeline(StandardScaler(), Ridge(alpha=ridge))`.
 * Scaling first keeps the factorisation well conditioned whatever the features' units.
 */

/** Base of the trainer's typed numeric errors; `code` is stable for callers and logs. */
export class SolveError extends Error {
  constructor(
    readonly code: 'SINGULAR_MATRIX' | 'COLLINEAR_FEATURES',
    message: string,
    /** The features the problem is about. */
    readonly features: readonly string[],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The normal equations cannot be solved: too few rows, or non-finite statistics. */
export class SingularMatrixError extends SolveError {
  constructor(message: string, features: readonly string[]) {
    super('SINGULAR_MATRIX', message, features);
  }
}

/**
 * A feature is constant (collinear with the intercept) or an exact linear combination of
 * other features; `features` names the feature and the ones it depends on.
 */
export class CollinearFeaturesError extends SolveError {
  constructor(message: string, features: readonly string[]) {
    super('COLLINEAR_FEATURES', message, features);
  }
}

export interface OlsOptions {
  /** Feature columns of the moments, in model order. */
  readonly features: readonly string[];
  /** Target column of the moments. */
  readonly target: string;
  /** Ridge penalty on the standardised problem (scikit-learn `Ridge(alpha)` after StandardScaler). @default 0 */
  readonly ridge?: number;
  /**
   * A feature whose squared Cholesky pivot on the correlation matrix (1 - R² of that feature on
   * the ones before it) falls below this is reported as collinear. @default 1e-10
   */
  readonly collinearityTolerance?: number;
}

export interface OlsFit {
  readonly features: readonly string[];
  readonly target: string;
  /** Original units, in the order of `features`. */
  readonly weights: number[];
  readonly bias: number;
  /** Means and population standard deviations of the features used for the solve. */
  readonly scaling: { readonly mean: number[]; readonly std: number[] };
  /** Standard errors of `weights` from σ̂² (XᵀX)⁻¹ (sandwich form when ridge > 0). */
  readonly standardErrors: number[];
  readonly biasStandardError: number;
  /** σ̂² = RSS / (n - d - 1). */
  readonly residualVariance: number;
  /** In-sample fit, exact from the moments. */
  readonly train: { readonly r2: number; readonly rmse: number; readonly rows: number };
  readonly rows: number;
  readonly ridge: number;
}

/** Lower-triangular Cholesky factor of a symmetric d×d row-major matrix; returns the failing pivot index on breakdown. */
export function choleskyFactor(
  a: ArrayLike<number>,
  d: number,
  tolerance = 0,
): { ok: true; l: Float64Array } | { ok: false; index: number; l: Float64Array } {
  const l = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let s = a[j * d + j];
    for (let k = 0; k < j; k++) s -= l[j * d + k] * l[j * d + k];
    if (!(s > tolerance)) return { ok: false, index: j, l };
    const ljj = Math.sqrt(s);
    l[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let t = a[i * d + j];
      for (let k = 0; k < j; k++) t -= l[i * d + k] * l[j * d + k];
      l[i * d + j] = t / ljj;
    }
  }
  return { ok: true, l };
}

/** Solves L Lᵀ x = b for a Cholesky factor L. */
export function choleskySolve(l: Float64Array, d: number, b: ArrayLike<number>): Float64Array {
  const y = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * d + k] * y[k];
    y[i] = s / l[i * d + i];
  }
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < d; k++) s -= l[k * d + i] * x[k];
    x[i] = s / l[i * d + i];
  }
  return x;
}

function columnIndex(m: Moments, name: string): number {
  const i = m.columns.indexOf(name);
  if (i < 0) throw new Error(`moments have no column "${name}" (columns: ${m.columns.join(', ')})`);
  return i;
}

/** Solves the (ridge) least-squares problem from merged moments over at least the features and the target. */
export function solveOls(m: Moments, options: OlsOptions): OlsFit {
  const features = [...options.features];
  const d = features.length;
  const ridge = options.ridge ?? 0;
  const tolerance = options.collinearityTolerance ?? 1e-10;
  if (!(ridge >= 0) || !Number.isFinite(ridge))
    throw new RangeError(`ridge must be a finite number >= 0, got ${ridge}`);
  const fi = features.map((f) => columnIndex(m, f));
  const ti = columnIndex(m, options.target);
  const n = m.n;
  if (n < d + 1 || (ridge === 0 && n < d + 2)) {
    throw new SingularMatrixError(
      `${n} rows cannot determine ${d} weights and a bias: need at least ${d + (ridge === 0 ? 2 : 1)} rows`,
      features,
    );
  }
  const bad = [...fi, ti].find((i) => !Number.isFinite(m.mean[i]) || !Number.isFinite(m.comoment(i, i)));
  if (bad !== undefined)
    throw new SingularMatrixError(`column "${m.columns[bad]}" has non-finite statistics`, features);

  const mean = fi.map((i) => m.mean[i]);
  const std = fi.map((i) => Math.sqrt(Math.max(0, m.comoment(i, i)) / n));
  const constant = features.filter((_, j) => !(std[j] > 1e-12 * Math.max(1, Math.abs(mean[j]))));
  if (constant.length > 0) {
    throw new CollinearFeaturesError(
      `constant feature${constant.length > 1 ? 's' : ''} ${constant.map((f) => `"${f}"`).join(', ')}: collinear with the bias`,
      constant,
    );
  }

  // Correlation matrix R (unit diagonal): ZᵀZ = n·R. Solve (R + ridge/n·I) β = Zᵀy / n.
  const r = new Float64Array(d * d);
  for (let a = 0; a < d; a++) {
    for (let b = 0; b < d; b++) r[a * d + b] = m.comoment(fi[a], fi[b]) / (n * std[a] * std[b]);
  }
  const g = new Float64Array(d);
  for (let a = 0; a < d; a++) g[a] = m.comoment(fi[a], ti) / (n * std[a]);
  const lambda = ridge / n;
  const A = Float64Array.from(r);
  for (let a = 0; a < d; a++) A[a * d + a] += lambda;

  const factor = choleskyFactor(A, d, ridge === 0 ? tolerance : 0);
  if (!factor.ok) throw collinearity(r, d, factor.index, features, ridge);
  const l = factor.l;
  const beta = choleskySolve(l, d, g);
  // One step of iterative refinement: the residual of the scaled system, solved again.
  const res = new Float64Array(d);
  for (let a = 0; a < d; a++) {
    let s = g[a];
    for (let b = 0; b < d; b++) s -= A[a * d + b] * beta[b];
    res[a] = s;
  }
  const fix = choleskySolve(l, d, res);
  for (let a = 0; a < d; a++) beta[a] += fix[a];

  const weights = features.map((_, a) => beta[a] / std[a]);
  const ybar = m.mean[ti];
  let bias = ybar;
  for (let a = 0; a < d; a++) bias -= weights[a] * mean[a];

  // RSS = C_yy - 2βᵀ(Zᵀy) + βᵀ(ZᵀZ)β, in the scaled units (×n).
  const cyy = m.comoment(ti, ti);
  let cross = 0;
  let quad = 0;
  for (let a = 0; a < d; a++) {
    cross += beta[a] * g[a];
    let s = 0;
    for (let b = 0; b < d; b++) s += r[a * d + b] * beta[b];
    quad += beta[a] * s;
  }
  const rss = Math.max(0, cyy - n * (2 * cross - quad));
  const dof = n - d - 1;
  const sigma2 = dof > 0 ? rss / dof : NaN;

  // Cov(β) = σ̂² (ZᵀZ + λI)⁻¹ ZᵀZ (ZᵀZ + λI)⁻¹; with ridge 0 this is σ̂² (ZᵀZ)⁻¹.
  const inv = new Float64Array(d * d);
  const e = new Float64Array(d);
  for (let c = 0; c < d; c++) {
    e.fill(0);
    e[c] = 1;
    const col = choleskySolve(l, d, e);
    for (let a = 0; a < d; a++) inv[a * d + c] = col[a] / n;
  }
  let covBeta = inv;
  if (ridge > 0) {
    const tmp = new Float64Array(d * d);
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += inv[a * d + k] * n * r[k * d + b];
        tmp[a * d + b] = s;
      }
    covBeta = new Float64Array(d * d);
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += tmp[a * d + k] * inv[k * d + b];
        covBeta[a * d + b] = s;
      }
  }
  const standardErrors = features.map((_, a) => Math.sqrt(sigma2 * covBeta[a * d + a]) / std[a]);
  // Var(b) = σ̂²/n + x̄ᵀ Cov(w) x̄, Cov(w) = D⁻¹ Cov(β) D⁻¹.
  let vb = sigma2 / n;
  for (let a = 0; a < d; a++)
    for (let b = 0; b < d; b++) vb += (mean[a] / std[a]) * sigma2 * covBeta[a * d + b] * (mean[b] / std[b]);

  return {
    features,
    target: options.target,
    weights,
    bias,
    scaling: { mean, std },
    standardErrors,
    biasStandardError: Math.sqrt(vb),
    residualVariance: sigma2,
    train: { r2: cyy > 0 ? 1 - rss / cyy : rss === 0 ? 1 : 0, rmse: Math.sqrt(rss / n), rows: n },
    rows: n,
    ridge,
  };
}

/** Names the feature whose pivot broke down and the earlier features it is a combination of. */
function collinearity(r: Float64Array, d: number, k: number, features: string[], ridge: number): SolveError {
  if (ridge > 0) {
    return new SingularMatrixError(
      `the ridge system is not positive definite at feature "${features[k]}"`,
      features,
    );
  }
  // Regress feature k on features 0..k-1 (whose block is positive definite) to find its partners.
  const partners: string[] = [];
  if (k > 0) {
    const sub = new Float64Array(k * k);
    const rhs = new Float64Array(k);
    for (let a = 0; a < k; a++) {
      rhs[a] = r[a * d + k];
      for (let b = 0; b < k; b++) sub[a * k + b] = r[a * d + b];
    }
    const f = choleskyFactor(sub, k);
    if (f.ok) {
      const c = choleskySolve(f.l, k, rhs);
      const big = Math.max(...Array.from(c, Math.abs));
      for (let a = 0; a < k; a++) if (Math.abs(c[a]) > 1e-6 * big) partners.push(features[a]);
    }
  }
  const named = [features[k], ...partners];
  return new CollinearFeaturesError(
    partners.length > 0
      ? `feature "${features[k]}" is a linear combination of ${partners.map((p) => `"${p}"`).join(', ')}; drop one or use a ridge > 0`
      : `feature "${features[k]}" is collinear with the other features; drop one or use a ridge > 0`,
    named,
  );
}
