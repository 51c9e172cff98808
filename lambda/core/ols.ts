import type { Tsqr } from './tsqr';

/**
 * Ordinary least squares (optionally ridge) from a merged QR factor (lambda/core/tsqr.ts), as
 * scikit-learn's `LinearRegression` computes it: the centred problem min ‖X_c w − y_c‖ solved
 * by `lstsq`, singular values at or below ε·σ_max (ε = 2.2e-16, scipy's default `cond`) treated as
 * zero, the minimum-norm solution in centred, unscaled units, b = ȳ − wᵀx̄. So a constant or
 * collinear feature still gives a model (a constant feature weighs 0) and a warning naming it;
 * features in tiny units (1e-13) fit, because the cut-off is relative, not absolute.
 *
 * The QR's R₁₁ is an R factor of X_c and its last column Qᵀy_c, so the SVD of the small k×k R₁₁
 * (one-sided Jacobi: accurate to the last digits of each singular value, even the small ones)
 * answers exactly what lstsq's SVD of the n×k X_c would. A ridge penalty is on the standardised
 * problem (`make_pipeline(StandardScaler(), Ridge(alpha))`): (X_cᵀX_c + α·D²) w = X_cᵀy_c with D
 * the features' population standard deviations, solved as the stacked least squares [R₁₁; √α D].
 */

/** Base of the trainer's typed numeric errors; `code` is stable for callers and logs. */
export class SolveError extends Error {
  constructor(
    readonly code: 'SINGULAR_MATRIX' | 'COLLINEAR_FEATURES' | 'NO_MODEL',
    message: string,
    /** The features the problem is about. */
    readonly features: readonly string[],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** No model is defined: no rows, non-finite statistics, or fewer rows than weights to determine. */
export class SingularMatrixError extends SolveError {
  constructor(message: string, features: readonly string[]) {
    super('SINGULAR_MATRIX', message, features);
  }
}

/**
 * Kept for callers that catch it by name: rank deficiency no longer throws (it gives the
 * minimum-norm model and a warning); only other solvers may still raise it.
 */
export class CollinearFeaturesError extends SolveError {
  constructor(message: string, features: readonly string[]) {
    super('COLLINEAR_FEATURES', message, features);
  }
}

export interface OlsOptions {
  /** Feature columns, in model order (the QR's columns are these then the target). */
  readonly features: readonly string[];
  /** Target column (the QR's last column). */
  readonly target: string;
  /** Ridge penalty on the standardised problem (scikit-learn `Ridge(alpha)` after StandardScaler). @default 0 */
  readonly ridge?: number;
}

export interface OlsFit {
  readonly features: readonly string[];
  readonly target: string;
  /** Original units, in the order of `features`. */
  readonly weights: number[];
  readonly bias: number;
  /** Means and population standard deviations of the features used for the solve. */
  readonly scaling: { readonly mean: number[]; readonly std: number[] };
  /** Standard errors of `weights` from σ̂² (X_cᵀX_c)⁺ (sandwich form when ridge > 0). */
  readonly standardErrors: number[];
  readonly biasStandardError: number;
  /** σ̂² = RSS / (n - rank - 1). */
  readonly residualVariance: number;
  /** In-sample fit, exact from the factor. */
  readonly train: { readonly r2: number; readonly rmse: number; readonly rows: number };
  readonly rows: number;
  readonly ridge: number;
  /** Numerical rank of the centred features (as lstsq's `rank`). */
  readonly rank: number;
  /** Human-readable warnings naming features (constant, collinear). */
  readonly warnings: string[];
}

/** scipy.linalg.lstsq's default cut-off (`cond = eps`), which LinearRegression uses. */
export const RANK_EPSILON = 2.220446049250313e-16;

export interface Svd {
  /** Singular values, in the order of the columns of V (not sorted). */
  readonly s: Float64Array;
  /** U·Σ columns are `us` (m×k, column j = σ_j u_j), row-major m×k. */
  readonly us: Float64Array;
  /** Right singular vectors, row-major k×k (column j is v_j). */
  readonly v: Float64Array;
}

/**
 * One-sided Jacobi SVD of an m×k row-major matrix (m ≥ k): rotates column pairs until they are
 * orthogonal to working precision. Small singular values come out to high relative accuracy,
 * which the rank decision relative to σ_max needs.
 */
export function jacobiSvd(a: ArrayLike<number>, m: number, k: number): Svd {
  const g = Float64Array.from(a);
  const v = new Float64Array(k * k);
  for (let j = 0; j < k; j++) v[j * k + j] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let i = 0; i < k - 1; i++) {
      for (let j = i + 1; j < k; j++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let t = 0; t < m; t++) {
          const x = g[t * k + i];
          const y = g[t * k + j];
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= RANK_EPSILON * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const tan = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const cos = 1 / Math.sqrt(1 + tan * tan);
        const sin = cos * tan;
        for (let t = 0; t < m; t++) {
          const x = g[t * k + i];
          const y = g[t * k + j];
          g[t * k + i] = cos * x - sin * y;
          g[t * k + j] = sin * x + cos * y;
        }
        for (let t = 0; t < k; t++) {
          const x = v[t * k + i];
          const y = v[t * k + j];
          v[t * k + i] = cos * x - sin * y;
          v[t * k + j] = sin * x + cos * y;
        }
      }
    }
    if (!rotated) break;
  }
  const s = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    let scale = 0;
    for (let t = 0; t < m; t++) scale = Math.max(scale, Math.abs(g[t * k + j]));
    let ss = 0;
    if (scale > 0) for (let t = 0; t < m; t++) ss += (g[t * k + j] / scale) ** 2;
    s[j] = scale * Math.sqrt(ss);
  }
  return { s, us: g, v };
}

