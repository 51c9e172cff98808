import { metricsText, modelCard } from '../../../lambda/core/model-card';
import { artifactFixture } from '../model-fixture';

describe('modelCard', () => {
  test('shows features, weights, metrics, lineage, training time and version', () => {
    const artifact = artifactFixture();
    const card = modelCard(artifact);
    expect(card).toEqual({
      version: '20240501T100000Z-abc123',
      trainedAt: '2024-05-01T10:00:00.000Z',
      target: 'quality',
      categoryField: 'category',
      task: 'regression',
      summary: 'Regression (least squares): predicts quality. On 300 held-out rows: R² 0.9100, RMSE 0.8000.',
      warnings: [],
      formula: 'quality = bias + Σ weightᵢ × featureᵢ',
      features: [
        { name: 'temperature', weight: 0.5, trainingMean: 75, trainingStd: 5 },
        { name: 'pressure', weight: -0.25, trainingMean: 5.5, trainingStd: 0.6 },
        { name: 'vibration', weight: 2, trainingMean: 0.25, trainingStd: 0.06 },
      ],
      weights: { temperature: 0.5, pressure: -0.25, vibration: 2 },
      bias: 10,
      metrics: artifact.metrics,
      rows: 1200,
      fill: 'none',
      ridge: 0,
      categories: [
        { name: 'A', count: 100 },
        { name: 'B', count: 50 },
      ],
      lineage: artifact.lineage,
      capacity: artifact.capacity,
    });
  });

  test('says which task was trained: a classification card gives the probability formula, classes and metrics in words', () => {
    const artifact = {
      ...artifactFixture(),
      task: 'classification' as const,
      classes: { positive: 1, negative: 0 },
      threshold: 0.5,
      metrics: {
        ...artifactFixture().metrics,
        classification: {
          logLoss: 0.31,
          auc: 0.9,
          accuracy: 0.88,
          precision: 0.7,
          recall: 0.6,
          threshold: 0.5,
          confusion: { tp: 6, fp: 3, tn: 80, fn: 4 },
        },
      },
    };
    const card = modelCard(artifact);
    expect(card.task).toBe('classification');
    expect(card.classes).toEqual({ positive: 1, negative: 0, threshold: 0.5 });
    expect(card.formula).toBe(
      'P(quality = 1) = 1 / (1 + e^−(bias + Σ weightᵢ × featureᵢ)); label 1 when P ≥ 0.5, else 0',
    );
    expect(card.summary).toMatch(
      /^Classification \(logistic regression\): .* accuracy 0\.880, ROC AUC 0\.900, log-loss 0\.3100/,
    );
  });

  test('metricsText gives the metrics of the task in one line', () => {
    const m = artifactFixture().metrics;
    expect(metricsText(m)).toMatch(/^R² 0\.9100, RMSE 0\.8000, MAE /);
    expect(
      metricsText({
        ...m,
        classification: {
          logLoss: 0.31,
          auc: null,
          accuracy: 0.88,
          precision: 0.7,
          recall: 0.6,
          threshold: 0.5,
          confusion: { tp: 6, fp: 3, tn: 80, fn: 4 },
        },
      }),
    ).toBe(
      'log-loss 0.3100, AUC n/a, accuracy 0.8800, precision 0.7000, recall 0.6000 at 0.5 (TP 6, FP 3, TN 80, FN 4)',
    );
  });
});
