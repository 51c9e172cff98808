/**
 * Job records for calibration: what past training jobs took, read from SageMaker
 * (DescribeTrainingJob / ListTrainingJobs) and AWS Batch (DescribeJobs), and kept as JSON in the
 * models bucket.
 *
 * S3 layout (models bucket):
 *   capacity/job-records.json                       { format, records: JobRecord[] } — a snapshot
 *   capacity/records/<engine>/<jobName>.json        one JobRecord per finished job — appended by
 *                                                   the training state machine; the key is the job,
 *                                                   so a retried write rewrites the same object
 * Loading merges both; a per-job object wins over the snapshot for the same engine and job name.
 *
 * Only finished, successful jobs with known units become records; everything else is returned as
 * skipped with a reason (a Batch job still SUBMITTED has no stoppedAt and is skipped, not guessed).
 */
import { DescribeJobsCommand, type BatchClient, type JobDetail } from '@aws-sdk/client-batch';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { listObjects } from './s3-listing';
import { JOB_RECORDS_KEY, JOB_RECORDS_PREFIX } from '../core/models-layout';
import {
  DescribeTrainingJobCommand,
  ListTagsCommand,
  ListTrainingJobsCommand,
  type DescribeTrainingJobResponse,
  type SageMakerClient,
  type Tag,
} from '@aws-sdk/client-sagemaker';
import {
  JOB_RECORDS_FORMAT,
  mergeJobRecords,
  parseJobRecord,
  parseJobRecordsDocument,
  type JobRecord,
  type JobRecordsDocument,
  type TrainingEngine,
} from '../core/calibration';
import { ValidationError } from '../core/errors';

export { JOB_RECORDS_KEY, JOB_RECORDS_PREFIX };

/** The hyperparameter, Batch parameter or tag that carries a job's unit count (rows). */
export const UNITS_KEY = 'units';

export type SkipReason = 'not-finished' | 'failed' | 'no-units' | 'no-times' | 'not-found';

export interface SkippedJob {
  readonly jobName: string;
  readonly engine: TrainingEngine;
  readonly reason: SkipReason;
  readonly status?: string;
}

export interface CollectedRecords {
  readonly records: JobRecord[];
  readonly skipped: SkippedJob[];
}

const isSkipped = (r: JobRecord | SkippedJob): r is SkippedJob => 'reason' in r;

function parseUnits(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return undefined;
  const units = Number(value);
  return Number.isSafeInteger(units) && units >= 1 ? units : undefined;
}

const seconds = (from: Date | number, to: Date | number): number =>
  Math.max(0, (Number(to) - Number(from)) / 1000);

/** The start-up phases of a SageMaker job's secondary status transitions. */
const STARTUP_PHASES = new Set(['Starting', 'Downloading']);

/**
 * A record from a DescribeTrainingJob answer (and, when the hyperparameters lack `units`, the
 * job's tags). Pure: no calls.
 */
export function recordFromTrainingJob(
  job: DescribeTrainingJobResponse,
  tags: readonly Tag[] = [],
): JobRecord | SkippedJob {
  const jobName = job.TrainingJobName ?? '(unnamed)';
  const base = { jobName, engine: 'sagemaker' as const, status: job.TrainingJobStatus };
  if (job.TrainingJobStatus !== 'Completed') {
    const failed = job.TrainingJobStatus === 'Failed' || job.TrainingJobStatus === 'Stopped';
    return { ...base, reason: failed ? 'failed' : 'not-finished' };
  }
  const units =
    parseUnits(job.HyperParameters?.[UNITS_KEY]) ?? parseUnits(tags.find((t) => t.Key === UNITS_KEY)?.Value);
  if (units === undefined) return { ...base, reason: 'no-units' };
  const created = job.CreationTime;
  const start = job.TrainingStartTime;
  const end = job.TrainingEndTime;
  if (!created || !start || !end) return { ...base, reason: 'no-times' };
  const transitions = job.SecondaryStatusTransitions ?? [];
  const phased = transitions.filter((t) => t.Status && STARTUP_PHASES.has(t.Status) && t.StartTime);
  const startupSeconds = phased.length
    ? phased.reduce((sum, t) => sum + seconds(t.StartTime!, t.EndTime ?? start), 0)
    : seconds(created, start);
  return {
    jobName,
    engine: 'sagemaker',
    units,
    instances: job.ResourceConfig?.InstanceCount ?? 1,
    billableSeconds: job.BillableTimeInSeconds ?? seconds(start, end),
    startupSeconds,
    wallSeconds: seconds(created, end),
    ...(job.ResourceConfig?.InstanceType ? { instanceType: job.ResourceConfig.InstanceType } : {}),
    endedAt: new Date(end).toISOString(),
  };
}

