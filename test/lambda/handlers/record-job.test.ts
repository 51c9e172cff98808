import { Logger } from '@aws-lambda-powertools/logger';
import type { JobRecord } from '../../../lambda/core/calibration';
import { jobCostUsd } from '../../../lambda/core/job-cost';
import { BatchClient, DescribeJobsCommand } from '@aws-sdk/client-batch';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeTrainingJobCommand, ListTagsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { batchJobDescriber, sageMakerJobDescriber } from '../../../lambda/adapters/job-records';
import { decodeFinishedJob, runRecordJob } from '../../../lambda/handlers/record-job';

const s3 = mockClient(S3Client);
const sagemaker = mockClient(SageMakerClient);
const batch = mockClient(BatchClient);
const base = () => ({
  s3: new S3Client({ region: 'eu-west-1' }),
  modelsBucket: 'models',
  logger: new Logger({ logLevel: 'SILENT' }),
});
const onSageMaker = () => ({
  ...base(),
  describe: sageMakerJobDescriber(new SageMakerClient({ region: 'eu-west-1' })),
});
const onBatch = () => ({ ...base(), describe: batchJobDescriber(new BatchClient({ region: 'eu-west-1' })) });

beforeEach(() => {
  s3.reset();
  sagemaker.reset();
  batch.reset();
  s3.on(PutObjectCommand).resolves({});
});

describe('record-job step', () => {
  it('records a completed SageMaker job with its units tag as a calibration record', async () => {
    sagemaker.on(DescribeTrainingJobCommand).resolves({
      TrainingJobName: 'train-1',
      TrainingJobArn: 'arn:aws:sagemaker:eu-west-1:123456789012:training-job/train-1',
      TrainingJobStatus: 'Completed',
      CreationTime: new Date('2026-01-01T00:00:00Z'),
      TrainingStartTime: new Date('2026-01-01T00:03:00Z'),
      TrainingEndTime: new Date('2026-01-01T00:05:00Z'),
      BillableTimeInSeconds: 120,
      ResourceConfig: { InstanceCount: 2, InstanceType: 'ml.m5.xlarge', VolumeSizeInGB: 30 },
    } as never);
    sagemaker.on(ListTagsCommand).resolves({ Tags: [{ Key: 'units', Value: '5000000' }] });

    const out = await runRecordJob({ engine: 'sagemaker', trainingJobName: 'train-1' }, onSageMaker());

    expect(out).toMatchObject({
      recorded: 'capacity/records/sagemaker/train-1.json',
      record: { units: 5000000, instances: 2, billableSeconds: 120, wallSeconds: 300, engine: 'sagemaker' },
    });
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: 'models',
      Key: 'capacity/records/sagemaker/train-1.json',
    });
  });

  it('skips, without failing the run, a Batch job that carries no units', async () => {
    batch.on(DescribeJobsCommand).resolves({
      jobs: [
        {
          jobId: 'j-1',
          jobName: 'trainer-batch',
          status: 'SUCCEEDED',
          createdAt: 1,
          startedAt: 2,
          stoppedAt: 3,
          jobQueue: 'q',
          jobDefinition: 'd',
        },
      ],
    } as never);

    const out = await runRecordJob({ engine: 'batch', jobId: 'j-1' }, onBatch());

    expect(out).toEqual({ skipped: 'no-units', jobName: 'trainer-batch' });
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it.each([
    [undefined],
    [{}],
    [{ engine: 'sagemaker' }],
    [{ engine: 'batch', jobId: '' }],
    [{ engine: 'gpu', jobId: 'x' }],
  ])('rejects the malformed input %j with a message saying what it expects', (event) => {
    expect(() => decodeFinishedJob(event)).toThrow(
      /expected \{ engine: "sagemaker", trainingJobName \} or \{ engine: "batch", jobId \}/,
    );
  });

  it('refuses a job of the other engine: a deployment trains on one engine', async () => {
    await expect(runRecordJob({ engine: 'batch', jobId: 'j-1' }, onSageMaker())).rejects.toThrow(
      'this deployment trains on sagemaker; got a batch job',
    );
    expect(batch).not.toHaveReceivedCommand(DescribeJobsCommand);
  });
});

describe('the measured cost of a recorded job', () => {
  it('is billable seconds × instances × the instance-hour price of the planner table', () => {
    expect(
      jobCostUsd({
        jobName: 'j',
        engine: 'sagemaker',
        units: 10,
        instances: 2,
        billableSeconds: 120,
        wallSeconds: 300,
        instanceType: 'ml.m5.xlarge',
        endedAt: '2026-12-01T00:00:00.000Z',
      } as JobRecord),
    ).toBeCloseTo((120 * 2 * 0.23) / 3600, 12);
  });

  it('is unknown for an instance type the table does not price', () => {
    expect(
      jobCostUsd({ instances: 1, billableSeconds: 1, instanceType: 'ml.zz.huge' } as JobRecord),
    ).toBeUndefined();
  });
});
