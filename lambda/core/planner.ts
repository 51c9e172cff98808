/**
 * The capacity planner: `T(p) = t0 + s + c·n/p`.
 *
 * - `n` units of work (rows), split over `p` identical instances;
 * - `c` seconds per unit per instance (calibrated from past jobs, see calibration.ts);
 * - `t0` start-up overhead per job (provisioning, image pull, data download) — paid once, in
 *   parallel on every instance, so it does not shrink with p;
 * - `s` serial seconds (the reduce: merging partials and the final solve) — Amdahl's serial part.
 *
 * With `t0 = s = 0, c = 1` this is the article's `T = n/p`, exactly (same floating-point
 * operations). The model is a fluid one: it assumes work divides evenly. Real shards are whole
 * units, so a worker may carry ⌈n/p⌉ units instead of n/p; the difference is at most one unit's
 * time `c`, negligible when each worker has many units, and the reason p is never raised past n.
 *
 * Everything here is pure and throws only `PlanInputError` (bad input). An unreachable deadline is
 * a normal answer (`feasible: false`), not an exception.
 */
import { instanceFacts, type InstanceFacts } from './instance-facts';

/** What a job costs in time: the parameters of `T(p) = t0 + s + c·n/p`. */
export interface CostModel {
  /** n: units of work (rows); a positive whole number. */
  readonly units: number;
  /** c: seconds per unit per instance; > 0. */
  readonly secondsPerUnit: number;
  /** t0: start-up overhead per job in seconds; ≥ 0. */
  readonly startupSeconds: number;
  /** s: serial seconds (the reduce) per job; ≥ 0. */
  readonly serialSeconds: number;
}

export interface PlanInput extends CostModel {
  /** The wall-clock deadline in seconds; > 0. */
  readonly deadlineSeconds: number;
  /** Smallest p allowed. @default 1 */
  readonly minP?: number;
  /**
   * Largest p allowed: the quota or per-job maximum (see `capMaxP`).
   * @default Number.MAX_SAFE_INTEGER (in effect n, see `upperP`)
   */
  readonly maxP?: number;
  /** On-demand price per instance-hour in USD; ≥ 0. Without it, `cost` is null. */
  readonly pricePerHour?: number;
}

/** T, cost, speedup, efficiency and shards for one p. */
export interface PlanPoint {
  readonly p: number;
  /** Planned wall-clock seconds T(p). */
  readonly seconds: number;
  /** p × T × price / 3600 in USD, or null without a price. */
  readonly cost: number | null;
  /** T(1) / T(p). */
  readonly speedup: number;
  /** speedup / p. */
  readonly efficiency: number;
  /** Shards of whole units to cut the input into (see `shardCount`). */
  readonly shards: number;
}

interface PlanCommon extends PlanPoint {
  readonly units: number;
  readonly deadlineSeconds: number;
  /** The bounds actually searched: [minP, upper] with upper = max(minP, min(maxP, n)). */
  readonly minP: number;
  readonly maxP: number;
  readonly model: CostModel;
}

export interface FeasiblePlan extends PlanCommon {
  readonly feasible: true;
}

export interface InfeasiblePlan extends PlanCommon {
  readonly feasible: false;
  /** The p with the best achievable T within the bounds (the upper bound, T being non-increasing). */
  readonly bestP: number;
  readonly bestSeconds: number;
  /** bestSeconds − deadlineSeconds. */
  readonly shortfallSeconds: number;
  /**
   * 'overhead': t0 + s alone reach the deadline, no p helps.
   * 'max-p': a larger p would meet it; `requiredP` says which.
   */
  readonly reason: 'overhead' | 'max-p';
  /** The smallest p that would meet the deadline without the upper bound, when one exists. */
  readonly requiredP: number | null;
}

export type Plan = FeasiblePlan | InfeasiblePlan;

