import { modelCard } from '../../../lambda/core/model-card';
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
});
