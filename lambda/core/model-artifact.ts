import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DRIFT_HISTOGRAM_FORMAT } from './drift';

/**
 * The model artifact: one versioned JSON document that the predict handler needs and nothing
 * else. Produced by the trainer, promoted by the state machine, read by serving.
 */
export const MODEL_ARTIFACT_FORMAT = 'aiaas-factory/linear-model@1';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const name = z.string().min(1, 'must be a name');
const vector = z.array(finite).readonly();

export const gaussianProfileSchema = z
  .object({
    /** Rows the profile was estimated from. */
    count: z.number().int().nonnegative(),
    /** Per feature, in the order of `features`. */
    mean: vector,
    /**
     * Per feature sample standard deviation (n - 1), in the order of `features`; null where it is
     * unknown (one row), which JSON writes for NaN and the reader takes back as NaN.
     */
    std: z
      .array(finite.min(0, 'must not be negative').nullable())
      .transform((values) => values.map((v) => v ?? NaN))
      .readonly(),
  })
  .readonly();
export type GaussianProfile = z.infer<typeof gaussianProfileSchema>;

export const modelMetricsSchema = z
  .object({
    r2: finite,
    rmse: finite,
    /** Mean absolute error; null when measured in-sample from moments alone (holdout 0), which keep no residuals. */
    mae: finite.nullable(),
    /** Rows the metrics were measured on (holdout rows, or training rows when holdout is 0). */
    rows: z.number().int().nonnegative(),
    /** Which rows: 'holdout' or 'train' (holdout fraction 0). */
    on: z.enum(['holdout', 'train']),
    /**
     * Classification only, on the same rows: log-loss (the metric promote compares), ROC AUC,
     * accuracy, precision and recall at `threshold`, the confusion matrix. r2/rmse/mae are then
     * of the probabilities (Efron's R², √Brier, mean |y − p|).
     */
    classification: z
      .object({
        logLoss: finite,
        auc: z.number().nullable(),
        accuracy: finite,
        precision: finite,
        recall: finite,
        threshold: finite,
        confusion: z
          .object({
            tp: z.number().int(),
            fp: z.number().int(),
            tn: z.number().int(),
            fn: z.number().int(),
          })
          .readonly(),
      })
      .readonly()
      .optional(),
  })
  .readonly();
export type ModelMetrics = z.infer<typeof modelMetricsSchema>;

export const modelLineageSchema = z
  .object({
    /** Input objects with versions or ETags (or local paths with a content hash). */
    inputs: z
      .array(
        z
          .object({
            key: z.string(),
            version: z.string().optional(),
            etag: z.string().optional(),
            /** Local inputs: sha256 of the bytes read. */
            sha256: z.string().optional(),
            bytes: z.number().optional(),
          })
          .readonly(),
      )
      .readonly(),
    /** sha256 of the canonical training configuration. */
    configHash: z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 (64 hex digits)'),
    /** Version of the code that trained the model (package version and git revision when known). */
    codeVersion: z.string(),
  })
  .readonly();
export type ModelLineage = z.infer<typeof modelLineageSchema>;

export const capacityUsedSchema = z
  .object({
    engine: z.enum(['local', 'sagemaker', 'batch']),
    instances: z.number().int(),
    instanceType: z.string().optional(),
    shards: z.number().int(),
    /** Planned T in seconds, when a plan was made. */
    plannedSeconds: z.number().optional(),
  })
  .readonly();
export type CapacityUsed = z.infer<typeof capacityUsedSchema>;

/**
 * Per feature, a histogram of the training rows with edges at their deciles, for drift of served
 * data (lambda/core/drift.ts). Optional: artifacts trained before it, or from statistics partials
 * alone, load and predict without it; drift monitoring names them.
 */
