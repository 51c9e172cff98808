/**
 * The trainer contract, one pair for both sides: `toHyperparameters` (the training stack, the
 * local pipeline) writes the trainer's settings as SageMaker hyperparameters (hyperparameters.json:
 * every value a string), `toTrainerEnvironment` as the `TRAINER_*` variables of an AWS Batch job
 * (`TRAINER_HOLDOUT` = `holdout`), and `parseTrainerConfig` (the trainer image) reads either back.
 * Unknown names are errors, so a typo cannot silently train with a default.
 */
import { DEFAULT_DATASET_SCHEMA, decodeSchema, encodeSchema, type DatasetSchema } from './dataset-schema';
import { TASK_SETTINGS, type TaskSetting } from './logistic';
import { FILL_MODES, type FillMode, type TrainOptions } from './train';

/** The training defaults, defined once: the deployable config takes them as its zod defaults. */
export const TRAINING_DEFAULTS = {
  holdout: 0.2,
  fill: 'none' as FillMode,
  ridge: 0,
  task: 'auto' as TaskSetting,
};

export interface TrainerConfig {
  readonly train: TrainOptions;
  /** 'raw' runs preprocess's de-duplication (and fill) first; 'curated' reads preprocess output rows as they are. */
  readonly inputKind: 'raw' | 'curated';
  /** SageMaker input channel. @default 'train' */
  readonly channel: string;
  /** s3://bucket/prefix/ where shard partials meet. */
  readonly partialsS3Uri?: string;
  /** Shared local directory where shard partials meet (no S3). */
  readonly partialsDir?: string;
  /** s3://bucket/key.json: where the finishing host or the reduce also writes model.json. */
  readonly modelS3Uri?: string;
  /** Local path the reduce writes model.json to (Batch without S3, tests). */
  readonly modelPath?: string;
  /** Batch: s3://bucket/prefix/ holding the input objects. */
  readonly inputS3Uri?: string;
  /** Batch without S3: local directory holding the input CSVs. */
  readonly inputDir?: string;
  /** Batch: number of shards (array size); the reduce waits for this many partials. */
  readonly shards?: number;
  readonly codeVersion: string;
  readonly waitTimeoutSeconds: number;
  readonly pollMilliseconds: number;
  readonly plannedSeconds?: number;
}

/** Each setting's hyperparameter name: the one spelling both directions use. */
export const HYPERPARAMETER_OF = {
  holdout: 'holdout',
  fill: 'fill',
  ridge: 'ridge',
  task: 'task',
  positiveClass: 'positive_class',
  schema: 'schema',
  inputKind: 'input_kind',
  channel: 'channel',
  partialsS3Uri: 'partials_s3_uri',
  partialsDir: 'partials_dir',
  modelS3Uri: 'model_s3_uri',
  modelPath: 'model_path',
  inputS3Uri: 'input_s3_uri',
  inputDir: 'input_dir',
  shards: 'shards',
  codeVersion: 'code_version',
  waitTimeoutSeconds: 'wait_timeout_seconds',
  pollMilliseconds: 'poll_milliseconds',
  plannedSeconds: 'planned_seconds',
} as const satisfies Record<keyof TrainerSettings, string>;

/** Every hyperparameter name the trainer knows, from the one map above. */
export const HYPERPARAMETERS = Object.values(HYPERPARAMETER_OF);
export type Hyperparameter = (typeof HYPERPARAMETER_OF)[keyof typeof HYPERPARAMETER_OF];

export class TrainerConfigError extends Error {
  readonly code = 'bad_config';
  constructor(message: string) {
    super(message);
    this.name = 'TrainerConfigError';
  }
}

function number(
  raw: Record<string, string>,
  name: Hyperparameter,
  fallback: number,
  check: (v: number) => boolean,
  rule: string,
): number {
  const text = raw[name];
  if (text === undefined || text === '') return fallback;
  const v = Number(text);
  if (!check(v))
    throw new TrainerConfigError(`hyperparameter ${name}=${JSON.stringify(text)}: must be ${rule}`);
  return v;
}

