import { z } from 'zod';
import { DEFAULT_DATASET_SCHEMA, decodeSchema, encodeSchema } from '../lambda/core/dataset-schema';
import { DEFAULT_MAX_CATEGORIES, DEFAULT_MAX_COLUMNS } from '../lambda/core/cleaning/limits';
import { DELIMITERS, type Delimiter } from '../lambda/core/cleaning/delimited-input';
import {
  EXTRA_FIELD_MODES,
  FILL_MISSING_MODES,
  SERVING_DEFAULTS,
  UNKNOWN_CATEGORY_MODES,
} from '../lambda/core/env/predict';
import { DRIFT_DEFAULTS } from '../lambda/core/drift';
import { TASK_SETTINGS } from '../lambda/core/logistic';
import { FILL_MODES } from '../lambda/core/train';
import { TRAINING_DEFAULTS } from '../lambda/core/trainer-contract';

/**
 * The one typed configuration of the platform: cdk.json context key `factory`, overridable per
 * key with `-c factory='{"stage":"prod"}'` (a JSON object merged over the defaults) or with a
 * whole object in cdk.json. Every value is validated; an invalid one fails synth with a message
 * naming the key, the value given and what is allowed.
 */

/** `lean`: the dev default, cheap and still encrypted and least-privilege; `isolated`: prod's. */
export const NETWORK_PROFILES = ['lean', 'isolated'] as const;
export type NetworkProfile = (typeof NETWORK_PROFILES)[number];

/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/**
 * A column name exactly as the CSV header spells it (`Torque [Nm]`, `Rotational speed [rpm]`): any
 * non-empty text. Users never rename columns. No AWS identifier is made from one: names travel as
 * JSON values (a Lambda environment variable, a SageMaker hyperparameter, the model artifact).
 */
const name = z.string().min(1, 'must be a non-empty column name');
/** The longest dataset schema, as JSON: SageMaker's limit on one hyperparameter value. */
export const DATASET_SCHEMA_MAX_CHARACTERS = 2500;

const positiveInt = z.number().int().positive();
const days = z.number().int().min(1).max(36500);

