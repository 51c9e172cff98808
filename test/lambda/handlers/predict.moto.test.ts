process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { startMoto, useMotoEnvironment, type MotoServer } from '../../../bin/local/moto-server';
import { ModelCache } from '../../../lambda/adapters/model-cache';
import type { ModelArtifact } from '../../../lambda/core/model-artifact';
import { createPredictHandler, type PredictHandler } from '../../../lambda/handlers/predict';
import { apiEvent, lambdaContext } from '../api-event';
import { artifactFixture } from '../model-fixture';

const BUCKET = 'factory-models';
const row = { category: 'A', temperature: 72, pressure: 5.5, vibration: 0.3 };

let moto: MotoServer;
let s3: S3Client;

async function put(key: string, body: unknown): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: JSON.stringify(body) }));
}

/** What the trainer's promote step writes: the artifact, then the pointer. */
async function promote(artifact: ModelArtifact): Promise<void> {
  const key = `models/${artifact.version}/model.json`;
  await put(key, artifact);
  await put('models/current.json', {
    version: artifact.version,
    key,
    promotedAt: artifact.trainedAt,
    metrics: artifact.metrics,
  });
}

function predictEvent() {
  return apiEvent('POST', '/predict', JSON.stringify({ rows: [row] }));
}

beforeAll(async () => {
  moto = await startMoto();
  useMotoEnvironment(moto.endpoint);
  s3 = new S3Client({ endpoint: moto.endpoint, forcePathStyle: true });
  await s3.send(
    new CreateBucketCommand({
      Bucket: BUCKET,
      CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
    }),
  );
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  await moto?.stop();
});

describe('predict handler against moto_server S3', () => {
  let clock: number;
  let cache: ModelCache;
  let handler: PredictHandler;

  beforeAll(async () => {
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'models/current.json' }));
    clock = 0;
    const logger = new Logger({ serviceName: 'predict', logLevel: 'SILENT' });
    const metrics = new Metrics({ namespace: 'Test', serviceName: 'predict' });
    jest.spyOn(metrics, 'publishStoredMetrics').mockImplementation(function (this: Metrics) {
      this.clearMetrics();
      return this;
    });
    cache = new ModelCache({ s3, bucket: BUCKET, maxAgeSeconds: 30, now: () => clock, logger });
    handler = createPredictHandler({
      config: { maxRows: 1000, maxBodyBytes: 1 << 20, anomalyZ: 3, fillMissing: 'reject' },
      models: cache,
      logger,
      metrics,
    });
  });

  test('with no model promoted the API answers 503 with a clear message', async () => {
    const result = await handler(predictEvent(), lambdaContext);
    expect(result.statusCode).toBe(503);
    expect(JSON.parse(result.body)).toEqual({
      message: 'no model has been promoted: models/current.json does not exist in the models bucket',
      code: 'service_unavailable',
      reason: 'no_model',
    });
  });

  test('a promoted model is loaded and served', async () => {
    await promote(artifactFixture({ version: 'v1' }));
    clock += 30_000;
    const result = await handler(predictEvent(), lambdaContext);
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body).modelVersion).toBe('v1');
    expect(cache.stats.loads).toBe(1);
  });

  test('an unchanged pointer is revalidated with a real 304 from S3', async () => {
    clock += 30_000;
    const result = await handler(predictEvent(), lambdaContext);
    expect(JSON.parse(result.body).modelVersion).toBe('v1');
    expect(cache.stats.notModified).toBe(1);
    expect(cache.stats.loads).toBe(1);
  });

  test('a moved pointer is picked up after the revalidation interval, not before', async () => {
    await promote(artifactFixture({ version: 'v2', bias: 20 }));
    clock += 29_999;
    expect(JSON.parse((await handler(predictEvent(), lambdaContext)).body).modelVersion).toBe('v1');
    clock += 1;
    const moved = JSON.parse((await handler(predictEvent(), lambdaContext)).body);
    expect(moved.modelVersion).toBe('v2');
    expect(moved.predictions[0].bias).toBe(20);
    const card = JSON.parse((await handler(apiEvent('GET', '/model'), lambdaContext)).body);
    expect(card.version).toBe('v2');
  });

  test('an invalid newly promoted artifact keeps the previous model serving', async () => {
    await put('models/v3/model.json', { ...artifactFixture({ version: 'v3' }), weights: [] });
    await put('models/current.json', { version: 'v3', key: 'models/v3/model.json' });
    clock += 30_000;
    const result = await handler(predictEvent(), lambdaContext);
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body).modelVersion).toBe('v2');
  });
});

describe('the Lambda entry point wired from the environment', () => {
  test('reads MODELS_BUCKET and MODEL_CACHE_SECONDS, serves the current model and follows the pointer', async () => {
    await promote(artifactFixture({ version: 'v10' }));
    process.env.MODELS_BUCKET = BUCKET;
    process.env.MODEL_CACHE_SECONDS = '0';
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    const { handler } = await import('../../../lambda/handlers/predict');
    const first = await handler(predictEvent(), lambdaContext);
    expect(first.statusCode).toBe(200);
    expect(JSON.parse(first.body).modelVersion).toBe('v10');
    await promote(artifactFixture({ version: 'v11' }));
    const second = await handler(predictEvent(), lambdaContext);
    expect(JSON.parse(second.body).modelVersion).toBe('v11');
  });
});
