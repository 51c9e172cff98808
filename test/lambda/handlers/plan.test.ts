process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
import { Logger } from '@aws-lambda-powertools/logger';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startMoto, useMotoEnvironment, type MotoServer } from '../../../bin/local/moto-server';
import { putJobRecord } from '../../../lambda/adapters/job-records';
import type { JobRecord } from '../../../lambda/core/calibration';
import { DEFAULT_DATASET_SCHEMA } from '../../../lambda/core/dataset-schema';
import { ConfigError } from '../../../lambda/core/errors';
import { instanceFacts } from '../../../lambda/core/instance-facts';
import { preprocessBytes } from '../../../lambda/core/preprocess';
import type { StatsPartial } from '../../../lambda/core/stats-partial';
import {
  engineInstanceType,
  InvalidPlanEventError,
  NoTrainingDataError,
  partialCounts,
  readPlanConfig,
  runPlan,
  type PartialCounts,
  type PlanConfig,
} from '../../../lambda/handlers/plan';
import { captureEmf, enabledMetrics, silentMetrics, unitsOf, type EmfDocument } from '../../support/emf';
import { SMALL_HEADER, SMALL_SCHEMA } from '../helpers/small-schema';

/** A statistics partial as preprocess writes it, with the planner's counts set. */
let onePartial: StatsPartial;
beforeAll(async () => {
  const csv = new TextEncoder().encode(SMALL_HEADER + '1,1,x,1,2,3\n');
  onePartial = (await preprocessBytes(csv, SMALL_SCHEMA)).stats;
});
const partialWith = (counts: PartialCounts): StatsPartial => ({ ...onePartial, ...counts });

const ENV = {
  CURATED_BUCKET: 'curated',
  MODELS_BUCKET: 'models',
  TRAINING_ENGINE: 'sagemaker',
  INSTANCE_TYPE: 'ml.m5.xlarge',
  MAX_INSTANCES: '20',
  DEADLINE_SECONDS: '300',
  STARTUP_SECONDS: '60',
  SECONDS_PER_UNIT: '2',
  SERIAL_SECONDS: '30',
  FILL_MODE: 'none',
};