const datasetSchema = z
  .object({
    /** Optional: many exports have no timestamp column. */
    timestamp: name.optional(),
    ids: z.array(name).default([]),
    category: name,
    features: z.array(name).min(1).max(64),
    target: name,
  })
  .strict()
  .superRefine((value, ctx) => {
    // An empty name is already reported on its key: say each problem once.
    if ([value.timestamp, value.category, value.target, ...value.ids, ...value.features].includes('')) return;
    try {
      decodeSchema(encodeSchema(value));
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
    // The schema travels as one JSON value: a SageMaker hyperparameter (at most 2,500 characters)
    // and a Lambda environment variable (4 KB for all of a function's variables).
    const length = encodeSchema(value).length;
    if (length > DATASET_SCHEMA_MAX_CHARACTERS) {
      ctx.addIssue({
        code: 'custom',
        message: `is ${length} characters as JSON, more than the ${DATASET_SCHEMA_MAX_CHARACTERS} a SageMaker hyperparameter holds`,
      });
    }
  });

const instanceType = (prefix: string) =>
  z
    .string()
    .regex(
      prefix ? /^ml\.[a-z0-9]+\.[a-z0-9]+$/ : /^[a-z][a-z0-9-]*\.[a-z0-9]+$/,
      prefix
        ? 'must be a SageMaker instance type such as ml.m5.xlarge'
        : 'must be an EC2 instance type such as m5.xlarge',
    );

const inDriftRange = 'must be a number in (0, 10]';
const windowRange = 'must be a whole number of hours from 1 to 168';

export const factoryConfigSchema = z
  .object({
    /** Deployment stage: `prod` retains data and turns on termination protection. */
    stage: z.enum(['dev', 'prod']).default('dev'),
    /** Prefix for names a person sees (stack names, dashboard, topic display name). */
    prefix: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,18}[a-z0-9]$/, 'must be 3-20 characters: lowercase letters, digits, hyphens')
      .default('aiaas-factory'),
    /** Optional fixed deployment environment; unset means the CLI's credentials decide. */
    // `-c factory.account=123456789012` arrives as a JSON number (an id with a leading zero is not
    // valid JSON and stays text), so a whole number is taken back as its digits.
    account: z
      .preprocess(
        (v) => (typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v),
        z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
      )
      .optional(),
    region: z
      .string()
      .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region such as eu-west-1')
      .optional(),
    retention: z
      .object({
        /** Raw objects move to Infrequent Access after this many days. */
        rawInfrequentAccessDays: days.min(30).default(30),
        /** ... and to Glacier Flexible Retrieval after this many. */
        rawGlacierDays: days.default(90),
        /** Non-current object versions expire after this many days. */
        noncurrentVersionDays: days.default(30),
        /** Server access logs expire after this many days. */
        accessLogDays: days.default(365),
        /** CloudWatch Logs retention for every log group. */
        logDays: z
          .number()
          .refine((v) => (LOG_RETENTION_DAYS as readonly number[]).includes(v), {
            message: `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
          })
          .default(365),
      })
      .strict()
      .prefault({})
      .refine((r) => r.rawGlacierDays > r.rawInfrequentAccessDays, {
        message: 'rawGlacierDays must be greater than rawInfrequentAccessDays',
        path: ['rawGlacierDays'],
      }),
    /** The dataset contract: lambda/core/dataset-schema.ts. */
    dataset: datasetSchema.default({
      ...DEFAULT_DATASET_SCHEMA,
      ids: [...DEFAULT_DATASET_SCHEMA.ids],
      features: [...DEFAULT_DATASET_SCHEMA.features],
    }),
    preprocess: z
      .object({
        /** Objects larger than this are rejected before download. */
        maxObjectBytes: positiveInt.max(10 * 1024 ** 3).default(512 * 1024 ** 2),
        /**
         * Reserved concurrency of the preprocess function, or null for none (the default: a new
         * account's quota leaves nothing to reserve; see `quotas.lambdaConcurrency`).
         */
        reservedConcurrency: positiveInt.max(1000).nullable().default(null),
        /** A header with more columns is refused with one line (30,000 exhausted the heap). */
        maxColumns: z
          .number()
          .int('must be a whole number from 1 to 65536')
          .min(1, 'must be a whole number from 1 to 65536')
          .max(65536, 'must be a whole number from 1 to 65536')
          .default(DEFAULT_MAX_COLUMNS),
        /**
         * A file with more distinct categories is refused with one line naming this key: each
         * costs memory and stats.json space (a serial number in the category column). Measured
         * with 11 numeric columns: ~15 KB of peak memory a category, so 50,000 (767 MB measured)
         * fit the function's 1,769 MB with room for the rest.
         */
        maxCategories: z
          .number()
          .int('must be a whole number from 1 to 50000')
          .min(1, 'must be a whole number from 1 to 50000')
          .max(50000, 'must be a whole number from 1 to 50000')
          .default(DEFAULT_MAX_CATEGORIES),
        /**
         * The raw files' field delimiter: a tab-, semicolon- or pipe-separated export is read as
         * such; the curated outputs are comma-separated whatever it is.
         */
        delimiter: z
          .enum(Object.keys(DELIMITERS) as [Delimiter, ...Delimiter[]], {
            error: 'must be one of ",", "\\t" (tab), ";", "|"',
          })
          .default(','),
      })
      .strict()
      .prefault({}),
    /** The training workload the capacity planner sizes for (T = n/p). */
    training: z
      .object({
        engine: z.enum(['sagemaker', 'batch']).default('sagemaker'),
        /** Rows expected per training run (n). */
        rowsPerRun: positiveInt.default(5_000_000),
        /** Deadline for one run in seconds. */
        deadlineSeconds: positiveInt.default(3600),
        /** SageMaker training instance type. */
        instanceType: instanceType('ml').default('ml.m5.xlarge'),
        /** EC2 instance types for the AWS Batch compute environments. */
        batchInstanceTypes: z.array(instanceType('')).min(1).default(['m5.xlarge']),
        /** Ceiling on instances per run (quota / per-job maximum). */
        maxInstances: positiveInt.max(100).default(8),
        /** Calibration defaults until past jobs exist. */
        startupSeconds: z.number().nonnegative().default(240),
        secondsPerUnit: z.number().positive().default(2e-5),
        serialSeconds: z.number().nonnegative().default(5),
        /** Managed spot training on SageMaker, Spot compute environment first on Batch. */
        spot: z.boolean().default(false),
        maxRuntimeSeconds: positiveInt.max(28 * 24 * 3600).default(4 * 3600),
        /** EventBridge schedule expression for retraining, or null for on demand only. */
        schedule: z
          .string()
          .regex(/^(rate|cron)\(.+\)$/, 'must be an EventBridge schedule expression: rate(...) or cron(...)')
          .nullable()
          .default('rate(1 day)'),
        /** Missing cells: 'none' trains on complete rows (unbiased), 'mean' fills first (the article). */
        fill: z.enum(FILL_MODES).default(TRAINING_DEFAULTS.fill),
        holdout: z.number().min(0).max(0.5).default(TRAINING_DEFAULTS.holdout),
        ridge: z.number().nonnegative().default(TRAINING_DEFAULTS.ridge),
        /**
         * 'auto': classification (logistic regression, Newton) when the target has exactly two
         * distinct values (pass/fail), else regression (least squares); or either one forced.
         */
        task: z.enum(TASK_SETTINGS).default(TRAINING_DEFAULTS.task),
        /** Classification: the target value that is the positive class; null = the rarer value. */
        positiveClass: z.number().refine(Number.isFinite, 'must be a finite number').nullable().default(null),
      })
      .strict()
      .prefault({}),
    /** The Model Registry: every candidate is registered in the deployment's model package group. */
    models: z
      .object({
        /**
         * A better candidate waits as `PendingManualApproval` until someone approves it in the
         * SageMaker console; the pointer moves then. null: the stage's default (on in prod).
         */
        manualApproval: z.boolean().nullable().default(null),
      })
      .strict()
      .prefault({}),
    serving: z
      .object({
        auth: z.enum(['iam', 'cognito']).default('iam'),
        maxRows: positiveInt.max(100_000).default(SERVING_DEFAULTS.maxRows),
        maxBodyBytes: positiveInt.max(6 * 1024 * 1024).default(SERVING_DEFAULTS.maxBodyBytes),
        anomalyZ: z.number().positive().default(SERVING_DEFAULTS.anomalyZ),
        fillMissing: z.enum(FILL_MISSING_MODES).default(SERVING_DEFAULTS.fillMissing),
        /** Row keys that are not model inputs (ids, timestamp, target, others): 'ignore' and list them, or 'reject'. */
        extraFields: z.enum(EXTRA_FIELD_MODES).default(SERVING_DEFAULTS.extraFields),
        /** A category without a training profile: 'flag' (categoryKnown false, no anomaly flags) or 'reject'. */
        unknownCategory: z.enum(UNKNOWN_CATEGORY_MODES).default(SERVING_DEFAULTS.unknownCategory),
        modelCacheSeconds: z.number().int().nonnegative().default(SERVING_DEFAULTS.modelCacheSeconds),
        rateLimit: positiveInt.default(100),
        burstLimit: positiveInt.default(200),
        /** Reserved concurrency of the predict function, or null for none (see preprocess). */
        reservedConcurrency: positiveInt.max(1000).nullable().default(null),
      })
      .strict()
      .prefault({}),
    /**
     * Drift of served data (lambda/core/drift.ts): every `driftWindowHours` the drift step adds up
     * the predict function's logged bin counts of that window and raises the drift alarm when a
     * feature's PSI reaches `driftPsi` or its mean moves `driftMeanShiftSd` training standard
     * deviations; with `retrainOnDrift` the alarm also starts a training run.
     */
    monitoring: z
      .object({
        driftPsi: z.number().gt(0, inDriftRange).max(10, inDriftRange).default(DRIFT_DEFAULTS.psi),
        driftMeanShiftSd: z
          .number()
          .gt(0, inDriftRange)
          .max(10, inDriftRange)
          .default(DRIFT_DEFAULTS.meanShiftSd),
        /** One week at most: a Logs Insights query scans every byte of its window, billed per GB. */
        driftWindowHours: z
          .number()
          .int(windowRange)
          .min(1, windowRange)
          .max(168, windowRange)
          .default(DRIFT_DEFAULTS.windowHours),
        retrainOnDrift: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /**
     * Line telemetry through AWS IoT Core and Amazon Data Firehose into `raw/ingest/` (the ingest
     * stack). Buffer limits are Firehose's: BufferingHints SizeInMBs 1-128, IntervalInSeconds
     * 0-900 (Firehose API reference, "BufferingHints").
     */
    ingest: z
      .object({
        enabled: z.boolean().default(true),
        /** Firehose writes an object once this many MiB are buffered ... */
        bufferMiB: z.number().int().min(1).max(128).default(5),
        /** ... or this many seconds have passed, whichever comes first. */
        bufferSeconds: z.number().int().min(0).max(900).default(60),
        /**
         * The record key the topic rule sets to the line id of the topic (`factory/<line>/...`);
         * null: the dataset's first id column when it is a plain name (none otherwise); false:
         * add nothing (the messages carry their line id themselves).
         */
        lineField: z
          .union([z.string().min(1), z.literal(false)])
          .nullable()
          .default(null),
      })
      .strict()
      .prefault({}),
    /**
     * SQL over the curated data in the Athena console (the query stack): a Glue database and
     * tables, an Athena workgroup and an analyst role.
     */
    query: z
      .object({
        enabled: z.boolean().default(true),
        /**
         * A query that would scan more is cancelled. Athena's floor is 10 MB
         * (WorkGroupConfiguration BytesScannedCutoffPerQuery, minimum 10000000 bytes).
         */
        bytesScannedCutoffMB: z.number().int().min(10).max(10_000_000).default(1000),
        /** Query results (in the results bucket) expire after this many days. */
        resultsDays: z.number().int().min(1).max(3650).default(30),
        /**
         * Who may assume the analyst role: IAM role or user ARNs (an IAM Identity Center
         * permission set's role, say); empty: any principal of the account that signed in
         * with MFA and whose own policy allows sts:AssumeRole on it (console "Switch role").
         */
        analystPrincipals: z
          .array(
            z
              .string()
              .regex(
                /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/,
                'must be an IAM role or user ARN',
              ),
          )
          .default([]),
      })
      .strict()
      .prefault({}),
    network: z
      .object({
        /**
         * `lean` (dev default): functions outside the VPC, training in the VPC, interface
         * endpoints in one AZ and only those the training engine needs. `isolated` (prod
         * default): everything in the VPC, endpoints in every AZ for every caller. `null`
         * means the stage's default. The trade-off: README, "Network profiles".
         */
        profile: z.enum(NETWORK_PROFILES).nullable().default(null),
        /** AZs of the VPC's subnets; 1 only with the lean profile. */
        maxAzs: z.number().int().min(1).max(3).default(2),
        /** NAT gateways for outbound internet; 0 keeps the subnets isolated (VPC endpoints only). */
        natGateways: z.number().int().min(0).max(3).default(0),
      })
      .strict()
      .prefault({}),
    /** Data-security options the article asks for; `null` means "secure default for the stage". */
    security: z
      .object({
        /** Object Lock retention for raw (COMPLIANCE mode) in days; 0 turns it off. Default: 365 in prod, 0 in dev. */
        rawObjectLockDays: z.number().int().min(0).max(36500).nullable().default(null),
        /** Deny curated and models access except through the VPC S3 endpoint. Default: on in prod. */
        vpcEndpointOnly: z.boolean().nullable().default(null),
        /** CloudTrail data events (object reads and writes) for the data buckets. */
        cloudTrailDataEvents: z.boolean().default(true),
        /** Limit use of the platform key to the platform's own roles and AWS services. Default: on in prod. */
        restrictKeyToPlatform: z.boolean().nullable().default(null),
        /** Roles (e.g. a break-glass admin) exempt from the endpoint-only and key restrictions. */
        adminRoleArns: z
          .array(
            z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'must be an IAM role ARN'),
          )
          .default([]),
      })
      .strict()
      .prefault({}),
    /** Optional self-mutating CDK Pipelines deployment (dev, then prod after a manual approval). */
    pipeline: z
      .object({
        enabled: z.boolean().default(false),
        /** GitHub repository `owner/name`. */
        repository: z
          .string()
          .regex(/^[\w.-]+\/[\w.-]+$/, 'must be a GitHub repository: owner/name')
          .optional(),
        branch: z.string().min(1).default('main'),
        /** CodeStar connection (AWS CodeConnections) ARN authorised for the repository. */
        connectionArn: z
          .string()
          .regex(
            /^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection\/[\w-]+$/,
            'must be a CodeConnections connection ARN',
          )
          .optional(),
      })
      .strict()
      .prefault({})
      .superRefine((p, ctx) => {
        if (!p.enabled) return;
        if (!p.repository)
          ctx.addIssue({
            code: 'custom',
            path: ['repository'],
            message: 'required when pipeline.enabled is true',
          });
        if (!p.connectionArn)
          ctx.addIssue({
            code: 'custom',
            path: ['connectionArn'],
            message: 'required when pipeline.enabled is true',
          });
      }),
    /** The deployment account's service quotas that the config is checked against. */
    quotas: z
      .object({
        /**
         * The account's Lambda "Concurrent executions" quota in the region (Service Quotas
         * L-B99A9384). Required to reserve concurrency: Lambda refuses a reservation that leaves
         * less than 100 unreserved, and a new account's quota can be as low as 10.
         */
        lambdaConcurrency: positiveInt.optional(),
      })
      .strict()
      .prefault({}),
    /** Tag values for ownership and cost allocation. */
    owner: z.string().min(1).max(256).optional(),
    costCentre: z.string().min(1).max(256).optional(),
    /** E-mail address subscribed to the alarm topic. */
    alarmEmail: z.email('must be an e-mail address').optional(),
    /** Tags on every resource (project and stage are added). */
    tags: z.record(z.string().regex(/^[\w .:/=+\-@]{1,128}$/), z.string().max(256)).default({}),
  })
  .strict()
  .superRefine(checkReservedConcurrency)
  .superRefine(checkDriftWindow)
  .superRefine(checkNetworkProfile)
  .superRefine(checkIngestLineField);

/** The drift window must lie within the predict log group's retention, or its counts are gone. */
function checkDriftWindow(
  config: { monitoring: { driftWindowHours: number }; retention: { logDays: number } },
  ctx: z.RefinementCtx,
): void {
  if (config.monitoring.driftWindowHours > config.retention.logDays * 24)
    ctx.addIssue({
      code: 'custom',
      path: ['monitoring', 'driftWindowHours'],
      message: `must be at most retention.logDays × 24 = ${config.retention.logDays * 24} hours: older predict logs are deleted`,
    });
}

/** Lambda keeps this much account concurrency unreserved for functions without a reservation. */
export const LAMBDA_UNRESERVED_MINIMUM = 100;

/**
 * Reserved concurrency deploys only where the account has room for it: "You can reserve up to the
 * Unreserved account concurrency value that is shown, minus 100 for functions that don't have
 * reserved concurrency" (Lambda developer guide, "Configuring reserved concurrency for a
 * function"). New accounts can start with a quota of 10, where any reservation fails the deploy.
 */
function checkReservedConcurrency(
  config: {
    preprocess: { reservedConcurrency: number | null };
    serving: { reservedConcurrency: number | null };
    quotas: { lambdaConcurrency?: number };
  },
  ctx: z.core.$RefinementCtx,
): void {
  const reserved = [
    ['preprocess', config.preprocess.reservedConcurrency],
    ['serving', config.serving.reservedConcurrency],
  ] as const;
  const total = reserved.reduce((sum, [, value]) => sum + (value ?? 0), 0);
  if (total === 0) return;
  const quota = config.quotas.lambdaConcurrency;
  if (quota === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['quotas', 'lambdaConcurrency'],
      message: `required when reserving concurrency (${reserved
        .filter(([, value]) => value)
        .map(([key, value]) => `${key}.reservedConcurrency = ${value}`)
        .join(', ')}): the account's Lambda concurrent-executions quota, from Service Quotas`,
    });
    return;
  }
  if (total > quota - LAMBDA_UNRESERVED_MINIMUM) {
    ctx.addIssue({
      code: 'custom',
      path: ['quotas', 'lambdaConcurrency'],
      message: `reserving ${total} leaves ${quota - total} of ${quota} unreserved; Lambda requires at least ${LAMBDA_UNRESERVED_MINIMUM}: raise the quota or lower preprocess/serving.reservedConcurrency`,
    });
  }
}

/**
 * What the lean profile cannot give: two AZs of isolation for functions it keeps outside the VPC
 * are moot, but a single-AZ isolated VPC would make every function depend on one AZ; and the
 * endpoint-only bucket policy denies the functions the lean profile runs outside the VPC.
 */
function checkNetworkProfile(
  config: {
    stage: 'dev' | 'prod';
    network: { profile: NetworkProfile | null; maxAzs: number };
    security: { vpcEndpointOnly: boolean | null };
  },
  ctx: z.core.$RefinementCtx,
): void {
  const profile = resolveNetworkProfile(config);
  if (profile === 'isolated' && config.network.maxAzs < 2) {
    ctx.addIssue({
      code: 'custom',
      path: ['network', 'maxAzs'],
      message: `must be 2 or 3 with network.profile "isolated" (1 is allowed only with "lean")`,
    });
  }
  if (profile === 'lean' && vpcEndpointOnlyOf(config)) {
    ctx.addIssue({
      code: 'custom',
      path: ['security', 'vpcEndpointOnly'],
      message: `must be false with network.profile "lean", which runs the functions outside the VPC (prod turns it on by default): set it to false, or network.profile to "isolated"`,
    });
  }
}

/**
 * The rule writes the line id with `topic(2) AS <field>`; "attribute names containing spaces
 * cannot be used as field names in SQL statements" (AWS IoT SQL reference), so the field must be
 * a plain name, or false for none.
 */
function checkIngestLineField(
  config: {
    ingest: { enabled: boolean; lineField: string | false | null };
    dataset: { ids?: readonly string[] };
  },
  ctx: z.core.$RefinementCtx,
): void {
  const field = config.ingest.lineField;
  if (!config.ingest.enabled || typeof field !== 'string') return;
  if (!IOT_SQL_NAME.test(field)) {
    ctx.addIssue({
      code: 'custom',
      path: ['ingest', 'lineField'],
      message: `${JSON.stringify(field)} cannot be an AWS IoT SQL field name: set ingest.lineField to letters, digits and underscores, or to false when messages carry their line id`,
    });
    return;
  }
  // The line id must land in one of the schema's ids, or preprocess drops it as an extra key
  // (and quarantines every message as missing_key when the id is then absent). Not the category:
  // `SELECT *, topic(2) AS category` would overwrite the category each message carries.
  const allowed = (config.dataset.ids ?? []).filter((c) => IOT_SQL_NAME.test(c));
  if (allowed.includes(field)) return;
  ctx.addIssue({
    code: 'custom',
    path: ['ingest', 'lineField'],
    message:
      `${JSON.stringify(field)} is not one of dataset.ids: the line id would be dropped; ` +
      `allowed: ${[...allowed.map((c) => JSON.stringify(c)), 'false', 'null'].join(', ')}`,
  });
}

/** A name the AWS IoT SQL SELECT clause can write. */
export const IOT_SQL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export type FactoryConfig = z.infer<typeof factoryConfigSchema>;

/** Thrown when the config is invalid: one line per problem, each naming the key. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid factory config:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value: unknown = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function allowed(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_value':
      return `allowed: ${issue.values.map((v) => JSON.stringify(v)).join(' | ')}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    default:
      return issue.message.replace(/^Invalid input: /, '');
  }
}

/** Validates a raw config object (already merged); throws ConfigError naming each bad key. */
export function parseConfig(raw: unknown): FactoryConfig {
  const result = factoryConfigSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = ['factory', ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') return `${key}: ${allowed(issue)}`;
    return `${key}: got ${describe(valueAt(raw, issue.path))}; ${allowed(issue)}`;
  });
  throw new ConfigError(problems);
}

