process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
import {
  BatchClient,
  CreateComputeEnvironmentCommand,
  CreateJobQueueCommand,
  RegisterJobDefinitionCommand,
  SubmitJobCommand,
  type JobDetail,
} from '@aws-sdk/client-batch';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateTrainingJobCommand,
  SageMakerClient,
  type DescribeTrainingJobResponse,
} from '@aws-sdk/client-sagemaker';
import { startMoto, useMotoEnvironment, type MotoServer } from '../../../bin/local/moto-server';
import {
  describeBatchJobRecords,
  describeTrainingJobRecord,
  jobRecordKey,
  JOB_RECORDS_KEY,
  listTrainingJobRecords,
  loadJobRecords,
  putJobRecord,
  recordFinishedJob,
  sageMakerJobDescriber,
  batchJobDescriber,
  recordFromBatchJob,
  recordFromTrainingJob,
  saveJobRecords,
} from '../../../lambda/adapters/job-records';
import { JobRecordFormatError, type JobRecord } from '../../../lambda/core/calibration';

const t = (iso: string) => new Date(iso);

describe('recordFromTrainingJob', () => {
  const completed: DescribeTrainingJobResponse = {
    TrainingJobName: 'train-1',
    TrainingJobArn: 'arn:aws:sagemaker:eu-west-1:123456789012:training-job/train-1',
    TrainingJobStatus: 'Completed',
    SecondaryStatus: 'Completed',
    HyperParameters: { units: '1000000' },
    ResourceConfig: { InstanceCount: 4, InstanceType: 'ml.m5.xlarge', VolumeSizeInGB: 10 },
    CreationTime: t('2026-01-01T00:00:00Z'),
    TrainingStartTime: t('2026-01-01T00:03:00Z'),
    TrainingEndTime: t('2026-01-01T00:13:00Z'),
    BillableTimeInSeconds: 598,
    SecondaryStatusTransitions: [
      { Status: 'Starting', StartTime: t('2026-01-01T00:00:00Z'), EndTime: t('2026-01-01T00:03:00Z') },
      { Status: 'Downloading', StartTime: t('2026-01-01T00:03:00Z'), EndTime: t('2026-01-01T00:04:30Z') },
      { Status: 'Training', StartTime: t('2026-01-01T00:04:30Z'), EndTime: t('2026-01-01T00:12:00Z') },
      { Status: 'Uploading', StartTime: t('2026-01-01T00:12:00Z'), EndTime: t('2026-01-01T00:13:00Z') },
    ],
    AlgorithmSpecification: { TrainingInputMode: 'File' },
    ModelArtifacts: { S3ModelArtifacts: 's3://m/x' },
    StoppingCondition: {},
  };

  test('reads units, instances, billable, start-up and wall-clock seconds', () => {
    expect(recordFromTrainingJob(completed)).toEqual({
      jobName: 'train-1',
      engine: 'sagemaker',
      units: 1_000_000,
      instances: 4,
      billableSeconds: 598,
      startupSeconds: 270,
      wallSeconds: 780,
      instanceType: 'ml.m5.xlarge',
      endedAt: '2026-01-01T00:13:00.000Z',
    });
  });

  test('falls back to a units tag and to training start − creation for start-up', () => {
    const job = {
      ...completed,
      HyperParameters: {},
      SecondaryStatusTransitions: [],
      BillableTimeInSeconds: undefined,
    };
    expect(recordFromTrainingJob(job, [{ Key: 'units', Value: '500' }])).toMatchObject({
      units: 500,
      startupSeconds: 180,
      billableSeconds: 600,
    });
  });

  test('skips a job without units, an unfinished job and a failed job', () => {
    expect(recordFromTrainingJob({ ...completed, HyperParameters: {} })).toMatchObject({
      reason: 'no-units',
    });
    expect(recordFromTrainingJob({ ...completed, TrainingJobStatus: 'InProgress' })).toMatchObject({
      reason: 'not-finished',
    });
    expect(recordFromTrainingJob({ ...completed, TrainingJobStatus: 'Failed' })).toMatchObject({
      reason: 'failed',
    });
  });
});

