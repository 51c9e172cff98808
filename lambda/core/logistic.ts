/**
 * Logistic regression for pass/fail targets by Newton's method (IRLS), on the sharded design:
 * each iteration is one pass over every shard's rows producing the shard's gradient and Hessian
 * (a `LogisticPass`, k = d + 1 numbers and a k×k triangle), the passes add (in shard-name order),
 * and one small solve gives the next weights (`newtonIterate`). Shards therefore meet once per
 * iteration (in one process, through S3 between SageMaker hosts or Batch children: see
 * lambda/trainer/iterations.ts), and the planner counts n · iterations units.
 *
 * The objective is scikit-learn's `LogisticRegression(penalty=None, solver='newton-cholesky')`:
 * Σ log(1 + e^η) − yη, η = b + wᵀx, unpenalised; with `ridge` α > 0, + α/2 ‖w_std‖² on the
 * standardised features (`make_pipeline(StandardScaler(), LogisticRegression(C=1/α))`). The
 * iterations run in standardised coordinates z = (x − x̄)/s (conditioning; a constant feature has
 * z = 0 and weight 0) and map back to original units, where the weights are log-odds.
 *
 * Line search without extra passes: a pass evaluates the loss at the new point along with its
 * gradient and Hessian; when the loss went up, the step is halved from the previous point (whose
 * gradient and Hessian are kept), so an accepted full Newton step costs exactly one pass.
 */
import { jacobiSvd, RANK_EPSILON } from './ols';

export type TaskSetting = 'auto' | 'regression' | 'classification';
export type Task = 'regression' | 'classification';
export const TASK_SETTINGS: readonly TaskSetting[] = ['auto', 'regression', 'classification'];

/** Classification that has no maximum-likelihood answer, or did not converge. */
export class ClassificationError extends Error {
  constructor(
    readonly code: 'SEPARATED' | 'NOT_CONVERGED' | 'ONE_CLASS' | 'NOT_TWO_VALUED',
    message: string,
    /** SEPARATED: the parameter (0 the bias, j + 1 feature j) the diverging steps move most. */
    readonly direction?: number,
  ) {
    super(message);
    this.name = 'ClassificationError';
  }
}

/**
 * The target's distinct values, up to two, with their counts (`more` once a third appears):
 * what `task: auto` decides from, and the class coding. Merges across shards.
 */
export class TargetValues {
  readonly values: number[] = [];
  readonly counts: number[] = [];
  more = false;

  add(y: number): void {
    const v = this.values;
    if (v.length > 0 && y === v[0]) this.counts[0]++;
    else if (v.length > 1 && y === v[1]) this.counts[1]++;
    else if (v.length < 2) {
      v.push(y);
      this.counts.push(1);
    } else this.more = true;
  }

  merge(o: TargetValues): this {
    this.more ||= o.more;
    o.values.forEach((y, i) => {
      const at = this.values.indexOf(y);
      if (at >= 0) this.counts[at] += o.counts[i];
      else if (this.values.length < 2) {
        this.values.push(y);
        this.counts.push(o.counts[i]);
      } else this.more = true;
    });
    return this;
  }

  /** Two distinct values exactly. */
  get twoValued(): boolean {
    return !this.more && this.values.length === 2;
  }

  toJSON(): { values: number[]; counts: number[]; more: boolean } {
    return { values: [...this.values], counts: [...this.counts], more: this.more };
  }

  static fromJSON(j: { values: readonly number[]; counts: readonly number[]; more: boolean }): TargetValues {
    const t = new TargetValues();
    t.values.push(...j.values);
    t.counts.push(...j.counts);
    t.more = j.more;
    return t;
  }
}

/** Which task to train: `auto` is classification for a target with exactly two distinct values. */
export function chooseTask(setting: TaskSetting, target: TargetValues, targetName: string): Task {
  if (setting === 'regression') return 'regression';
  if (setting === 'auto') return target.twoValued ? 'classification' : 'regression';
  if (!target.twoValued) {
    throw new ClassificationError(
      target.values.length < 2 ? 'ONE_CLASS' : 'NOT_TWO_VALUED',
      target.values.length < 2
        ? `target "${targetName}" has one value (${target.values[0]}) in the training rows: classification needs both classes`
        : `target "${targetName}" has more than two distinct values: classification needs a pass/fail target (use task regression)`,
    );
  }
  return 'classification';
}

/** The class coding: which target value is the positive class (1). */
export interface Classes {
  readonly negative: number;
  readonly positive: number;
}

