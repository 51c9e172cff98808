process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { startMoto, useMotoEnvironment, type MotoServer } from '../../../bin/local/moto-server';
import { DEFAULT_DATASET_SCHEMA } from '../../../lambda/core/dataset-schema';
import { addDecodedRows, driftReport, emptyCounts, type DriftReport } from '../../../lambda/core/drift';
import type { ModelArtifact } from '../../../lambda/core/model-artifact';
import { decodeRows } from '../../../lambda/core/predict-request';
import { compileModel } from '../../../lambda/core/scoring';
import { SyntheticDataset } from '../../../lambda/core/synthetic-data';
import { syntheticModel } from '../../support/synthetic-model';
import { createDriftHandler, INGESTION_LAG_MS } from '../../../lambda/handlers/drift';
import { createPredictHandler } from '../../../lambda/handlers/predict';
import { captureEmf } from '../../support/emf';
import { emulateInsightsStats } from '../../support/logs-insights-gap';
import { apiEvent } from '../api-event';

const BUCKET = 'factory-models';
const LOG_GROUP = '/aws/lambda/factory-predict';
const schema = DEFAULT_DATASET_SCHEMA;

let moto: MotoServer;
let s3: S3Client;
let logs: CloudWatchLogsClient;
let artifact: ModelArtifact;

/** Held-out rows as POST /predict rows: another seed of the training generator, missing cells left out. */
function heldOut(rows: number): Record<string, string | number>[] {
  const ds = new SyntheticDataset({ rows, files: 1, seed: 99 });
  const lines = Buffer.concat([...ds.fileChunks(0)])
    .toString('utf8')
    .trim()
    .split('\n');
  const header = lines[0].split(',');
  return lines.slice(1).map((line) => {
    const cells = line.split(',');
    const row: Record<string, string | number> = {};
    header.forEach((name, k) => {
      if (cells[k] === '' || name === schema.target) return;
      row[name] = schema.features.includes(name) ? Number(cells[k]) : cells[k];
    });
    return row;
  });
}

async function promote(bucket: string, a: ModelArtifact): Promise<void> {
  const key = `models/${a.version}/model.json`;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(a) }));
  const pointer = { version: a.version, key, promotedAt: a.trainedAt, metrics: a.metrics };
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: 'models/current.json', Body: JSON.stringify(pointer) }),
  );
}

/** Serves `rows` through the predict handler, 5 per request, and delivers its stdout to the log group as Lambda does. */
async function serve(rows: object[], at = Date.now()): Promise<void> {
  const model = compileModel(artifact);
  const capture = captureEmf();
  const lines: string[] = [];
  // captureEmf keeps EMF only: the predict function's log lines are wanted too, so read the spy.
  try {
    const handler = createPredictHandler({
      config: { maxRows: 1000, maxBodyBytes: 1 << 20, anomalyZ: 3, fillMissing: 'mean' },
      models: { get: async () => model },
      logger: new Logger({ serviceName: 'predict', logLevel: 'INFO' }),
      metrics: new Metrics({ namespace: 'Test', serviceName: 'predict' }),
    });
    for (let i = 0; i < rows.length; i += 5) {
      const res = await handler(apiEvent('POST', '/predict', JSON.stringify({ rows: rows.slice(i, i + 5) })));
      expect(res.statusCode).toBe(200);
    }
    const spy = process.stdout.write as unknown as jest.Mock;
    for (const call of spy.mock.calls)
      lines.push(
        ...String(call[0])
          .split('\n')
          .filter((l) => l.trim() !== ''),
      );
  } finally {
    capture.restore();
  }
  const stream = `2026/12/01/[$LATEST]${Date.now()}`;
  await logs.send(new CreateLogStreamCommand({ logGroupName: LOG_GROUP, logStreamName: stream }));
  for (let i = 0; i < lines.length; i += 500) {
    const put = await logs.send(
      new PutLogEventsCommand({
        logGroupName: LOG_GROUP,
        logStreamName: stream,
        logEvents: lines.slice(i, i + 500).map((message) => ({ message, timestamp: at })),
      }),
    );
    expect(put.rejectedLogEventsInfo).toBeUndefined();
  }
}

function driftHandler(bucket: string) {
  const metrics = new Metrics({ namespace: 'AiaasFactory', serviceName: 'drift' });
  return createDriftHandler({
    config: { modelsBucket: bucket, logGroupName: LOG_GROUP, windowHours: 24, psi: 0.2, meanShiftSd: 0.5 },
    s3,
    logs,
    logger: new Logger({ serviceName: 'drift', logLevel: 'SILENT' }),
    metrics,
    now: () => new Date(Date.now() + INGESTION_LAG_MS + 1000),
    pollMs: 10,
  });
}

