/** The plan step's environment: written by the training stack, read by the plan handler. */
import { TRAINING_ENGINES, type TrainingEngine } from '../calibration';
import { ConfigError } from '../errors';
import { ec2TypeOf, tryInstanceFacts } from '../instance-facts';
import { TASK_SETTINGS, type TaskSetting } from '../logistic';
import { FILL_MODES, type FillMode } from '../train';
import {
  finiteNumber,
  oneOf,
  readServiceConfig,
  requiredString,
  serviceEnvironment,
  wholeNumber,
} from './vars';
import type { Env, ServiceConfig } from './vars';

/** The bucket variables, set by the house function's `bindBucket` with its grant. */
export const PLAN_BUCKETS = { curated: 'CURATED_BUCKET', models: 'MODELS_BUCKET' } as const;

/** POWERTOOLS_SERVICE_NAME defaults to 'plan'. */
export interface PlanConfig extends ServiceConfig {
  /** CURATED_BUCKET (required): holds `stats/` partials and the `train/` / `clean/` rows. */
  readonly curatedBucket: string;
  /** MODELS_BUCKET (required): holds calibration records under `capacity/`. */
  readonly modelsBucket: string;
  /** TRAINING_ENGINE (default 'sagemaker'): the engine when the input names none. */
  readonly engine: TrainingEngine;
  /** INSTANCE_TYPE (required): e.g. `ml.m5.xlarge`; Batch uses the EC2 type it names. */
  readonly instanceType: string;
  /** MAX_INSTANCES (required): quota / per-job ceiling on p. */
  readonly maxInstances: number;
  /** DEADLINE_SECONDS (required). */
  readonly deadlineSeconds: number;
  /** PRICE_PER_HOUR (optional): USD per instance-hour; default the committed table's price. */
  readonly pricePerHour?: number;
  /** STARTUP_SECONDS (required): t0 when calibration has too few records. */
  readonly startupSeconds: number;
  /** SECONDS_PER_UNIT (required): c (seconds per row per instance) when calibration has too few records. */
  readonly secondsPerUnit: number;
  /** SERIAL_SECONDS (default 0): the reduce outside the training job. */
  readonly serialSeconds: number;
  /** FILL_MODE (default 'none'): 'none' trains on `train/` (complete rows), 'mean' on `clean/`. */
  readonly fillMode: FillMode;
  /**
   * TRAINING_TASK (default 'auto'): 'classification' plans CLASSIFICATION_PASSES passes over the
   * rows (n·passes units, one exchange per iteration). 'auto' plans one pass: the statistics
   * partials do not show whether the target is two-valued.
   */
  readonly task: TaskSetting;
  /** CLASSIFICATION_PASSES (default 10): the first pass plus the Newton iterations expected. */
  readonly classificationPasses: number;
  /** EXCHANGE_SECONDS (default 4): one iteration's meeting of the hosts through S3 (two polls). */
  readonly exchangeSeconds: number;
}

type PlanDefaulted = 'task' | 'classificationPasses' | 'exchangeSeconds';
export type PlanSettings = Omit<
  PlanConfig,
  'curatedBucket' | 'modelsBucket' | 'serviceName' | PlanDefaulted
> &
  Partial<Pick<PlanConfig, PlanDefaulted>>;

export function planEnvironment(settings: PlanSettings): Record<string, string> {
  return {
    TRAINING_ENGINE: settings.engine,
    INSTANCE_TYPE: settings.instanceType,
    MAX_INSTANCES: String(settings.maxInstances),
    DEADLINE_SECONDS: String(settings.deadlineSeconds),
    ...(settings.pricePerHour !== undefined ? { PRICE_PER_HOUR: String(settings.pricePerHour) } : {}),
    STARTUP_SECONDS: String(settings.startupSeconds),
    SECONDS_PER_UNIT: String(settings.secondsPerUnit),
    SERIAL_SECONDS: String(settings.serialSeconds),
    FILL_MODE: settings.fillMode,
    ...(settings.task !== undefined ? { TRAINING_TASK: settings.task } : {}),
    ...(settings.classificationPasses !== undefined
      ? { CLASSIFICATION_PASSES: String(settings.classificationPasses) }
      : {}),
    ...(settings.exchangeSeconds !== undefined ? { EXCHANGE_SECONDS: String(settings.exchangeSeconds) } : {}),
    ...serviceEnvironment(settings),
  };
}

/** The type to launch on an engine: SageMaker wants `ml.` types, Batch EC2 types. */
export function engineInstanceType(engine: TrainingEngine, instanceType: string): string {
  const ec2 = ec2TypeOf(instanceType);
  return engine === 'sagemaker' ? `ml.${ec2}` : ec2;
}

/** Reads and checks the environment once; throws ConfigError naming the variable. */
export function readPlanConfig(env: Env = process.env): PlanConfig {
  const engine = oneOf(env, 'TRAINING_ENGINE', TRAINING_ENGINES, 'sagemaker');
  const instanceType = requiredString(env, 'INSTANCE_TYPE', 'the training instance type');
  const fillMode = oneOf(env, 'FILL_MODE', FILL_MODES, 'none');
  const pricePerHour = env.PRICE_PER_HOUR?.trim()
    ? finiteNumber(env, 'PRICE_PER_HOUR', { min: 0 })
    : undefined;
  if (pricePerHour === undefined && !tryInstanceFacts(engineInstanceType(engine, instanceType))) {
    throw new ConfigError(
      'INSTANCE_TYPE',
      `INSTANCE_TYPE ${JSON.stringify(instanceType)} is not in the instance table and PRICE_PER_HOUR is not set`,
    );
  }
  return {
    curatedBucket: requiredString(env, PLAN_BUCKETS.curated, 'the curated bucket name'),
    modelsBucket: requiredString(env, PLAN_BUCKETS.models, 'the models bucket name'),
    engine,
    instanceType,
    maxInstances: wholeNumber(env, 'MAX_INSTANCES', { min: 1 }),
    deadlineSeconds: finiteNumber(env, 'DEADLINE_SECONDS', { min: 0, exclusive: true }),
    ...(pricePerHour !== undefined ? { pricePerHour } : {}),
    startupSeconds: finiteNumber(env, 'STARTUP_SECONDS', { min: 0 }),
    secondsPerUnit: finiteNumber(env, 'SECONDS_PER_UNIT', { min: 0, exclusive: true }),
    serialSeconds: finiteNumber(env, 'SERIAL_SECONDS', { min: 0, fallback: 0 }),
    fillMode,
    task: oneOf(env, 'TRAINING_TASK', TASK_SETTINGS, 'auto'),
    classificationPasses: env.CLASSIFICATION_PASSES?.trim()
      ? wholeNumber(env, 'CLASSIFICATION_PASSES', { min: 1 })
      : 10,
    exchangeSeconds: finiteNumber(env, 'EXCHANGE_SECONDS', { min: 0, fallback: 4 }),
    ...readServiceConfig(env, 'plan'),
  };
}
