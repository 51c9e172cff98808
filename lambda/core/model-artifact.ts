import { createHash } from 'node:crypto';

/**
 * The model artifact (DESIGN.md): one versioned JSON document that the predict handler needs
 * and nothing else. Produced by the trainer, promoted by the state machine, read by serving.
 */
export const MODEL_ARTIFACT_FORMAT = 'aiaas-factory/linear-model@1';

export interface GaussianProfile {
  /** Rows the profile was estimated from. */
  readonly count: number;
  /** Per feature, in the order of `features`. */
  readonly mean: readonly number[];
  /** Per feature sample standard deviation (n - 1), in the order of `features`. */
  readonly std: readonly number[];
}

export interface ModelMetrics {
  readonly r2: number;
  readonly rmse: number;
  /** Mean absolute error; null when measured in-sample from moments alone (holdout 0), which keep no residuals. */
  readonly mae: number | null;
  /** Rows the metrics were measured on (holdout rows, or training rows when holdout is 0). */
  readonly rows: number;
  /** Which rows: 'holdout' or 'train' (holdout fraction 0). */
  readonly on: 'holdout' | 'train';
}

export interface ModelLineage {
  /** Input objects with versions or ETags (or local paths with a content hash). */
  readonly inputs: readonly {
    readonly key: string;
    readonly version?: string;
    readonly etag?: string;
    /** Local inputs: sha256 of the bytes read. */
    readonly sha256?: string;
    readonly bytes?: number;
  }[];
  /** sha256 of the canonical training configuration. */
  readonly configHash: string;
  /** Version of the code that trained the model (package version and git revision when known). */
  readonly codeVersion: string;
}

export interface CapacityUsed {
  readonly engine: 'local' | 'sagemaker' | 'batch';
  readonly instances: number;
  readonly instanceType?: string;
  readonly shards: number;
  /** Planned T in seconds, when a plan was made. */
  readonly plannedSeconds?: number;
}

export interface ModelArtifact {
  readonly format: typeof MODEL_ARTIFACT_FORMAT;
  /** Unique, sortable model version (ISO time plus a short content hash). */
  readonly version: string;
  readonly trainedAt: string;
  readonly target: string;
  readonly category: string;
  readonly features: readonly string[];
  /** In the order of `features`, original (unscaled) units. */
  readonly weights: readonly number[];
  readonly bias: number;
  /** Feature scaling used for the solve (means and standard deviations per feature). */
  readonly scaling: { readonly mean: readonly number[]; readonly std: readonly number[] };
  /** Per-category Gaussian profiles of the features, for anomaly z-scores. */
  readonly profiles: Readonly<Record<string, GaussianProfile>>;
  readonly metrics: ModelMetrics;
  /** Training rows used for the fit. */
  readonly rows: number;
  /** How missing cells were treated: 'none' drops incomplete rows, 'mean' fills first. */
  readonly fill: 'none' | 'mean';
  readonly ridge: number;
  readonly lineage: ModelLineage;
  readonly capacity: CapacityUsed;
  /**
   * Standard errors of `weights` from σ̂² (XᵀX)⁻¹ (the co-moments), so a reader can judge each
   * weight (explainability). Optional for artifacts written before they were recorded.
   */
  readonly standardErrors?: readonly number[];
  readonly biasStandardError?: number;
  /** √σ̂²: the residual standard deviation of the fit. */
  readonly residualStd?: number;
  /** Holdout fraction used for the split. */
  readonly holdout?: number;
  /** Where the rows went: read, duplicates, quarantined, incomplete (fill 'none'), used. */
  readonly data?: {
    readonly rowsIn: number;
    readonly duplicates: number;
    readonly quarantined: number;
    readonly incomplete: number;
    readonly used: number;
    readonly withoutCategory: number;
  };
}

export interface BuildArtifactInput {
  readonly target: string;
  readonly category: string;
  readonly features: readonly string[];
  readonly weights: readonly number[];
  readonly bias: number;
  readonly scaling: { readonly mean: readonly number[]; readonly std: readonly number[] };
  readonly standardErrors: readonly number[];
  readonly biasStandardError: number;
  readonly residualStd: number;
  readonly profiles: Readonly<Record<string, GaussianProfile>>;
  readonly metrics: ModelMetrics;
  readonly rows: number;
  readonly fill: 'none' | 'mean';
  readonly ridge: number;
  readonly holdout: number;
  readonly lineage: ModelLineage;
  readonly capacity: CapacityUsed;
  readonly data?: ModelArtifact['data'];
  /** @default now */
  readonly trainedAt?: Date;
}

/** JSON cannot hold NaN or ±Infinity: such numbers become null (and fail validation where a number is required). */
function jsonSafe<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)),
  );
}

/** sha256 (hex) of a value's JSON with object keys sorted, so equal content hashes equal. */
export function canonicalHash(value: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v as object)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash('sha256')
    .update(JSON.stringify(canonical(value)))
    .digest('hex');
}

