/**
 * Scoring with explanations: the linear prediction `y = wᵀx + b`, each feature's contribution
 * `wᵢxᵢ` (plus the bias) that sum to it, z-scores against the row's category Gaussian profile,
 * and the features whose |z| is above a threshold. Pure.
 *
 * A model is compiled once per version (`compileModel`): typed arrays and lookup maps, so the
 * per-row work is arithmetic and the construction of the response object.
 */
import { MODEL_ARTIFACT_FORMAT, type ModelArtifact } from './model-artifact';
import type { DecodeSpec, DecodedRows, FillSource } from './predict-request';

/** The artifact cannot be served; `problems` says why, one entry per defect. */
export class InvalidModelError extends Error {
  readonly code = 'invalid_model';
  constructor(readonly problems: readonly string[]) {
    super(`invalid model artifact: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? '; …' : ''}`);
    this.name = 'InvalidModelError';
  }
}

export interface CompiledProfile {
  readonly count: number;
  readonly mean: Float64Array;
  /** NaN where the standard deviation is unknown (null in the artifact). */
  readonly std: Float64Array;
}

export interface CompiledModel extends DecodeSpec {
  readonly artifact: ModelArtifact;
  readonly version: string;
  readonly weights: Float64Array;
  readonly bias: number;
  readonly profiles: ReadonlyMap<string, CompiledProfile>;
  /** `{ <feature>: values[j], ..., bias }` in one allocation with a fixed shape. */
  readonly contributionsRecord: (values: ArrayLike<number>, bias: number) => Record<string, number>;
  /** `{ <feature>: values[j], ... }` in one allocation with a fixed shape. */
  readonly zScoresRecord: (values: ArrayLike<number | null>) => Record<string, number | null>;
  /** Per-row scratch (scoring is synchronous, so one per model is enough). */
  readonly scratchContributions: Float64Array;
  readonly scratchZ: (number | null)[];
}

type RecordFactory<V> = (values: ArrayLike<V>, bias?: number) => Record<string, V>;

/**
 * A function that builds the per-row record `{ <feature>: values[j], ... [, bias] }` as one object
 * literal, compiled once per model: V8 then allocates every row's record with the same shape in
 * one step, where assigning the keys one by one walks the shape transitions per row (about half
 * of the scoring time). Only the keys are spliced into the source, as JSON string literals
 * (which are valid JavaScript string literals); `__proto__` is refused by the validation, since
 * a literal `"__proto__": v` sets the prototype rather than a property. Where code generation is
 * disabled (--disallow-code-generation-from-strings), the same record is built key by key.
 */
function recordFactory<V>(keys: readonly string[], withBias: boolean): RecordFactory<V> {
  const fields = keys.map((k, j) => `${JSON.stringify(k)}: v[${j}]`);
  if (withBias) fields.push('"bias": b');
  try {
    return new Function('v', 'b', `return { ${fields.join(', ')} };`) as RecordFactory<V>;
  } catch {
    return (values, bias) => {
      const record: Record<string, V> = {};
      for (let j = 0; j < keys.length; j++) record[keys[j]] = values[j];
      if (withBias) (record as Record<string, unknown>).bias = bias;
      return record;
    };
  }
}

export interface ScoreOptions {
  /** A feature is an anomaly when |z| is above this. */
  readonly anomalyZ: number;
}

export interface RowPrediction {
  /** `Σ wᵢxᵢ + b`, summed in feature order then the bias. */
  readonly prediction: number;
  /** `wᵢxᵢ` per feature (model order) then `bias`; added in this order they give `prediction` exactly. */
  readonly contributions: Readonly<Record<string, number>>;
  /**
   * `(xᵢ − meanᵢ) / stdᵢ` against the row's category profile; null for a feature whose profile
   * standard deviation is 0 or unknown. The whole field is null when the category is unknown.
   */
  readonly zScores: Readonly<Record<string, number | null>> | null;
  /** Features with |z| above the threshold (a value off a zero-spread profile counts as infinitely far). */
  readonly anomalies: readonly string[];
  readonly modelVersion: string;
  /** Present and true when the row's category has no training profile. */
  readonly unknownCategory?: true;
  /** A human-readable remark (why there are no z-scores). */
  readonly note?: string;
  /** Features that were missing and filled with a training mean (only with fill-missing = mean). */
  readonly filled?: readonly string[];
  /** Where the filled values came from: the category profile mean or the global training mean. */
  readonly fillSource?: FillSource;
}