/** Reads one SageMaker training job as a record (tags are read only when needed for units). */
export async function describeTrainingJobRecord(
  client: SageMakerClient,
  trainingJobName: string,
): Promise<JobRecord | SkippedJob> {
  const job = await client.send(new DescribeTrainingJobCommand({ TrainingJobName: trainingJobName }));
  let tags: Tag[] = [];
  if (parseUnits(job.HyperParameters?.[UNITS_KEY]) === undefined && job.TrainingJobArn) {
    tags = (await client.send(new ListTagsCommand({ ResourceArn: job.TrainingJobArn }))).Tags ?? [];
  }
  return recordFromTrainingJob(job, tags);
}

/** Records of completed SageMaker training jobs (newest first), at most `maxJobs`. */
export async function listTrainingJobRecords(
  client: SageMakerClient,
  options: { nameContains?: string; creationTimeAfter?: Date; maxJobs?: number } = {},
): Promise<CollectedRecords> {
  const maxJobs = options.maxJobs ?? 100;
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListTrainingJobsCommand({
        StatusEquals: 'Completed',
        SortBy: 'CreationTime',
        SortOrder: 'Descending',
        MaxResults: Math.min(100, maxJobs - names.length),
        ...(options.nameContains ? { NameContains: options.nameContains } : {}),
        ...(options.creationTimeAfter ? { CreationTimeAfter: options.creationTimeAfter } : {}),
        ...(nextToken ? { NextToken: nextToken } : {}),
      }),
    );
    for (const summary of page.TrainingJobSummaries ?? []) {
      if (summary.TrainingJobName && names.length < maxJobs) names.push(summary.TrainingJobName);
    }
    nextToken = page.NextToken;
  } while (nextToken && names.length < maxJobs);
  return collect(await Promise.all(names.map((name) => describeTrainingJobRecord(client, name))));
}

/** A record from a Batch DescribeJobs job detail. Pure: no calls. */
export function recordFromBatchJob(job: JobDetail): JobRecord | SkippedJob {
  const jobName = job.jobName ?? job.jobId ?? '(unnamed)';
  const base = { jobName, engine: 'batch' as const, status: job.status };
  if (job.status === 'FAILED') return { ...base, reason: 'failed' };
  if (job.status !== 'SUCCEEDED' || job.stoppedAt === undefined) return { ...base, reason: 'not-finished' };
  const units = parseUnits(job.parameters?.[UNITS_KEY]) ?? parseUnits(job.tags?.[UNITS_KEY]);
  if (units === undefined) return { ...base, reason: 'no-units' };
  if (job.createdAt === undefined || job.startedAt === undefined) return { ...base, reason: 'no-times' };
  return {
    jobName,
    engine: 'batch',
    units,
    // An array job runs one child per instance (the job definition asks for a whole instance).
    instances: job.arrayProperties?.size ?? 1,
    billableSeconds: seconds(job.startedAt, job.stoppedAt),
    startupSeconds: seconds(job.createdAt, job.startedAt),
    wallSeconds: seconds(job.createdAt, job.stoppedAt),
    endedAt: new Date(job.stoppedAt).toISOString(),
  };
}

/** Records of Batch jobs by id (DescribeJobs takes 100 ids per call). */
export async function describeBatchJobRecords(
  client: BatchClient,
  jobIds: readonly string[],
): Promise<CollectedRecords> {
  const details: JobDetail[] = [];
  for (let i = 0; i < jobIds.length; i += 100) {
    const answer = await client.send(new DescribeJobsCommand({ jobs: jobIds.slice(i, i + 100) }));
    details.push(...(answer.jobs ?? []));
  }
  return collect(details.map(recordFromBatchJob));
}

function collect(results: readonly (JobRecord | SkippedJob)[]): CollectedRecords {
  const records: JobRecord[] = [];
  const skipped: SkippedJob[] = [];
  for (const r of results) (isSkipped(r) ? skipped : records).push(r as never);
  return { records, skipped };
}