/** Bad planner input, naming the field (the CLI maps fields to flags). */
export class PlanInputError extends Error {
  readonly code = 'InvalidPlanInput';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field} ${message}`);
    this.name = 'PlanInputError';
  }
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function requirePositive(field: string, v: unknown): number {
  if (!isFiniteNumber(v) || v <= 0) throw new PlanInputError(field, `must be a number > 0, got ${String(v)}`);
  return v;
}

function requireNonNegative(field: string, v: unknown): number {
  if (!isFiniteNumber(v) || v < 0) throw new PlanInputError(field, `must be a number ≥ 0, got ${String(v)}`);
  return v;
}

function requireWhole(field: string, v: unknown, min: number): number {
  if (!isFiniteNumber(v) || !Number.isSafeInteger(v) || v < min) {
    throw new PlanInputError(field, `must be a whole number ≥ ${min}, got ${String(v)}`);
  }
  return v;
}

/** Validates a cost model; throws PlanInputError naming the first bad field. */
export function validateCostModel(model: CostModel): CostModel {
  return {
    units: requireWhole('units', model.units, 1),
    secondsPerUnit: requirePositive('secondsPerUnit', model.secondsPerUnit),
    startupSeconds: requireNonNegative('startupSeconds', model.startupSeconds),
    serialSeconds: requireNonNegative('serialSeconds', model.serialSeconds),
  };
}

/**
 * T(p) = t0 + s + c·n/p. Evaluated as `(t0 + s) + (c·n)/p`: with t0 = s = 0 and c = 1 that is
 * `0 + n/p`, bit-for-bit `n/p`; and for a fixed model it is non-increasing in p even in floating
 * point (division and addition are monotone under round-to-nearest).
 */
export function plannedSeconds(model: CostModel, p: number): number {
  requireWhole('p', p, 1);
  return timeAt(model, p);
}

function timeAt(model: CostModel, p: number): number {
  return model.startupSeconds + model.serialSeconds + (model.secondsPerUnit * model.units) / p;
}

/** p × T × price / 3600, in USD (instances are billed for the whole T, start-up included). */
export function planCost(p: number, seconds: number, pricePerHour: number): number {
  return (p * seconds * pricePerHour) / 3600;
}

/**
 * How many shards of whole units to cut n units into for p workers.
 *
 * Rule: p shards (one per worker, sizes differing by at most one unit, so the fluid model's even
 * split holds to within one unit), or more when `maxUnitsPerShard` demands it — then the smallest
 * multiple of p that respects the limit, so every worker still gets the same number of shards.
 * Never more shards than units (an empty shard is a wasted object); so with n < p there are n
 * shards and p − n workers idle.
 */
export function shardCount(units: number, p: number, options: { maxUnitsPerShard?: number } = {}): number {
  requireWhole('units', units, 1);
  requireWhole('p', p, 1);
  let shards = p;
  if (options.maxUnitsPerShard !== undefined) {
    const limit = requireWhole('maxUnitsPerShard', options.maxUnitsPerShard, 1);
    const needed = Math.ceil(units / limit);
    shards = Math.ceil(needed / p) * p;
  }
  return Math.min(shards, units);
}

/** Sizes of `shards` shards over n units: the first n mod shards get one unit more. */
export function shardSizes(units: number, shards: number): number[] {
  requireWhole('units', units, 1);
  requireWhole('shards', shards, 1);
  if (shards > units) throw new PlanInputError('shards', `must not exceed units (${units}), got ${shards}`);
  const base = Math.floor(units / shards);
  const extra = units % shards;
  return Array.from({ length: shards }, (_, i) => base + (i < extra ? 1 : 0));
}

/** The point (T, cost, speedup, efficiency, shards) for one p; the model must be valid. */
export function planPoint(model: CostModel, p: number, pricePerHour?: number): PlanPoint {
  validateCostModel(model);
  requireWhole('p', p, 1);
  if (pricePerHour !== undefined) requireNonNegative('pricePerHour', pricePerHour);
  return pointAt(model, p, pricePerHour);
}

function pointAt(model: CostModel, p: number, pricePerHour: number | undefined): PlanPoint {
  const seconds = timeAt(model, p);
  const speedup = timeAt(model, 1) / seconds;
  return {
    p,
    seconds,
    cost: pricePerHour === undefined ? null : planCost(p, seconds, pricePerHour),
    speedup,
    efficiency: speedup / p,
    shards: shardCount(model.units, p),
  };
}

/**
 * The smallest p ≥ 1 with T(p) ≤ deadline, ignoring upper bounds, or null when t0 + s alone
 * already reach the deadline. Closed form p = ⌈c·n / (D − t0 − s)⌉, then checked against T itself
 * (a step or two either way absorbs floating-point rounding of the division).
 */
export function requiredP(model: CostModel, deadlineSeconds: number): number | null {
  const fixed = model.startupSeconds + model.serialSeconds;
  if (!(deadlineSeconds > fixed)) return null;
  const work = model.secondsPerUnit * model.units;
  const guess = Math.ceil(work / (deadlineSeconds - fixed));
  // A work/(D−fixed) beyond 2^53 means no representable p can help; T(p) would never drop below D.
  if (!Number.isSafeInteger(guess)) return null;
  return smallestMeeting((p) => timeAt(model, p) <= deadlineSeconds, 1, Number.MAX_SAFE_INTEGER, guess);
}

/**
 * Smallest p in [lo, hi] with meets(p), given meets is monotone (false…false true…true) and a
 * guess near the answer: gallop from the guess to bracket it, then bisect. O(log distance).
 */
function smallestMeeting(
  meets: (p: number) => boolean,
  lo: number,
  hi: number,
  guess: number,
): number | null {
  let p = Math.min(Math.max(guess, lo), hi);
  if (meets(p)) {
    // Answer is in [lo, p]; gallop down to find a failing p.
    let step = 1;
    let high = p;
    let low = p - step;
    while (low >= lo && meets(low)) {
      high = low;
      step *= 2;
      low = p - step;
    }
    low = Math.max(low, lo - 1); // low fails (or is below range)
    return bisect(meets, low, high);
  }
  // Answer is in (p, hi]; gallop up.
  let step = 1;
  let low = p;
  let high = p + step;
  while (high <= hi && !meets(high)) {
    low = high;
    step *= 2;
    high = p + step;
  }
  if (high > hi) {
    if (!meets(hi)) return null;
    high = hi;
  }
  p = bisect(meets, low, high);
  return p;
}

/** low fails (or is out of range), high meets: returns the smallest meeting p in (low, high]. */
function bisect(meets: (p: number) => boolean, low: number, high: number): number {
  while (high - low > 1) {
    const mid = low + Math.floor((high - low) / 2);
    if (meets(mid)) high = mid;
    else low = mid;
  }
  return high;
}

/** The largest p worth searching: max(minP, min(maxP, n)) — an instance with no unit only costs. */
export function upperP(units: number, minP: number, maxP: number): number {
  return Math.max(minP, Math.min(maxP, units));
}

/**
 * The plan: the smallest p in [minP, maxP] whose T meets the deadline, with its T, cost, speedup,
 * efficiency and shards; or, when none does, an infeasible plan at the best achievable p.
 * Throws PlanInputError (naming the field) for invalid input only.
 */
export function plan(input: PlanInput): Plan {
  const model = validateCostModel(input);
  const deadlineSeconds = requirePositive('deadlineSeconds', input.deadlineSeconds);
  const minP = requireWhole('minP', input.minP ?? 1, 1);
  const maxP = requireWhole('maxP', input.maxP ?? Number.MAX_SAFE_INTEGER, 1);
  if (minP > maxP) throw new PlanInputError('minP', `must not exceed maxP (${maxP}), got ${minP}`);
  const price =
    input.pricePerHour === undefined ? undefined : requireNonNegative('pricePerHour', input.pricePerHour);
  const upper = upperP(model.units, minP, maxP);
  const common = { units: model.units, deadlineSeconds, minP, maxP: upper, model };

  const needed = requiredP(model, deadlineSeconds);
  if (needed !== null && needed <= upper) {
    const p = Math.max(needed, minP);
    return { feasible: true, ...pointAt(model, p, price), ...common };
  }
  const best = pointAt(model, upper, price);
  return {
    feasible: false,
    ...best,
    ...common,
    bestP: upper,
    bestSeconds: best.seconds,
    shortfallSeconds: best.seconds - deadlineSeconds,
    reason: needed === null ? 'overhead' : 'max-p',
    requiredP: needed,
  };
}

/**
 * Points around a chosen p for a table: the chosen p ± radius, plus the bounds, all within
 * [minP, maxP], ascending and distinct.
 */
export function planTable(
  model: CostModel,
  chosenP: number,
  bounds: { minP: number; maxP: number },
  options: { radius?: number; pricePerHour?: number } = {},
): PlanPoint[] {
  validateCostModel(model);
  const radius = options.radius ?? 3;
  const ps = new Set<number>([bounds.minP, bounds.maxP]);
  for (let p = chosenP - radius; p <= chosenP + radius; p++) ps.add(p);
  return [...ps]
    .filter((p) => p >= bounds.minP && p <= bounds.maxP && Number.isSafeInteger(p))
    .sort((a, b) => a - b)
    .map((p) => pointAt(model, p, options.pricePerHour));
}

/** The tightest of several instance limits (account quota, per-job maximum, configured cap). */
export function capMaxP(...limits: (number | undefined)[]): number {
  const given = limits.filter((v): v is number => v !== undefined);
  given.forEach((v, i) => requireWhole(`limit[${i}]`, v, 1));
  return given.length ? Math.min(...given) : Number.MAX_SAFE_INTEGER;
}

/** AWS Batch compute-environment ceiling: p instances × vCPUs each (one job child per instance). */
export function batchMaxVcpus(p: number, vcpusPerInstance: number): number {
  return requireWhole('p', p, 1) * requireWhole('vcpusPerInstance', vcpusPerInstance, 1);
}

export interface TrainingWorkload {
  /** Rows one training run processes (n). */
  readonly rowsPerRun: number;
  readonly deadlineSeconds: number;
  /** A type from instance-types.json, e.g. `ml.m5.xlarge` or `c5.2xlarge`. */
  readonly instanceType: string;
  /** Quota / per-job ceiling on instances. */
  readonly maxInstances: number;
  readonly startupSeconds: number;
  readonly secondsPerUnit: number;
  readonly serialSeconds: number;
  /** USD per instance-hour. @default the committed table's on-demand price for instanceType */
  readonly pricePerHour?: number;
}

export interface TrainingCapacity {
  /** Instances: the smallest meeting the deadline, or maxInstances-bounded best when infeasible. */
  readonly p: number;
  readonly plannedSeconds: number;
  readonly cost: number;
  readonly feasible: boolean;
  /** p × vCPUs(instanceType): the Batch compute environment's maxvCpus. */
  readonly maxvCpus: number;
  readonly shards: number;
  readonly pricePerHour: number;
  readonly instanceFacts: InstanceFacts;
}

/**
 * Synth-time sizing from the configured workload (pure, offline: uses the committed instance
 * table). Does not throw on an unreachable deadline — `feasible` says so and the caller decides;
 * throws PlanInputError / UnknownInstanceTypeError for invalid configuration.
 */
export function sizeTrainingCapacity(workload: TrainingWorkload): TrainingCapacity {
  const facts = instanceFacts(workload.instanceType);
  const maxInstances = requireWhole('maxInstances', workload.maxInstances, 1);
  const pricePerHour = workload.pricePerHour ?? facts.pricePerHour;
  const result = renamingField('units', 'rowsPerRun', () =>
    plan({
      units: workload.rowsPerRun,
      deadlineSeconds: workload.deadlineSeconds,
      startupSeconds: workload.startupSeconds,
      secondsPerUnit: workload.secondsPerUnit,
      serialSeconds: workload.serialSeconds,
      minP: 1,
      maxP: maxInstances,
      pricePerHour,
    }),
  );
  return {
    p: result.p,
    plannedSeconds: result.seconds,
    cost: result.cost ?? 0,
    feasible: result.feasible,
    maxvCpus: batchMaxVcpus(result.p, facts.vcpus),
    shards: result.shards,
    pricePerHour,
    instanceFacts: facts,
  };
}

function renamingField<T>(from: string, to: string, f: () => T): T {
  try {
    return f();
  } catch (error) {
    if (error instanceof PlanInputError && error.field === from) {
      throw new PlanInputError(to, error.message.slice(from.length + 1));
    }
    throw error;
  }
}

/** How a training run's passes over the rows are spread (classification needs several). */
export interface TrainingPasses {
  /** Training rows (n). */
  readonly rows: number;
  /**
   * Passes over the rows: 1 for regression (one QR pass); for classification the first pass
   * plus one per Newton iteration (lambda/core/logistic.ts).
   */
  readonly passes: number;
  readonly engine: 'sagemaker' | 'batch';
  /** c, t0, s as calibrated. */
  readonly secondsPerUnit: number;
  readonly startupSeconds: number;
  readonly serialSeconds: number;
  /** One iteration's meeting of the hosts through S3 (publish, poll, merge); ≥ 0. */
  readonly exchangeSeconds: number;
}

/**
 * The cost model of a run with several passes, as the trainer spends them:
 * - SageMaker: the hosts stay up across iterations (t0 once), every pass splits over p, and each
 *   iteration after the first pass adds one exchange: T = t0 + s + (passes − 1)·e + c·(n·passes)/p,
 *   i.e. n·passes units.
 * - Batch: the array children exit after the first pass; the reduce runs the Newton passes over
 *   all rows in one process: T = t0 + s + (passes − 1)·c·n + c·n/p.
 * With passes = 1 both are the one-pass model exactly.
 */
export function trainingCostModel(t: TrainingPasses): CostModel {
  const passes = requireWhole('passes', t.passes, 1);
  if (!(t.exchangeSeconds >= 0))
    throw new PlanInputError('exchangeSeconds', `must be ≥ 0, got ${t.exchangeSeconds}`);
  if (t.engine === 'sagemaker') {
    return {
      units: t.rows * passes,
      secondsPerUnit: t.secondsPerUnit,
      startupSeconds: t.startupSeconds,
      serialSeconds: t.serialSeconds + (passes - 1) * t.exchangeSeconds,
    };
  }
  return {
    units: t.rows,
    secondsPerUnit: t.secondsPerUnit,
    startupSeconds: t.startupSeconds,
    serialSeconds: t.serialSeconds + (passes - 1) * t.secondsPerUnit * t.rows,
  };
}
