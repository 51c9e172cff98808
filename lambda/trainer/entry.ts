/**
 * The training container's entry point. One image, three modes:
 *
 *   train   SageMaker's bring-your-own-container contract (SageMaker runs the image with the
 *           argument `train`). Reads <root>/input/config/{hyperparameters,resourceconfig,
 *           inputdataconfig}.json, the rows under <root>/input/data/<channel>/ (with
 *           ShardedByS3Key each host holds only its shard; with FullyReplicated host i of p takes
 *           files i, i + p, ... of the sorted list). One host: solves and writes
 *           <root>/model/model.json. Several: each writes its partial to `partials_s3_uri` (or
 *           the shared `partials_dir`); the first of the sorted hosts waits for all, merges,
 *           solves and writes the model (and its report.html beside it). Classification (Newton, one pass per iteration): every
 *           host keeps its rows in a spill file and answers each iteration the first host
 *           publishes in the same store (./iterations.ts) until it writes done.json.
 *           On failure: the reason in <root>/output/failure, exit 1.
 *   batch   An AWS Batch array child: shard AWS_BATCH_JOB_ARRAY_INDEX of AWS_BATCH_JOB_ARRAY_SIZE
 *           (or TRAINER_SHARDS) takes objects i, i + p, ... of the sorted list under
 *           TRAINER_INPUT_S3_URI (or TRAINER_INPUT_DIR) and writes its partial.
 *   reduce  The Batch finish: waits for the partials, merges, solves, writes model.json (and
 *           report.html beside it) to TRAINER_MODEL_S3_URI and/or TRAINER_MODEL_PATH. Array children have exited by then,
 *           so a classification target's Newton passes run here, over every input object in
 *           this one process (SageMaker spreads them over its hosts).
 *
 * <root> is /opt/ml unless SM_ROOT says otherwise (tests emulate the layout in a temp dir).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { S3Client } from '@aws-sdk/client-s3';
import { putJson, putReport } from '../adapters/model-store';
import { documentText } from '../core/document-text';
import { chooseTask } from '../core/logistic';
import type { ModelArtifact } from '../core/model-artifact';
import { renderModelReport, type ReportTiming } from '../core/model-report';
import { reportBeside } from '../core/models-layout';
import {
  TrainingShard,
  artifactFromResult,
  localPasses,
  mergeShards,
  shardSources,
  solveMerged,
  trainObject,
  trainSources,
  type TrainingResult,
  type TrainingSource,
} from '../core/train';
import { fileSpills } from './file-spill';
import { finishIterations, followIterations, leaderPasses } from './iterations';
import {
  hyperparametersFromEnv,
  parseTrainerConfig,
  TrainerConfigError,
  type TrainerConfig,
} from '../core/trainer-contract';
import {
  localPartialsStore,
  readPartial,
  s3PartialsStore,
  waitForPartials,
  writePartial,
  type PartialsStore,
} from './partials-store';
import { localSources, parseS3Uri, s3Sources } from './sources';

export type TrainerMode = 'train' | 'batch' | 'reduce';

export interface TrainerContext {
  readonly env: NodeJS.ProcessEnv;
  /** Prefix of the SageMaker layout. @default env.SM_ROOT ?? '/opt/ml' */
  readonly smRoot?: string;
  /** S3 client for partials, inputs and model uploads. @default the shared client from adapters/clients */
  readonly s3?: () => S3Client;
  readonly log?: (event: Record<string, unknown>) => void;
}

interface ResourceConfig {
  readonly current_host: string;
  readonly hosts: readonly string[];
  readonly current_instance_type?: string;
}

const shardName = (i: number) => String(i).padStart(5, '0');