describe('recordFromBatchJob', () => {
  const succeeded: JobDetail = {
    jobName: 'train-batch-1',
    jobId: 'id-1',
    jobQueue: 'q',
    jobDefinition: 'd',
    status: 'SUCCEEDED',
    createdAt: Date.parse('2026-01-01T00:00:00Z'),
    startedAt: Date.parse('2026-01-01T00:05:00Z'),
    stoppedAt: Date.parse('2026-01-01T00:25:00Z'),
    arrayProperties: { size: 8 },
    parameters: { units: '80000' },
  };

  test('reads units, array size and the three durations', () => {
    expect(recordFromBatchJob(succeeded)).toEqual({
      jobName: 'train-batch-1',
      engine: 'batch',
      units: 80000,
      instances: 8,
      billableSeconds: 1200,
      startupSeconds: 300,
      wallSeconds: 1500,
      endedAt: '2026-01-01T00:25:00.000Z',
    });
  });

  test('a job without stoppedAt is skipped as not finished', () => {
    expect(recordFromBatchJob({ ...succeeded, stoppedAt: undefined })).toMatchObject({
      reason: 'not-finished',
    });
  });

  test('a single (non-array) job ran on one instance; units may come from a tag', () => {
    const job = { ...succeeded, arrayProperties: undefined, parameters: {}, tags: { units: '10' } };
    expect(recordFromBatchJob(job)).toMatchObject({ instances: 1, units: 10 });
  });
});

