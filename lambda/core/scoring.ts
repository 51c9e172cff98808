/**
 * Scoring with explanations: the linear prediction `y = wᵀx + b`, each feature's contribution
 * `wᵢxᵢ` that with the bias sum to it, z-scores against the row's category Gaussian profile, and
 * the features whose |z| is above a threshold. Pure.
 *
 * A model is compiled once per version (`compileModel`): typed arrays and lookup maps, so the
 * per-row work is arithmetic and the construction of the response object.
 */
import { InvalidModelError, parseArtifact, type ModelArtifact } from './model-artifact';
import type { DecodeSpec, DecodedRows, FillSource } from './predict-request';

export { InvalidModelError };

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
  /** Classification: the positive and negative class values and the label threshold; null for regression. */
  readonly classification: {
    readonly positive: number;
    readonly negative: number;
    readonly threshold: number;
  } | null;
  readonly profiles: ReadonlyMap<string, CompiledProfile>;
  /** `{ <feature>: values[j], ... }` in one allocation with a fixed shape. */
  readonly contributionsRecord: (values: ArrayLike<number>) => Record<string, number>;
  /** `{ <feature>: values[j], ... }` in one allocation with a fixed shape. */
  readonly zScoresRecord: (values: ArrayLike<number | null>) => Record<string, number | null>;
  /** Per-row scratch (scoring is synchronous, so one per model is enough). */
  readonly scratchContributions: Float64Array;
  readonly scratchZ: (number | null)[];
}

type RecordFactory<V> = (values: ArrayLike<V>) => Record<string, V>;

/**
 * A function that builds the per-row record `{ <feature>: values[j], ... }` as one object
 * literal, compiled once per model: V8 then allocates every row's record with the same shape in
 * one step, where assigning the keys one by one walks the shape transitions per row (about half
 * of the scoring time). Only the keys are spliced into the source, as JSON string literals
 * (which are valid JavaScript string literals). `__proto__` is written as a computed key, which
 * makes an own property (a literal `"__proto__": v` would set the prototype instead), so every
 * column name is a plain key. Where code generation is disabled
 * (--disallow-code-generation-from-strings), the same record is built key by key.
 */
function recordFactory<V>(keys: readonly string[]): RecordFactory<V> {
  const fields = keys.map(
    (k, j) => `${k === '__proto__' ? `[${JSON.stringify(k)}]` : JSON.stringify(k)}: v[${j}]`,
  );
  try {
    return new Function('v', `return { ${fields.join(', ')} };`) as RecordFactory<V>;
  } catch {
    return (values) => {
      const record: Record<string, V> = {};
      for (let j = 0; j < keys.length; j++) {
        Object.defineProperty(record, keys[j], {
          value: values[j],
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return record;
    };
  }
}

export interface ScoreOptions {
  /** A feature is an anomaly when |z| is above this. */
  readonly anomalyZ: number;
}

export interface RowPrediction {
  /**
   * Regression: `Σ wᵢxᵢ + b`, summed in feature order then the bias. Classification: the
   * probability of the positive class, 1 / (1 + e^−logit), in [0, 1].
   */
  readonly prediction: number;
  /** Classification only: `Σ wᵢxᵢ + b`, the log-odds the contributions and the bias sum to. */
  readonly logit?: number;
  /** Classification only: the probability of the positive class (= prediction). */
  readonly probability?: number;
  /** Classification only: the positive class when probability ≥ the model's threshold, else the negative. */
  readonly label?: number;
  /**
   * `wᵢxᵢ` per feature, keyed by the feature's name (any column name, `bias` included); added in
   * model order and then `bias` they give `prediction` exactly (classification: `logit`, in log-odds).
   */
  readonly contributions: Readonly<Record<string, number>>;
  /** The intercept `b`, beside the contributions so no feature name can collide with it. */
  readonly bias: number;
  /**
   * `(xᵢ − meanᵢ) / stdᵢ` against the row's category profile; null for a feature whose profile
   * standard deviation is 0 or unknown. The whole field is null when the category is unknown.
   */
  readonly zScores: Readonly<Record<string, number | null>> | null;
  /** Features with |z| above the threshold (a value off a zero-spread profile counts as infinitely far). */
  readonly anomalies: readonly string[];
  readonly modelVersion: string;
  /**
   * False when the row's category has no training profile: then there are no z-scores and no
   * anomaly flags (serving.unknownCategory 'reject' refuses such rows instead).
   */
  readonly categoryKnown: boolean;
  /** A human-readable remark (why there are no z-scores). */
  readonly note?: string;
  /** Features that were missing and filled with a training mean (only with fill-missing = mean). */
  readonly filled?: readonly string[];
  /** Where the filled values came from: the category profile mean or the global training mean. */
  readonly fillSource?: FillSource;
}

/** Shared by every row without anomalies (most rows): one allocation fewer per row. */
const NO_ANOMALIES: readonly string[] = Object.freeze([]);

/**
 * Checks (the servable check promote also applies: `parseArtifact`) and compiles an artifact into
 * lookup tables; throws InvalidModelError listing every defect.
 */
export function compileModel(value: unknown): CompiledModel {
  const artifact = parseArtifact(value);
  const features = [...artifact.features];
  const profiles = new Map<string, CompiledProfile>();
  for (const [category, p] of Object.entries(artifact.profiles)) {
    profiles.set(category, {
      count: p.count,
      mean: Float64Array.from(p.mean),
      std: Float64Array.from(p.std),
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
    classification:
      artifact.task === 'classification' && artifact.classes && artifact.threshold !== undefined
        ? { ...artifact.classes, threshold: artifact.threshold }
        : null,
    globalMean: Float64Array.from(artifact.scaling.mean),
    profiles,
    categoryMean: (category) => profiles.get(category)?.mean,
    contributionsRecord: recordFactory<number>(features),
    zScoresRecord: recordFactory<number | null>(features),
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
  const contributions = model.contributionsRecord(c);

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
    bias: model.bias,
    zScores,
    anomalies: anomalies ?? NO_ANOMALIES,
    modelVersion: model.version,
    categoryKnown: profile !== undefined,
  };
  const cls = model.classification;
  if (cls) {
    // Log-odds: the contributions and the bias sum to the logit; the answer is its probability.
    const probability =
      prediction >= 0 ? 1 / (1 + Math.exp(-prediction)) : Math.exp(prediction) / (1 + Math.exp(prediction));
    result.logit = prediction;
    result.prediction = probability;
    result.probability = probability;
    result.label = probability >= cls.threshold ? cls.positive : cls.negative;
  }
  if (!profile) {
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