/** `20240501T120000Z`: the sortable, key-safe form of an instant used in versions. */
export function compactTime(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The versioned artifact: version = compact ISO time of training + '-' + the first 12 hex
 * digits of the sha256 of everything else but the time, so retraining the same inputs the same
 * way gives the same hash and a version that still sorts by time.
 */
export function buildArtifact(input: BuildArtifactInput): ModelArtifact {
  const trainedAt = input.trainedAt ?? new Date();
  const body = jsonSafe({
    format: MODEL_ARTIFACT_FORMAT,
    target: input.target,
    category: input.category,
    features: [...input.features],
    weights: [...input.weights],
    bias: input.bias,
    standardErrors: [...input.standardErrors],
    biasStandardError: input.biasStandardError,
    residualStd: input.residualStd,
    scaling: { mean: [...input.scaling.mean], std: [...input.scaling.std] },
    profiles: input.profiles,
    metrics: input.metrics,
    rows: input.rows,
    fill: input.fill,
    ridge: input.ridge,
    holdout: input.holdout,
    ...(input.data ? { data: input.data } : {}),
    lineage: input.lineage,
    capacity: input.capacity,
  });
  const version = `${compactTime(trainedAt)}-${canonicalHash(body).slice(0, 12)}`;
  return {
    ...body,
    format: MODEL_ARTIFACT_FORMAT,
    version,
    trainedAt: trainedAt.toISOString(),
  } as ModelArtifact;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isVector = (v: unknown, n: number): boolean => Array.isArray(v) && v.length === n && v.every(isNumber);

/**
 * Every reason `value` is not a complete artifact as the trainer writes it; empty when it is.
 * (The JSON Schema in model-artifact.schema.json states the same contract for other tools.)
 */
export function validateArtifact(value: unknown): string[] {
  const p: string[] = [];
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return ['the artifact is not a JSON object'];
  const a = value as Record<string, unknown>;
  if (a.format !== MODEL_ARTIFACT_FORMAT) p.push(`format must be ${JSON.stringify(MODEL_ARTIFACT_FORMAT)}`);
  if (typeof a.version !== 'string' || !/^\d{8}T\d{6}Z-[0-9a-f]{12}$/.test(a.version)) {
    p.push('version must look like 20240501T120000Z-0123456789ab');
  }
  if (typeof a.trainedAt !== 'string' || Number.isNaN(Date.parse(a.trainedAt)))
    p.push('trainedAt must be an ISO time');
  for (const k of ['target', 'category'] as const)
    if (typeof a[k] !== 'string' || a[k] === '') p.push(`${k} must be a name`);
  const f = a.features;
  const ok = Array.isArray(f) && f.length > 0 && f.every((x) => typeof x === 'string' && x !== '');
  if (!ok) p.push('features must be a non-empty list of names');
  const d = ok ? (f as string[]).length : 0;
  if (ok && new Set(f as string[]).size !== d) p.push('features must be distinct');
  if (!isVector(a.weights, d)) p.push(`weights must be ${d} finite numbers`);
  if (!isVector(a.standardErrors, d)) p.push(`standardErrors must be ${d} finite numbers`);
  for (const k of ['bias', 'biasStandardError', 'residualStd', 'ridge', 'holdout'] as const) {
    if (!isNumber(a[k])) p.push(`${k} must be a finite number`);
  }
  const s = a.scaling as Record<string, unknown> | null;
  if (!s || typeof s !== 'object' || !isVector(s.mean, d) || !isVector(s.std, d)) {
    p.push(`scaling must be { mean, std } of ${d} numbers`);
  }
  const profiles = a.profiles;
  if (!profiles || typeof profiles !== 'object' || Array.isArray(profiles))
    p.push('profiles must be an object');
  else {
    for (const [name, pr] of Object.entries(profiles as Record<string, Record<string, unknown>>)) {
      if (!pr || !Number.isInteger(pr.count) || !isVector(pr.mean, d) || !isVector(pr.std, d)) {
        p.push(`profiles["${name}"] must be { count, mean, std } over ${d} features`);
      }
    }
  }
  const m = a.metrics as Record<string, unknown> | null;
  if (
    !m ||
    typeof m !== 'object' ||
    !isNumber(m.r2) ||
    !isNumber(m.rmse) ||
    !(m.mae === null || isNumber(m.mae)) ||
    !Number.isInteger(m.rows) ||
    (m.on !== 'holdout' && m.on !== 'train')
  ) {
    p.push('metrics must be { r2, rmse, mae (number or null), rows, on: holdout|train }');
  }
  if (!Number.isInteger(a.rows) || (a.rows as number) < 1) p.push('rows must be a positive whole number');
  if (a.fill !== 'none' && a.fill !== 'mean') p.push('fill must be "none" or "mean"');
  const l = a.lineage as Record<string, unknown> | null;
  if (
    !l ||
    typeof l !== 'object' ||
    !Array.isArray(l.inputs) ||
    !l.inputs.every((i: { key?: unknown }) => i && typeof i.key === 'string') ||
    typeof l.configHash !== 'string' ||
    !/^[0-9a-f]{64}$/.test(l.configHash) ||
    typeof l.codeVersion !== 'string'
  ) {
    p.push('lineage must be { inputs: [{ key, ... }], configHash (sha256 hex), codeVersion }');
  }
  const c = a.capacity as Record<string, unknown> | null;
  if (
    !c ||
    typeof c !== 'object' ||
    !['local', 'sagemaker', 'batch'].includes(c.engine as string) ||
    !Number.isInteger(c.instances) ||
    !Number.isInteger(c.shards)
  ) {
    p.push('capacity must be { engine: local|sagemaker|batch, instances, shards, ... }');
  }
  return p;
}
