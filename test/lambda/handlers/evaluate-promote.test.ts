process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateModelPackageGroupCommand,
  DescribeModelPackageCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { startMoto, useMotoEnvironment, type MotoServer } from '../../../bin/local/moto-server';
import { readRegistryRecord } from '../../../lambda/adapters/model-registry';
import { CURRENT_POINTER_KEY, readPointer } from '../../../lambda/adapters/model-store';
import type { ModelArtifact } from '../../../lambda/core/model-artifact';
import { SyntheticDataset } from '../../../lambda/core/synthetic-data';
import {
  candidateLocation,
  runEvaluate,
  InvalidCandidateError,
  type EvaluateOutput,
} from '../../../lambda/handlers/evaluate';
import { runPromote } from '../../../lambda/handlers/promote';
import { runTrainer } from '../../../lambda/trainer/entry';
import { syntheticModel } from '../../support/synthetic-model';
import { captureEmf, enabledMetrics, silentMetrics, unitsOf, type EmfDocument } from '../../support/emf';

let moto: MotoServer;
let s3: S3Client;
let sagemaker: SageMakerClient;
const GROUP = 'test-dev-models';
const MODELS = 'models-bucket';
const CANDIDATES = 'work-bucket';
const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
let good: ModelArtifact;
let worse: ModelArtifact;

const train = (rows: number, ridge: number, seed: number, at: string): Promise<ModelArtifact> =>
  syntheticModel({ rows, seed, ridge, trainedAt: at });

async function putCandidate(name: string, artifact: ModelArtifact): Promise<string> {
  await s3.send(
    new PutObjectCommand({
      Bucket: CANDIDATES,
      Key: `candidates/${name}/model.json`,
      Body: JSON.stringify(artifact),
    }),
  );
  return `s3://${CANDIDATES}/candidates/${name}/model.json`;
}

const config = {
  modelsBucket: MODELS,
  serviceName: 'test',
  metricsNamespace: 'Test',
  modelPackageGroup: GROUP,
  manualApproval: false,
};
const metrics = silentMetrics();
const evaluate = (candidate: unknown) => runEvaluate({ candidate }, { s3, config, logger, metrics });
const promote = (e: EvaluateOutput) =>
  runPromote(e, { s3, sagemaker, config, logger, metrics, now: () => new Date('2024-06-01T00:00:00Z') });

/** Runs fn with stdout captured; returns the EMF documents it wrote (also when it throws). */
async function emfOf(fn: () => Promise<unknown>): Promise<{ documents: EmfDocument[]; error?: unknown }> {
  const emf = captureEmf();
  try {
    await fn();
    return { documents: emf.documents() };
  } catch (error) {
    return { documents: emf.documents(), error };
  } finally {
    emf.restore();
  }
}

