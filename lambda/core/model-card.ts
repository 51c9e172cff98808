/**
 * The model card served by GET /model: what the model is, how it predicts, how well it did on
 * held-out rows and where it came from, in terms a process engineer can read. Pure.
 */
import type { CapacityUsed, ModelArtifact, ModelLineage, ModelMetrics } from './model-artifact';

export interface ModelCardFeature {
  readonly name: string;
  /** Change of the prediction (classification: of the log-odds) per unit of this feature. */
  readonly weight: number;
  /** Training mean and standard deviation over all rows. */
  readonly trainingMean: number;
  readonly trainingStd: number;
}

export interface ModelCard {
  readonly version: string;
  readonly trainedAt: string;
  readonly target: string;
  readonly categoryField: string;
  /** 'regression' (least squares) or 'classification' (logistic regression, pass/fail). */
  readonly task: 'regression' | 'classification';
  /** In words: what the model predicts and how well, for a person who is not a statistician. */
  readonly summary: string;
  /** Classification: the positive and negative target values and the label threshold. */
  readonly classes?: { readonly positive: number; readonly negative: number; readonly threshold: number };
  /** Constant or collinear features the trainer warned about. */
  readonly warnings: readonly string[];
  /** How a prediction is made, in one line. */
  readonly formula: string;
  readonly features: readonly ModelCardFeature[];
  /** Feature name → weight (any column name, `bias` included). */
  readonly weights: Readonly<Record<string, number>>;
  /** The intercept, beside the weights so no feature name can collide with it. */
  readonly bias: number;
  readonly metrics: ModelMetrics;
  /** Training rows used for the fit. */
  readonly rows: number;
  /** How missing cells were treated in training. */
  readonly fill: ModelArtifact['fill'];
  readonly ridge: number;
  /** Categories with a Gaussian profile (z-scores and anomaly flags are available for these). */
  readonly categories: readonly { readonly name: string; readonly count: number }[];
  readonly lineage: ModelLineage;
  readonly capacity: CapacityUsed;
}

export function modelCard(artifact: ModelArtifact): ModelCard {
  // defineProperty: a feature named `__proto__` becomes a key, not the object's prototype.
  const weights: Record<string, number> = {};
  artifact.features.forEach((f, j) => {
    Object.defineProperty(weights, f, {
      value: artifact.weights[j],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  });
  return {
    version: artifact.version,
    trainedAt: artifact.trainedAt,
    target: artifact.target,
    categoryField: artifact.category,
    task: artifact.task ?? 'regression',
    summary: cardSummary(artifact),
    ...(artifact.task === 'classification' && artifact.classes && artifact.threshold !== undefined
      ? { classes: { ...artifact.classes, threshold: artifact.threshold } }
      : {}),
    warnings: artifact.warnings ?? [],
    formula:
      artifact.task === 'classification'
        ? `P(${artifact.target} = ${artifact.classes?.positive}) = 1 / (1 + e^−(bias + Σ weightᵢ × featureᵢ)); label ${artifact.classes?.positive} when P ≥ ${artifact.threshold}, else ${artifact.classes?.negative}`
        : `${artifact.target} = bias + Σ weightᵢ × featureᵢ`,
    features: artifact.features.map((name, j) => ({
      name,
      weight: artifact.weights[j],
      trainingMean: artifact.scaling.mean[j],
      trainingStd: artifact.scaling.std?.[j],
    })),
    weights,
    bias: artifact.bias,
    metrics: artifact.metrics,
    rows: artifact.rows,
    fill: artifact.fill,
    ridge: artifact.ridge,
    categories: Object.entries(artifact.profiles)
      .map(([name, p]) => ({ name, count: p.count }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    lineage: artifact.lineage,
    capacity: artifact.capacity,
  };
}

/** One sentence on the task and its headline metrics. */
export function cardSummary(artifact: ModelArtifact): string {
  const m = artifact.metrics;
  const on = m.on === 'holdout' ? `${m.rows} held-out rows` : `its ${m.rows} training rows`;
  const c = m.classification;
  if (artifact.task === 'classification' && c) {
    return (
      `Classification (logistic regression): the probability that ${artifact.target} is ${artifact.classes?.positive}. ` +
      `On ${on}: accuracy ${c.accuracy.toFixed(3)}, ROC AUC ${c.auc === null ? 'n/a' : c.auc.toFixed(3)}, log-loss ${c.logLoss.toFixed(4)}, ` +
      `precision ${c.precision.toFixed(3)} and recall ${c.recall.toFixed(3)} at ${c.threshold}.`
    );
  }
  return `Regression (least squares): predicts ${artifact.target}. On ${on}: R² ${m.r2.toFixed(4)}, RMSE ${m.rmse.toPrecision(4)}.`;
}

/**
 * The metrics in one line for a summary, by task: classification's log-loss, ROC AUC, accuracy,
 * precision and recall at the threshold, or regression's R², RMSE and MAE.
 */
export function metricsText(m: ModelMetrics): string {
  const c = m.classification;
  if (c) {
    return (
      `log-loss ${c.logLoss.toFixed(4)}, AUC ${c.auc === null ? 'n/a' : c.auc.toFixed(4)}, accuracy ${c.accuracy.toFixed(4)}, ` +
      `precision ${c.precision.toFixed(4)}, recall ${c.recall.toFixed(4)} at ${c.threshold} ` +
      `(TP ${c.confusion.tp}, FP ${c.confusion.fp}, TN ${c.confusion.tn}, FN ${c.confusion.fn})`
    );
  }
  return `R² ${m.r2.toFixed(4)}, RMSE ${m.rmse.toFixed(4)}, MAE ${m.mae === null ? 'n/a' : m.mae.toFixed(4)}`;
}
