/**
 * The training state machine's first state: measure the real n, calibrate, choose p.
 *
 * Input:  { engine?: 'sagemaker' | 'batch' }          (default TRAINING_ENGINE)
 * Output: { engine, instanceType, p, shards, plannedSeconds, cost, feasible, n, inputPrefix,
 *           deadlineSeconds, bestSeconds, requiredP, bytesIn, partials,
 *           calibration: { c, t0, source, reason?, records } }
 *
 * n is the number of training rows, summed over the statistics partials under `stats/` in the
 * curated bucket: `rowsComplete` (the rows in `train/`) when FILL_MODE is none, `rowsClean` (the
 * mean-filled rows in `clean/`) when it is mean. c and t0 come from past jobs of the same engine
 * (capacity/ in the models bucket) or from configuration. An unreachable deadline still returns the
 * best p with `feasible: false`: the state machine decides what to do. No partials, or no rows, is
 * a `NoTrainingData` error (the Lambda error type the state machine can catch).
 *
 * Metrics (EMF, namespace METRICS_NAMESPACE, dimension `service`), one set per plan made:
 * PlannedSeconds (Seconds), PlannedInstances (Count: p), PlannedRows (Count: n) and PlanInfeasible
 * (Count: 1 when the deadline cannot be met, else 0, so an alarm on its sum has data every run).
 * A failed plan publishes none: the state machine's failure alarm covers it.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { listObjects } from '../adapters/s3-listing';
import { loadJobRecords } from '../adapters/job-records';
import { stepHandler, type StepDeps } from '../adapters/step-handler';
import {
  calibrate,
  TRAINING_ENGINES,
  type CalibrationSource,
  type TrainingEngine,
} from '../core/calibration';
import { tryInstanceFacts } from '../core/instance-facts';
import { plan, trainingCostModel } from '../core/planner';

import { engineInstanceType, readPlanConfig, type PlanConfig } from '../core/env/plan';
import { CURATED, trainingRowsPrefix } from '../core/object-keys';
import { InvalidStatsPartialError, parseStatsPartial, type StatsPartial } from '../core/stats-partial-schema';

export { engineInstanceType, readPlanConfig, type PlanConfig, InvalidStatsPartialError };

export interface PlanEvent {
  readonly engine?: TrainingEngine;
}

export interface PlanOutput {
  readonly engine: TrainingEngine;
  /** The type to launch: `ml.<type>` for SageMaker, the EC2 type for Batch. */
  readonly instanceType: string;
  readonly p: number;
  readonly shards: number;
  readonly plannedSeconds: number;
  /** USD; null when no price is known for the type. */
  readonly cost: number | null;
  readonly feasible: boolean;
  readonly deadlineSeconds: number;
  /** The best achievable seconds within MAX_INSTANCES (equals plannedSeconds). */
  readonly bestSeconds: number;
  /** The p the deadline needs without MAX_INSTANCES (null: no p can meet it). */
  readonly requiredP: number | null;
  /** Training rows. */
  readonly n: number;
  /** `train/` or `clean/`: where the training step reads its rows. */
  readonly inputPrefix: 'train/' | 'clean/';
  /** Bytes of the raw inputs behind these rows. */
  readonly bytesIn: number;
  /** Statistics partials read. */
  readonly partials: number;
  /** Passes over the rows planned: 1, or TRAINING_TASK classification's CLASSIFICATION_PASSES. */
  readonly passes: number;
  readonly calibration: {
    readonly c: number;
    readonly t0: number;
    readonly source: CalibrationSource;
    readonly reason?: string;
    readonly records: number;
  };
}

/** There is nothing to train on: no statistics partials, or they hold no training rows. */
export class NoTrainingDataError extends Error {
  readonly code = 'NoTrainingData';
  constructor(message: string) {
    super(message);
    // The Lambda error type Step Functions matches in a Catch.
    this.name = 'NoTrainingData';
  }
}

export class InvalidPlanEventError extends Error {
  readonly code = 'InvalidPlanEvent';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidPlanEvent';
  }
}

export const STATS_PREFIX = CURATED.stats;

/** The counts the planner reads from one statistics partial (lambda/core/stats-partial.ts). */
export type PartialCounts = Pick<StatsPartial, 'rowsComplete' | 'rowsClean' | 'bytesIn'>;

/** The counts of a parsed partial, checked whole; throws InvalidStatsPartialError naming the key. */
export function partialCounts(key: string, value: unknown): PartialCounts {
  const { rowsComplete, rowsClean, bytesIn } = parseStatsPartial(value, key);
  return { rowsComplete, rowsClean, bytesIn };
}

/** Keys of the statistics partials: `stats/**.json` (not the `.groups.csv` beside them). */
export async function listStatsPartials(s3: S3Client, bucket: string): Promise<string[]> {
  const objects = await listObjects(s3, bucket, STATS_PREFIX);
  return objects
    .map((object) => object.key)
    .filter((key) => key.endsWith('.json'))
    .sort();
}

