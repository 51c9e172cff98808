import type { DatasetSchema } from '../../../lambda/core/dataset-schema';
import { tryInstanceFacts } from '../../../lambda/core/instance-facts';
import type { PlanOutput } from '../../../lambda/handlers/plan';
import type { MotoServer } from '../moto-server';
import type { LocalBuckets, LocalPipelineSummary, PredictAnswers } from '../pipeline-summary';
import type { StepTime } from '../run-clock';
import type { PromotedModel } from '../steps/evaluate-promote';
import type { GeneratedData } from '../steps/generate-data';
import type { UserData } from '../steps/user-data';
import type { TrainedCandidate } from '../steps/train-hosts';
import type { FirehoseIngest } from '../steps/firehose-ingest';
import { RAW_PREFIX, type RawObject } from '../steps/upload-raw';
import { INGEST_PREFIX } from '../../../lambda/core/ingest-layout';
import type { WorkDir } from '../work-dir';
import { s3Outputs } from './s3-outputs';
import { truthComparison } from './truth-comparison';

/** What the steps returned, as the orchestrator holds it at the end of the run. */
export interface RunResults {
  readonly seconds: number;
  readonly steps: readonly StepTime[];
  readonly moto: MotoServer;
  readonly buckets: LocalBuckets;
  /** The generator's settings (rows before the malformed ones) and what it wrote, or the user's files. */
  readonly data:
    | ({
        readonly source: 'generated';
        readonly rows: number;
        readonly files: number;
        readonly seed: number;
      } & GeneratedData)
    | ({ readonly source: 'input' } & UserData);
  /** The dataset schema every step used. */
  readonly schema: DatasetSchema;
  readonly rawKeys: readonly RawObject[];
  /** The Firehose delivery of the generated rows (absent: the user's files were uploaded). */
  readonly ingest?: FirehoseIngest;
  readonly preprocess: LocalPipelineSummary['preprocess'];
  readonly plan: PlanOutput;
  readonly training: TrainedCandidate;
  readonly model: PromotedModel;
  readonly predict: PredictAnswers & { readonly url: string; readonly anomalyZ: number };
  /** Single-row predictions a dollar buys at list prices (lib/cost/estimate.ts). */
  readonly predictionsPerUsd: number;
  readonly dir: WorkDir;
}

/** The summary document (summary.json and what the CLI prints), field order as the format reads it. */
export function assembleSummary(run: RunResults): LocalPipelineSummary {
  const { data, training, dir } = run;
  const { evaluation, promotion, artifact } = run.model;
  const rawKeys = run.rawKeys.map((k) => ({
    key: k.key,
    versionId: k.versionId,
    bytes: k.bytes,
    via: k.via,
    ...(k.records !== undefined ? { records: k.records } : {}),
  }));
  const viaOf = new Map(run.rawKeys.map((k) => [k.key, k.via]));
  const preprocess = {
    ...run.preprocess,
    files: run.preprocess.files.map((f) => ({ ...f, via: viaOf.get(f.key) })),
  };
  const arrival: LocalPipelineSummary['data']['arrival'] = run.ingest
    ? {
        path: 'firehose',
        streamName: run.ingest.streamName,
        records: run.ingest.records,
        putRecordBatchCalls: run.ingest.calls,
        objects: run.ingest.objects.length,
      }
    : { path: 'upload', objects: run.rawKeys.length };
  return {
    seconds: run.seconds,
    steps: run.steps,
    moto: { endpoint: run.moto.endpoint, pid: run.moto.pid },
    buckets: run.buckets,
    data:
      data.source === 'generated'
        ? {
            source: 'generated',
            schema: run.schema,
            rows: data.rows + data.badRows,
            files: data.files,
            seed: data.seed,
            bytes: data.totalBytes,
            badRows: data.badRows,
            generatedDuplicates: data.written.truth.duplicates,
            rawKeys,
            arrival,
          }
        : {
            source: 'input',
            inputs: data.files.map((f) => f.path),
            schema: run.schema,
            // The user's rows as preprocess counted them (a quoted field may span lines).
            rows: run.preprocess.totals.rowsIn,
            files: data.files.length,
            bytes: data.totalBytes,
            badRows: 0,
            rawKeys,
            arrival,
          },
    preprocess,
    plan: run.plan,
    training: {
      hosts: training.hosts,
      plannedP: run.plan.p,
      hostObjects: training.trained.hosts.map((h) => ({
        host: h.host,
        objects: h.objects.length,
        bytes: h.bytes,
      })),
      candidate: training.candidate,
      seconds: training.seconds,
    },
    cost: runCost(run),
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
    registry: {
      group: run.model.registry.group,
      packageArn: run.model.registry.packageArn,
      status: run.model.registry.status,
    },
    ...(data.source === 'generated' ? { truth: truthComparison(artifact, data.written.truth) } : {}),
    predict: run.predict,
    outputs: {
      workDir: dir.workDir,
      summaryPath: dir.summaryPath,
      ...(data.source === 'generated' ? { truthPath: data.written.truthPath } : {}),
      modelPath: dir.modelPath,
      reportPath: dir.reportPath,
      hostsDir: dir.hostsDir,
      s3: s3Outputs({
        buckets: run.buckets,
        rawObjects: run.rawKeys.length,
        rawPrefix: run.ingest ? INGEST_PREFIX : RAW_PREFIX,
        files: run.preprocess.files,
        job: training.job,
        candidate: training.candidate,
        hosts: training.hosts,
        modelKey: promotion.key,
      }),
    },
  };
}

/**
 * The run's cost: the plan's, and what this run's trainer hosts would bill at the same
 * instance-hour price (hosts × seconds here, start-up excluded); no price, no figures.
 */
function runCost(run: RunResults): LocalPipelineSummary['cost'] {
  const pricePerHour = tryInstanceFacts(run.plan.instanceType)?.pricePerHour ?? null;
  return {
    pricePerHour,
    plannedUsd: run.plan.cost,
    measuredUsd:
      pricePerHour === null ? null : (run.training.hosts * run.training.seconds * pricePerHour) / 3600,
    predictionsPerUsd: run.predictionsPerUsd,
  };
}