async function readJson<T>(path: string, fallback?: T): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (fallback !== undefined && (error as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw new TrainerConfigError(`cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new TrainerConfigError(`${path} is not valid JSON`);
  }
}

async function defaultS3(): Promise<S3Client> {
  const { s3Client } = await import('../adapters/s3-client');
  return s3Client();
}

function partialsStore(config: TrainerConfig, s3: () => Promise<S3Client>): Promise<PartialsStore | null> {
  if (config.partialsS3Uri) return s3().then((c) => s3PartialsStore(c, config.partialsS3Uri!));
  if (config.partialsDir) return Promise.resolve(localPartialsStore(config.partialsDir));
  return Promise.resolve(null);
}

/** Seconds since the trainer process began its mode (the report's measured time). */
type Elapsed = () => number;

/** What the trainer measures, in the report's words, per mode. */
const MEASURED = {
  oneHost:
    "the trainer's own wall time, from its start to the model solved (reading the channel included); " +
    'the billed training seconds are known only after the job and go to its calibration record (record-job)',
  leader:
    "the first host's own wall time, from its start to the model solved: it waits for every host's partial, " +
    'so this spans the slowest host; the billed seconds are known only after the job (record-job)',
  reduce:
    "the Batch reduce job's own wall time, from its start to the model solved; the array children ran " +
    "before it, and the whole job's time goes to its calibration record after the job (record-job)",
} as const;

/** The report of an artifact: the holdout evaluation the solve made and the time measured here. */
function reportOf(artifact: ModelArtifact, result: TrainingResult, timing: ReportTiming): string {
  return renderModelReport({ artifact, evaluation: result.evaluation, timing });
}

/**
 * model.json, and report.html beside it (`reportBeside`), at each path and at `modelS3Uri`. On
 * SageMaker /opt/ml/model/ is archived into the job's model.tar.gz, so the report rides in it too
 * ("How Amazon SageMaker AI Processes Training Output": everything written to /opt/ml/model is
 * copied as one compressed tar object); the copy the registry links is the one at `modelS3Uri`.
 */
async function writeModel(
  artifact: ModelArtifact,
  report: string,
  config: TrainerConfig,
  s3: () => Promise<S3Client>,
  path?: string,
): Promise<{ model: string[]; report: string[] }> {
  const written = { model: [] as string[], report: [] as string[] };
  for (const p of [path, config.modelPath]) {
    if (!p) continue;
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, documentText(artifact));
    await writeFile(reportBeside(p), report);
    written.model.push(p);
    written.report.push(reportBeside(p));
  }
  if (config.modelS3Uri) {
    // Through the model store, as promote writes artifacts: the same bytes, the same headers.
    const { bucket, prefix } = parseS3Uri(config.modelS3Uri);
    const client = await s3();
    await putJson(client, bucket, prefix, artifact);
    await putReport(client, bucket, reportBeside(prefix), report);
    written.model.push(config.modelS3Uri);
    written.report.push(`s3://${bucket}/${reportBeside(prefix)}`);
  }
  return written;
}

async function trainShard(
  shard: TrainingShard,
  sources: readonly TrainingSource[],
  log: (e: Record<string, unknown>) => void,
): Promise<void> {
  for (const source of sources) {
    const entry = await trainObject(source, shard);
    log({ message: 'object trained', shard: shard.shard, key: entry.key });
  }
}

async function sagemakerTrain(
  root: string,
  ctx: TrainerContext,
  s3: () => Promise<S3Client>,
  log: (e: Record<string, unknown>) => void,
  elapsed: Elapsed,
): Promise<void> {
  const configDir = join(root, 'input', 'config');
  const hp = await readJson<Record<string, unknown>>(join(configDir, 'hyperparameters.json'), {});
  const config = parseTrainerConfig(hp, { codeVersion: ctx.env.CODE_VERSION });
  const rc = await readJson<ResourceConfig>(join(configDir, 'resourceconfig.json'), {
    current_host: 'algo-1',
    hosts: ['algo-1'],
  });
  const idc = await readJson<Record<string, { S3DistributionType?: string }>>(
    join(configDir, 'inputdataconfig.json'),
    {},
  );
  const hosts = [...rc.hosts].sort();
  const index = hosts.indexOf(rc.current_host);
  if (index < 0)
    throw new TrainerConfigError(`current_host "${rc.current_host}" is not in hosts [${hosts.join(', ')}]`);
  const p = hosts.length;
  let sources = await localSources(join(root, 'input', 'data', config.channel), config.inputKind);
  // FullyReplicated: every host sees every file, so deal them out; ShardedByS3Key already did.
  if (p > 1 && idc[config.channel]?.S3DistributionType === 'FullyReplicated')
    sources = shardSources(sources, index, p);
  log({ message: 'shard start', host: rc.current_host, index, hosts: p, objects: sources.length });
  const shard = new TrainingShard(config.train, shardName(index), fileSpills);
  try {
    await trainShard(shard, sources, log);
    await sagemakerSolve(shard, index, p, config, rc, root, s3, log, elapsed);
  } finally {
    shard.spill?.dispose();
  }
}

async function sagemakerSolve(
  shard: TrainingShard,
  index: number,
  p: number,
  config: TrainerConfig,
  rc: ResourceConfig,
  root: string,
  s3: () => Promise<S3Client>,
  log: (e: Record<string, unknown>) => void,
  elapsed: Elapsed,
): Promise<void> {
  let result;
  if (p > 1) {
    const store = await partialsStore(config, s3);
    if (!store)
      throw new TrainerConfigError(
        `${p} hosts need a meeting place for partials: set partials_s3_uri (or partials_dir)`,
      );
    await writePartial(store, shard);
    log({ message: 'partial written', shard: shard.shard, to: store.location });
    const timing = { timeoutMs: config.waitTimeoutSeconds * 1000, pollMs: config.pollMilliseconds };
    if (index !== 0) {
      if ((config.train.task ?? 'auto') !== 'regression') {
        const passes = await followIterations(store, shard, timing);
        log({ message: 'iterations followed', shard: shard.shard, passes });
      }
      return;
    }
    try {
      const names = await waitForPartials(store, p, timing);
      const shards = await Promise.all(names.map((n) => readPartial(store, n, config.train)));
      result = await solveMerged(
        mergeShards(shards, config.train),
        leaderPasses(store, shard, names, timing),
      );
    } finally {
      await finishIterations(store, result ? 'ok' : 'failed');
    }
  } else {
    result = await solveMerged(shard, localPasses([shard]));
  }
  const artifact = artifactFromResult(result, config.train, {
    codeVersion: config.codeVersion,
    capacity: {
      engine: 'sagemaker',
      instances: p,
      ...(rc.current_instance_type ? { instanceType: rc.current_instance_type } : {}),
      shards: p,
      ...(config.plannedSeconds !== undefined ? { plannedSeconds: config.plannedSeconds } : {}),
    },
  });
  const report = reportOf(artifact, result, {
    measuredSeconds: elapsed(),
    measured: p > 1 ? MEASURED.leader : MEASURED.oneHost,
  });
  const written = await writeModel(artifact, report, config, s3, join(root, 'model', 'model.json'));
  log({
    message: 'model written',
    version: artifact.version,
    task: artifact.task,
    rows: artifact.rows,
    metrics: artifact.metrics,
    ...(artifact.iterations !== undefined ? { iterations: artifact.iterations } : {}),
    warnings: artifact.warnings ?? [],
    to: written.model,
    report: written.report,
  });
  // One line per warning, so a log search for WARN finds the constant or collinear features.
  for (const warning of artifact.warnings ?? []) log({ level: 'WARN', message: 'training warning', warning });
}

function batchShard(env: NodeJS.ProcessEnv, config: TrainerConfig): { index: number; size: number } {
  const index = Number(env.AWS_BATCH_JOB_ARRAY_INDEX ?? '0');
  const size = Number(env.AWS_BATCH_JOB_ARRAY_SIZE ?? config.shards ?? 1);
  if (!(Number.isInteger(size) && size >= 1))
    throw new TrainerConfigError(
      `AWS_BATCH_JOB_ARRAY_SIZE must be a whole number >= 1, got ${env.AWS_BATCH_JOB_ARRAY_SIZE}`,
    );
  if (!(Number.isInteger(index) && index >= 0 && index < size)) {
    throw new TrainerConfigError(
      `AWS_BATCH_JOB_ARRAY_INDEX must be in [0, ${size}), got ${env.AWS_BATCH_JOB_ARRAY_INDEX}`,
    );
  }
  return { index, size };
}

async function batchTrain(
  ctx: TrainerContext,
  s3: () => Promise<S3Client>,
  log: (e: Record<string, unknown>) => void,
): Promise<void> {
  const config = parseTrainerConfig(hyperparametersFromEnv(ctx.env), { codeVersion: ctx.env.CODE_VERSION });
  const { index, size } = batchShard(ctx.env, config);
  const store = await partialsStore(config, s3);
  if (!store)
    throw new TrainerConfigError('batch mode needs TRAINER_PARTIALS_S3_URI (or TRAINER_PARTIALS_DIR)');
  let all: TrainingSource[];
  if (config.inputS3Uri) all = await s3Sources(await s3(), config.inputS3Uri, config.inputKind);
  else if (config.inputDir) all = await localSources(config.inputDir, config.inputKind);
  else throw new TrainerConfigError('batch mode needs TRAINER_INPUT_S3_URI (or TRAINER_INPUT_DIR)');
  const mine = shardSources(all, index, size);
  log({ message: 'shard start', index, size, objects: mine.length });
  const shard = new TrainingShard(config.train, shardName(index), null);
  await trainShard(shard, mine, log);
  await writePartial(store, shard);
  log({ message: 'partial written', shard: shard.shard, to: store.location });
}

async function batchReduce(
  ctx: TrainerContext,
  s3: () => Promise<S3Client>,
  log: (e: Record<string, unknown>) => void,
  elapsed: Elapsed,
): Promise<void> {
  const config = parseTrainerConfig(hyperparametersFromEnv(ctx.env), { codeVersion: ctx.env.CODE_VERSION });
  const size = Number(ctx.env.AWS_BATCH_JOB_ARRAY_SIZE ?? config.shards ?? NaN);
  if (!(Number.isInteger(size) && size >= 1))
    throw new TrainerConfigError(
      'reduce needs TRAINER_SHARDS (the array size) to know how many partials to wait for',
    );
  const store = await partialsStore(config, s3);
  if (!store) throw new TrainerConfigError('reduce needs TRAINER_PARTIALS_S3_URI (or TRAINER_PARTIALS_DIR)');
  if (!config.modelS3Uri && !config.modelPath)
    throw new TrainerConfigError('reduce needs TRAINER_MODEL_S3_URI (or TRAINER_MODEL_PATH)');
  const names = await waitForPartials(store, size, {
    timeoutMs: config.waitTimeoutSeconds * 1000,
    pollMs: config.pollMilliseconds,
  });
  const shards = await Promise.all(names.map((n) => readPartial(store, n, config.train)));
  const merged = mergeShards(shards, config.train);
  let result: TrainingResult;
  if (
    chooseTask(config.train.task ?? 'auto', merged.targetValues, config.train.schema.target) ===
    'classification'
  ) {
    // The children have exited with their rows: the Newton passes read the inputs here.
    let all: TrainingSource[];
    if (config.inputS3Uri) all = await s3Sources(await s3(), config.inputS3Uri, config.inputKind);
    else if (config.inputDir) all = await localSources(config.inputDir, config.inputKind);
    else
      throw new TrainerConfigError(
        'reduce of a classification needs TRAINER_INPUT_S3_URI (or TRAINER_INPUT_DIR)',
      );
    log({ message: 'classification passes in the reduce', objects: all.length });
    result = (
      await trainSources(all, config.train, {
        codeVersion: config.codeVersion,
        capacity: { engine: 'batch', instances: size, shards: size },
        spill: fileSpills,
      })
    ).result;
  } else result = await solveMerged(merged);
  const artifact = artifactFromResult(result, config.train, {
    codeVersion: config.codeVersion,
    capacity: {
      engine: 'batch',
      instances: size,
      shards: size,
      ...(config.plannedSeconds !== undefined ? { plannedSeconds: config.plannedSeconds } : {}),
    },
  });
  const report = reportOf(artifact, result, { measuredSeconds: elapsed(), measured: MEASURED.reduce });
  const written = await writeModel(artifact, report, config, s3);
  log({
    message: 'model written',
    version: artifact.version,
    task: artifact.task,
    rows: artifact.rows,
    metrics: artifact.metrics,
    ...(artifact.iterations !== undefined ? { iterations: artifact.iterations } : {}),
    warnings: artifact.warnings ?? [],
    to: written.model,
    report: written.report,
  });
  // One line per warning, so a log search for WARN finds the constant or collinear features.
  for (const warning of artifact.warnings ?? []) log({ level: 'WARN', message: 'training warning', warning });
}

/** Runs one mode; returns the process exit code (never throws). */
export async function runTrainer(
  argv: readonly string[],
  ctx: TrainerContext = { env: process.env },
): Promise<number> {
  const mode = (argv[0] ?? 'train') as TrainerMode;
  const root = ctx.smRoot ?? ctx.env.SM_ROOT ?? '/opt/ml';
  const log =
    ctx.log ?? ((e) => console.log(JSON.stringify({ level: 'INFO', service: 'trainer', mode, ...e })));
  let client: S3Client | undefined;
  const s3 = async () => (client ??= ctx.s3 ? ctx.s3() : await defaultS3());
  const started = performance.now();
  const elapsed: Elapsed = () => (performance.now() - started) / 1000;
  try {
    if (mode === 'train') await sagemakerTrain(root, ctx, s3, log, elapsed);
    else if (mode === 'batch') await batchTrain(ctx, s3, log);
    else if (mode === 'reduce') await batchReduce(ctx, s3, log, elapsed);
    else throw new TrainerConfigError(`unknown mode "${mode}": use train, batch or reduce`);
    return 0;
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    console.error(
      JSON.stringify({ level: 'ERROR', service: 'trainer', mode, message: 'training failed', reason }),
    );
    if (mode === 'train') {
      // SageMaker shows the first 1024 characters of this file as the job's FailureReason.
      try {
        await mkdir(join(root, 'output'), { recursive: true });
        await writeFile(join(root, 'output', 'failure'), reason.slice(0, 1024));
      } catch {
        // nothing more to do: the exit code still reports the failure
      }
    }
    return 1;
  }
}

if (require.main === module) {
  runTrainer(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