/** Parses string settings (hyperparameters.json or TRAINER_* variables) into a config. */
export function parseTrainerConfig(
  raw: Record<string, unknown>,
  defaults: { codeVersion?: string } = {},
): TrainerConfig {
  const strings: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!(HYPERPARAMETERS as readonly string[]).includes(k)) {
      throw new TrainerConfigError(`unknown hyperparameter "${k}" (known: ${HYPERPARAMETERS.join(', ')})`);
    }
    // SageMaker passes strings; tolerate JSON numbers from hand-written files.
    strings[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  const fill = (strings.fill ?? TRAINING_DEFAULTS.fill) as FillMode;
  if (!FILL_MODES.includes(fill))
    throw new TrainerConfigError(`hyperparameter fill=${JSON.stringify(strings.fill)}: must be none or mean`);
  const inputKind = strings.input_kind ?? 'raw';
  if (inputKind !== 'raw' && inputKind !== 'curated') {
    throw new TrainerConfigError(
      `hyperparameter input_kind=${JSON.stringify(inputKind)}: must be raw or curated`,
    );
  }
  let schema: DatasetSchema = DEFAULT_DATASET_SCHEMA;
  if (strings.schema) {
    try {
      schema = decodeSchema(strings.schema);
    } catch (error) {
      throw new TrainerConfigError(`hyperparameter schema: ${(error as Error).message}`);
    }
  }
  const holdout = number(
    strings,
    'holdout',
    TRAINING_DEFAULTS.holdout,
    (v) => v >= 0 && v < 1,
    'a number in [0, 1)',
  );
  const ridge = number(
    strings,
    'ridge',
    TRAINING_DEFAULTS.ridge,
    (v) => v >= 0 && Number.isFinite(v),
    'a number >= 0',
  );
  const task = (strings.task || TRAINING_DEFAULTS.task) as TaskSetting;
  if (!TASK_SETTINGS.includes(task))
    throw new TrainerConfigError(
      `hyperparameter task=${JSON.stringify(strings.task)}: must be ${TASK_SETTINGS.join(', ')}`,
    );
  const positiveClass = strings.positive_class
    ? number(strings, 'positive_class', 0, Number.isFinite, 'a number (a value of the target)')
    : undefined;
  const shards = strings.shards
    ? number(strings, 'shards', 1, (v) => Number.isInteger(v) && v >= 1, 'a whole number >= 1')
    : undefined;
  const planned = strings.planned_seconds
    ? number(strings, 'planned_seconds', 0, (v) => v >= 0, 'a number >= 0')
    : undefined;
  return {
    train: { schema, holdout, fill, ridge, task, ...(positiveClass !== undefined ? { positiveClass } : {}) },
    inputKind,
    channel: strings.channel || 'train',
    partialsS3Uri: strings.partials_s3_uri || undefined,
    partialsDir: strings.partials_dir || undefined,
    modelS3Uri: strings.model_s3_uri || undefined,
    modelPath: strings.model_path || undefined,
    inputS3Uri: strings.input_s3_uri || undefined,
    inputDir: strings.input_dir || undefined,
    shards,
    codeVersion: strings.code_version || defaults.codeVersion || 'unknown',
    waitTimeoutSeconds: number(strings, 'wait_timeout_seconds', 3600, (v) => v > 0, 'a number > 0'),
    pollMilliseconds: number(strings, 'poll_milliseconds', 2000, (v) => v > 0, 'a number > 0'),
    plannedSeconds: planned,
  };
}

/** What a deployment or a local run sets: TrainerConfig's fields, flat and each optional. */
export type TrainerSettings = Partial<TrainOptions & Omit<TrainerConfig, 'train'>>;

/**
 * The settings a deployment's `training` config decides, for every run alike (the training stack
 * and the local pipeline hand them to the trainer the same way).
 */
export function configuredTrainerSettings(training: {
  readonly holdout: number;
  readonly fill: TrainOptions['fill'];
  readonly ridge: number;
  readonly task: TaskSetting;
  readonly positiveClass: number | null;
}): TrainerSettings {
  return {
    holdout: training.holdout,
    fill: training.fill,
    ridge: training.ridge,
    task: training.task,
    ...(training.positiveClass !== null ? { positiveClass: training.positiveClass } : {}),
  };
}

/** The settings as SageMaker hyperparameters: every value a string, unset ones left out. */
export function toHyperparameters(settings: TrainerSettings): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, name] of Object.entries(HYPERPARAMETER_OF) as [
    keyof TrainerSettings,
    Hyperparameter,
  ][]) {
    const value = settings[field];
    if (value === undefined) continue;
    out[name] = field === 'schema' ? encodeSchema(value as DatasetSchema) : String(value);
  }
  return out;
}

/** Hyperparameters in the Batch spelling: `holdout` → `TRAINER_HOLDOUT` (read by hyperparametersFromEnv). */
export function toTrainerEnvironment(hyperparameters: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(hyperparameters).map(([name, value]) => [`TRAINER_${name.toUpperCase()}`, value]),
  );
}

/** `TRAINER_HOLDOUT=0.2` → `{ holdout: '0.2' }`: the Batch spelling of the hyperparameters. */
export function hyperparametersFromEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith('TRAINER_') && v !== undefined) out[k.slice('TRAINER_'.length).toLowerCase()] = v;
  }
  return out;
}
