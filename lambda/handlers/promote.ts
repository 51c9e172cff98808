/**
 * The training state machine's promote step: keep and register every candidate, serve only a better one.
 *
 * Input:  the evaluate step's output ({ better, candidate: { location, version }, ... }).
 * Output: { version, key, promoted, awaitingApproval, pointer, reason, registry }
 *
 * Always writes the artifact to `models/<version>/model.json` (history) and registers it in the
 * deployment's Model Registry group (MODEL_PACKAGE_GROUP) as a model package whose metadata names
 * the artifact, its report (when the trainer wrote one), task, metrics, lineage and capacity used:
 *   - better or first, MANUAL_APPROVAL false: the pointer moves, the package is `Approved`;
 *   - better or first, MANUAL_APPROVAL true: `PendingManualApproval`, the pointer stays; it moves
 *     when someone approves the package (the approval handler, on the registry's event);
 *   - not better: `Rejected`, the pointer stays.
 * "Better" is re-checked against the pointer as it is now, so a model promoted by another run in
 * between is not overwritten by a worse one. Idempotent: a retry after success rewrites the same
 * artifact bytes, finds the pointer already on this version and the package already registered
 * (`models/<version>/registry.json`).
 *
 * Metrics (EMF, namespace METRICS_NAMESPACE, dimension `service`): ModelPromoted (Count), the
 * output's `promoted` as 1 or 0, once per completed step. A retry that finds the pointer already on
 * this version counts 1 too: the run it retries failed after moving the pointer but before
 * publishing (metrics go out last), so the promotion is still counted once. An invalid candidate
 * publishes none.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { readModelsStepConfig, type ModelsStepConfig } from '../core/env/models-steps';
import { readRegistrySettings, type RegistrySettings } from '../core/env/registry';
import type { Env } from '../core/env/vars';
import { s3Client, sageMakerClient } from '../adapters/clients';
import { lambdaEntry } from '../adapters/lambda-entry';
import {
  getArtifact,
  putArtifact,
  readPointer,
  writePointer,
  type ModelPointer,
  type ObjectLocation,
} from '../adapters/model-store';
import { registerCandidate, rejectReplaced } from '../adapters/model-registry';
import type { StepDeps } from '../adapters/step-handler';
import { artifactProblems } from '../core/model-artifact';
import { pointerTo } from '../core/model-pointer';
import {
  APPROVAL,
  type ApprovalStatus,
  type PackageLocations,
  type RegistryRecord,
} from '../core/model-registry';
import { reportBeside } from '../core/models-layout';
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
  /** True when the candidate is better but waits for a person's approval in the Model Registry. */
  readonly awaitingApproval: boolean;
  readonly pointer: ModelPointer | null;
  readonly reason: string;
  /** The candidate's model package and the status it was given. */
  readonly registry: RegistryRecord;
}

/** POWERTOOLS_SERVICE_NAME defaults to 'promote'. */
/** MODELS_BUCKET (required): the artifacts' history and models/current.json. */
/** MODEL_PACKAGE_GROUP, MANUAL_APPROVAL (required): lambda/core/env/registry.ts. */
export type PromoteConfig = ModelsStepConfig & RegistrySettings;

export function readPromoteConfig(env: Env = process.env): PromoteConfig {
  return { ...readModelsStepConfig('promote', env), ...readRegistrySettings(env) };
}

export interface PromoteDeps extends StepDeps<PromoteConfig> {
  readonly sagemaker: SageMakerClient;
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
  const now = (deps.now ?? (() => new Date()))();
  const key = await putArtifact(s3, config.modelsBucket, artifact);
  const locations = await packageLocations(s3, config.modelsBucket, key, location);
  const register = (status: ApprovalStatus, reason: string) =>
    registerCandidate(deps.sagemaker, s3, {
      group: config.modelPackageGroup,
      bucket: config.modelsBucket,
      artifact,
      locations,
      status,
      reason,
      now,
    });
  const base = { version: artifact.version, key };
  const pointer = await readPointer(s3, config.modelsBucket);
  if (pointer?.version === artifact.version) {
    const registry = await register(APPROVAL.approved, 'served (the current model)');
    logger.info('already current', { ...base, packageArn: registry.packageArn });
    return { ...base, promoted: true, awaitingApproval: false, pointer, reason: 'already current', registry };
  }
  const verdict = compareMetrics(artifact.metrics, pointer?.metrics ?? null);
  if (event.better === false || !verdict.better) {
    const reason = event.better === false ? 'evaluate found it not better' : verdict.reason;
    const registry = await register(APPROVAL.rejected, `not better: ${reason}`);
    logger.info('kept in history, not promoted', { ...base, reason, packageArn: registry.packageArn });
    return { ...base, promoted: false, awaitingApproval: false, pointer, reason, registry };
  }
  if (config.manualApproval) {
    const reason = `better (${verdict.reason}); awaiting manual approval in the Model Registry`;
    const registry = await register(APPROVAL.pending, reason);
    logger.info('awaiting approval', { ...base, reason, packageArn: registry.packageArn });
    return { ...base, promoted: false, awaitingApproval: true, pointer, reason, registry };
  }
  const next = pointerTo(artifact, key, now);
  await writePointer(s3, config.modelsBucket, next);
  // After the pointer: a failure here is retried, and the retry finds the pointer already moved.
  const registry = await register(APPROVAL.approved, verdict.reason);
  const rejected = pointer
    ? await rejectReplaced(deps.sagemaker, s3, {
        bucket: config.modelsBucket,
        group: config.modelPackageGroup,
        previous: pointer.version,
        by: artifact.version,
        now,
      })
    : null;
  logger.info('promoted', {
    ...next,
    previous: pointer?.version ?? null,
    reason: verdict.reason,
    packageArn: registry.packageArn,
    replacedPackageRejected: rejected,
  });
  return {
    ...base,
    promoted: true,
    awaitingApproval: false,
    pointer: next,
    reason: verdict.reason,
    registry,
  };
}

/** The artifact as kept, and the run's report beside its candidate when the trainer wrote one. */
async function packageLocations(
  s3: S3Client,
  bucket: string,
  key: string,
  candidate: ObjectLocation,
): Promise<PackageLocations> {
  const artifactUri = `s3://${bucket}/${key}`;
  const report = { bucket: candidate.bucket, key: reportBeside(candidate.key) };
  try {
    await s3.send(new HeadObjectCommand({ Bucket: report.bucket, Key: report.key }));
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404 || (error as { name?: string }).name === 'NotFound') return { artifactUri };
    throw error;
  }
  return { artifactUri, reportUri: `s3://${report.bucket}/${report.key}` };
}

export const handler = lambdaEntry<PromoteConfig, PromoteEvent, PromoteOutput>({
  name: 'promote',
  readConfig: readPromoteConfig,
  create: (deps) => {
    const promoteDeps: PromoteDeps = { ...deps, s3: s3Client(), sagemaker: sageMakerClient() };
    return (event) => runPromote(event, promoteDeps);
  },
});
