/**
 * The whole platform on this machine: `npm start` and the end-to-end test both call
 * `runLocalPipeline`; the CLI only prints what it returns.
 *
 *   moto_server (a real S3 API on loopback)
 *     → buckets as the data-lake stack declares them (raw, curated, models, access logs; versioned)
 *     → synthetic production data (lines L01..L20, known true weights) uploaded to raw
 *     → one EventBridge "Object Created" event per object to the real preprocess handler
 *     → the plan step's handler (T = n/p) → p trainer hosts through the container entry (/opt/ml)
 *     → the evaluate and promote handlers → the predict handler on a local HTTP port
 *     → sample requests over real HTTP, one row with an injected anomaly.
 *
 * Every step runs the code Lambda and the training image run: the handlers' own `handler`
 * exports, with their environment set the way the stacks set it, and SDK clients pointed at
 * moto_server through AWS_ENDPOINT_URL. The handlers create their clients once per process (as
 * in a Lambda execution environment), so this runs once per process.
 */
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  createReadStream,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { S3Client } from '@aws-sdk/client-s3';
import { configFromContext, type FactoryConfig } from '../../lib/config';
import { MODELS_BUCKET_VARIABLE, readModelsStepConfig } from '../../lambda/core/env/models-steps';
import { planEnvironment, PLAN_BUCKETS, readPlanConfig } from '../../lambda/core/env/plan';
import { PREDICT_BUCKETS, predictEnvironment, readPredictConfig } from '../../lambda/core/env/predict';
import {
  PREPROCESS_BUCKETS,
  preprocessEnvironment,
  readPreprocessConfig,
} from '../../lambda/core/env/preprocess';
import { DEFAULT_METRICS_NAMESPACE, type ServiceConfig } from '../../lambda/core/env/vars';
import { candidateKey, partialsPrefix } from '../../lambda/core/models-layout';
import { toHyperparameters } from '../../lambda/core/trainer-contract';
import type { ModelArtifact, ModelMetrics } from '../../lambda/core/model-artifact';
import { objectCreatedEvent } from '../../lambda/core/s3-event';
import type { RowPrediction } from '../../lambda/core/scoring';
import type { SyntheticTruth } from '../../lambda/core/synthetic-data';
import type { EvaluateOutput } from '../../lambda/handlers/evaluate';
import type { PlanOutput } from '../../lambda/handlers/plan';
import type { ObjectOutcome, PreprocessSummary } from '../../lambda/handlers/preprocess';
import type { PromoteOutput } from '../../lambda/handlers/promote';
import { writeSyntheticDataset } from '../commands/generate';
import {
  MOTO_INSTALL_HINT,
  motoAvailable,
  startMoto,
  useMotoEnvironment,
  type MotoServer,
} from './moto-server';
import { lambdaContext } from './lambda-context';
import { serveProxyHandler, type LocalApi, type ProxyHandler } from './predict-server';
import { hostName, REPO_ROOT, runTrainerHosts } from './trainer-hosts';

export interface LocalPipelineOptions {
  /** Rows to generate over all files (duplicates included). @default 200000 */
  readonly rows?: number;
  /** Files the rows are split into (one raw object each). @default 4 */
  readonly files?: number;
  /** Generator seed: the same seed writes the same bytes. @default 42 */
  readonly seed?: number;
  /** Port of the local predict API; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Append three malformed rows (ragged, text, inf) to one file to show quarantine. @default true */
  readonly badRows?: boolean;
  /** Overrides of the platform config's training settings, for the plan step. */
  readonly plan?: {
    readonly deadlineSeconds?: number;
    readonly maxInstances?: number;
    readonly startupSeconds?: number;
    readonly secondsPerUnit?: number;
    readonly serialSeconds?: number;
  };
  /** Most trainer host processes run at once on this machine. @default min(4, available cores) */
  readonly maxLocalHosts?: number;
  /** Working directory for data and /opt/ml trees. @default a fresh directory under the OS temp dir */
  readonly workDir?: string;
  /** Keep the generated CSVs and the hosts' channel copies (large) after the run. @default false */
  readonly keepData?: boolean;
  /**
   * Keep moto_server and the API up after the summary until `signal` aborts; `onReady` gets the
   * summary first. @default false
   */
  readonly keepRunning?: boolean;
  readonly onReady?: (summary: LocalPipelineSummary) => void;
  /** Aborting stops the run (or the keep-running wait) and cleans up. */
  readonly signal?: AbortSignal;
  /** One line per step (the CLI writes them to stderr). */
  readonly progress?: (line: string) => void;
  /** Handler logs (Powertools) at INFO instead of silent. @default false */
  readonly verbose?: boolean;
  /** The platform config; @default cdk.json's `factory` context over the defaults */
  readonly config?: FactoryConfig;
}