/** Shared by every row without anomalies (most rows): one allocation fewer per row. */
const NO_ANOMALIES: readonly string[] = Object.freeze([]);

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function checkVector(
  problems: string[],
  name: string,
  value: unknown,
  length: number,
  allowNull = false,
): void {
  if (!Array.isArray(value)) {
    problems.push(`${name} must be an array of ${length} numbers`);
    return;
  }
  if (value.length !== length) problems.push(`${name} has ${value.length} entries, expected ${length}`);
  const bad = value.findIndex((v) => !(isFiniteNumber(v) || (allowNull && v === null)));
  if (bad >= 0) problems.push(`${name}[${bad}] is not a finite number`);
}

/** Every reason the value is not a servable model artifact; empty when it is. */
export function validateModelArtifact(value: unknown): string[] {
  const problems: string[] = [];
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return ['the artifact is not a JSON object'];
  const a = value as Record<string, unknown>;
  if (a.format !== MODEL_ARTIFACT_FORMAT) {
    problems.push(`format is ${JSON.stringify(a.format)}, expected ${JSON.stringify(MODEL_ARTIFACT_FORMAT)}`);
  }
  if (typeof a.version !== 'string' || a.version === '') problems.push('version must be a non-empty string');
  if (typeof a.category !== 'string' || a.category === '')
    problems.push('category must be a non-empty string');
  const features = a.features;
  let nf = 0;
  if (
    !Array.isArray(features) ||
    features.length === 0 ||
    !features.every((f) => typeof f === 'string' && f !== '')
  ) {
    problems.push('features must be a non-empty array of names');
  } else {
    nf = features.length;
    if (new Set(features).size !== nf) problems.push('features has duplicate names');
    if (features.includes(a.category)) problems.push('a feature has the same name as the category field');
    if (features.includes('bias'))
      problems.push('a feature is named "bias", which contributions use for the intercept');
    if (features.includes('__proto__')) problems.push('a feature is named "__proto__"');
  }
  if (nf > 0) {
    checkVector(problems, 'weights', a.weights, nf);
    const scaling = a.scaling as Record<string, unknown> | undefined;
    if (typeof scaling !== 'object' || scaling === null)
      problems.push('scaling must be an object { mean, std }');
    else checkVector(problems, 'scaling.mean', scaling.mean, nf);
    const profiles = a.profiles;
    if (typeof profiles !== 'object' || profiles === null || Array.isArray(profiles)) {
      problems.push('profiles must be an object keyed by category');
    } else {
      for (const [category, profile] of Object.entries(profiles as Record<string, unknown>)) {
        const p = profile as Record<string, unknown> | null;
        if (typeof p !== 'object' || p === null) {
          problems.push(`profiles[${JSON.stringify(category)}] must be an object { count, mean, std }`);
          continue;
        }
        if (!isFiniteNumber(p.count) || p.count < 0)
          problems.push(`profiles[${JSON.stringify(category)}].count must be a count`);
        checkVector(problems, `profiles[${JSON.stringify(category)}].mean`, p.mean, nf);
        checkVector(problems, `profiles[${JSON.stringify(category)}].std`, p.std, nf, true);
        if (Array.isArray(p.std) && p.std.some((s) => isFiniteNumber(s) && s < 0)) {
          problems.push(`profiles[${JSON.stringify(category)}].std has a negative entry`);
        }
      }
    }
  }
  if (!isFiniteNumber(a.bias)) problems.push('bias must be a finite number');
  if (typeof a.trainedAt !== 'string') problems.push('trainedAt must be a string');
  if (typeof a.metrics !== 'object' || a.metrics === null) problems.push('metrics must be an object');
  if (typeof a.lineage !== 'object' || a.lineage === null) problems.push('lineage must be an object');
  return problems;
}

