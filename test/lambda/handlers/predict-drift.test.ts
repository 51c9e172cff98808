import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createPredictHandler } from '../../../lambda/handlers/predict';
import { addLogRecord, emptyCounts, DRIFT_HISTOGRAM_FORMAT } from '../../../lambda/core/drift';
import { SERVING_DEFAULTS } from '../../../lambda/core/env/predict';
import type { DriftHistograms } from '../../../lambda/core/model-artifact';
import { compileModel } from '../../../lambda/core/scoring';
import { PRICE_TABLE } from '../../../lib/cost/estimate';
import { DEFAULT_DATASET_SCHEMA } from '../../../lambda/core/dataset-schema';
import { SyntheticDataset } from '../../../lambda/core/synthetic-data';
import { syntheticModel } from '../../support/synthetic-model';
import { apiEvent } from '../api-event';
import { artifactFixture } from '../model-fixture';

const histograms: DriftHistograms = {
  format: DRIFT_HISTOGRAM_FORMAT,
  sampleRows: 40,
  features: [
    { edges: [70, 75, 80], counts: [10, 10, 10, 10] },
    { edges: [5.5], counts: [20, 20] },
    { edges: [0.2, 0.3], counts: [10, 20, 10] },
  ],
};

function handlerFor(artifact: ReturnType<typeof artifactFixture>) {
  const logger = new Logger({ serviceName: 'predict', logLevel: 'INFO' });
  const lines: string[] = [];
  // Powertools prints each entry as one JSON line on stdout: capture them as CloudWatch would get them.
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  const metrics = new Metrics({ namespace: 'Test', serviceName: 'predict' });
  jest.spyOn(metrics, 'publishStoredMetrics').mockImplementation(function (this: Metrics) {
    this.clearMetrics();
    return this;
  });
  const model = compileModel(artifact);
  const handler = createPredictHandler({
    config: { maxRows: 1000, maxBodyBytes: SERVING_DEFAULTS.maxBodyBytes, anomalyZ: 3, fillMissing: 'mean' },
    models: { get: async () => model },
    logger,
    metrics,
  });
  const post = (rows: object[]) => handler(apiEvent('POST', '/predict', JSON.stringify({ rows })));
  const logged = () =>
    lines
      .join('')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { post, logged };
}

afterEach(() => jest.restoreAllMocks());

describe('predict: drift counts in the log line', () => {
  it('logs per-feature bin counts, sums, missing features and unknown categories of the served rows', async () => {
    const { post, logged } = handlerFor(artifactFixture({ drift: histograms }));
    const result = await post([
      { category: 'A', temperature: 72, pressure: 5.5, vibration: 0.25 },
      { category: 'A', temperature: 90, pressure: 5, vibration: 0.1 },
      { category: 'Z', temperature: 60, vibration: 0.35 },
    ]);
    expect(result.statusCode).toBe(200);
    const line = logged().find((l) => l.message === 'predicted')!;
    expect(line.drift).toEqual({
      v: '20240501T100000Z-abc123',
      n: 3,
      u: 1,
      c0b0: 1,
      c0b1: 1,
      c0b3: 1,
      s0: 222,
      c1b0: 1,
      c1b1: 1,
      s1: 10.5,
      m1: 1,
      c2b0: 1,
      c2b1: 1,
      c2b2: 1,
      s2: 0.7,
    });
    // What the drift step's query adds up is what was served.
    const back = emptyCounts(histograms);
    addLogRecord(back, line.drift as Record<string, unknown>);
    expect(back.features[1]).toEqual({ counts: [1, 1], sum: 10.5, missing: 1 });
  });

  it('logs no drift counts for a model trained without histograms', async () => {
    const { post, logged } = handlerFor(artifactFixture());
    expect(
      (await post([{ category: 'A', temperature: 72, pressure: 5.5, vibration: 0.25 }])).statusCode,
    ).toBe(200);
    const line = logged().find((l) => l.message === 'predicted')!;
    expect(line).not.toHaveProperty('drift');
  });

  it('counts nothing for a refused request', async () => {
    const { post, logged } = handlerFor(artifactFixture({ drift: histograms }));
    expect(
      (await post([{ category: 'A', temperature: 'hot', pressure: 5.5, vibration: 0.25 }])).statusCode,
    ).toBe(400);
    expect(logged().some((l) => 'drift' in l)).toBe(false);
  });

  it("adds at most prices.json's 260 bytes to a single-row request's log line for the 10 default features", async () => {
    const schema = DEFAULT_DATASET_SCHEMA;
    const artifact = await syntheticModel({ rows: 20000, seed: 7, task: 'regression' });
    const { post, logged } = handlerFor(artifact);
    const text = Buffer.concat([...new SyntheticDataset({ rows: 1000, files: 1, seed: 3 }).fileChunks(0)])
      .toString('utf8')
      .trim()
      .split('\n');
    const header = text[0].split(',');
    for (const line of text.slice(1)) {
      const cells = line.split(',');
      const row: Record<string, string | number> = {};
      header.forEach((h, k) => {
        if (cells[k] !== '' && h !== schema.target)
          row[h] = schema.features.includes(h) ? Number(cells[k]) : cells[k];
      });
      expect((await post([row])).statusCode).toBe(200);
    }
    const sizes = logged()
      .filter((l) => l.message === 'predicted')
      .map((l) => Buffer.byteLength(`,"drift":${JSON.stringify(l.drift)}`));
    expect(sizes).toHaveLength(text.length - 1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(PRICE_TABLE.measured.predictDriftLogBytesPerRequest.value);
    expect(sizes.reduce((a, b) => a + b, 0) / sizes.length).toBeGreaterThan(
      0.9 * PRICE_TABLE.measured.predictDriftLogBytesPerRequest.value,
    );
  }, 60_000);
});