export const driftHistogramsSchema = z
  .object({
    format: z.literal(DRIFT_HISTOGRAM_FORMAT),
    /** Training rows the counts are of (a uniform sample by row hash; every row when fewer). */
    sampleRows: z.number().int().positive(),
    /** In the order of `features`: ascending interior edges, and one count per bin (edges + 1). */
    features: z
      .array(
        z
          .object({
            edges: vector,
            counts: z.array(z.number().int().nonnegative()).readonly(),
          })
          .readonly()
          .refine((h) => h.counts.length === h.edges.length + 1, 'must have one count more than edges')
          .refine((h) => h.edges.every((e, i) => i === 0 || e > h.edges[i - 1]), 'edges must ascend'),
      )
      .readonly(),
  })
  .readonly();
export type DriftHistograms = z.infer<typeof driftHistogramsSchema>;

/**
 * The model artifact, the one definition of it: what the trainer writes, evaluate and promote
 * accept and predict serves (`artifactProblems`, `parseArtifact`).
 */
export const modelArtifactSchema = z
  .object({
    format: z.literal(MODEL_ARTIFACT_FORMAT),
    /**
     * Unique model version, key-safe (it names `models/<version>/`): the trainer writes the compact
     * ISO time of training and a short content hash (`20240501T120000Z-0123456789ab`), which sorts.
     */
    version: z.string().regex(/^[A-Za-z0-9._-]+$/, 'must be key-safe: letters, digits, ".", "_", "-"'),
    trainedAt: z.string().refine((t) => !Number.isNaN(Date.parse(t)), 'must be an ISO time'),
    target: name,
    category: name,
    features: z.array(name).min(1, 'must be a non-empty list of names').readonly(),
    /**
     * 'regression' (absent in older artifacts): prediction = wᵀx + b. 'classification': wᵀx + b
     * is the log-odds of `classes.positive`, probability = 1 / (1 + e^−(wᵀx + b)).
     */
    task: z.enum(['regression', 'classification']).optional(),
    /** Classification: the target value coded 1 (positive) and 0 (negative). */
    classes: z.object({ negative: finite, positive: finite }).readonly().optional(),
    /** Classification: `label` is the positive class when probability ≥ threshold. */
    threshold: z.number().min(0).max(1).optional(),
    /** Classification: Newton iterations (passes over the rows) the fit took. */
    iterations: z.number().int().nonnegative().optional(),
    /** What the trainer warns about (constant or collinear features, by name); absent when none. */
    warnings: z.array(z.string()).readonly().optional(),
    /** In the order of `features`, original (unscaled) units; log-odds for classification. */
    weights: vector,
    bias: finite,
    /**
     * Standard errors of `weights` from σ̂² (XᵀX)⁻¹ (the co-moments), so a reader can judge each
     * weight (explainability).
     */
    standardErrors: vector,
    biasStandardError: finite,
    /** √σ̂²: the residual standard deviation of the fit. */
    residualStd: finite,
    /** Feature scaling used for the solve (means and standard deviations per feature). */
    scaling: z.object({ mean: vector, std: vector }).readonly(),
    /** Per-category Gaussian profiles of the features, for anomaly z-scores. */
    profiles: z.record(z.string(), gaussianProfileSchema).readonly(),
    metrics: modelMetricsSchema,
    /** Training rows used for the fit. */
    rows: z.number().int().positive(),
    /** How missing cells were treated: 'none' drops incomplete rows, 'mean' fills first. */
    fill: z.enum(['none', 'mean']),
    ridge: finite,
    /** Holdout fraction used for the split. */
    holdout: finite,
    /** Where the rows went: read, duplicates, quarantined, incomplete (fill 'none'), used. */
    data: z
      .object({
        rowsIn: z.number(),
        duplicates: z.number(),
        quarantined: z.number(),
        incomplete: z.number(),
        used: z.number(),
        withoutCategory: z.number(),
      })
      .readonly()
      .optional(),
    lineage: modelLineageSchema,
    capacity: capacityUsedSchema,
    /** Training histograms for drift monitoring; absent in older artifacts. */
    drift: driftHistogramsSchema.optional(),
  })
  .readonly()
  .superRefine((a, ctx) => {
    const d = a.features.length;
    const problem = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message });
    if (new Set(a.features).size !== d) problem(['features'], 'must be distinct');
    if (a.task === 'classification') {
      if (!a.classes) problem(['classes'], 'must be set for a classification model');
      if (a.threshold === undefined) problem(['threshold'], 'must be set for a classification model');
    }
    // A request row names the category and each feature in one object: they cannot share a name.
    if (a.features.includes(a.category))
      problem(['features'], `must not include the category column "${a.category}"`);
    const lengths: [string[], number][] = [
      [['weights'], a.weights.length],
      [['standardErrors'], a.standardErrors.length],
      [['scaling', 'mean'], a.scaling.mean.length],
      [['scaling', 'std'], a.scaling.std.length],
    ];
    for (const [category, p] of Object.entries(a.profiles)) {
      lengths.push(
        [['profiles', category, 'mean'], p.mean.length],
        [['profiles', category, 'std'], p.std.length],
      );
    }
    if (a.drift) lengths.push([['drift', 'features'], a.drift.features.length]);
    for (const [path, length] of lengths) {
      if (length !== d) problem(path, `has ${length} entries, expected ${d} (one per feature)`);
    }
  });