/** moto_server is not on PATH; the message is the install hint. */
export class MotoMissingError extends Error {
  constructor() {
    super(MOTO_INSTALL_HINT);
    this.name = 'MotoMissingError';
  }
}

export interface FileOutcome {
  readonly key: string;
  readonly versionId?: string;
  readonly status: ObjectOutcome['status'];
  readonly reason?: string;
  readonly rowsIn: number;
  readonly rowsClean: number;
  readonly duplicates: number;
  readonly quarantined: number;
  readonly outputs: ObjectOutcome['outputs'];
}

export interface WeightRow {
  readonly name: string;
  readonly truth: number;
  readonly fitted: number;
  readonly standardError: number | null;
  /** |fitted − truth| / standard error. */
  readonly absZ: number | null;
}

export interface SamplePrediction {
  readonly label: string;
  readonly row: Readonly<Record<string, string | number>>;
  readonly result: RowPrediction;
}

export interface LocalPipelineSummary {
  readonly seconds: number;
  readonly steps: readonly { readonly step: string; readonly seconds: number }[];
  readonly moto: { readonly endpoint: string; readonly pid: number };
  readonly buckets: {
    readonly raw: string;
    readonly curated: string;
    readonly models: string;
    readonly accessLogs: string;
  };
  readonly data: {
    readonly rows: number;
    readonly files: number;
    readonly seed: number;
    readonly bytes: number;
    /** Malformed rows appended on purpose (counted in rows). */
    readonly badRows: number;
    /** Duplicates the generator wrote (what de-duplication should find). */
    readonly generatedDuplicates: number;
    readonly rawKeys: readonly {
      readonly key: string;
      readonly versionId?: string;
      readonly bytes: number;
    }[];
  };
  readonly preprocess: {
    readonly files: readonly FileOutcome[];
    readonly totals: {
      readonly rowsIn: number;
      readonly rowsClean: number;
      readonly duplicates: number;
      readonly quarantined: number;
    };
    readonly quarantineByReason: Readonly<Record<string, number>>;
    /** rowsIn = clean + duplicates + quarantined, summed over files, and equal to the rows written. */
    readonly reconciled: boolean;
  };
  readonly plan: PlanOutput;
  readonly training: {
    readonly hosts: number;
    /** The plan's p when more than this machine runs at once (or than there are objects). */
    readonly plannedP: number;
    readonly hostObjects: readonly {
      readonly host: string;
      readonly objects: number;
      readonly bytes: number;
    }[];
    readonly candidate: string;
    readonly seconds: number;
  };
  readonly model: {
    readonly version: string;
    readonly key: string;
    readonly rows: number;
    readonly metrics: ModelMetrics;
    readonly category: string;
    readonly features: readonly string[];
    readonly weights: readonly number[];
    readonly bias: number;
    readonly standardErrors?: readonly number[];
  };
  readonly evaluation: { readonly better: boolean; readonly reason: string };
  readonly promotion: { readonly promoted: boolean; readonly key: string; readonly reason: string };
  readonly truth: {
    readonly weights: readonly WeightRow[];
    readonly bias: WeightRow;
    readonly noiseStd: number;
  };
  readonly predict: {
    readonly url: string;
    readonly anomalyZ: number;
    readonly status: number;
    readonly modelVersion: string;
    readonly samples: readonly SamplePrediction[];
    readonly injected: {
      readonly feature: string;
      readonly value: number;
      readonly profileMean: number;
      readonly profileStd: number;
    };
    /** GET /model answered 200 with this version. */
    readonly cardVersion: string;
  };
  readonly outputs: {
    readonly workDir: string;
    readonly summaryPath: string;
    readonly truthPath: string;
    readonly modelPath: string;
    readonly hostsDir: string;
    readonly s3: readonly { readonly what: string; readonly uri: string }[];
  };
}

const REGION = 'eu-west-1';
const RAW_PREFIX = 'production/';

