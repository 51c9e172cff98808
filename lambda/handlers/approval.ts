/**
 * The manual-approval path: an EventBridge rule on "SageMaker Model Package State Change" for the
 * deployment's group invokes this when a package's status changes (someone chose "Approved" in
 * the console, or `factory models rollback` did). An approved package's version becomes the
 * served model: the pointer moves to `models/<version>/model.json` once the artifact passes the
 * servable check.
 *
 * Input:  the EventBridge event (lambda/core/model-registry.ts `approvalEventSchema`).
 * Output: { action: 'promoted' | 'already-current' | 'ignored' | 'refused', version?, reason }
 *
 * Ignored and logged (warn): an event that is not a model package state change, a package of
 * another group (the rule filters on the group; this checks again), a status other than Approved,
 * or a package that is no longer Approved when read back (events can arrive late and twice: the
 * package as DescribeModelPackage returns it now decides). Refused and logged (error), pointer
 * unchanged: a package whose metadata names no version, or whose artifact is missing or not
 * servable. Neither is thrown: a retry would decide the same.
 *
 * Metrics (EMF): ModelPromoted (Count) 1 when the pointer moved, else 0.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { MODELS_BUCKET_VARIABLE, type ModelsStepConfig } from '../core/env/models-steps';
import { REGISTRY_VARIABLES } from '../core/env/registry';
import { readServiceConfig, requiredString, type Env } from '../core/env/vars';
import { s3Client, sageMakerClient } from '../adapters/clients';
import { lambdaEntry } from '../adapters/lambda-entry';
import { getArtifact, readPointer, writePointer } from '../adapters/model-store';
import { describePackage, rejectReplaced, writeRegistryRecord } from '../adapters/model-registry';
import type { StepDeps } from '../adapters/step-handler';
import { pointerTo, servableProblems } from '../core/model-pointer';
import { APPROVAL, METADATA_KEY, parseApprovalEvent } from '../core/model-registry';
import { artifactKey } from '../core/models-layout';

export interface ApprovalOutput {
  readonly action: 'promoted' | 'already-current' | 'ignored' | 'refused';
  readonly version?: string;
  readonly packageArn?: string;
  readonly reason: string;
}

/** MODELS_BUCKET and MODEL_PACKAGE_GROUP (required). POWERTOOLS_SERVICE_NAME defaults to 'approval'. */
export interface ApprovalConfig extends ModelsStepConfig {
  readonly modelPackageGroup: string;
}

export function readApprovalConfig(env: Env = process.env): ApprovalConfig {
  return {
    modelsBucket: requiredString(env, MODELS_BUCKET_VARIABLE, 'the models bucket name'),
    ...readServiceConfig(env, 'approval'),
    modelPackageGroup: requiredString(env, REGISTRY_VARIABLES.group, 'the model package group name'),
  };
}

export interface ApprovalDeps extends StepDeps<ApprovalConfig> {
  readonly sagemaker: SageMakerClient;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

export async function runApproval(event: unknown, deps: ApprovalDeps): Promise<ApprovalOutput> {
  const output = await approve(event, deps);
  deps.metrics.addMetric('ModelPromoted', MetricUnit.Count, output.action === 'promoted' ? 1 : 0);
  deps.metrics.publishStoredMetrics();
  return output;
}

async function approve(event: unknown, deps: ApprovalDeps): Promise<ApprovalOutput> {
  const { s3, config, logger } = deps;
  const ignored = (reason: string, extra: Record<string, unknown> = {}): ApprovalOutput => {
    logger.warn(`ignored: ${reason}`, extra);
    return { action: 'ignored', reason, ...extra };
  };
  const refused = (reason: string, extra: Record<string, unknown>): ApprovalOutput => {
    logger.error(`refused: ${reason}`, extra);
    return { action: 'refused', reason, ...extra };
  };
  let parsed;
  try {
    parsed = parseApprovalEvent(event);
  } catch (error) {
    return ignored((error as Error).message);
  }
  const { ModelPackageGroupName: group, ModelPackageArn: packageArn, ModelApprovalStatus } = parsed.detail;
  if (group !== config.modelPackageGroup)
    return ignored(`a package of group ${group}, not ${config.modelPackageGroup}`, { packageArn });
  if (ModelApprovalStatus !== APPROVAL.approved)
    return ignored(`status ${ModelApprovalStatus ?? 'unset'}, not ${APPROVAL.approved}`, { packageArn });

  const pkg = await describePackage(deps.sagemaker, packageArn);
  if (pkg.group !== config.modelPackageGroup)
    return ignored(`the package is in group ${pkg.group}, not ${config.modelPackageGroup}`, { packageArn });
  if (pkg.status !== APPROVAL.approved)
    return ignored(`the package is ${pkg.status} now, no longer ${APPROVAL.approved}`, { packageArn });
  const version = pkg.metadata[METADATA_KEY.version];
  if (!version) return refused(`the package's metadata names no model version`, { packageArn });
  let key: string;
  try {
    key = artifactKey(version);
  } catch (error) {
    return refused((error as Error).message, { packageArn });
  }
  let artifact: unknown;
  try {
    artifact = await getArtifact(s3, config.modelsBucket, key);
  } catch (error) {
    return refused(`cannot read s3://${config.modelsBucket}/${key}: ${(error as Error).message}`, {
      packageArn,
      version,
    });
  }
  const problems = servableProblems(artifact, version);
  if (problems.length > 0)
    return refused(`${key} is not servable: ${problems.join('; ')}`, { packageArn, version });

  const pointer = await readPointer(s3, config.modelsBucket);
  const now = (deps.now ?? (() => new Date()))();
  await writeRegistryRecord(s3, config.modelsBucket, version, {
    group,
    packageArn,
    status: APPROVAL.approved,
    updatedAt: now.toISOString(),
  });
  if (pointer?.version === version) {
    logger.info('already current', { version, packageArn });
    return { action: 'already-current', version, packageArn, reason: 'the pointer already names it' };
  }
  const next = pointerTo(artifact as Parameters<typeof pointerTo>[0], key, now);
  await writePointer(s3, config.modelsBucket, next);
  const rejected = pointer
    ? await rejectReplaced(deps.sagemaker, s3, {
        bucket: config.modelsBucket,
        group,
        previous: pointer.version,
        by: version,
        now,
      })
    : null;
  logger.info('promoted by approval', {
    ...next,
    previous: pointer?.version ?? null,
    packageArn,
    replacedPackageRejected: rejected,
  });
  return {
    action: 'promoted',
    version,
    packageArn,
    reason: `approved in the Model Registry (${packageArn})`,
  };
}

export const handler = lambdaEntry<ApprovalConfig, unknown, ApprovalOutput>({
  name: 'approval',
  readConfig: readApprovalConfig,
  create: (deps) => {
    const approvalDeps: ApprovalDeps = { ...deps, s3: s3Client(), sagemaker: sageMakerClient() };
    return (event) => runApproval(event, approvalDeps);
  },
});
