/**
 * The training state machine's record step: after a SageMaker or Batch training job ends,
 * describe it and keep its timings as a calibration record (`capacity/records/...` in the models
 * bucket), so the next plan fits `c` and `t0` of `T = t0 + s + c·n/p` from real jobs instead of
 * the config defaults.
 *
 * Input:  { engine: 'sagemaker', trainingJobName } | { engine: 'batch', jobId }
 * Output: { recorded: key, record } | { skipped: reason }
 *
 * A job that makes no usable record (not finished, no `units` tag, no times) is skipped with its
 * reason, not an error: calibration is best effort and must never fail a training run.
 *
 * A deployment trains on one engine, so the function is deployed from that engine's entry
 * (record-job-sagemaker.ts or record-job-batch.ts): its bundle holds one engine's SDK client, and
 * an isolated VPC needs an interface endpoint for that API only (lib/network-plan.ts).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { S3Client } from '@aws-sdk/client-s3';
import { s3Client } from '../adapters/clients';
import { lambdaEntry } from '../adapters/lambda-entry';
import { readModelsStepConfig, type ModelsStepConfig } from '../core/env/models-steps';
import { recordFinishedJob, type FinishedJob, type JobDescriber } from '../adapters/job-records';
import type { JobRecord } from '../core/calibration';
import { ValidationError } from '../core/errors';
import { jobCostUsd } from '../core/job-cost';

export type RecordJobOutput =
  | { readonly recorded: string; readonly record: JobRecord }
  | { readonly skipped: string; readonly jobName: string };

export interface RecordJobDeps {
  readonly s3: S3Client;
  /** Where the job's measured cost goes (MeasuredCostUsd), beside the plan's PlannedCostUsd. */
  readonly metrics?: Metrics;
  /** The engine's describer: `sageMakerJobDescriber` or `batchJobDescriber`. */
  readonly describe: JobDescriber;
  readonly modelsBucket: string;
  readonly logger: Logger;
}

/** The step's input, checked: an engine and the id that engine knows the job by. */
export function decodeFinishedJob(event: unknown): FinishedJob {
  const e = (event ?? {}) as Record<string, unknown>;
  if (e.engine === 'sagemaker' && typeof e.trainingJobName === 'string' && e.trainingJobName) {
    return { engine: 'sagemaker', trainingJobName: e.trainingJobName };
  }
  if (e.engine === 'batch' && typeof e.jobId === 'string' && e.jobId)
    return { engine: 'batch', jobId: e.jobId };
  throw new ValidationError(
    'expected { engine: "sagemaker", trainingJobName } or { engine: "batch", jobId }, got ' +
      JSON.stringify(event),
  );
}

export async function runRecordJob(event: unknown, deps: RecordJobDeps): Promise<RecordJobOutput> {
  const job = decodeFinishedJob(event);
  const result = await recordFinishedJob(deps.s3, deps.modelsBucket, job, deps.describe);
  if ('skipped' in result) {
    deps.logger.warn('training job not recorded for calibration', { ...result.skipped });
    return { skipped: result.skipped.reason, jobName: result.skipped.jobName };
  }
  const costUsd = jobCostUsd(result.record);
  deps.logger.info('training job recorded for calibration', {
    key: result.key,
    record: result.record,
    costUsd,
  });
  if (deps.metrics && costUsd !== undefined) {
    deps.metrics.addMetric('MeasuredCostUsd', MetricUnit.NoUnit, costUsd);
    deps.metrics.publishStoredMetrics();
  }
  return { recorded: result.key, record: result.record };
}

/**
 * The Lambda entry point of one engine's record step: MODELS_BUCKET read on the first
 * invocation, clients created once.
 */
export function recordJobHandler(describer: () => JobDescriber) {
  return lambdaEntry<ModelsStepConfig, unknown, RecordJobOutput>({
    name: 'record-job',
    readConfig: (env) => readModelsStepConfig('record-job', env),
    create: ({ config, logger, metrics }) => {
      const deps: RecordJobDeps = {
        s3: s3Client(),
        metrics,
        describe: describer(),
        modelsBucket: config.modelsBucket,
        logger,
      };
      return (event) => runRecordJob(event, deps);
    },
  });
}