export type ModelArtifact = z.infer<typeof modelArtifactSchema>;

/** Thrown by `parseArtifact`: every problem, each naming its field. */
export class InvalidModelError extends Error {
  readonly code = 'invalid_model';
  constructor(readonly problems: readonly string[]) {
    super(`invalid model artifact: ${problems.join('; ')}`);
    this.name = 'InvalidModelError';
  }
}

/** `number` → "a finite number" (JSON writes NaN and ±Infinity as null), `object` → "an object". */
function typeName(expected: string): string {
  if (expected === 'number') return 'a finite number';
  return `${/^[aeiou]/.test(expected) ? 'an' : 'a'} ${expected}`;
}

/** Every reason `value` is not a servable artifact, each once, naming the field; empty when it is. */
export function artifactProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return ['the artifact is not a JSON object'];
  const result = modelArtifactSchema.safeParse(value);
  if (result.success) return [];
  const problems = result.error.issues.map((issue) => {
    const path = issue.path
      .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
      .join('');
    const field = path.replace(/^\./, '') || 'artifact';
    const message = issue.code === 'invalid_type' ? `must be ${typeName(issue.expected)}` : issue.message;
    return `${field}: ${message.replace(/^Invalid input: /, '')}`;
  });
  return [...new Set(problems)];
}

/** The artifact, checked: the one reader every consumer uses. Throws InvalidModelError. */
export function parseArtifact(value: unknown): ModelArtifact {
  const problems = artifactProblems(value);
  if (problems.length > 0) throw new InvalidModelError(problems);
  return modelArtifactSchema.parse(value);
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
  /** @default 'regression' */
  readonly task?: 'regression' | 'classification';
  readonly classes?: ModelArtifact['classes'];
  readonly threshold?: number;
  readonly iterations?: number;
  /** Written only when there is at least one. */
  readonly warnings?: readonly string[];
  /** @default now */
  readonly trainedAt?: Date;
  /** Training histograms for drift monitoring; written when the trainer kept a sample. */
  readonly drift?: DriftHistograms | null;
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
    task: input.task ?? 'regression',
    ...(input.task === 'classification'
      ? {
          classes: input.classes,
          threshold: input.threshold,
          ...(input.iterations !== undefined ? { iterations: input.iterations } : {}),
        }
      : {}),
    ...(input.warnings && input.warnings.length > 0 ? { warnings: [...input.warnings] } : {}),
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
    ...(input.drift ? { drift: input.drift } : {}),
  });
  const version = `${compactTime(trainedAt)}-${canonicalHash(body).slice(0, 12)}`;
  return {
    ...body,
    format: MODEL_ARTIFACT_FORMAT,
    version,
    trainedAt: trainedAt.toISOString(),
  } as ModelArtifact;
}

/** The artifact contract as JSON Schema (draft 2020-12) for other tools, generated from the schema above. */
export function modelArtifactJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(modelArtifactSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
}