/**
 * Reads the config from CDK context: the `factory` object (cdk.json, or a JSON string given
 * with `-c factory='{...}'`), then any dotted keys such as `-c factory.stage=prod` or
 * `-c factory.training.maxInstances=4` set over it (values are JSON when they parse, else text).
 */
export function configFromContext(context: Record<string, unknown>): FactoryConfig {
  const asObject = (value: unknown, key: string): Record<string, unknown> => {
    if (value === undefined || value === null) return {};
    if (typeof value === 'string') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        throw new ConfigError([`${key}: got ${describe(value)}; allowed: a JSON object`]);
      }
      return asObject(parsed, key);
    }
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new ConfigError([`${key}: got ${describe(value)}; allowed: a JSON object`]);
    }
    return structuredClone(value as Record<string, unknown>);
  };
  const config = asObject(context.factory, 'factory');
  const dotted = Object.keys(context)
    .filter((key) => key.startsWith('factory.'))
    .sort();
  for (const key of dotted) {
    const path = key.split('.').slice(1);
    let target = config;
    for (const part of path.slice(0, -1)) {
      const next = target[part];
      target = target[part] =
        next && typeof next === 'object' && !Array.isArray(next) ? (next as Record<string, unknown>) : {};
    }
    target[path[path.length - 1]] = parseScalar(context[key]);
  }
  return parseConfig(config);
}