describe('readPlanConfig', () => {
  test('reads every variable, with the table price when PRICE_PER_HOUR is unset', () => {
    expect(readPlanConfig(ENV)).toEqual({
      curatedBucket: 'curated',
      modelsBucket: 'models',
      engine: 'sagemaker',
      instanceType: 'ml.m5.xlarge',
      maxInstances: 20,
      deadlineSeconds: 300,
      startupSeconds: 60,
      secondsPerUnit: 2,
      serialSeconds: 30,
      fillMode: 'none',
      task: 'auto',
      classificationPasses: 10,
      exchangeSeconds: 4,
      serviceName: 'plan',
      metricsNamespace: 'AiaasFactory',
    });
  });

  test.each([
    ['CURATED_BUCKET', { CURATED_BUCKET: undefined }],
    ['MODELS_BUCKET', { MODELS_BUCKET: '' }],
    ['TRAINING_ENGINE', { TRAINING_ENGINE: 'lambda' }],
    ['INSTANCE_TYPE', { INSTANCE_TYPE: undefined }],
    ['INSTANCE_TYPE', { INSTANCE_TYPE: 'x9.huge' }],
    ['MAX_INSTANCES', { MAX_INSTANCES: '0' }],
    ['DEADLINE_SECONDS', { DEADLINE_SECONDS: '0' }],
    ['DEADLINE_SECONDS', { DEADLINE_SECONDS: 'soon' }],
    ['PRICE_PER_HOUR', { PRICE_PER_HOUR: '-1' }],
    ['STARTUP_SECONDS', { STARTUP_SECONDS: undefined }],
    ['SECONDS_PER_UNIT', { SECONDS_PER_UNIT: '0' }],
    ['SERIAL_SECONDS', { SERIAL_SECONDS: '-3' }],
    ['FILL_MODE', { FILL_MODE: 'median' }],
  ])('a bad or missing %s is a ConfigError naming it', (variable, patch) => {
    let caught: unknown;
    try {
      readPlanConfig({ ...ENV, ...patch });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect(caught).toMatchObject({ variable });
    expect((caught as Error).message).toContain(variable);
  });

  test('METRICS_NAMESPACE and POWERTOOLS_SERVICE_NAME override the metrics namespace and service', () => {
    expect(
      readPlanConfig({ ...ENV, METRICS_NAMESPACE: 'Factory/Dev', POWERTOOLS_SERVICE_NAME: 'plan-dev' }),
    ).toMatchObject({ metricsNamespace: 'Factory/Dev', serviceName: 'plan-dev' });
  });

  test('an unlisted type is accepted when a price is given', () => {
    expect(readPlanConfig({ ...ENV, INSTANCE_TYPE: 'ml.p3.2xlarge', PRICE_PER_HOUR: '3.8' })).toMatchObject({
      pricePerHour: 3.8,
    });
  });
});

describe('helpers', () => {
  test('SageMaker launches ml. types and Batch the EC2 type', () => {
    expect(engineInstanceType('sagemaker', 'm5.xlarge')).toBe('ml.m5.xlarge');
    expect(engineInstanceType('sagemaker', 'ml.m5.xlarge')).toBe('ml.m5.xlarge');
    expect(engineInstanceType('batch', 'ml.c5.xlarge')).toBe('c5.xlarge');
  });

  test('a partial without its counts is an error naming the key and field', () => {
    expect(() => partialCounts('stats/a/v-1.json', { rowsComplete: 3, rowsClean: 4 })).toThrow(
      /^stats\/a\/v-1\.json: not a statistics partial: .*bytesIn: must be a whole number ≥ 0/,
    );
  });

  test('a partial with a negative count is an error naming the key and field', () => {
    const partial = { ...partialWith({ rowsComplete: 3, rowsClean: 4, bytesIn: 10 }), rowsClean: -1 };
    expect(() => partialCounts('stats/a/v-1.json', partial)).toThrow(
      'stats/a/v-1.json: not a statistics partial: rowsClean: must be a whole number ≥ 0',
    );
  });

  test('the counts of a whole partial are read as written', () => {
    const counts = { rowsComplete: 3, rowsClean: 4, bytesIn: 10 };
    expect(partialCounts('stats/a/v-1.json', JSON.parse(JSON.stringify(partialWith(counts))))).toEqual(
      counts,
    );
  });
});

describe('runPlan against moto_server S3', () => {
  let moto: MotoServer;
  let s3: S3Client;
  let bucketCount = 0;
  const logger = new Logger({ serviceName: 'plan-test', logLevel: 'SILENT' });
  const metrics = silentMetrics('plan');

  beforeAll(async () => {
    moto = await startMoto();
    useMotoEnvironment(moto.endpoint);
    s3 = new S3Client({ endpoint: moto.endpoint, region: 'eu-west-1', forcePathStyle: true });
  });

  afterAll(async () => {
    s3?.destroy();
    await moto?.stop();
  });

  /** Fresh curated and models buckets per test, and a config pointing at them. */
  async function setup(env: Record<string, string> = {}): Promise<PlanConfig> {
    bucketCount += 1;
    const curated = `curated-${bucketCount}`;
    const models = `models-${bucketCount}`;
    for (const Bucket of [curated, models]) {
      await s3.send(
        new CreateBucketCommand({ Bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }),
      );
    }
    return readPlanConfig({ ...ENV, CURATED_BUCKET: curated, MODELS_BUCKET: models, ...env });
  }

  const put = (Bucket: string, Key: string, body: unknown) =>
    s3.send(
      new PutObjectCommand({ Bucket, Key, Body: typeof body === 'string' ? body : JSON.stringify(body) }),
    );

  async function putPartials(bucket: string) {
    await put(
      bucket,
      'stats/line-a/v-1.json',
      partialWith({ rowsComplete: 600, rowsClean: 700, bytesIn: 70_000 }),
    );
    await put(bucket, 'stats/line-a/v-1.groups.csv', 'category,count\n');
    await put(
      bucket,
      'stats/line-b/e-abc.json',
      partialWith({ rowsComplete: 400, rowsClean: 450, bytesIn: 45_000 }),
    );
  }

  /** Runs the plan with metrics that publish; returns the EMF documents written and the error, if any. */
  async function planWithMetrics(config: PlanConfig): Promise<{ documents: EmfDocument[]; error?: unknown }> {
    const emf = captureEmf();
    try {
      await runPlan(
        {},
        { s3, config, logger, metrics: enabledMetrics({ namespace: 'AiaasFactory', serviceName: 'plan' }) },
      );
      return { documents: emf.documents() };
    } catch (error) {
      return { documents: emf.documents(), error };
    } finally {
      emf.restore();
    }
  }

  test('n is the complete rows over all partials; with the default calibration it plans p = 10 in 290 s', async () => {
    const config = await setup();
    await putPartials(config.curatedBucket);
    const output = await runPlan({}, { s3, config, logger, metrics });
    expect(output).toEqual({
      engine: 'sagemaker',
      instanceType: 'ml.m5.xlarge',
      p: 10,
      shards: 10,
      plannedSeconds: 290,
      cost: (10 * 290 * 0.23) / 3600,
      feasible: true,
      deadlineSeconds: 300,
      bestSeconds: 290,
      requiredP: 10,
      n: 1000,
      inputPrefix: 'train/',
      bytesIn: 115_000,
      partials: 2,
      passes: 1,
      calibration: { c: 2, t0: 60, source: 'defaults', reason: 'too-few-records', records: 0 },
    });
  });

  test('a classification plans n·passes units on SageMaker, plus one exchange per iteration', async () => {
    const config = await setup({
      TRAINING_TASK: 'classification',
      CLASSIFICATION_PASSES: '3',
      EXCHANGE_SECONDS: '5',
      DEADLINE_SECONDS: '1000',
    });
    await putPartials(config.curatedBucket);
    const output = await runPlan({}, { s3, config, logger, metrics });
    // T(p) = 60 + 30 + 2·5 + 2·(1000·3)/p ≤ 1000 → p = 7 (857 s).
    expect(output).toMatchObject({ passes: 3, p: 7, plannedSeconds: 60 + 30 + 10 + 6000 / 7 });
  });

  test('with FILL_MODE=mean, n is the clean rows and training reads clean/', async () => {
    const config = await setup({ FILL_MODE: 'mean' });
    await putPartials(config.curatedBucket);
    const output = await runPlan(undefined, { s3, config, logger, metrics });
    expect(output).toMatchObject({ n: 1150, inputPrefix: 'clean/', p: 11 });
  });

  test('past jobs of the chosen engine calibrate c and t0', async () => {
    const config = await setup();
    await putPartials(config.curatedBucket);
    const job = (
      jobName: string,
      units: number,
      instances: number,
      wallSeconds: number,
      engine: JobRecord['engine'],
    ) =>
      putJobRecord(s3, config.modelsBucket, {
        jobName,
        engine,
        units,
        instances,
        billableSeconds: wallSeconds - 100,
        startupSeconds: 100,
        wallSeconds,
      });
    // wall = 120 + 0.5 · units/instances for SageMaker; a Batch record that would spoil the line.
    await job('sm-1', 1000, 1, 620, 'sagemaker');
    await job('sm-2', 4000, 2, 1120, 'sagemaker');
    await job('batch-1', 1000, 1, 99_999, 'batch');
    const output = await runPlan({ engine: 'sagemaker' }, { s3, config, logger, metrics });
    expect(output.calibration).toMatchObject({ source: 'fit', records: 2 });
    expect(output.calibration.c).toBeCloseTo(0.5, 12);
    expect(output.calibration.t0).toBeCloseTo(120, 9);
    // 120 + 30 + 0.5 · 1000 / p ≤ 300 → p = 4 (275 s).
    expect(output).toMatchObject({ p: 4, feasible: true });
    expect(output.plannedSeconds).toBeCloseTo(275, 9);
  });

  test('an unreachable deadline returns the best p with feasible false', async () => {
    const config = await setup({ MAX_INSTANCES: '5' });
    await putPartials(config.curatedBucket);
    const output = await runPlan({}, { s3, config, logger, metrics });
    expect(output).toMatchObject({
      feasible: false,
      p: 5,
      plannedSeconds: 490,
      bestSeconds: 490,
      requiredP: 10,
    });
  });

  test('the input may choose Batch, which launches the EC2 type at its own price', async () => {
    const config = await setup({ PRICE_PER_HOUR: '' });
    await putPartials(config.curatedBucket);
    const output = await runPlan({ engine: 'batch' }, { s3, config, logger, metrics });
    expect(output).toMatchObject({
      engine: 'batch',
      instanceType: 'm5.xlarge',
      cost: (10 * 290 * 0.192) / 3600,
    });
  });

  test('a partial written by the preprocess core is read as written', async () => {
    const config = await setup();
    const csv =
      'timestamp,line_id,category,temperature,pressure,vibration,speed,humidity,torque,current,voltage,feed_rate,tool_wear,quality\n' +
      '2026-01-01T00:00:00Z,L1,A,1,2,3,4,5,6,7,8,9,10,0.9\n' +
      '2026-01-01T00:00:00Z,L1,A,1,2,3,4,5,6,7,8,9,10,0.9\n' +
      '2026-01-01T00:00:02Z,L1,B,1,,3,4,5,6,7,8,9,10,0.8\n';
    const { stats } = await preprocessBytes(new TextEncoder().encode(csv), DEFAULT_DATASET_SCHEMA);
    await put(config.curatedBucket, 'stats/x/v-1.json', stats);
    const output = await runPlan({}, { s3, config, logger, metrics });
    // Three rows: one duplicate, one with a missing cell; one complete row remains.
    expect(output).toMatchObject({ n: 1, partials: 1, p: 1, bytesIn: csv.length });
  });

  test('no statistics partials is NoTrainingData', async () => {
    const config = await setup();
    await put(config.curatedBucket, 'clean/x/v-1.csv', 'a\n');
    const failure = runPlan({}, { s3, config, logger, metrics });
    await expect(failure).rejects.toThrow(NoTrainingDataError);
    await expect(failure).rejects.toMatchObject({ name: 'NoTrainingData', code: 'NoTrainingData' });
  });

  test('partials with no training rows are NoTrainingData', async () => {
    const config = await setup();
    await put(
      config.curatedBucket,
      'stats/x/v-1.json',
      partialWith({ rowsComplete: 0, rowsClean: 5, bytesIn: 10 }),
    );
    await expect(runPlan({}, { s3, config, logger, metrics })).rejects.toThrow(/hold no complete rows/);
  });

  test('a plan publishes PlannedSeconds, PlannedInstances, PlannedRows, PlanInfeasible 0 and PlannedCostUsd as one EMF document', async () => {
    const config = await setup();
    await putPartials(config.curatedBucket);
    const { documents, error } = await planWithMetrics(config);
    expect(error).toBeUndefined();
    expect(documents).toHaveLength(1);
    const [doc] = documents;
    expect(doc._aws.CloudWatchMetrics).toHaveLength(1);
    expect(doc._aws.CloudWatchMetrics[0].Namespace).toBe('AiaasFactory');
    expect(doc._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service']]);
    expect(unitsOf(doc)).toEqual({
      PlannedSeconds: 'Seconds',
      PlannedInstances: 'Count',
      PlannedRows: 'Count',
      PlanInfeasible: 'Count',
      PlannedCostUsd: 'None',
    });
    expect(doc).toMatchObject({
      service: 'plan',
      PlannedSeconds: 290,
      PlannedInstances: 10,
      PlannedRows: 1000,
      PlanInfeasible: 0,
    });
    // p × T × the instance-hour price of the planner's table.
    expect(doc.PlannedCostUsd).toBeCloseTo(
      (10 * 290 * instanceFacts(config.instanceType).pricePerHour) / 3600,
      10,
    );
  });

  test('an infeasible plan publishes PlanInfeasible 1 with the best p and its seconds', async () => {
    const config = await setup({ MAX_INSTANCES: '5' });
    await putPartials(config.curatedBucket);
    const { documents, error } = await planWithMetrics(config);
    expect(error).toBeUndefined();
    expect(documents).toHaveLength(1);
    expect(documents[0]).toMatchObject({
      PlanInfeasible: 1,
      PlannedInstances: 5,
      PlannedSeconds: 490,
      PlannedRows: 1000,
    });
  });

  test('a plan that fails with NoTrainingData publishes no metrics', async () => {
    const config = await setup();
    const { documents, error } = await planWithMetrics(config);
    expect(error).toBeInstanceOf(NoTrainingDataError);
    expect(documents).toEqual([]);
  });

  test('the Lambda entry point publishes to namespace AiaasFactory with service "plan" by default', async () => {
    const config = await setup();
    await putPartials(config.curatedBucket);
    const saved = { ...process.env };
    const emf = captureEmf();
    try {
      Object.assign(process.env, ENV, {
        CURATED_BUCKET: config.curatedBucket,
        MODELS_BUCKET: config.modelsBucket,
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        POWERTOOLS_METRICS_DISABLED: 'false',
      });
      delete process.env.METRICS_NAMESPACE;
      delete process.env.POWERTOOLS_SERVICE_NAME;
      await jest.isolateModulesAsync(async () => {
        const { handler } = await import('../../../lambda/handlers/plan');
        await handler({});
      });
    } finally {
      emf.restore();
      process.env = saved;
    }
    const documents = emf.documents();
    expect(documents).toHaveLength(1);
    expect(documents[0]._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'AiaasFactory',
      Dimensions: [['service']],
    });
    expect(documents[0]).toMatchObject({ service: 'plan', PlannedInstances: 10 });
  });

  test('the Lambda entry point reads its environment once and plans', async () => {
    const config = await setup();
    await putPartials(config.curatedBucket);
    const saved = { ...process.env };
    try {
      Object.assign(process.env, ENV, {
        CURATED_BUCKET: config.curatedBucket,
        MODELS_BUCKET: config.modelsBucket,
      });
      process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
      process.env.POWERTOOLS_METRICS_DISABLED = 'true';
      await jest.isolateModulesAsync(async () => {
        const { handler } = await import('../../../lambda/handlers/plan');
        await expect(handler({})).resolves.toMatchObject({ p: 10, plannedSeconds: 290, n: 1000 });
        // Read once: a changed variable is not seen by the same execution environment.
        process.env.MAX_INSTANCES = '5';
        await expect(handler({})).resolves.toMatchObject({ p: 10 });
      });
    } finally {
      process.env = saved;
    }
  });

  test('the Lambda entry point fails with a ConfigError naming a missing variable', async () => {
    const saved = { ...process.env };
    try {
      Object.assign(process.env, ENV);
      delete process.env.MODELS_BUCKET;
      process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
      await jest.isolateModulesAsync(async () => {
        const { handler } = await import('../../../lambda/handlers/plan');
        await expect(handler({})).rejects.toMatchObject({ name: 'ConfigError', variable: 'MODELS_BUCKET' });
      });
    } finally {
      process.env = saved;
    }
  });

  test('an unknown engine in the input is rejected', async () => {
    const config = await setup();
    await expect(runPlan({ engine: 'lambda' as never }, { s3, config, logger, metrics })).rejects.toThrow(
      InvalidPlanEventError,
    );
  });
});
