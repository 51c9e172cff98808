/**
 * The SageMaker Model Registry side of a model, defined once: the group a deployment registers
 * into, the approval statuses, the metadata a model package carries (what a person sees in the
 * console and what the approval path reads back), and the approval event the console's
 * "Update status" produces. Pure: no SDK (the calls are lambda/adapters/model-registry.ts).
 *
 * Every run's candidate becomes a versioned model package: `Approved` when the pointer moves to
 * it, `Rejected` when the current model stays, `PendingManualApproval` under manual approval
 * (the pointer then moves when someone approves it: the approval handler).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ModelArtifact } from './model-artifact';

/** ModelApprovalStatus values ("ModelPackageSummary", SageMaker API reference). */
export const APPROVAL = {
  approved: 'Approved',
  rejected: 'Rejected',
  pending: 'PendingManualApproval',
} as const;
export type ApprovalStatus = (typeof APPROVAL)[keyof typeof APPROVAL];

/** `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$` (ModelPackageGroupName, SageMaker API reference). */
const GROUP_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/**
 * The deployment's model package group: `<prefix>-<stage>-models` (the config's prefix is 3-20
 * lowercase letters, digits and hyphens, so this fits the 63 characters). A person types it in
 * the console and in `factory models --registry`, hence an explicit name.
 */
export function modelPackageGroupName(prefix: string, stage: string): string {
  const name = `${prefix}-${stage}-models`;
  if (!GROUP_NAME.test(name)) throw new Error(`${JSON.stringify(name)} is not a model package group name`);
  return name;
}

/**
 * CustomerMetadataProperties: at most 50 entries; keys 1-128 and values 1-256 characters of
 * `[\p{L}\p{Z}\p{N}_.:/=+\-@]` ("ModelPackage", SageMaker API reference: so no `[]{}",`, which
 * rules out JSON in a value). Every value the platform writes goes through `metadataValue`.
 */
export const METADATA_MAX_ENTRIES = 50;
export const METADATA_VALUE_MAX = 256;
export const METADATA_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const NOT_METADATA_CHARACTER = /[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu;

/** A value SageMaker accepts: other characters become `_`, cut to 256, never empty. */
export function metadataValue(value: string | number | boolean | null | undefined): string {
  const text = value === null || value === undefined ? '' : String(value);
  const clean = text.replace(NOT_METADATA_CHARACTER, '_').slice(0, METADATA_VALUE_MAX);
  return clean.length > 0 ? clean : '-';
}

/** Metadata keys the platform writes and reads back; `version` and `artifact` are the link to S3. */
export const METADATA_KEY = {
  version: 'version',
  artifact: 'artifact',
  task: 'task',
  report: 'report',
} as const;

/** Where the package's files are: the artifact in the models bucket (and the report, when written). */
export interface PackageLocations {
  /** `s3://<models bucket>/models/<version>/model.json` */
  readonly artifactUri: string;
  /** `s3://…/report.html` beside the artifact, when the trainer wrote one. */
  readonly reportUri?: string;
}

/**
 * The package's metadata: the artifact's location, task, holdout metrics, lineage and capacity
 * used, each a plain value (lists are summarised: the input count and a hash of the inputs).
 */
export function packageMetadata(artifact: ModelArtifact, at: PackageLocations): Record<string, string> {
  const m = artifact.metrics;
  const c = m.classification;
  const cap = artifact.capacity;
  const inputs = artifact.lineage.inputs;
  const entries: Record<string, string | number | null | undefined> = {
    [METADATA_KEY.version]: artifact.version,
    [METADATA_KEY.artifact]: at.artifactUri,
    [METADATA_KEY.task]: artifact.task ?? 'regression',
    ...(at.reportUri ? { [METADATA_KEY.report]: at.reportUri } : {}),
    trainedAt: artifact.trainedAt,
    target: artifact.target,
    features: artifact.features.length,
    rows: artifact.rows,
    'metrics.on': m.on,
    'metrics.rows': m.rows,
    'metrics.rmse': m.rmse,
    'metrics.r2': m.r2,
    'metrics.mae': m.mae,
    ...(c ? { 'metrics.logLoss': c.logLoss, 'metrics.auc': c.auc, 'metrics.accuracy': c.accuracy } : {}),
    'lineage.inputs': inputs.length,
    'lineage.inputsSha256': createHash('sha256').update(JSON.stringify(inputs)).digest('hex'),
    'lineage.configHash': artifact.lineage.configHash,
    'lineage.codeVersion': artifact.lineage.codeVersion,
    'capacity.engine': cap.engine,
    'capacity.instances': cap.instances,
    'capacity.instanceType': cap.instanceType,
    'capacity.shards': cap.shards,
    'capacity.plannedSeconds': cap.plannedSeconds,
  };
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(entries)) {
    if (value === undefined) continue;
    out[key] = metadataValue(value);
  }
  return out;
}

/** The package description a person reads in the console list (≤ 1024 characters). */
export function packageDescription(artifact: ModelArtifact, reason: string): string {
  return `model ${artifact.version}: ${reason}`.slice(0, 1024);
}

/**
 * CreateModelPackage's ClientToken (1-36 of `[a-zA-Z0-9-]`): one per model version, so a retried
 * registration of the same candidate returns the package already made.
 */
export function registrationToken(version: string): string {
  return createHash('sha256').update(`model-package:${version}`).digest('hex').slice(0, 32);
}

/**
 * The link the models bucket keeps from a version to its package (`models/<version>/registry.json`,
 * models-layout.ts): the handlers never need ListModelPackages, which has no resource-level
 * permission.
 */
export const registryRecordSchema = z
  .object({
    group: z.string().min(1),
    packageArn: z.string().regex(/^arn:aws[a-z-]*:sagemaker:/, 'must be a model package ARN'),
    status: z.enum([APPROVAL.approved, APPROVAL.rejected, APPROVAL.pending]),
    updatedAt: z.string(),
  })
  .readonly();
export type RegistryRecord = z.infer<typeof registryRecordSchema>;

/**
 * "SageMaker Model Package State Change" from source `aws.sagemaker`: its detail is the model
 * package as DescribeModelPackage returns it ("Events that Amazon SageMaker sends to Amazon
 * EventBridge", SageMaker developer guide: Model package state change).
 */
export const MODEL_PACKAGE_EVENT = {
  source: 'aws.sagemaker',
  detailType: 'SageMaker Model Package State Change',
} as const;

export const approvalEventSchema = z.object({
  source: z.literal(MODEL_PACKAGE_EVENT.source),
  'detail-type': z.literal(MODEL_PACKAGE_EVENT.detailType),
  detail: z.object({
    ModelPackageGroupName: z.string().min(1),
    ModelPackageArn: z.string().min(1),
    ModelApprovalStatus: z.string().optional(),
    ModelPackageVersion: z.number().optional(),
  }),
});
export type ApprovalEvent = z.infer<typeof approvalEventSchema>;

/** The event, checked; an Error naming each defect. */
export function parseApprovalEvent(value: unknown): ApprovalEvent {
  const result = approvalEventSchema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `${issue.path.map(String).join('.') || 'event'}: ${issue.message}`,
  );
  throw new Error(`not a model package state change event: ${[...new Set(problems)].join('; ')}`);
}