function parseScalar(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/**
 * CloudWatch namespace of the handlers' custom metrics (Powertools EMF), one per deployment so
 * dev and prod in one account never mix; the `service` dimension names the handler.
 */
export function metricsNamespace(config: Pick<FactoryConfig, 'prefix' | 'stage'>): string {
  return `AiaasFactory/${config.prefix}/${config.stage}`;
}

/** The network profile of a stage when `network.profile` is unset. */
export function defaultNetworkProfile(stage: 'dev' | 'prod'): NetworkProfile {
  return stage === 'prod' ? 'isolated' : 'lean';
}

/** The network profile in force: `network.profile`, or the stage's default. */
export function resolveNetworkProfile(config: {
  readonly stage: 'dev' | 'prod';
  readonly network: { readonly profile: NetworkProfile | null };
}): NetworkProfile {
  return config.network.profile ?? defaultNetworkProfile(config.stage);
}

/** `security.vpcEndpointOnly`, or the stage's default: on in prod. */
function vpcEndpointOnlyOf(config: {
  readonly stage: 'dev' | 'prod';
  readonly security: { readonly vpcEndpointOnly: boolean | null };
}): boolean {
  return config.security.vpcEndpointOnly ?? config.stage === 'prod';
}

/** `models.manualApproval`, or the stage's default: a person approves each better model in prod. */
export function manualApprovalOf(config: {
  readonly stage: 'dev' | 'prod';
  readonly models: { readonly manualApproval: boolean | null };
}): boolean {
  return config.models.manualApproval ?? config.stage === 'prod';
}

/** The record key the ingest rule writes the topic's line id to, or undefined for none. */
export function ingestLineField(config: Pick<FactoryConfig, 'ingest' | 'dataset'>): string | undefined {
  const { lineField } = config.ingest;
  if (lineField === false) return undefined;
  if (typeof lineField === 'string') return lineField;
  // The default: the dataset's first id, when the rule's SQL can write that name.
  const first = config.dataset.ids?.[0];
  return first !== undefined && IOT_SQL_NAME.test(first) ? first : undefined;
}

/** The security options with each stage's secure default filled in. */
export interface ResolvedSecurity {
  readonly rawObjectLockDays: number;
  readonly vpcEndpointOnly: boolean;
  readonly cloudTrailDataEvents: boolean;
  readonly restrictKeyToPlatform: boolean;
  readonly adminRoleArns: readonly string[];
}

export function resolveSecurity(config: Pick<FactoryConfig, 'stage' | 'security'>): ResolvedSecurity {
  const prod = config.stage === 'prod';
  const s = config.security;
  return {
    // dev tears buckets down with their objects, which compliance-mode locks would forbid.
    rawObjectLockDays: s.rawObjectLockDays ?? (prod ? 365 : 0),
    vpcEndpointOnly: vpcEndpointOnlyOf(config),
    cloudTrailDataEvents: s.cloudTrailDataEvents,
    restrictKeyToPlatform: s.restrictKeyToPlatform ?? prod,
    adminRoleArns: s.adminRoleArns,
  };
}

/**
 * Every configurable key as a dotted path (`training.engine`), the dataset schema counted as one
 * key: the README's configuration reference is tested against this list.
 */
export function configKeys(): string[] {
  const unwrap = (schema: z.core.$ZodType): z.core.$ZodType => {
    let current = schema;
    for (;;) {
      const def = current._zod.def as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType };
      const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
      if (!inner) return current;
      current = inner;
    }
  };
  const walk = (schema: z.core.$ZodType, path: string): string[] => {
    const def = unwrap(schema)._zod.def as { type: string; shape?: Record<string, z.core.$ZodType> };
    if (def.type !== 'object' || !def.shape || path === 'dataset') return [path];
    return Object.entries(def.shape).flatMap(([key, child]) => walk(child, path ? `${path}.${key}` : key));
  };
  return walk(factoryConfigSchema, '');
}