/** The per-job object key: `capacity/records/<engine>/<url-encoded jobName>.json`. */
export function jobRecordKey(record: Pick<JobRecord, 'engine' | 'jobName'>): string {
  return `${JOB_RECORDS_PREFIX}${record.engine}/${encodeURIComponent(record.jobName)}.json`;
}

const JSON_TYPE = 'application/json';

/** Writes the snapshot document `capacity/job-records.json`. */
export async function saveJobRecords(
  s3: S3Client,
  bucket: string,
  records: readonly JobRecord[],
): Promise<void> {
  const document: JobRecordsDocument = { format: JOB_RECORDS_FORMAT, records };
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: JOB_RECORDS_KEY,
      Body: JSON.stringify(document, null, 2) + '\n',
      ContentType: JSON_TYPE,
    }),
  );
}

/** Writes one record as its own object (idempotent per job). */
export async function putJobRecord(s3: S3Client, bucket: string, record: JobRecord): Promise<string> {
  const key = jobRecordKey(record);
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: JSON.stringify(record) + '\n',
      ContentType: JSON_TYPE,
    }),
  );
  return key;
}

const isNoSuchKey = (error: unknown): boolean =>
  error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NotFound');

async function readJson(s3: S3Client, bucket: string, key: string): Promise<unknown | undefined> {
  try {
    const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse((await answer.Body?.transformToString('utf-8')) ?? 'null');
  } catch (error) {
    if (isNoSuchKey(error)) return undefined;
    throw error;
  }
}

/**
 * All records in the bucket: the snapshot (absent is fine) merged with the per-job objects.
 * A malformed document or record is an error naming its key (JobRecordFormatError), not skipped.
 */
export async function loadJobRecords(s3: S3Client, bucket: string): Promise<JobRecord[]> {
  const snapshot = await readJson(s3, bucket, JOB_RECORDS_KEY);
  const fromSnapshot = snapshot === undefined ? [] : parseJobRecordsDocument(snapshot);
  const keys = (await listObjects(s3, bucket, JOB_RECORDS_PREFIX))
    .map((object) => object.key)
    .filter((key) => key.endsWith('.json'))
    .sort();
  const perJob: JobRecord[] = [];
  for (const key of keys) {
    const value = await readJson(s3, bucket, key);
    if (value !== undefined) perJob.push(parseJobRecord(value, key));
  }
  return mergeJobRecords(fromSnapshot, perJob);
}

export type FinishedJob =
  | { readonly engine: 'sagemaker'; readonly trainingJobName: string }
  | { readonly engine: 'batch'; readonly jobId: string };

/** A job of the other engine reached a describer: the deployment trains on one engine. */
function wrongEngine(expected: TrainingEngine, got: TrainingEngine): ValidationError {
  return new ValidationError(`this deployment trains on ${expected}; got a ${got} job`);
}

/** Describes a finished job as a record, or says why it makes none: one engine's API. */
export type JobDescriber = (job: FinishedJob) => Promise<JobRecord | SkippedJob>;

/** The SageMaker describer. A function deployed for one engine bundles only that engine's client. */
export function sageMakerJobDescriber(client: SageMakerClient): JobDescriber {
  return (job) => {
    if (job.engine !== 'sagemaker') throw wrongEngine('sagemaker', job.engine);
    return describeTrainingJobRecord(client, job.trainingJobName);
  };
}

/** The AWS Batch describer. */
export function batchJobDescriber(client: BatchClient): JobDescriber {
  return async (job) => {
    if (job.engine !== 'batch') throw wrongEngine('batch', job.engine);
    const { records, skipped } = await describeBatchJobRecords(client, [job.jobId]);
    return records[0] ?? skipped[0] ?? { jobName: job.jobId, engine: 'batch', reason: 'not-found' };
  };
}

/**
 * After a training job ends (the state machine's step after training): describe it and, when it
 * makes a usable record, store it as `capacity/records/<engine>/<jobName>.json`. Returns the
 * record with its key, or the reason it was skipped. Safe to retry: the key is the job.
 */
export async function recordFinishedJob(
  s3: S3Client,
  modelsBucket: string,
  job: FinishedJob,
  describe: JobDescriber,
): Promise<{ readonly record: JobRecord; readonly key: string } | { readonly skipped: SkippedJob }> {
  const result = await describe(job);
  if (isSkipped(result)) return { skipped: result };
  return { record: result, key: await putJobRecord(s3, modelsBucket, result) };
}
