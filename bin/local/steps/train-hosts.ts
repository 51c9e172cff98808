import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { FactoryConfig } from '../../../lib/config';
import { candidateKey, partialsPrefix } from '../../../lambda/core/models-layout';
import { configuredTrainerSettings, toHyperparameters } from '../../../lambda/core/trainer-contract';
import type { PlanOutput } from '../../../lambda/handlers/plan';
import { codeVersion } from '../code-version';
import type { LocalBuckets } from '../pipeline-summary';
import type { RunClock } from '../run-clock';
import { runTrainerHosts, type TrainerHostsResult } from '../trainer-hosts';

export interface TrainedCandidate {
  readonly job: string;
  /** s3:// URI of the candidate model the hosts wrote. */
  readonly candidate: string;
  /** Hosts run here: the plan's p, capped by what this machine runs at once and by the objects. */
  readonly hosts: number;
  readonly trained: TrainerHostsResult;
  readonly seconds: number;
}

/** p trainer hosts through the container entry (/opt/ml), sharded over the plan's input prefix. */
export async function trainHosts(
  clock: RunClock,
  s3: S3Client,
  options: {
    readonly config: FactoryConfig;
    readonly buckets: LocalBuckets;
    readonly plan: PlanOutput;
    readonly hostsDir: string;
    /** @default min(4, available cores) */
    readonly maxLocalHosts?: number;
    readonly signal?: AbortSignal;
  },
): Promise<TrainedCandidate> {
  const { config, buckets, plan } = options;
  const training = config.training;
  const job = `local-${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}`;
  const candidate = `s3://${buckets.models}/${candidateKey(job)}`;
  const cap = options.maxLocalHosts ?? Math.max(1, Math.min(4, availableParallelism()));
  const channelObjects =
    (await s3.send(new ListObjectsV2Command({ Bucket: buckets.curated, Prefix: plan.inputPrefix })))
      .KeyCount ?? 0;
  const hosts = Math.max(1, Math.min(plan.p, cap, channelObjects));
  const trainStart = performance.now();
  const trained = await clock.step('train', () =>
    runTrainerHosts({
      root: options.hostsDir,
      hosts,
      s3,
      bucket: buckets.curated,
      prefix: plan.inputPrefix,
      hyperparameters: toHyperparameters({
        ...configuredTrainerSettings(training),
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
      signal: options.signal,
      progress: (line) => clock.say(line),
    }),
  );
  const seconds = (performance.now() - trainStart) / 1000;
  clock.say(
    `trained on ${hosts} host(s)${hosts < plan.p ? ` (plan p = ${plan.p}; ${hosts} at once here)` : ''} ` +
      `in ${seconds.toFixed(1)} s → ${candidate}`,
  );
  return { job, candidate, hosts, trained, seconds };
}