/** The positive class: `positiveClass` when given (it must occur), else the rarer value (the larger on a tie). */
export function chooseClasses(target: TargetValues, targetName: string, positiveClass?: number): Classes {
  const [a, b] = target.values;
  const [ca, cb] = target.counts;
  if (positiveClass !== undefined) {
    if (positiveClass !== a && positiveClass !== b)
      throw new ClassificationError(
        'NOT_TWO_VALUED',
        `positive class ${positiveClass} does not occur in target "${targetName}" (values ${a}, ${b})`,
      );
    return { positive: positiveClass, negative: positiveClass === a ? b : a };
  }
  const positive = ca < cb ? a : cb < ca ? b : Math.max(a, b);
  return { positive, negative: positive === a ? b : a };
}

/** Where a pass evaluates: θ = [b, w] in standardised coordinates, and the standardisation. */
export interface LogisticPoint {
  readonly theta: Float64Array;
  readonly mean: ArrayLike<number>;
  /** 1 / s_j, 0 for a constant feature. */
  readonly invStd: ArrayLike<number>;
  readonly positive: number;
}

/** log(1 + e^η) without overflow. */
export function softplus(eta: number): number {
  return eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta));
}

/** 1 / (1 + e^-η) without overflow. */
export function sigmoid(eta: number): number {
  if (eta >= 0) return 1 / (1 + Math.exp(-eta));
  const e = Math.exp(eta);
  return e / (1 + e);
}

export interface LogisticPassJson {
  readonly n: number;
  readonly loss: number;
  readonly gradient: readonly number[];
  /** Row-major k×k upper triangle (zeros below). */
  readonly hessian: readonly number[];
}

/** One shard's contribution to one Newton iteration: Σ loss, gradient, Hessian (k = d + 1). */
export class LogisticPass {
  readonly k: number;
  n = 0;
  loss = 0;
  readonly g: Float64Array;
  readonly h: Float64Array;
  private readonly z: Float64Array;

  constructor(readonly d: number) {
    this.k = d + 1;
    this.g = new Float64Array(this.k);
    this.h = new Float64Array(this.k * this.k);
    this.z = new Float64Array(this.k);
  }

  /** Adds `count` packed rows [x₁..x_d, y] (stride d + 1) evaluated at `at`. */
  addRows(rows: Float64Array, count: number, at: LogisticPoint): void {
    const { d, k, g, h, z } = this;
    const { theta, mean, invStd, positive } = at;
    const stride = d + 1;
    z[0] = 1;
    let loss = this.loss;
    for (let r = 0; r < count; r++) {
      const o = r * stride;
      let eta = theta[0];
      for (let j = 0; j < d; j++) {
        const v = (rows[o + j] - mean[j]) * invStd[j];
        z[1 + j] = v;
        eta += theta[1 + j] * v;
      }
      const y = rows[o + d] === positive ? 1 : 0;
      // One exp for both: e = e^−|η|, p = σ(η), log(1 + e^η) = max(η, 0) + log1p(e).
      const e = Math.exp(eta > 0 ? -eta : eta);
      const p = eta > 0 ? 1 / (1 + e) : e / (1 + e);
      loss += (eta > 0 ? eta : 0) + Math.log1p(e) - y * eta;
      const res = p - y;
      const w = p * (1 - p);
      for (let i = 0; i < k; i++) {
        const zi = z[i];
        g[i] += res * zi;
        const wz = w * zi;
        const row = i * k;
        for (let j = i; j < k; j++) h[row + j] += wz * z[j];
      }
    }
    this.loss = loss;
    this.n += count;
  }

  merge(o: LogisticPass): this {
    if (o.k !== this.k) throw new Error(`cannot merge a logistic pass over ${o.k} parameters into ${this.k}`);
    this.n += o.n;
    this.loss += o.loss;
    for (let i = 0; i < this.k; i++) this.g[i] += o.g[i];
    for (let i = 0; i < this.h.length; i++) this.h[i] += o.h[i];
    return this;
  }

  toJSON(): LogisticPassJson {
    return { n: this.n, loss: this.loss, gradient: Array.from(this.g), hessian: Array.from(this.h) };
  }

  static fromJSON(j: LogisticPassJson): LogisticPass {
    const p = new LogisticPass(j.gradient.length - 1);
    if (j.hessian.length !== p.k * p.k) throw new Error('logistic pass: malformed Hessian');
    p.n = j.n;
    p.loss = j.loss;
    p.g.set(j.gradient);
    p.h.set(j.hessian);
    return p;
  }
}