beforeAll(async () => {
  moto = await startMoto();
  s3 = new S3Client({
    endpoint: moto.endpoint,
    forcePathStyle: true,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  sagemaker = new SageMakerClient({
    endpoint: moto.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  // The training stack declares the group (moto's CloudFormation cannot create one).
  await sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: GROUP }));
  for (const b of [MODELS, CANDIDATES]) {
    await s3.send(
      new CreateBucketCommand({ Bucket: b, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }),
    );
  }
  good = await train(4000, 0, 3, '2024-05-01T00:00:00Z');
  // A heavy ridge shrinks the weights: a worse holdout RMSE on the same rows.
  worse = await train(4000, 5000, 3, '2024-05-02T00:00:00Z');
  expect(worse.metrics.rmse).toBeGreaterThan(good.metrics.rmse);
}, 60000);

afterAll(async () => {
  sagemaker?.destroy();
  s3?.destroy();
  await moto?.stop();
});

describe('evaluate and promote against moto_server', () => {
  it('finds the first candidate better because there is no current model', async () => {
    const out = await evaluate(await putCandidate('first', good));
    expect(out).toMatchObject({ better: true, reason: 'no current model', current: null });
    expect(out.candidate.version).toBe(good.version);
  });

  it('promotes the first model: writes models/<version>/model.json and the current pointer', async () => {
    const out = await promote(await evaluate(await putCandidate('first', good)));
    expect(out).toMatchObject({ promoted: true, key: `models/${good.version}/model.json` });
    const pointer = await readPointer(s3, MODELS);
    expect(pointer).toEqual({
      version: good.version,
      key: `models/${good.version}/model.json`,
      promotedAt: '2024-06-01T00:00:00.000Z',
      metrics: good.metrics,
    });
  });

  it('registers the promoted model as an Approved package naming its artifact, task, metrics, lineage and capacity', async () => {
    const record = await readRegistryRecord(s3, MODELS, good.version);
    expect(record).toMatchObject({ group: GROUP, status: 'Approved' });
    const pkg = await sagemaker.send(
      new DescribeModelPackageCommand({ ModelPackageName: record!.packageArn }),
    );
    expect(pkg.ModelPackageGroupName).toBe(GROUP);
    expect(pkg.ModelApprovalStatus).toBe('Approved');
    expect(pkg.CustomerMetadataProperties).toMatchObject({
      version: good.version,
      artifact: `s3://${MODELS}/models/${good.version}/model.json`,
      task: 'regression',
      'metrics.rmse': String(good.metrics.rmse),
      'metrics.on': 'holdout',
      'lineage.configHash': good.lineage.configHash,
      'capacity.engine': 'local',
      'capacity.instances': '1',
    });
    // No report.html beside this candidate: the package names none.
    expect(pkg.CustomerMetadataProperties).not.toHaveProperty('report');
    for (const [key, value] of Object.entries(pkg.CustomerMetadataProperties!)) {
      expect(value.length).toBeLessThanOrEqual(256);
      expect(`${key}=${value}`).toMatch(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u);
    }
  });

  it('is idempotent: promoting the same candidate again leaves the pointer as it was', async () => {
    const before = await s3.send(new GetObjectCommand({ Bucket: MODELS, Key: CURRENT_POINTER_KEY }));
    const out = await promote(await evaluate(await putCandidate('first', good)));
    expect(out).toMatchObject({ promoted: true, reason: 'already current' });
    const after = await s3.send(new GetObjectCommand({ Bucket: MODELS, Key: CURRENT_POINTER_KEY }));
    expect(after.ETag).toBe(before.ETag);
  });

  it('keeps a worse candidate in history without moving the pointer', async () => {
    const verdict = await evaluate(await putCandidate('worse', worse));
    expect(verdict.better).toBe(false);
    expect(verdict.current?.version).toBe(good.version);
    const out = await promote(verdict);
    expect(out.promoted).toBe(false);
    expect((await readPointer(s3, MODELS))?.version).toBe(good.version);
    const keys = (
      await s3.send(new ListObjectsV2Command({ Bucket: MODELS, Prefix: 'models/' }))
    ).Contents!.map((o) => o.Key);
    expect(keys.sort()).toEqual(
      [
        `models/${good.version}/model.json`,
        `models/${good.version}/registry.json`,
        `models/${worse.version}/model.json`,
        `models/${worse.version}/registry.json`,
        CURRENT_POINTER_KEY,
      ].sort(),
    );
    expect(out.registry.status).toBe('Rejected');
    const pkg = await sagemaker.send(
      new DescribeModelPackageCommand({ ModelPackageName: out.registry.packageArn }),
    );
    expect(pkg.ModelApprovalStatus).toBe('Rejected');
    expect(pkg.CustomerMetadataProperties?.version).toBe(worse.version);
  });

  it("sets the replaced model's package Rejected when a better one is served, its metadata kept", async () => {
    // A deployment of its own (bucket and group), where the worse model is served first.
    const own = { ...config, modelsBucket: 'models-replaced', modelPackageGroup: 'test-replaced-models' };
    await s3.send(
      new CreateBucketCommand({
        Bucket: own.modelsBucket,
        CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
      }),
    );
    await sagemaker.send(
      new CreateModelPackageGroupCommand({ ModelPackageGroupName: own.modelPackageGroup }),
    );
    const deps = { s3, sagemaker, config: own, logger, metrics, now: () => new Date('2024-06-02T00:00:00Z') };
    const step = async (name: string, artifact: ModelArtifact) =>
      runPromote(await runEvaluate({ candidate: await putCandidate(name, artifact) }, deps), deps);
    expect((await step('served-first', worse)).promoted).toBe(true);
    const replaced = await step('served-second', good);
    expect(replaced.promoted).toBe(true);
    const oldRecord = await readRegistryRecord(s3, own.modelsBucket, worse.version);
    expect(oldRecord).toMatchObject({ status: 'Rejected', updatedAt: '2024-06-02T00:00:00.000Z' });
    const oldPackage = await sagemaker.send(
      new DescribeModelPackageCommand({ ModelPackageName: oldRecord!.packageArn }),
    );
    expect(oldPackage.ModelApprovalStatus).toBe('Rejected');
    expect(oldPackage.CustomerMetadataProperties?.version).toBe(worse.version);
    const newPackage = await sagemaker.send(
      new DescribeModelPackageCommand({ ModelPackageName: replaced.registry.packageArn }),
    );
    expect(newPackage.ModelApprovalStatus).toBe('Approved');
  });

  it('registers a version once: promoting the worse candidate again updates nothing and adds no package', async () => {
    const first = await readRegistryRecord(s3, MODELS, worse.version);
    const again = await promote(await evaluate(await putCandidate('worse', worse)));
    expect(again.registry).toEqual(first);
  });

  it('does not let a stale "better" verdict overwrite a better current model', async () => {
    const stale = { ...(await evaluate(await putCandidate('worse', worse))), better: true };
    const out = await promote(stale);
    expect(out.promoted).toBe(false);
    expect((await readPointer(s3, MODELS))?.version).toBe(good.version);
  });

  it('rejects a candidate that is not a complete artifact as InvalidCandidate', async () => {
    const { lineage: _drop, ...broken } = good;
    await s3.send(
      new PutObjectCommand({
        Bucket: CANDIDATES,
        Key: 'candidates/broken/model.json',
        Body: JSON.stringify(broken),
      }),
    );
    await expect(evaluate(`s3://${CANDIDATES}/candidates/broken/model.json`)).rejects.toThrow(
      InvalidCandidateError,
    );
    await expect(evaluate(`s3://${CANDIDATES}/candidates/broken/model.json`)).rejects.toThrow(
      /lineage: must be an object/,
    );
  });

  it('rejects a missing candidate location', async () => {
    await expect(evaluate(undefined)).rejects.toMatchObject({ name: 'InvalidCandidate' });
  });

  it('reads a candidate location as s3://bucket/key or { bucket, key }, anything else InvalidCandidate', () => {
    expect(candidateLocation('s3://b/models/x/model.json')).toEqual({
      bucket: 'b',
      key: 'models/x/model.json',
    });
    expect(candidateLocation({ bucket: 'b', key: 'k' })).toEqual({ bucket: 'b', key: 'k' });
    expect(() => candidateLocation('not-a-location')).toThrow(InvalidCandidateError);
    expect(() => candidateLocation('not-a-location')).toThrow(
      'not an artifact location (s3://bucket/key or { bucket, key }): "not-a-location"',
    );
  });
});

describe('trainer partials and model through S3 (moto_server)', () => {
  it('runs a Batch array of 2 and a reduce with partials and inputs on S3', async () => {
    const ds = new SyntheticDataset({ rows: 3000, files: 3, seed: 8 });
    for (let k = 0; k < 3; k++) {
      await s3.send(
        new PutObjectCommand({
          Bucket: CANDIDATES,
          Key: `curated/train/part-${k}.csv`,
          Body: Buffer.concat([...ds.fileChunks(k)]),
        }),
      );
    }
    const env = {
      TRAINER_INPUT_S3_URI: `s3://${CANDIDATES}/curated/train/`,
      TRAINER_PARTIALS_S3_URI: `s3://${CANDIDATES}/partials/run-1/`,
      TRAINER_MODEL_S3_URI: `s3://${CANDIDATES}/candidates/run-1/model.json`,
      AWS_BATCH_JOB_ARRAY_SIZE: '2',
      TRAINER_POLL_MILLISECONDS: '50',
      TRAINER_WAIT_TIMEOUT_SECONDS: '30',
    };
    const ctx = (extra: Record<string, string>) => ({
      env: { ...env, ...extra },
      s3: () => s3,
      log: () => undefined,
    });
    expect(await runTrainer(['batch'], ctx({ AWS_BATCH_JOB_ARRAY_INDEX: '0' }))).toBe(0);
    expect(await runTrainer(['batch'], ctx({ AWS_BATCH_JOB_ARRAY_INDEX: '1' }))).toBe(0);
    expect(await runTrainer(['reduce'], ctx({}))).toBe(0);
    const partials = (
      await s3.send(new ListObjectsV2Command({ Bucket: CANDIDATES, Prefix: 'partials/run-1/' }))
    ).Contents!.map((o) => o.Key);
    expect(partials.sort()).toEqual([
      'partials/run-1/partial-00000.holdout.f64',
      'partials/run-1/partial-00000.json',
      'partials/run-1/partial-00001.holdout.f64',
      'partials/run-1/partial-00001.json',
    ]);
    const verdict = await evaluate(env.TRAINER_MODEL_S3_URI);
    const model = JSON.parse(
      await (
        await s3.send(new GetObjectCommand({ Bucket: CANDIDATES, Key: 'candidates/run-1/model.json' }))
      ).Body!.transformToString(),
    ) as ModelArtifact;
    expect(model.lineage.inputs.map((i) => i.key)).toEqual(
      [0, 1, 2].map((k) => `s3://${CANDIDATES}/curated/train/part-${k}.csv`),
    );
    expect(model.lineage.inputs.every((i) => typeof i.etag === 'string')).toBe(true);
    expect(verdict.candidate.version).toBe(model.version);

    // The same rows through the SageMaker layout on one host give the same weights.
    const root = mkdtempSync(join(tmpdir(), 'sm-'));
    try {
      mkdirSync(join(root, 'input', 'data', 'train'), { recursive: true });
      for (let k = 0; k < 3; k++)
        writeFileSync(
          join(root, 'input', 'data', 'train', `part-${k}.csv`),
          Buffer.concat([...ds.fileChunks(k)]),
        );
      expect(await runTrainer(['train'], { env: {}, smRoot: root, log: () => undefined })).toBe(0);
      const local = JSON.parse(readFileSync(join(root, 'model', 'model.json'), 'utf8')) as ModelArtifact;
      local.weights.forEach((w, j) =>
        expect(Math.abs(w - model.weights[j]) / Math.abs(w)).toBeLessThan(1e-12),
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('training metrics (EMF) from evaluate and promote', () => {
  const METRICS_MODELS = 'metrics-models';
  const metricsConfig = {
    modelsBucket: METRICS_MODELS,
    serviceName: 'x',
    metricsNamespace: 'AiaasFactory',
    modelPackageGroup: GROUP,
    manualApproval: false,
  };
  const evaluateWithMetrics = (candidate: unknown) =>
    runEvaluate(
      { candidate },
      {
        s3,
        config: { ...metricsConfig, serviceName: 'evaluate' },
        logger,
        metrics: enabledMetrics({ namespace: 'AiaasFactory', serviceName: 'evaluate' }),
      },
    );
  const promoteWithMetrics = (e: EvaluateOutput) =>
    runPromote(e, {
      s3,
      sagemaker,
      config: { ...metricsConfig, serviceName: 'promote' },
      logger,
      metrics: enabledMetrics({ namespace: 'AiaasFactory', serviceName: 'promote' }),
    });

  beforeAll(async () => {
    await s3.send(
      new CreateBucketCommand({
        Bucket: METRICS_MODELS,
        CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
      }),
    );
  });

  it('evaluate publishes CandidateRmse and CandidateR2 (None) and CandidateBetter 1 for a first model', async () => {
    const candidate = await putCandidate('metrics-first', good);
    const { documents } = await emfOf(() => evaluateWithMetrics(candidate));
    expect(documents).toHaveLength(1);
    const [doc] = documents;
    expect(doc._aws.CloudWatchMetrics).toHaveLength(1);
    expect(doc._aws.CloudWatchMetrics[0].Namespace).toBe('AiaasFactory');
    expect(doc._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service']]);
    expect(unitsOf(doc)).toEqual({ CandidateRmse: 'None', CandidateR2: 'None', CandidateBetter: 'Count' });
    expect(doc).toMatchObject({
      service: 'evaluate',
      CandidateRmse: good.metrics.rmse,
      CandidateR2: good.metrics.r2,
      CandidateBetter: 1,
    });
  });

  it('promote publishes ModelPromoted 1 when the pointer moves', async () => {
    const verdict = await runEvaluate(
      { candidate: await putCandidate('metrics-first', good) },
      { s3, config: metricsConfig, logger, metrics },
    );
    expect(verdict.better).toBe(true);
    const { documents } = await emfOf(() => promoteWithMetrics(verdict));
    expect(documents).toHaveLength(1);
    expect(documents[0]._aws.CloudWatchMetrics[0]).toEqual({
      Namespace: 'AiaasFactory',
      Dimensions: [['service']],
      Metrics: [{ Name: 'ModelPromoted', Unit: 'Count' }],
    });
    expect(documents[0]).toMatchObject({ service: 'promote', ModelPromoted: 1 });
    expect((await readPointer(s3, METRICS_MODELS))?.version).toBe(good.version);
  });

  it('a worse candidate publishes CandidateBetter 0 and ModelPromoted 0', async () => {
    const candidate = await putCandidate('metrics-worse', worse);
    let verdict: EvaluateOutput | undefined;
    const evaluated = await emfOf(async () => {
      verdict = await evaluateWithMetrics(candidate);
    });
    expect(evaluated.documents).toHaveLength(1);
    expect(evaluated.documents[0]).toMatchObject({ CandidateBetter: 0, CandidateRmse: worse.metrics.rmse });
    const promoted = await emfOf(() => promoteWithMetrics(verdict!));
    expect(promoted.documents).toHaveLength(1);
    expect(promoted.documents[0]).toMatchObject({ ModelPromoted: 0 });
  });

  it('an invalid candidate publishes no metrics from evaluate or promote', async () => {
    const evaluated = await emfOf(() => evaluateWithMetrics(undefined));
    expect(evaluated.error).toBeInstanceOf(InvalidCandidateError);
    expect(evaluated.documents).toEqual([]);
    const promoted = await emfOf(() =>
      promoteWithMetrics({ candidate: { location: 'not-a-location' } } as unknown as EvaluateOutput),
    );
    expect(promoted.error).toBeInstanceOf(InvalidCandidateError);
    expect(promoted.documents).toEqual([]);
  });

  it('the Lambda entry points publish to namespace AiaasFactory with services "evaluate" and "promote" by default', async () => {
    const candidate = await putCandidate('metrics-entry', good);
    const saved = { ...process.env };
    let evaluated: EmfDocument[] = [];
    let promoted: EmfDocument[] = [];
    try {
      useMotoEnvironment(moto.endpoint);
      Object.assign(process.env, {
        MODELS_BUCKET: METRICS_MODELS,
        MODEL_PACKAGE_GROUP: GROUP,
        MANUAL_APPROVAL: 'false',
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        POWERTOOLS_METRICS_DISABLED: 'false',
      });
      delete process.env.METRICS_NAMESPACE;
      delete process.env.POWERTOOLS_SERVICE_NAME;
      await jest.isolateModulesAsync(async () => {
        const evaluateModule = await import('../../../lambda/handlers/evaluate');
        const promoteModule = await import('../../../lambda/handlers/promote');
        let verdict: EvaluateOutput | undefined;
        ({ documents: evaluated } = await emfOf(async () => {
          verdict = await evaluateModule.handler({ candidate });
        }));
        ({ documents: promoted } = await emfOf(() => promoteModule.handler(verdict!)));
      });
    } finally {
      process.env = saved;
    }
    expect(evaluated).toHaveLength(1);
    expect(evaluated[0]._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'AiaasFactory',
      Dimensions: [['service']],
    });
    expect(evaluated[0]).toMatchObject({ service: 'evaluate' });
    expect(promoted).toHaveLength(1);
    expect(promoted[0]._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'AiaasFactory',
      Dimensions: [['service']],
    });
    expect(promoted[0]).toMatchObject({ service: 'promote', ModelPromoted: 1 });
  });
});