describe('job records against moto_server', () => {
  let moto: MotoServer;
  let sagemaker: SageMakerClient;
  let batch: BatchClient;
  let s3: S3Client;
  const bucket = 'models-bucket';

  beforeAll(async () => {
    moto = await startMoto();
    useMotoEnvironment(moto.endpoint);
    const config = { endpoint: moto.endpoint, region: 'eu-west-1' };
    sagemaker = new SageMakerClient(config);
    batch = new BatchClient(config);
    s3 = new S3Client({ ...config, forcePathStyle: true });
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
      }),
    );
  });

  afterAll(async () => {
    for (const c of [sagemaker, batch, s3]) c?.destroy();
    await moto?.stop();
  });

  async function createTrainingJob(name: string, hyperParameters: Record<string, string>, instances: number) {
    await sagemaker.send(
      new CreateTrainingJobCommand({
        TrainingJobName: name,
        AlgorithmSpecification: {
          TrainingImage: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/trainer:1',
          TrainingInputMode: 'File',
        },
        RoleArn: 'arn:aws:iam::123456789012:role/sagemaker',
        OutputDataConfig: { S3OutputPath: 's3://models-bucket/output' },
        ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: instances, VolumeSizeInGB: 10 },
        StoppingCondition: { MaxRuntimeInSeconds: 3600 },
        HyperParameters: hyperParameters,
        Tags: [{ Key: 'units', Value: '777' }],
      }),
    );
  }

  test('a SageMaker training job (completed at once in moto) becomes a record', async () => {
    await createTrainingJob('plan-calib-1', { units: '12000' }, 3);
    const record = await describeTrainingJobRecord(sagemaker, 'plan-calib-1');
    expect(record).toMatchObject({
      jobName: 'plan-calib-1',
      engine: 'sagemaker',
      units: 12000,
      instances: 3,
    });
    expect(record).toMatchObject({ instanceType: 'ml.m5.xlarge' });
    // moto completes the job the instant it is created: all durations are (near) zero.
    expect((record as JobRecord).wallSeconds).toBeLessThan(5);
  });

  test('units come from the job tag when the hyperparameters lack them', async () => {
    await createTrainingJob('plan-calib-2', {}, 1);
    expect(await describeTrainingJobRecord(sagemaker, 'plan-calib-2')).toMatchObject({
      units: 777,
      instances: 1,
    });
  });

  test('listing finds the completed training jobs by name', async () => {
    const { records, skipped } = await listTrainingJobRecords(sagemaker, { nameContains: 'plan-calib-' });
    expect(records.map((r) => r.jobName).sort()).toEqual(['plan-calib-1', 'plan-calib-2']);
    expect(skipped).toEqual([]);
  });

  test('a submitted Batch job (no stoppedAt) is skipped, not recorded', async () => {
    const roleArn = await createIamRole(moto.endpoint, 'batch-service');
    const env = await batch.send(
      new CreateComputeEnvironmentCommand({
        computeEnvironmentName: 'plan-ce',
        type: 'UNMANAGED',
        serviceRole: roleArn,
      }),
    );
    await batch.send(
      new CreateJobQueueCommand({
        jobQueueName: 'plan-q',
        state: 'ENABLED',
        priority: 1,
        computeEnvironmentOrder: [{ order: 1, computeEnvironment: env.computeEnvironmentArn! }],
      }),
    );
    const definition = await batch.send(
      new RegisterJobDefinitionCommand({
        jobDefinitionName: 'plan-train',
        type: 'container',
        containerProperties: { image: 'trainer:1', vcpus: 2, memory: 4096, command: ['train'] },
      }),
    );
    const submitted = await batch.send(
      new SubmitJobCommand({
        jobName: 'plan-batch-1',
        jobQueue: 'plan-q',
        jobDefinition: definition.jobDefinitionArn!,
        parameters: { units: '5000' },
      }),
    );
    const { records, skipped } = await describeBatchJobRecords(batch, [submitted.jobId!]);
    expect(records).toEqual([]);
    expect(skipped).toEqual([
      expect.objectContaining({ jobName: 'plan-batch-1', engine: 'batch', reason: 'not-finished' }),
    ]);
  });

  test('records round-trip through S3: snapshot plus per-job objects, per-job wins', async () => {
    const a: JobRecord = {
      jobName: 'a',
      engine: 'sagemaker',
      units: 10,
      instances: 1,
      billableSeconds: 5,
      startupSeconds: 1,
      wallSeconds: 7,
    };
    const b: JobRecord = { ...a, jobName: 'b/with slash', engine: 'batch' };
    await saveJobRecords(s3, bucket, [a, b]);
    const newerA = { ...a, wallSeconds: 9 };
    expect(await putJobRecord(s3, bucket, newerA)).toBe('capacity/records/sagemaker/a.json');
    expect(jobRecordKey(b)).toBe('capacity/records/batch/b%2Fwith%20slash.json');
    expect(await loadJobRecords(s3, bucket)).toEqual([newerA, b]);
  });

  test('a finished SageMaker job is recorded under its own key, a submitted Batch job is not', async () => {
    await s3.send(
      new CreateBucketCommand({
        Bucket: 'record-models',
        CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
      }),
    );
    await createTrainingJob('plan-calib-3', { units: '3000' }, 2);
    const done = await recordFinishedJob(
      s3,
      'record-models',
      { engine: 'sagemaker', trainingJobName: 'plan-calib-3' },
      sageMakerJobDescriber(sagemaker),
    );
    expect(done).toMatchObject({
      key: 'capacity/records/sagemaker/plan-calib-3.json',
      record: { units: 3000, instances: 2 },
    });
    expect(await loadJobRecords(s3, 'record-models')).toEqual([(done as { record: JobRecord }).record]);
    const unknown = await recordFinishedJob(
      s3,
      'record-models',
      { engine: 'batch', jobId: 'no-such-job' },
      batchJobDescriber(batch),
    );
    expect(unknown).toEqual({ skipped: { jobName: 'no-such-job', engine: 'batch', reason: 'not-found' } });
  });

  test('a bucket without records loads as no records', async () => {
    await s3.send(
      new CreateBucketCommand({
        Bucket: 'empty-models',
        CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
      }),
    );
    expect(await loadJobRecords(s3, 'empty-models')).toEqual([]);
  });

  test('a malformed record is an error naming its key', async () => {
    await s3.send(
      new CreateBucketCommand({
        Bucket: 'bad-models',
        CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
      }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: 'bad-models',
        Key: 'capacity/records/batch/x.json',
        Body: '{"jobName":"x"}',
      }),
    );
    await expect(loadJobRecords(s3, 'bad-models')).rejects.toThrow(JobRecordFormatError);
    await expect(loadJobRecords(s3, 'bad-models')).rejects.toThrow(
      /capacity\/records\/batch\/x\.json\.engine/,
    );
    expect(JOB_RECORDS_KEY).toBe('capacity/job-records.json');
  });
});

/**
 * moto checks a Batch compute environment's service role exists in IAM; there is no IAM SDK
 * client in this project, so create it with one query-API call (moto does not check signatures).
 */
async function createIamRole(endpoint: string, roleName: string): Promise<string> {
  const body = new URLSearchParams({
    Action: 'CreateRole',
    Version: '2010-05-08',
    RoleName: roleName,
    AssumeRolePolicyDocument: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'batch.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ],
    }),
  });
  const response = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization:
        'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0',
    },
    body,
  });
  const text = await response.text();
  const arn = /<Arn>([^<]+)<\/Arn>/.exec(text)?.[1];
  if (!response.ok || !arn) throw new Error(`CreateRole failed: ${response.status} ${text}`);
  return arn;
}