/** Newton's state between passes: the point evaluated next, and the last accepted point. */
export interface NewtonState {
  /** Where the next pass evaluates. */
  readonly theta: number[];
  readonly iteration: number;
  readonly converged: boolean;
  /** The last accepted point, its loss, and its step (for halving when a step overshoots). */
  readonly accepted?: {
    readonly theta: number[];
    readonly loss: number;
    readonly step: number[];
    readonly t: number;
  };
  /** Inverse (penalised) Hessian at the answer, row-major k×k, once converged. */
  readonly covariance?: number[];
  /** Accepted steps in a row that did not shrink (quasi-separation: steps stay constant). */
  readonly stalled?: number;
  /** The size of the last accepted step. */
  readonly lastStep?: number;
}

/**
 * Steps in a row that do not halve before the fit is called separated. Newton steps shrink
 * quadratically near an optimum; with (quasi-)separation a weight walks off to infinity by a
 * constant step while the loss creeps to its limit (measured: 30 steps of 0.1877 on a failure
 * target a feature nearly separates). Early iterations far from the optimum can keep their size
 * for a few steps (3 on the bench's pass/fail rows), hence 8.
 */
const STALLED_STEPS = 8;

export interface NewtonOptions {
  readonly ridge: number;
  /** @default 100 */
  readonly maxIterations?: number;
}

/** The first point: w = 0 and the intercept at the log-odds of the positive share. */
export function newtonStart(d: number, positives: number, n: number): NewtonState {
  const theta = new Array<number>(d + 1).fill(0);
  theta[0] = Math.log(positives / (n - positives));
  return { theta, iteration: 0, converged: false };
}

/**
 * The first Newton step without a pass: at w = 0, b = logit(ȳ) every row has p = ȳ, so the
 * gradient is −Z_cᵀy_c and the Hessian ȳ(1 − ȳ)·[[n, 0], [0, Z_cᵀZ_c]] (z centred): the step is
 * the least-squares slope of y on z divided by ȳ(1 − ȳ) (with a ridge λ, the ridge slope at
 * λ / (ȳ(1 − ȳ))), which the QR factor already holds. `slope` is that least-squares solution in
 * standardised units (weight × population std). The start is the accepted point, so a first
 * step that overshoots is halved as any other.
 */
export function newtonStartFromSlope(positives: number, n: number, slope: readonly number[]): NewtonState {
  const ybar = positives / n;
  const start = newtonStart(slope.length, positives, n);
  const scale = 1 / (ybar * (1 - ybar));
  const step = [0, ...slope.map((b) => b * scale)];
  // Σ log(1 + e^η) − yη at η = logit(ȳ): n·H(ȳ), the entropy of the classes.
  const loss = -n * (ybar * Math.log(ybar) + (1 - ybar) * Math.log(1 - ybar));
  return {
    theta: start.theta.map((v, i) => v + step[i]),
    iteration: 0,
    converged: false,
    accepted: { theta: start.theta, loss, step, t: 1 },
  };
}

const maxAbs = (v: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]));
  return m;
};

/**
 * One Newton update from the merged pass at `state.theta`: the next point, or `converged` with
 * the answer in `theta`. Throws ClassificationError on separation or when it does not converge.
 */
