import { MODEL_ARTIFACT_FORMAT, type ModelArtifact } from '../../lambda/core/model-artifact';
import type { ModelPointer } from '../../lambda/core/model-pointer';

/** A small, hand-checkable model artifact: three features, two profiled categories. */
export function artifactFixture(overrides: Partial<ModelArtifact> = {}): ModelArtifact {
  return {
    format: MODEL_ARTIFACT_FORMAT,
    version: '20240501T100000Z-abc123',
    trainedAt: '2024-05-01T10:00:00.000Z',
    target: 'quality',
    category: 'category',
    features: ['temperature', 'pressure', 'vibration'],
    weights: [0.5, -0.25, 2],
    bias: 10,
    standardErrors: [0.01, 0.02, 0.03],
    biasStandardError: 0.1,
    residualStd: 0.8,
    scaling: { mean: [75, 5.5, 0.25], std: [5, 0.6, 0.06] },
    profiles: {
      A: { count: 100, mean: [70, 5, 0.2], std: [2, 0.5, 0.05] },
      // B has a zero-spread temperature and an unknown vibration spread.
      B: { count: 50, mean: [80, 6, 0.3], std: [0, 0.5, null as unknown as number] },
    },
    metrics: { r2: 0.91, rmse: 0.8, mae: 0.6, rows: 300, on: 'holdout' },
    rows: 1200,
    fill: 'none',
    ridge: 0,
    holdout: 0.2,
    lineage: {
      inputs: [{ key: 'curated/line-1.csv', version: 'v1', etag: '"e1"' }],
      configHash: '0123456789abcdef'.repeat(4),
      codeVersion: '0.1.0+abc',
    },
    capacity: { engine: 'local', instances: 1, shards: 1 },
    ...overrides,
  };
}

/** The pointer promote writes for `version` (models/current.json). */
export function pointerFixture(version: string): ModelPointer {
  return {
    version,
    key: `models/${version}/model.json`,
    promotedAt: '2024-05-01T10:05:00.000Z',
    metrics: artifactFixture().metrics,
  };
}

/** Two promoted versions (v2 with another bias) and a pointer on v1, as the models bucket holds them. */
export function modelsBucketFixture(): {
  v1: ModelArtifact;
  v2: ModelArtifact;
  store: Map<string, { body: unknown; etag: string }>;
} {
  const v1 = artifactFixture({ version: 'v1' });
  const v2 = artifactFixture({ version: 'v2', bias: 20 });
  const store = new Map<string, { body: unknown; etag: string }>([
    ['models/current.json', { body: pointerFixture('v1'), etag: '"p1"' }],
    ['models/v1/model.json', { body: v1, etag: '"a1"' }],
    ['models/v2/model.json', { body: v2, etag: '"a2"' }],
  ]);
  return { v1, v2, store };
}