/**
 * Minimum-norm solution of min ‖A w − b‖ from A's SVD, singular values ≤ cutoff dropped:
 * w = Σ_j v_j (u_jᵀ b) / σ_j over the kept j.
 */
function svdSolve(svd: Svd, m: number, k: number, b: ArrayLike<number>, keep: boolean[]): Float64Array {
  const w = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    if (!keep[j]) continue;
    const sj = svd.s[j];
    // u_jᵀ b = (σ_j u_j)ᵀ b / σ_j
    let ub = 0;
    for (let t = 0; t < m; t++) ub += svd.us[t * k + j] * b[t];
    const coef = ub / (sj * sj);
    for (let t = 0; t < k; t++) w[t] += svd.v[t * k + j] * coef;
  }
  return w;
}

const quote = (names: readonly string[]) => names.map((f) => `"${f}"`).join(', ');

/** Solves the (ridge) least-squares problem from a QR over exactly the features then the target. */
export function solveOls(qr: Tsqr, options: OlsOptions): OlsFit {
  const features = [...options.features];
  const d = features.length;
  const ridge = options.ridge ?? 0;
  if (!(ridge >= 0) || !Number.isFinite(ridge))
    throw new RangeError(`ridge must be a finite number >= 0, got ${ridge}`);
  const expected = [...features, options.target];
  if (qr.columns.length !== expected.length || qr.columns.some((c, i) => c !== expected[i]))
    throw new Error(`QR columns [${qr.columns.join(', ')}] are not the features then the target`);
  const n = qr.n;
  if (n === 0) throw new SingularMatrixError('no training rows: no model is defined', features);
  if (ridge === 0 && n < d + 2) {
    throw new SingularMatrixError(
      `${n} rows cannot determine ${d} weights, a bias and the residual spread: need at least ${d + 2} rows. ` +
        `Use fewer features (list only the columns that matter in the schema) or a ridge penalty (--ridge R, training.ridge) ` +
        `to fit more features than rows`,
      features,
    );
  }
  const r = qr.factor();
  const p = qr.p;
  if (!r.every(Number.isFinite) || !qr.shift.every(Number.isFinite)) {
    const bad = expected.filter(
      (_, j) => !Number.isFinite(qr.shift[j]) || !Number.isFinite(r[(1 + j) * p + 1 + j]),
    );
    throw new SingularMatrixError(`non-finite values in ${quote(bad.length ? bad : expected)}`, features);
  }
  const r00 = r[0];
  const mean = features.map((_, j) => qr.shift[j] + r[1 + j] / r00);
  const ybar = qr.shift[d] + r[1 + d] / r00;
  // R₁₁ (d×d) and z = the target column of rows 1..d; ryy the residual of y on [1, X].
  const r11 = new Float64Array(d * d);
  const z = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) r11[i * d + j] = r[(1 + i) * p + 1 + j];
    z[i] = r[(1 + i) * p + 1 + d];
  }
  const ryy = r[(1 + d) * p + 1 + d];
  const std = features.map((_, j) => {
    let ss = 0;
    for (let i = 0; i <= j; i++) ss += r11[i * d + j] ** 2;
    return Math.sqrt(ss / n);
  });

  // The system to decompose: R₁₁, or [R₁₁; √α D] with a ridge. Scaled by its largest entry
  // first (the solution does not change when A and b are scaled alike) so squares cannot overflow.
  const m = ridge > 0 ? 2 * d : d;
  const a = new Float64Array(m * d);
  a.set(r11);
  if (ridge > 0) for (let j = 0; j < d; j++) a[(d + j) * d + j] = Math.sqrt(ridge) * std[j];
  let big = 0;
  for (const v of a) big = Math.max(big, Math.abs(v));
  for (const v of z) big = Math.max(big, Math.abs(v));
  const unit = big > 0 ? 1 / big : 1;
  for (let i = 0; i < a.length; i++) a[i] *= unit;
  const b = new Float64Array(m);
  for (let i = 0; i < d; i++) b[i] = z[i] * unit;
  const svd = jacobiSvd(a, m, d);
  const smax = Math.max(0, ...svd.s);
  const keep = Array.from(svd.s, (s) => s > RANK_EPSILON * smax && s > 0);
  const rank = keep.filter(Boolean).length;
  const w = svdSolve(svd, m, d, b, keep);
  const weights = Array.from(w);
  let bias = ybar;
  for (let j = 0; j < d; j++) bias -= weights[j] * mean[j];

  // Residual: ‖R₁₁ w − z‖² + ryy², total ‖z‖² + ryy² (= Σ (y − ȳ)²).
  let rss = ryy * ryy;
  let syy = ryy * ryy;
  for (let i = 0; i < d; i++) {
    let s = -z[i];
    for (let j = i; j < d; j++) s += r11[i * d + j] * weights[j];
    rss += s * s;
    syy += z[i] * z[i];
  }
  const dof = ridge > 0 ? n - d - 1 : n - rank - 1;
  const sigma2 = dof > 0 ? rss / dof : NaN;

  // Cov(w) = σ̂² A⁺ (X_cᵀX_c) A⁺ with A = X_cᵀX_c + α D², A⁺ = V Σ⁻² Vᵀ (in unscaled units).
  const ainv = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    if (!keep[j]) continue;
    const sj = svd.s[j] / unit;
    for (let s = 0; s < d; s++)
      for (let t = 0; t < d; t++) ainv[s * d + t] += (svd.v[s * d + j] * svd.v[t * d + j]) / (sj * sj);
  }
  let cov = ainv;
  if (ridge > 0) {
    // M = R₁₁ A⁻¹, Cov = Mᵀ M.
    const mm = new Float64Array(d * d);
    for (let i = 0; i < d; i++)
      for (let t = 0; t < d; t++) {
        let s = 0;
        for (let j = i; j < d; j++) s += r11[i * d + j] * ainv[j * d + t];
        mm[i * d + t] = s;
      }
    cov = new Float64Array(d * d);
    for (let s = 0; s < d; s++)
      for (let t = 0; t < d; t++) {
        let acc = 0;
        for (let i = 0; i < d; i++) acc += mm[i * d + s] * mm[i * d + t];
        cov[s * d + t] = acc;
      }
  }
  const standardErrors = features.map((_, j) => Math.sqrt(sigma2 * Math.max(0, cov[j * d + j])));
  let vb = sigma2 / n;
  for (let s = 0; s < d; s++) for (let t = 0; t < d; t++) vb += mean[s] * sigma2 * cov[s * d + t] * mean[t];

  return {
    features,
    target: options.target,
    weights,
    bias,
    scaling: { mean, std },
    standardErrors,
    biasStandardError: Math.sqrt(Math.max(0, vb)),
    residualVariance: sigma2,
    train: { r2: syy > 0 ? 1 - rss / syy : rss === 0 ? 1 : 0, rmse: Math.sqrt(rss / n), rows: n },
    rows: n,
    ridge,
    rank,
    warnings: rankWarnings(features, svd, keep, std, ridge),
  };
}

