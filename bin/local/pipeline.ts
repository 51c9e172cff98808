/**
 * The whole platform on this machine: `npm start` and the end-to-end test both call
 * `runLocalPipeline`; the CLI only prints what it returns.
 *
 *   moto_server (a real S3 API on loopback)
 *     → buckets as the data-lake stack declares them (raw, curated, models, access logs; versioned)
 *     → synthetic production data (lines L01..L20, known true weights) sent as JSON Lines records
 *       through the ingest stack's Firehose delivery stream on moto (PutRecordBatch) into
 *       raw/ingest/ (steps/firehose-ingest.ts; moto's gaps in moto-firehose-delivery.ts), or the
 *       user's own files (`inputs`, with their schema) uploaded to raw
 *     → one EventBridge "Object Created" event per object to the real preprocess handler
 *     → the plan step's handler (T = n/p) → p trainer hosts through the container entry (/opt/ml)
 *     → the evaluate and promote handlers → the predict handler on a local HTTP port
 *     → sample requests over real HTTP (a real row of the user's files when given), one row with
 *       an injected anomaly.
 *
 * Every step runs the code Lambda and the training image run: the handlers' own factories and
 * step functions with their dependencies injected, their configuration read from the variables
 * the stacks set (through lambda/core/env/*), and SDK clients pointed at moto_server through
 * AWS_ENDPOINT_URL. The handlers create their clients once per process (as
 * in a Lambda execution environment), so this runs once per process. Each step is a module of
 * steps/; the handlers are imported only inside them, once the session has set the endpoint.
 */
import type { FactoryConfig } from '../../lib/config';
import { EnvScope } from './env-scope';
import { handlerDeps } from './handler-deps';
import type { MotoServer } from './moto-server';
import type { LocalPipelineOptions } from './pipeline-options';
import type { LocalPipelineSummary } from './pipeline-summary';
import { platformConfig } from './platform-config';
import type { LocalApi } from './predict-server';
import { startRunClock } from './run-clock';
import { askPredict } from './steps/ask-predict';
import { bucketNames, createBuckets } from './steps/buckets';
import { cleaningTotals, reconciles } from './steps/cleaning-totals';
import { evaluateAndPromote } from './steps/evaluate-promote';
import { candidateReport } from './steps/model-report';
import { generateData } from './steps/generate-data';
import { BAD_RECORDS, sendThroughFirehose } from './steps/firehose-ingest';
import { closeSession, requireMoto, startMotoStep, useSession } from './steps/moto-session';
import { planTraining } from './steps/plan-training';
import { preprocessObjects } from './steps/preprocess-objects';
import { quarantineReasons } from './steps/quarantine-reasons';
import { quarantinedRows } from './steps/quarantined-rows';
import { queryCopy } from './steps/query-copy';
import { servePredict } from './steps/serve-predict';
import { trainHosts } from './steps/train-hosts';
import { uploadRaw } from './steps/upload-raw';
import { telemetryStreamName } from '../../lambda/core/ingest-layout';
import { userData, UserDataError } from './steps/user-data';
import { predictionsPerUsd } from '../../lib/cost/estimate';
import { assembleSummary } from './summary/assemble-summary';
import { removeBulkData, workDirLayout, writeRunFiles } from './work-dir';

export type { LocalPipelineOptions } from './pipeline-options';
export type { FileOutcome, LocalPipelineSummary, SamplePrediction, WeightRow } from './pipeline-summary';
export { platformConfig } from './platform-config';
export { BAD_ROWS } from './steps/generate-data';
export { BAD_RECORDS } from './steps/firehose-ingest';
export { MotoMissingError } from './steps/moto-session';
export { UserDataError };

let used = false;