/** Three rows the cleaning step must quarantine, one per reason, appended to one raw file. */
export const BAD_ROWS = [
  // ragged_row: 6 fields where the header has 14
  '2031-01-01T00:00:00.000Z,L01,gear,70.00,6.500,2.600',
  // non_numeric: text in a numeric column
  '2031-01-01T00:00:01.000Z,L02,gear,hot,6.500,2.600,1800.0,46.0,55.00,15.500,400.50,180.0,50.00,71.0000',
  // non_finite: a number word pandas would read as infinity
  '2031-01-01T00:00:02.000Z,L03,gear,70.00,inf,2.600,1800.0,46.0,55.00,15.500,400.50,180.0,50.00,71.0000',
] as const;

/** The platform config as `cdk synth` would read it (cdk.json's `factory` context over the defaults). */
export function platformConfig(): FactoryConfig {
  const path = join(REPO_ROOT, 'cdk.json');
  const context = existsSync(path)
    ? ((JSON.parse(readFileSync(path, 'utf8')) as { context?: Record<string, unknown> }).context ?? {})
    : {};
  return configFromContext(context);
}

function codeVersion(): string {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  const rev = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' });
  return `aiaas-factory@${pkg.version}${rev.status === 0 ? `+${rev.stdout.trim()}` : ''}`;
}

/** Sets variables and remembers what was there, so the run leaves the process as it found it. */
class EnvScope {
  private readonly saved = new Map<string, string | undefined>();
  set(vars: Record<string, string>): void {
    for (const [k, v] of Object.entries(vars)) {
      if (!this.saved.has(k)) this.saved.set(k, process.env[k]);
      process.env[k] = v;
    }
  }
  snapshot(): void {
    // useMotoEnvironment writes and deletes a known set of variables.
    for (const k of [
      'AWS_ENDPOINT_URL',
      'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED',
      'AWS_REGION',
      'AWS_DEFAULT_REGION',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_PROFILE',
      'AWS_SESSION_TOKEN',
    ])
      if (!this.saved.has(k)) this.saved.set(k, process.env[k]);
  }
  restore(): void {
    for (const [k, v] of this.saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    this.saved.clear();
  }
}

let used = false;

/** Splits a simple CSV line (the generator and the cleaner write no quotes in these rows). */
function fields(line: string): string[] {
  return line.split(',');
}

/** Runs everything, returns the summary; moto_server and the API are stopped before it returns. */
export async function runLocalPipeline(options: LocalPipelineOptions = {}): Promise<LocalPipelineSummary> {
  const rows = options.rows ?? 200_000;
  const files = options.files ?? 4;
  const seed = options.seed ?? 42;
  if (!(Number.isSafeInteger(rows) && rows >= 1))
    throw new RangeError(`rows must be a whole number >= 1, got ${rows}`);
  if (!(Number.isSafeInteger(files) && files >= 1 && files <= rows))
    throw new RangeError(`files must be a whole number in [1, rows], got ${files}`);
  if (!motoAvailable()) throw new MotoMissingError();
  if (used)
    throw new Error(
      'runLocalPipeline runs once per process: handlers keep their SDK clients for the process',
    );
  used = true;

  const config = options.config ?? platformConfig();
  const signal = options.signal;
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  const say = (line: string) => options.progress?.(`[${elapsed().toFixed(1).padStart(6)}s] ${line}`);
  const steps: { step: string; seconds: number }[] = [];
  const step = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    signal?.throwIfAborted();
    const start = performance.now();
    const value = await run();
    steps.push({ step: name, seconds: (performance.now() - start) / 1000 });
    signal?.throwIfAborted();
    return value;
  };