/** Validates and compiles an artifact into lookup tables; throws InvalidModelError listing every defect. */
export function compileModel(value: unknown): CompiledModel {
  const problems = validateModelArtifact(value);
  if (problems.length > 0) throw new InvalidModelError(problems);
  const artifact = value as ModelArtifact;
  const features = [...artifact.features];
  const profiles = new Map<string, CompiledProfile>();
  for (const [category, p] of Object.entries(artifact.profiles)) {
    profiles.set(category, {
      count: p.count,
      mean: Float64Array.from(p.mean),
      std: Float64Array.from(p.std, (s) => (s === null ? NaN : s)),
    });
  }
  return {
    artifact,
    version: artifact.version,
    categoryKey: artifact.category,
    features,
    featureIndex: new Map(features.map((f, j) => [f, j])),
    weights: Float64Array.from(artifact.weights),
    bias: artifact.bias,
    globalMean: Float64Array.from(artifact.scaling.mean),
    profiles,
    categoryMean: (category) => profiles.get(category)?.mean,
    contributionsRecord: recordFactory<number>(features, true),
    zScoresRecord: recordFactory<number | null>(features, false),
    scratchContributions: new Float64Array(features.length),
    scratchZ: new Array<number | null>(features.length).fill(null),
  };
}

/**
 * Scores one decoded row: values `x[offset .. offset + nf)`. `filled` lists columns that were
 * filled with training means (from the decoder).
 */
export function predictRow(
  model: CompiledModel,
  x: Float64Array,
  offset: number,
  category: string,
  options: ScoreOptions,
  filled?: readonly number[],
  fillSource?: FillSource,
): RowPrediction {
  const { features, weights } = model;
  const nf = features.length;
  const c = model.scratchContributions;
  let prediction = 0;
  for (let j = 0; j < nf; j++) {
    c[j] = weights[j] * x[offset + j];
    prediction += c[j];
  }
  prediction += model.bias;
  const contributions = model.contributionsRecord(c, model.bias);

  const profile = model.profiles.get(category);
  let zScores: Record<string, number | null> | null = null;
  let anomalies: string[] | undefined;
  if (profile) {
    const zs = model.scratchZ;
    const { mean, std } = profile;
    const threshold = options.anomalyZ;
    for (let j = 0; j < nf; j++) {
      const d = x[offset + j] - mean[j];
      const s = std[j];
      let z: number | null;
      if (s > 0) {
        z = d / s;
        if (z > threshold || z < -threshold) (anomalies ??= []).push(features[j]);
      } else if (s === 0 && d === 0) {
        z = 0;
      } else {
        // Zero spread in training and a different value now: infinitely far, which JSON cannot
        // carry, so z is null and the feature is flagged. Unknown spread (NaN): no verdict.
        z = null;
        if (s === 0) (anomalies ??= []).push(features[j]);
      }
      zs[j] = z;
    }
    zScores = model.zScoresRecord(zs);
  }
  const result: {
    -readonly [K in keyof RowPrediction]: RowPrediction[K];
  } = {
    prediction,
    contributions,
    zScores,
    anomalies: anomalies ?? NO_ANOMALIES,
    modelVersion: model.version,
  };
  if (!profile) {
    result.unknownCategory = true;
    result.note = `category ${JSON.stringify(category)} has no training profile: no z-scores or anomaly flags`;
  }
  if (filled) {
    result.filled = filled.map((j) => features[j]);
    result.fillSource = fillSource;
  }
  return result;
}

/** Scores every row of a decoded request; call only when the decoder reported no problems. */
export function predictRows(
  model: CompiledModel,
  decoded: DecodedRows,
  options: ScoreOptions,
): RowPrediction[] {
  const nf = model.features.length;
  const out = new Array<RowPrediction>(decoded.count);
  for (let i = 0; i < decoded.count; i++) {
    out[i] = predictRow(
      model,
      decoded.x,
      i * nf,
      decoded.categories[i],
      options,
      decoded.filled[i],
      decoded.fillSource[i],
    );
  }
  return out;
}
