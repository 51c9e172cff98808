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
  readonly mae: number;
  /** Rows the metrics were measured on (holdout rows, or training rows when holdout is 0). */
  readonly rows: number;
  /** Which rows: 'holdout' or 'train' (holdout fraction 0). */
  readonly on: 'holdout' | 'train';
}

export interface ModelLineage {
  /** Input objects with versions or ETags (or local paths with a content hash). */
  readonly inputs: readonly { readonly key: string; readonly version?: string; readonly etag?: string }[];
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
}