/** Runs everything, returns the summary; moto_server and the API are stopped before it returns. */
export async function runLocalPipeline(options: LocalPipelineOptions = {}): Promise<LocalPipelineSummary> {
  const rows = options.rows ?? 200_000;
  const files = options.files ?? 4;
  const seed = options.seed ?? 42;
  if (!(Number.isSafeInteger(rows) && rows >= 1))
    throw new RangeError(`rows must be a whole number >= 1, got ${rows}`);
  if (!(Number.isSafeInteger(files) && files >= 1 && files <= rows))
    throw new RangeError(`files must be a whole number in [1, rows], got ${files}`);
  requireMoto();
  if (used)
    throw new Error(
      'runLocalPipeline runs once per process: handlers keep their SDK clients for the process',
    );
  used = true;

  const platform = options.config ?? platformConfig();
  const inputs = options.inputs ?? [];
  const signal = options.signal;
  const clock = startRunClock({ signal, progress: options.progress });
  // The user's files and their schema are checked before moto_server starts.
  const delimiter = options.delimiter ?? platform.preprocess.delimiter;
  const user = inputs.length > 0 ? await userData(clock, { ...options, inputs, delimiter }) : undefined;
  const config: FactoryConfig = user
    ? {
        ...platform,
        dataset: { ...user.schema, ids: [...user.schema.ids], features: [...user.schema.features] },
        preprocess: { ...platform.preprocess, delimiter },
      }
    : platform;
  const dir = workDirLayout(options.workDir);
  const env = new EnvScope();
  let moto: MotoServer | undefined;
  let api: LocalApi | undefined;
  try {
    moto = await startMotoStep(clock);
    const s3 = await useSession(moto, env, options.verbose ?? false);
    const buckets = bucketNames(config.prefix);
    await createBuckets(clock, s3, buckets);
    const data = user
      ? ({ source: 'input', ...user } as const)
      : ({
          source: 'generated',
          rows,
          files,
          seed,
          // The malformed rows travel as JSON Lines records (BAD_RECORDS), not as CSV rows.
          ...(await generateData(clock, { rows, files, seed, dataDir: dir.dataDir, badRows: false })),
          badRows: (options.badRows ?? true) ? BAD_RECORDS.length : 0,
        } as const);
    // Generated rows arrive through Firehose; the user's files are uploaded as they are.
    const ingest =
      data.source === 'generated'
        ? await sendThroughFirehose(clock, s3, {
            bucket: buckets.raw,
            streamName: telemetryStreamName(config.prefix, config.stage),
            bufferMiB: config.ingest.bufferMiB,
            bufferSeconds: config.ingest.bufferSeconds,
            schema: config.dataset,
            paths: data.written.paths,
            badRecords: data.badRows > 0,
            signal,
          })
        : undefined;
    const rawKeys =
      ingest?.objects ?? (await uploadRaw(clock, s3, { bucket: buckets.raw, files: user!.files, signal }));

    const deps = await handlerDeps(s3);
    const fileOutcomes = await preprocessObjects(clock, deps, { config, buckets, rawKeys, signal });
    const totals = cleaningTotals(fileOutcomes);
    const quarantineByReason = await quarantineReasons(s3, buckets.curated, fileOutcomes);
    const quarantined = await quarantinedRows(s3, buckets.curated, fileOutcomes);
    const reconciled = reconciles(
      fileOutcomes,
      totals,
      data.source === 'generated' ? rows + data.badRows : undefined,
    );
    const query = config.query.enabled
      ? await queryCopy(clock, s3, {
          curatedBucket: buckets.curated,
          schema: config.dataset,
          files: fileOutcomes,
          workDir: dir.workDir,
        })
      : undefined;

    const plan = await planTraining(clock, deps, { config, buckets, overrides: options.plan });
    const training = await trainHosts(clock, s3, {
      config,
      buckets,
      plan,
      hostsDir: dir.hostsDir,
      maxLocalHosts: options.maxLocalHosts,
      signal,
    });
    const model = await evaluateAndPromote(clock, s3, deps, {
      modelsBucket: buckets.models,
      candidate: training.candidate,
      config,
    });

    api = await servePredict(clock, s3, deps, { config, modelsBucket: buckets.models, port: options.port });
    const answers = await askPredict(clock, {
      url: api.url,
      rowSource:
        data.source === 'input'
          ? { kind: 'files', paths: data.files.map((f) => f.path), delimiter }
          : { kind: 'channel', hostRoot: training.trained.hosts[0].root },
      artifact: model.artifact,
      anomalyZ: config.serving.anomalyZ,
    });

    const summary = assembleSummary({
      seconds: clock.elapsed(),
      steps: clock.steps,
      moto,
      buckets,
      data,
      schema: config.dataset,
      rawKeys,
      ingest,
      preprocess: {
        files: fileOutcomes,
        totals,
        quarantineByReason,
        quarantinedRows: quarantined,
        reconciled,
        ...(query ? { query } : {}),
      },
      plan,
      training,
      model,
      predict: { url: api.url, anomalyZ: config.serving.anomalyZ, ...answers },
      predictionsPerUsd: predictionsPerUsd(config),
      dir,
    });
    const report = await candidateReport(s3, training.candidate);
    await writeRunFiles(dir, model.artifact, summary, report.html);

    if (options.keepRunning) {
      options.onReady?.(summary);
      await untilAborted(signal);
    }
    return summary;
  } finally {
    await closeSession(api, moto, env);
    if (!options.keepData) removeBulkData(dir);
  }
}

/** Resolves when `signal` aborts (at once without one, or when it has already). */
function untilAborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!signal || signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
