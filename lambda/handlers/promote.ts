/**
 * The training state machine's promote step: keep every candidate, serve only a better one.
 *
 * Input:  the evaluate step's output ({ better, candidate: { location, version }, ... }).
 * Output: { version, key, promoted, pointer: { version, key, promotedAt, metrics } | null, reason }
 *
 * Always writes the artifact to `models/<version>/model.json` (history). Moves `models/current.json`
 * only when the candidate is better or first — re-checked against the pointer as it is now, so a
 * model promoted by another run in between is not overwritten by a worse one. Idempotent: a retry
 * after success rewrites the same artifact bytes and finds the pointer already on this version.
 *
 * Metrics (EMF, namespace METRICS_NAMESPACE, dimension `service`): ModelPromoted (Count), the
 * output's `promoted` as 1 or 0, once per completed step. A retry that finds the pointer already on
 * this version counts 1 too: the run it retries failed after moving the pointer but before
 * publishing (metrics go out last), so the promotion is still counted once. An invalid candidate
 * publishes none.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { readModelsStepConfig, type ModelsStepConfig } from '../core/env/models-steps';
import type { Env } from '../core/env/vars';
import {
  getArtifact,
  putArtifact,
  readPointer,
  writePointer,
  type ModelPointer,
} from '../adapters/model-store';
import { stepHandler, type StepDeps } from '../adapters/step-handler';
import { artifactProblems } from '../core/model-artifact';
import { candidateLocation, compareMetrics, InvalidCandidateError } from './evaluate';

export interface PromoteEvent {
  readonly better?: boolean;
  readonly candidate: { readonly location: unknown; readonly version?: string };
}

export interface PromoteOutput {
  readonly version: string;
  readonly key: string;
  /** True when the pointer names this version after the step (moved now, or already). */
  readonly promoted: boolean;
  readonly pointer: ModelPointer | null;
  readonly reason: string;
}

/** POWERTOOLS_SERVICE_NAME defaults to 'promote'. */
/** MODELS_BUCKET (required): the artifacts' history and models/current.json. */
export type PromoteConfig = ModelsStepConfig;

export function readPromoteConfig(env: Env = process.env): PromoteConfig {
  return readModelsStepConfig('promote', env);
}

export interface PromoteDeps extends StepDeps<PromoteConfig> {
  /** @default () => new Date() */
  readonly now?: () => Date;
}

export async function runPromote(event: PromoteEvent, deps: PromoteDeps): Promise<PromoteOutput> {
  const output = await promote(event, deps);
  deps.metrics.addMetric('ModelPromoted', MetricUnit.Count, output.promoted ? 1 : 0);
  deps.metrics.publishStoredMetrics();
  return output;
}

async function promote(event: PromoteEvent, deps: PromoteDeps): Promise<PromoteOutput> {
  const { s3, config, logger } = deps;
  const location = candidateLocation(event?.candidate?.location);
  const artifact = await getArtifact(s3, location.bucket, location.key);
  const problems = artifactProblems(artifact);
  if (problems.length > 0)
    throw new InvalidCandidateError(`candidate is not a complete artifact: ${problems.join('; ')}`);
  if (event.candidate.version && event.candidate.version !== artifact.version) {
    throw new InvalidCandidateError(
      `candidate at ${location.key} is version ${artifact.version}, evaluated ${event.candidate.version}`,
    );
  }
  const key = await putArtifact(s3, config.modelsBucket, artifact);
  const pointer = await readPointer(s3, config.modelsBucket);
  if (pointer?.version === artifact.version) {
    logger.info('already current', { version: artifact.version, key });
    return { version: artifact.version, key, promoted: true, pointer, reason: 'already current' };
  }
  const verdict = compareMetrics(artifact.metrics, pointer?.metrics ?? null);
  if (event.better === false || !verdict.better) {
    const reason = event.better === false ? 'evaluate found it not better' : verdict.reason;
    logger.info('kept in history, not promoted', { version: artifact.version, key, reason });
    return { version: artifact.version, key, promoted: false, pointer, reason };
  }
  const next: ModelPointer = {
    version: artifact.version,
    key,
    promotedAt: (deps.now ?? (() => new Date()))().toISOString(),
    metrics: artifact.metrics,
  };
  await writePointer(s3, config.modelsBucket, next);
  logger.info('promoted', { ...next, previous: pointer?.version ?? null, reason: verdict.reason });
  return { version: artifact.version, key, promoted: true, pointer: next, reason: verdict.reason };
}

export const handler = stepHandler('promote', readPromoteConfig, runPromote);