export function newtonIterate(state: NewtonState, pass: LogisticPass, options: NewtonOptions): NewtonState {
  const k = pass.k;
  const ridge = options.ridge;
  const maxIterations = options.maxIterations ?? 100;
  const theta = state.theta;
  let penalty = 0;
  for (let i = 1; i < k; i++) penalty += theta[i] * theta[i];
  const loss = pass.loss + (ridge / 2) * penalty;
  const acc = state.accepted;
  if (acc && !(loss <= acc.loss * (1 + 1e-13) + 1e-300) && acc.t > 1e-10) {
    // The step overshot: halve it from the last accepted point (its gradient and step are kept).
    const t = acc.t / 2;
    return {
      theta: acc.theta.map((v, i) => v + t * acc.step[i]),
      iteration: state.iteration + 1,
      converged: false,
      accepted: { ...acc, t },
    };
  }
  // Penalised gradient and Hessian (the intercept is not penalised), full symmetric matrix.
  const g = Float64Array.from(pass.g);
  const h = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = i; j < k; j++) h[i * k + j] = h[j * k + i] = pass.h[i * k + j];
  for (let i = 1; i < k; i++) {
    g[i] += ridge * theta[i];
    h[i * k + i] += ridge;
  }
  // Minimum-norm Newton step −H⁺g (H is positive semidefinite; a constant feature's row is 0).
  const svd = jacobiSvd(h, k, k);
  const smax = maxAbs(svd.s);
  const keep = Array.from(svd.s, (s) => s > RANK_EPSILON * k * smax && s > 0);
  const step = new Array<number>(k).fill(0);
  const hinv = new Array<number>(k * k).fill(0);
  for (let j = 0; j < k; j++) {
    if (!keep[j]) continue;
    // For a symmetric PSD matrix the one-sided Jacobi columns are σ_j v_j.
    const sj = svd.s[j];
    let vg = 0;
    for (let t = 0; t < k; t++) vg += svd.v[t * k + j] * g[t];
    for (let t = 0; t < k; t++) {
      step[t] -= (svd.v[t * k + j] * vg) / sj;
      for (let u = 0; u < k; u++) hinv[t * k + u] += (svd.v[t * k + j] * svd.v[u * k + j]) / sj;
    }
  }
  const next = theta.map((v, i) => v + step[i]);
  const iteration = state.iteration + 1;
  if (maxAbs(next) > 1e4 || pass.loss < 1e-10 * pass.n) {
    throw new ClassificationError(
      'SEPARATED',
      'the classes are (nearly) perfectly separated by the features: the maximum-likelihood weights are infinite. ' +
        'Use an L2 penalty (--ridge R, training.ridge), or fewer features',
    );
  }
  if (maxAbs(step) <= 1e-6 * (1 + maxAbs(theta))) {
    // Quadratic convergence: θ + step is off the optimum by about C·step² (C ≈ 0.3 measured on
    // the bench's pass/fail rows: steps 6.5e-4 → 1.4e-7 → 5e-15), ~1e-12 here, so it is the
    // answer without another pass.
    return { theta: next, iteration, converged: true, covariance: hinv };
  }
  if (iteration >= maxIterations)
    throw new ClassificationError(
      'NOT_CONVERGED',
      `Newton's method did not converge in ${maxIterations} iterations (last step ${maxAbs(step).toExponential(2)}); use an L2 penalty (--ridge R)`,
    );
  const size = maxAbs(step);
  const stalled = state.lastStep !== undefined && size > 0.5 * state.lastStep ? (state.stalled ?? 0) + 1 : 0;
  if (stalled >= STALLED_STEPS) {
    let direction = 0;
    for (let i = 1; i < k; i++) if (Math.abs(step[i]) > Math.abs(step[direction])) direction = i;
    throw new ClassificationError(
      'SEPARATED',
      'the classes are (nearly) perfectly separated by the features: the maximum-likelihood weights are infinite. ' +
        'Use an L2 penalty (--ridge R, training.ridge), or fewer features',
      direction,
    );
  }
  return {
    theta: next,
    iteration,
    converged: false,
    accepted: { theta: [...theta], loss, step, t: 1 },
    stalled,
    lastStep: size,
  };
}

/** θ (standardised) → log-odds weights and bias in original units, with standard errors. */
export function originalUnits(
  state: NewtonState,
  mean: ArrayLike<number>,
  invStd: ArrayLike<number>,
): { weights: number[]; bias: number; standardErrors: number[]; biasStandardError: number } {
  const d = mean.length;
  const k = d + 1;
  const th = state.theta;
  const weights = Array.from({ length: d }, (_, j) => th[1 + j] * invStd[j]);
  let bias = th[0];
  for (let j = 0; j < d; j++) bias -= weights[j] * mean[j];
  // [b, w] = T θ, T = [[1, −(x̄/s)ᵀ], [0, diag(1/s)]]; Cov = T H⁻¹ Tᵀ.
  const c = state.covariance ?? new Array<number>(k * k).fill(NaN);
  const t = new Float64Array(k * k);
  t[0] = 1;
  for (let j = 0; j < d; j++) {
    t[1 + j] = -mean[j] * invStd[j];
    t[(1 + j) * k + 1 + j] = invStd[j];
  }
  const tc = new Float64Array(k * k);
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let u = 0; u < k; u++) s += t[i * k + u] * c[u * k + j];
      tc[i * k + j] = s;
    }
  const variance = (i: number) => {
    let s = 0;
    for (let u = 0; u < k; u++) s += tc[i * k + u] * t[i * k + u];
    return Math.sqrt(Math.max(0, s));
  };
  return {
    weights,
    bias,
    standardErrors: Array.from({ length: d }, (_, j) => variance(1 + j)),
    biasStandardError: variance(0),
  };
}