beforeAll(async () => {
  moto = await startMoto();
  useMotoEnvironment(moto.endpoint);
  s3 = new S3Client({ endpoint: moto.endpoint, forcePathStyle: true });
  logs = new CloudWatchLogsClient({ endpoint: moto.endpoint });
  emulateInsightsStats(logs);
  for (const bucket of [BUCKET, 'empty-models'])
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
      }),
    );
  await logs.send(new CreateLogGroupCommand({ logGroupName: LOG_GROUP }));
  artifact = await syntheticModel({ rows: 20000, seed: 7, task: 'regression' });
  await promote(BUCKET, artifact);
}, 120_000);

afterAll(async () => {
  s3?.destroy();
  logs?.destroy();
  await moto?.stop();
});

describe('drift step against moto_server (S3, CloudWatch Logs)', () => {
  it('says there is nothing to measure before a model is promoted', async () => {
    expect(await driftHandler('empty-models')()).toEqual({ status: 'no-model' });
  });

  it('adds up the logged counts of the window, names the shifted feature alone, writes the report and one metric per feature', async () => {
    const j = schema.features.indexOf('vibration');
    const rows: Record<string, string | number>[] = heldOut(1500).map((r) =>
      typeof r.vibration === 'number' ? { ...r, vibration: r.vibration + 1.5 * artifact.scaling.std[j] } : r,
    );
    rows.push({ ...rows[0], category: 'mystery' });
    // Rows served before the window (25 h ago) with tool_wear far off: they must not count.
    const t = schema.features.indexOf('tool_wear');
    await serve(
      heldOut(400).map((r) => ({ ...r, tool_wear: 10 * artifact.scaling.std[t] })),
      Date.now() - 25 * 3600_000,
    );
    await serve(rows);

    const emf = captureEmf();
    let result;
    try {
      result = await driftHandler(BUCKET)();
    } finally {
      emf.restore();
    }
    expect(result).toMatchObject({
      status: 'reported',
      modelVersion: artifact.version,
      drifted: ['vibration'],
    });
    if (result.status !== 'reported') throw new Error('not reported');
    expect(result.rows).toBe(rows.length);
    expect(result.reportKey).toMatch(new RegExp(`^models/drift/${artifact.version}/\\d{8}T\\d{6}Z\\.json$`));

    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: result.reportKey }));
    const report = JSON.parse(await got.Body!.transformToString()) as DriftReport;
    expect(report.unknownCategory).toBe(1);
    expect(report.drifted).toEqual(['vibration']);
    // The same figures as factory drift computes from the rows themselves.
    const model = compileModel(artifact);
    const local = emptyCounts(artifact.drift!);
    addDecodedRows(
      local,
      artifact.drift!,
      decodeRows(rows, model, { maxRows: Infinity, fillMissing: 'mean' }),
      (c) => model.profiles.has(c),
    );
    const expected = driftReport(artifact, local, { psi: 0.2, meanShiftSd: 0.5 });
    for (const name of schema.features) {
      expect(report.features[name].psi).toBeCloseTo(expected.features[name].psi!, 12);
      expect(report.features[name].meanShift).toBeCloseTo(expected.features[name].meanShift!, 9);
      expect(report.features[name].missing).toBe(expected.features[name].missing);
    }

    const docs = emf.documents();
    const psi = docs.filter((d) => d._aws.CloudWatchMetrics[0].Metrics.some((m) => m.Name === 'DriftPsi'));
    expect(psi.map((d) => d.feature).sort()).toEqual([...schema.features].sort());
    for (const d of psi) expect(d._aws.CloudWatchMetrics[0].Dimensions[0]).toContain('feature');
    const drifted = docs.find((d) => 'DriftedFeatures' in d)!;
    expect(drifted.DriftedFeatures).toBe(1);
    expect(drifted._aws.CloudWatchMetrics[0].Namespace).toBe('AiaasFactory');
  });

  it('reports a model trained without histograms instead of failing', async () => {
    const { drift: _drift, ...old } = artifact;
    await promote('empty-models', { ...old, version: 'old-model' } as ModelArtifact);
    expect(await driftHandler('empty-models')()).toEqual({
      status: 'no-histograms',
      modelVersion: 'old-model',
    });
  });
});