  const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), 'factory-local-'));
  const dataDir = join(workDir, 'data');
  const hostsDir = join(workDir, 'opt-ml');
  const env = new EnvScope();
  let moto: MotoServer | undefined;
  let api: LocalApi | undefined;
  try {
    moto = await step('moto_server', () => startMoto());
    const endpoint = moto.endpoint;
    say(`moto_server up on ${endpoint} (pid ${moto.pid})`);
    env.snapshot();
    useMotoEnvironment(endpoint, REGION);
    env.set({
      POWERTOOLS_LOG_LEVEL: options.verbose ? 'INFO' : 'SILENT',
      // EMF metrics are printed to stdout in Lambda for CloudWatch to pick up; nothing reads them here.
      POWERTOOLS_METRICS_DISABLED: options.verbose ? 'false' : 'true',
    });
    // Imported only now: the clients read AWS_ENDPOINT_URL when they are created.
    const { s3Client } = await import('../../lambda/adapters/clients');
    const s3m = await import('@aws-sdk/client-s3');
    const s3: S3Client = s3Client();

    // ---- buckets, as the data-lake stack declares them
    const prefix = config.prefix;
    const buckets = {
      raw: `${prefix}-raw`,
      curated: `${prefix}-curated`,
      models: `${prefix}-models`,
      accessLogs: `${prefix}-access-logs`,
    };
    await step('buckets', async () => {
      for (const bucket of [buckets.accessLogs, buckets.raw, buckets.curated, buckets.models]) {
        await s3.send(
          new s3m.CreateBucketCommand({
            Bucket: bucket,
            CreateBucketConfiguration: { LocationConstraint: REGION },
          }),
        );
        await s3.send(
          new s3m.PutBucketVersioningCommand({
            Bucket: bucket,
            VersioningConfiguration: { Status: 'Enabled' },
          }),
        );
        await s3.send(
          new s3m.PutPublicAccessBlockCommand({
            Bucket: bucket,
            PublicAccessBlockConfiguration: {
              BlockPublicAcls: true,
              BlockPublicPolicy: true,
              IgnorePublicAcls: true,
              RestrictPublicBuckets: true,
            },
          }),
        );
      }
      // Server access logs go to the log bucket through a bucket policy for the logging service,
      // as in the stack (moto records the setting; it does not deliver log files).
      await s3.send(
        new s3m.PutBucketPolicyCommand({
          Bucket: buckets.accessLogs,
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Service: 'logging.s3.amazonaws.com' },
                Action: 's3:PutObject',
                Resource: `arn:aws:s3:::${buckets.accessLogs}/*`,
              },
            ],
          }),
        }),
      );
      for (const bucket of [buckets.raw, buckets.curated, buckets.models]) {
        await s3.send(
          new s3m.PutBucketLoggingCommand({
            Bucket: bucket,
            BucketLoggingStatus: {
              LoggingEnabled: { TargetBucket: buckets.accessLogs, TargetPrefix: `${bucket}/` },
            },
          }),
        );
      }
      // Not emulated: SSE-KMS with the platform key. moto would store the setting but encrypts
      // nothing and checks no key policy, so setting it here would only pretend; the data-lake
      // stack's tests assert the real encryption. Object lock on the log bucket is left out too.
    });
    say(`buckets: ${Object.values(buckets).join(', ')} (versioned, public access blocked)`);

    // ---- synthetic data
    const written = await step('generate', async () => {
      const w = writeSyntheticDataset({ rows, files, seed, out: join(dataDir, 'line.csv') });
      if (options.badRows ?? true) {
        const target = w.paths[Math.min(1, w.paths.length - 1)];
        appendFileSync(target, BAD_ROWS.join('\n') + '\n');
      }
      return w;
    });
    const badRows = (options.badRows ?? true) ? BAD_ROWS.length : 0;
    const truth: SyntheticTruth = written.truth;
    const totalBytes = written.paths.reduce((sum, p) => sum + statSync(p).size, 0);
    say(
      `generated ${rows} rows (+${badRows} malformed) in ${files} file(s), ${(totalBytes / 1e6).toFixed(1)} MB, ` +
        `seed ${seed}; true weights in ${written.truthPath}`,
    );

    // ---- upload to raw
    const { Upload } = await import('@aws-sdk/lib-storage');
    const rawKeys = await step('upload', async () => {
      const out: { key: string; versionId?: string; etag?: string; bytes: number }[] = [];
      for (const [i, path] of written.paths.entries()) {
        signal?.throwIfAborted();
        const key = `${RAW_PREFIX}${path.slice(dataDir.length + 1)}`;
        const bytes = statSync(path).size;
        const result = await new Upload({
          client: s3,
          params: {
            Bucket: buckets.raw,
            Key: key,
            Body: createReadStream(path),
            ContentType: 'text/csv',
            ContentLength: bytes,
          },
        }).done();
        out.push({
          key,
          bytes,
          ...(result.VersionId ? { versionId: result.VersionId } : {}),
          ...(result.ETag ? { etag: result.ETag.replace(/"/g, '') } : {}),
        });
        say(
          `upload ${i + 1}/${written.paths.length}: s3://${buckets.raw}/${key} (${(bytes / 1e6).toFixed(1)} MB)`,
        );
      }
      return out;
    });

    // ---- preprocess: the real handler, one EventBridge event per object
    // Each handler is built with its dependencies injected, its configuration read from the same
    // variables the stack writes (written and read through one module, as in Lambda).
    const { Logger } = await import('@aws-lambda-powertools/logger');
    const { Metrics } = await import('@aws-lambda-powertools/metrics');
    const stepDeps = <C extends ServiceConfig>(stepConfig: C) => ({
      s3,
      config: stepConfig,
      logger: new Logger({ serviceName: stepConfig.serviceName }),
      metrics: new Metrics({ namespace: stepConfig.metricsNamespace, serviceName: stepConfig.serviceName }),
    });
    const { createPreprocessHandler } = await import('../../lambda/handlers/preprocess');
    const preprocessHandler = createPreprocessHandler(
      stepDeps(
        readPreprocessConfig({
          [PREPROCESS_BUCKETS.curated]: buckets.curated,
          ...preprocessEnvironment({
            schema: config.dataset,
            maxObjectBytes: config.preprocess.maxObjectBytes,
            metricsNamespace: DEFAULT_METRICS_NAMESPACE,
          }),
        }),
      ),
    );
    const fileOutcomes = await step('preprocess', async () => {
      const out: FileOutcome[] = [];
      for (const [i, object] of rawKeys.entries()) {
        signal?.throwIfAborted();
        const event = objectCreatedEvent({
          bucket: buckets.raw,
          key: object.key,
          size: object.bytes,
          versionId: object.versionId,
          etag: object.etag,
          region: REGION,
        });
        const result: PreprocessSummary = await preprocessHandler(
          event,
          lambdaContext({
            functionName: 'preprocess-local',
            requestId: `preprocess-${i + 1}`,
            region: REGION,
          }),
        );
        const r = result.results[0];
        if (!r) throw new Error(`preprocess returned no outcome for ${object.key}`);
        const o: FileOutcome = {
          key: r.key,
          versionId: r.versionId,
          status: r.status,
          reason: r.reason,
          rowsIn: r.rowsIn ?? 0,
          rowsClean: r.rowsClean ?? 0,
          duplicates: r.duplicates ?? 0,
          quarantined: r.quarantined ?? 0,
          outputs: r.outputs,
        };
        out.push(o);
        say(
          `preprocess ${i + 1}/${rawKeys.length}: ${r.key} ${r.status}` +
            (r.status === 'processed'
              ? `: ${o.rowsIn} in, ${o.rowsClean} clean, ${o.duplicates} duplicates, ${o.quarantined} quarantined`
              : ` (${r.reason ?? 'no reason'})`),
        );
      }
      return out;
    });
    const totals = fileOutcomes.reduce(
      (t, f) => ({
        rowsIn: t.rowsIn + f.rowsIn,
        rowsClean: t.rowsClean + f.rowsClean,
        duplicates: t.duplicates + f.duplicates,
        quarantined: t.quarantined + f.quarantined,
      }),
      { rowsIn: 0, rowsClean: 0, duplicates: 0, quarantined: 0 },
    );
    const quarantineByReason: Record<string, number> = {};
    for (const f of fileOutcomes) {
      if (!f.outputs?.report) continue;
      const res = await s3.send(new s3m.GetObjectCommand({ Bucket: buckets.curated, Key: f.outputs.report }));
      const report = JSON.parse(await res.Body!.transformToString('utf-8')) as {
        quality?: { quarantineByReason?: Record<string, number> };
      };
      for (const [reason, n] of Object.entries(report.quality?.quarantineByReason ?? {}))
        if (n > 0) quarantineByReason[reason] = (quarantineByReason[reason] ?? 0) + n;
    }
    const reconciled =
      fileOutcomes.every(
        (f) => f.status === 'processed' && f.rowsIn === f.rowsClean + f.duplicates + f.quarantined,
      ) &&
      totals.rowsIn === totals.rowsClean + totals.duplicates + totals.quarantined &&
      totals.rowsIn === rows + badRows;

    // ---- plan: the training state machine's first state
    const training = config.training;
    const planned = { ...options.plan };
    const { runPlan } = await import('../../lambda/handlers/plan');
    const planConfig = readPlanConfig({
      [PLAN_BUCKETS.curated]: buckets.curated,
      [PLAN_BUCKETS.models]: buckets.models,
      ...planEnvironment({
        engine: training.engine,
        instanceType:
          training.engine === 'sagemaker' ? training.instanceType : training.batchInstanceTypes[0],
        maxInstances: planned.maxInstances ?? training.maxInstances,
        deadlineSeconds: planned.deadlineSeconds ?? training.deadlineSeconds,
        startupSeconds: planned.startupSeconds ?? training.startupSeconds,
        secondsPerUnit: planned.secondsPerUnit ?? training.secondsPerUnit,
        serialSeconds: planned.serialSeconds ?? training.serialSeconds,
        fillMode: training.fill,
        metricsNamespace: DEFAULT_METRICS_NAMESPACE,
      }),
    });
    const plan = await step('plan', () => runPlan({}, stepDeps(planConfig)));
    say(
      `plan: n = ${plan.n} rows, p = ${plan.p} × ${plan.instanceType}, T = ${plan.plannedSeconds.toFixed(1)} s` +
        `${plan.cost !== null ? `, $${plan.cost.toFixed(4)}` : ''}, ${plan.feasible ? 'feasible' : 'NOT feasible'}` +
        ` (deadline ${plan.deadlineSeconds} s)`,
    );

    // ---- train: p hosts through the container entry
    const job = `local-${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}`;
    const candidate = `s3://${buckets.models}/${candidateKey(job)}`;
    const cap = options.maxLocalHosts ?? Math.max(1, Math.min(4, availableParallelism()));
    const channelObjects =
      (await s3.send(new s3m.ListObjectsV2Command({ Bucket: buckets.curated, Prefix: plan.inputPrefix })))
        .KeyCount ?? 0;
    const hosts = Math.max(1, Math.min(plan.p, cap, channelObjects));
    const trainStart = performance.now();
    const trained = await step('train', () =>
      runTrainerHosts({
        root: hostsDir,
        hosts,
        s3,
        bucket: buckets.curated,
        prefix: plan.inputPrefix,
        hyperparameters: toHyperparameters({
          holdout: training.holdout,
          fill: training.fill,
          ridge: training.ridge,
          schema: config.dataset,
          inputKind: 'curated',
          channel: 'train',
          partialsS3Uri: hosts > 1 ? `s3://${buckets.models}/${partialsPrefix(job)}` : undefined,
          modelS3Uri: candidate,
          codeVersion: codeVersion(),
          plannedSeconds: plan.plannedSeconds,
          pollMilliseconds: 100,
          waitTimeoutSeconds: 600,
        }),
        env: { ...process.env },
        signal,
        progress: say,
      }),
    );
    const trainSeconds = (performance.now() - trainStart) / 1000;
    say(
      `trained on ${hosts} host(s)${hosts < plan.p ? ` (plan p = ${plan.p}; ${hosts} at once here)` : ''} ` +
        `in ${trainSeconds.toFixed(1)} s → ${candidate}`,
    );

    // ---- evaluate and promote
    const { runEvaluate } = await import('../../lambda/handlers/evaluate');
    const { runPromote } = await import('../../lambda/handlers/promote');
    const modelsEnv = { [MODELS_BUCKET_VARIABLE]: buckets.models };
    const evaluation: EvaluateOutput = await step('evaluate', () =>
      runEvaluate({ candidate }, stepDeps(readModelsStepConfig('evaluate', modelsEnv))),
    );
    const promotion: PromoteOutput = await step('promote', () =>
      runPromote(evaluation, stepDeps(readModelsStepConfig('promote', modelsEnv))),
    );
    say(
      `evaluate: ${evaluation.better ? 'better' : 'not better'} (${evaluation.reason}); ` +
        `promote: ${promotion.promoted ? 'promoted' : 'kept'} → s3://${buckets.models}/${promotion.key}`,
    );
    const artifactRes = await s3.send(
      new s3m.GetObjectCommand({ Bucket: buckets.models, Key: promotion.key }),
    );
    const artifact = JSON.parse(await artifactRes.Body!.transformToString('utf-8')) as ModelArtifact;

    // ---- serve the predict handler and ask it over HTTP
    const { createPredictHandler } = await import('../../lambda/handlers/predict');
    const { ModelCache } = await import('../../lambda/adapters/model-cache');
    const predictConfig = readPredictConfig({
      [PREDICT_BUCKETS.models]: buckets.models,
      ...predictEnvironment({ ...config.serving, metricsNamespace: DEFAULT_METRICS_NAMESPACE }),
    });
    const predictDeps = stepDeps(predictConfig);
    const predictHandler: ProxyHandler = createPredictHandler({
      ...predictDeps,
      models: new ModelCache({
        s3,
        bucket: predictConfig.modelsBucket,
        maxAgeSeconds: predictConfig.modelCacheSeconds,
        logger: predictDeps.logger,
      }),
    });
    api = await step('serve', () => serveProxyHandler(predictHandler, { port: options.port ?? 0 }));
    say(`predict API on ${api.url} (POST /predict, GET /model)`);

    const samples = await step('predict', async () => {
      const normal = await typicalRow(trained.hosts[0].root, artifact, config.serving.anomalyZ);
      const feature = artifact.features.includes('vibration') ? 'vibration' : artifact.features[0];
      const j = artifact.features.indexOf(feature);
      const profile = artifact.profiles[String(normal[artifact.category])];
      const value = Number((profile.mean[j] + 8 * profile.std[j]).toFixed(3));
      const anomaly = { ...normal, [feature]: value };
      const res = await fetch(`${api!.url}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ rows: [normal, anomaly] }),
      });
      const body = (await res.json()) as {
        modelVersion: string;
        predictions: RowPrediction[];
        message?: string;
      };
      if (res.status !== 200) throw new Error(`POST /predict answered ${res.status}: ${body.message ?? ''}`);
      const card = await fetch(`${api!.url}/model`);
      const cardBody = (await card.json()) as { version?: string };
      if (card.status !== 200) throw new Error(`GET /model answered ${card.status}`);
      return {
        status: res.status,
        modelVersion: body.modelVersion,
        cardVersion: String(cardBody.version ?? ''),
        samples: [
          { label: 'typical row', row: normal, result: body.predictions[0] },
          {
            label: `same row, ${feature} set 8σ above its ${normal[artifact.category]} profile`,
            row: anomaly,
            result: body.predictions[1],
          },
        ],
        injected: { feature, value, profileMean: profile.mean[j], profileStd: profile.std[j] },
      };
    });
    say(
      `predictions: ${samples.samples.map((s) => `${s.result.prediction.toFixed(3)} [${s.result.anomalies.join(', ') || 'no anomaly'}]`).join('; ')}`,
    );

    // ---- the summary
    const weightRow = (
      name: string,
      truthValue: number,
      fitted: number,
      se: number | undefined,
    ): WeightRow => ({
      name,
      truth: truthValue,
      fitted,
      standardError: se ?? null,
      absZ: se ? Math.abs(fitted - truthValue) / se : null,
    });
    const summaryPath = join(workDir, 'summary.json');
    const modelPath = join(workDir, 'model.json');
    // One example key per curated output kind (the quarantine one from a file that has some).
    const exampleOf = (kind: 'clean' | 'train' | 'stats' | 'report' | 'quarantine'): string | undefined => {
      const file =
        kind === 'quarantine'
          ? (fileOutcomes.find((f) => f.quarantined > 0) ?? fileOutcomes[0])
          : fileOutcomes[0];
      return file?.outputs?.[kind];
    };
    const s3Outputs = [
      {
        what: `raw objects (${rawKeys.length}, versioned)`,
        uri: `s3://${buckets.raw}/${RAW_PREFIX}`,
      },
      ...(['clean', 'train', 'stats', 'report', 'quarantine'] as const).map((kind) => {
        const key = exampleOf(kind);
        return key
          ? { what: `curated ${kind}, e.g.`, uri: `s3://${buckets.curated}/${key}` }
          : {
              what: `curated ${kind}`,
              uri: `s3://${buckets.curated}/${kind === 'report' ? 'reports' : kind}/`,
            };
      }),
      { what: 'training candidate', uri: candidate },
      ...(hosts > 1
        ? [{ what: 'shard partials', uri: `s3://${buckets.models}/training/${job}/partials/` }]
        : []),
      { what: 'model artifact', uri: `s3://${buckets.models}/${promotion.key}` },
      { what: 'serving pointer', uri: `s3://${buckets.models}/models/current.json` },
    ];
    const summary: LocalPipelineSummary = {
      seconds: elapsed(),
      steps,
      moto: { endpoint, pid: moto.pid },
      buckets,
      data: {
        rows: rows + badRows,
        files,
        seed,
        bytes: totalBytes,
        badRows,
        generatedDuplicates: truth.duplicates,
        rawKeys: rawKeys.map((k) => ({ key: k.key, versionId: k.versionId, bytes: k.bytes })),
      },
      preprocess: { files: fileOutcomes, totals, quarantineByReason, reconciled },
      plan,
      training: {
        hosts,
        plannedP: plan.p,
        hostObjects: trained.hosts.map((h) => ({ host: h.host, objects: h.objects.length, bytes: h.bytes })),
        candidate,
        seconds: trainSeconds,
      },
      model: {
        version: artifact.version,
        key: promotion.key,
        rows: artifact.rows,
        metrics: artifact.metrics,
        category: artifact.category,
        features: artifact.features,
        weights: artifact.weights,
        bias: artifact.bias,
        ...(artifact.standardErrors ? { standardErrors: artifact.standardErrors } : {}),
      },
      evaluation: { better: evaluation.better, reason: evaluation.reason },
      promotion: { promoted: promotion.promoted, key: promotion.key, reason: promotion.reason },
      truth: {
        weights: artifact.features.map((f, j) =>
          weightRow(f, truth.weights[f], artifact.weights[j], artifact.standardErrors?.[j]),
        ),
        bias: weightRow('bias', truth.bias, artifact.bias, artifact.biasStandardError),
        noiseStd: truth.noiseStd,
      },
      predict: { url: api.url, anomalyZ: config.serving.anomalyZ, ...samples },
      outputs: {
        workDir,
        summaryPath,
        truthPath: written.truthPath,
        modelPath,
        hostsDir,
        s3: s3Outputs,
      },
    };
    await writeFile(modelPath, JSON.stringify(artifact, null, 2) + '\n');
    await writeFile(summaryPath, JSON.stringify(summary, null, 2) + '\n');

    if (options.keepRunning) {
      options.onReady?.(summary);
      await new Promise<void>((resolve) => {
        if (!signal || signal.aborted) return resolve();
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
    return summary;
  } finally {
    await api?.close();
    await moto?.stop();
    env.restore();
    if (!options.keepData) {
      // The CSVs are bulk; the truth document beside them is small and the summary points to it.
      if (existsSync(dataDir))
        for (const name of readdirSync(dataDir))
          if (name.endsWith('.csv')) rmSync(join(dataDir, name), { force: true });
      if (existsSync(hostsDir)) {
        for (let i = 0; existsSync(join(hostsDir, hostName(i))); i++)
          rmSync(join(hostsDir, hostName(i), 'input', 'data'), { recursive: true, force: true });
      }
    }
  }
}

/**
 * A typical row of the training data: the first one, in the first host's channel, whose every
 * feature is within 2σ of its category profile (so "no anomaly" is the expected answer).
 */
async function typicalRow(
  hostRoot: string,
  artifact: ModelArtifact,
  anomalyZ: number,
): Promise<Record<string, string | number>> {
  const { listFiles } = await import('../../lambda/trainer/sources');
  const channel = join(hostRoot, 'input', 'data', 'train');
  const csvs = (await listFiles(channel)).filter((f) => f.endsWith('.csv'));
  const limit = Math.min(2, anomalyZ);
  for (const file of csvs) {
    const text = (await readFile(join(channel, file), 'utf8')).slice(0, 1 << 20);
    const lines = text.split('\n');
    const header = fields(lines[0].replace(/^\uFEFF/, '').replace(/\r$/, ''));
    const at = (name: string) => header.indexOf(name);
    for (const line of lines.slice(1, -1)) {
      const cells = fields(line.replace(/\r$/, ''));
      if (cells.length !== header.length || line.includes('"')) continue;
      const category = cells[at(artifact.category)];
      const profile = artifact.profiles[category];
      if (!profile) continue;
      const row: Record<string, string | number> = { [artifact.category]: category };
      let typical = true;
      artifact.features.forEach((f, j) => {
        const x = Number(cells[at(f)]);
        if (!Number.isFinite(x) || Math.abs((x - profile.mean[j]) / profile.std[j]) > limit) typical = false;
        row[f] = x;
      });
      if (typical) return row;
    }
  }
  throw new Error('no typical row found in the training data');
}