/** Reads partials with bounded concurrency (thousands of small objects must not open thousands of sockets). */
async function readCounts(
  s3: S3Client,
  bucket: string,
  keys: readonly string[],
  concurrency = 16,
): Promise<PartialCounts[]> {
  const out: PartialCounts[] = new Array(keys.length);
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const i = next++;
      const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: keys[i] }));
      const text = (await answer.Body?.transformToString('utf-8')) ?? '';
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new InvalidStatsPartialError(keys[i], ['not valid JSON']);
      }
      out[i] = partialCounts(keys[i], parsed);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, keys.length) }, worker));
  return out;
}

function eventEngine(event: PlanEvent | null | undefined, fallback: TrainingEngine): TrainingEngine {
  const engine = event?.engine;
  if (engine === undefined || engine === null) return fallback;
  if (!TRAINING_ENGINES.includes(engine)) {
    throw new InvalidPlanEventError(`engine must be "sagemaker" or "batch", got ${JSON.stringify(engine)}`);
  }
  return engine;
}

export type PlanDeps = StepDeps<PlanConfig>;

/** The plan step itself, with its clients and configuration injected. */
export async function runPlan(event: PlanEvent | null | undefined, deps: PlanDeps): Promise<PlanOutput> {
  const { s3, config, logger, metrics } = deps;
  const engine = eventEngine(event, config.engine);
  const instanceType = engineInstanceType(engine, config.instanceType);

  const keys = await listStatsPartials(s3, config.curatedBucket);
  if (keys.length === 0) {
    throw new NoTrainingDataError(`no statistics partials under ${STATS_PREFIX} in the curated bucket`);
  }
  const counts = await readCounts(s3, config.curatedBucket, keys);
  const n = counts.reduce((sum, c) => sum + (config.fillMode === 'none' ? c.rowsComplete : c.rowsClean), 0);
  const bytesIn = counts.reduce((sum, c) => sum + c.bytesIn, 0);
  if (n === 0) {
    throw new NoTrainingDataError(
      `${keys.length} statistics partials hold no ${config.fillMode === 'none' ? 'complete' : 'clean'} rows`,
    );
  }

  const records = (await loadJobRecords(s3, config.modelsBucket)).filter((r) => r.engine === engine);
  const calibration = calibrate(records, {
    secondsPerUnit: config.secondsPerUnit,
    startupSeconds: config.startupSeconds,
  });
  const pricePerHour = config.pricePerHour ?? tryInstanceFacts(instanceType)?.pricePerHour;

  const passes = config.task === 'classification' ? config.classificationPasses : 1;
  const result = plan({
    ...trainingCostModel({
      rows: n,
      passes,
      engine,
      secondsPerUnit: calibration.c,
      startupSeconds: calibration.t0,
      serialSeconds: config.serialSeconds,
      exchangeSeconds: config.exchangeSeconds,
    }),
    deadlineSeconds: config.deadlineSeconds,
    minP: 1,
    maxP: config.maxInstances,
    ...(pricePerHour !== undefined ? { pricePerHour } : {}),
  });

  const output: PlanOutput = {
    engine,
    instanceType,
    p: result.p,
    shards: result.shards,
    plannedSeconds: result.seconds,
    cost: result.cost,
    feasible: result.feasible,
    deadlineSeconds: config.deadlineSeconds,
    bestSeconds: result.feasible ? result.seconds : result.bestSeconds,
    requiredP: result.feasible ? result.p : result.requiredP,
    n,
    inputPrefix: trainingRowsPrefix(config.fillMode),
    bytesIn,
    partials: keys.length,
    passes,
    calibration: {
      c: calibration.c,
      t0: calibration.t0,
      source: calibration.source,
      ...(calibration.reason ? { reason: calibration.reason } : {}),
      records: calibration.records,
    },
  };
  if (result.feasible) logger.info('capacity planned', { ...output });
  else logger.warn('deadline cannot be met within MAX_INSTANCES', { ...output });
  metrics.addMetric('PlannedSeconds', MetricUnit.Seconds, output.plannedSeconds);
  metrics.addMetric('PlannedInstances', MetricUnit.Count, output.p);
  metrics.addMetric('PlannedRows', MetricUnit.Count, output.n);
  metrics.addMetric('PlanInfeasible', MetricUnit.Count, output.feasible ? 0 : 1);
  if (output.cost !== null) metrics.addMetric('PlannedCostUsd', MetricUnit.NoUnit, output.cost);
  metrics.publishStoredMetrics();
  return output;
}

/** Lambda entry point: configuration and clients are made once per execution environment. */
export const handler = stepHandler('plan', readPlanConfig, runPlan);
