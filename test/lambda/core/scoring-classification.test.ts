/** Serving a classification artifact: probability in [0, 1], label at the threshold, log-odds contributions. */
import type { DatasetSchema } from '../../../lambda/core/dataset-schema';
import { parseArtifact } from '../../../lambda/core/model-artifact';
import { compileModel, predictRow } from '../../../lambda/core/scoring';
import {
  TrainingShard,
  artifactFromResult,
  solveMerged,
  type TrainOptions,
} from '../../../lambda/core/train';
import { gaussian, mulberry32 } from '../helpers/linear-data';

const schema: DatasetSchema = { ids: [], category: 'cat', features: ['a', 'b'], target: 'ok' };
const options: TrainOptions = { schema, holdout: 0.25, fill: 'none', ridge: 0, task: 'auto' };

async function classificationArtifact() {
  const normal = gaussian(mulberry32(3));
  const rand = mulberry32(4);
  const shard = new TrainingShard(options);
  for (let i = 0; i < 2000; i++) {
    const a = normal();
    const b = 10 + 2 * normal();
    const y = rand() < 1 / (1 + Math.exp(-(0.5 + 1.5 * a - 0.3 * (b - 10)))) ? 1 : 0;
    shard.addRow(Float64Array.of(a, b, y), Math.imul(i + 1, 2654435761), i % 2 ? 'X' : 'Y');
  }
  const result = await solveMerged(shard);
  return artifactFromResult(result, options, {
    codeVersion: 'test',
    capacity: { engine: 'local', instances: 1, shards: 1 },
    trainedAt: new Date('2024-05-01T12:00:00Z'),
  });
}

describe('classification artifact and scoring', () => {
  it('records the task, classes, threshold, iterations and holdout classification metrics', async () => {
    const artifact = parseArtifact(JSON.parse(JSON.stringify(await classificationArtifact())));
    expect(artifact.task).toBe('classification');
    expect(artifact.classes).toEqual({ positive: 0, negative: 1 });
    expect(artifact.threshold).toBe(0.5);
    expect(artifact.iterations).toBeGreaterThan(2);
    expect(artifact.metrics.on).toBe('holdout');
    expect(artifact.metrics.classification).toEqual(
      expect.objectContaining({ logLoss: expect.any(Number), auc: expect.any(Number) }),
    );
  });

  it('answers a probability in [0, 1], the label at the threshold and log-odds contributions summing to the logit', async () => {
    const model = compileModel(JSON.parse(JSON.stringify(await classificationArtifact())));
    for (const row of [
      [0, 10],
      [3, 4],
      [-3, 16],
    ]) {
      const r = predictRow(model, Float64Array.from(row), 0, 'X', { anomalyZ: 3 });
      expect(r.probability).toBe(r.prediction);
      expect(r.prediction).toBeGreaterThanOrEqual(0);
      expect(r.prediction).toBeLessThanOrEqual(1);
      const logit = r.contributions.a + r.contributions.b + r.bias;
      expect(r.logit).toBe(logit);
      expect(r.prediction).toBeCloseTo(1 / (1 + Math.exp(-logit)), 15);
      expect(r.label).toBe(r.prediction >= 0.5 ? 0 : 1);
    }
  });

  it('refuses a classification artifact without its classes', async () => {
    const artifact = JSON.parse(JSON.stringify(await classificationArtifact()));
    delete artifact.classes;
    expect(() => compileModel(artifact)).toThrow(/classes: must be set for a classification model/);
  });
});