/**
 * Names what made the problem rank deficient: constant features (zero spread in the training
 * rows: weight 0), then each dropped direction's features (a linear combination of each other).
 */
export function rankWarnings(
  features: readonly string[],
  svd: Svd,
  keep: readonly boolean[],
  std: readonly number[],
  ridge: number,
): string[] {
  const d = features.length;
  const warnings: string[] = [];
  const constant = features.filter((_, j) => std[j] === 0);
  if (constant.length > 0)
    warnings.push(
      `constant feature${constant.length > 1 ? 's' : ''} ${quote(constant)} in the training rows: weight 0 (as scikit-learn); drop ${constant.length > 1 ? 'them' : 'it'} from the schema`,
    );
  if (ridge > 0) return warnings;
  for (let j = 0; j < d; j++) {
    if (keep[j]) continue;
    const col = Array.from({ length: d }, (_, t) => Math.abs(svd.v[t * d + j]));
    const top = Math.max(...col);
    const named = features.filter((_, t) => col[t] > 1e-6 * top && std[t] !== 0);
    if (named.length === 0) continue;
    warnings.push(
      named.length === 1
        ? `feature "${named[0]}" is numerically constant relative to the others (below ε·σ_max): minimum-norm weights, as scikit-learn`
        : `features ${quote(named)} are collinear (one is a linear combination of the others): minimum-norm weights, as scikit-learn; drop one for a unique model or use a ridge > 0`,
    );
  }
  return [...new Set(warnings)];
}
