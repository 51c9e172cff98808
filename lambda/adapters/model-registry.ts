/**
 * The Model Registry calls (SageMaker CreateModelPackage, UpdateModelPackage, DescribeModelPackage)
 * and the record the models bucket keeps of them (`models/<version>/registry.json`), over injected
 * clients: promote registers every candidate, the approval handler and `factory models` read and
 * update a version's package.
 *
 * Packages carry no InferenceSpecification: the platform serves from Lambda, not from a SageMaker
 * endpoint, and InferenceSpecification is optional for versioned packages ("CreateModelPackage",
 * SageMaker API reference: Required: No; the SageMaker Python SDK made the inference instances
 * optional for versioned packages, aws/sagemaker-python-sdk#3228). Approving such a package on
 * real AWS is not exercised here (moto accepts it).
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  CreateModelPackageCommand,
  DescribeModelPackageCommand,
  ListModelPackagesCommand,
  UpdateModelPackageCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import type { ModelArtifact } from '../core/model-artifact';
import {
  APPROVAL,
  METADATA_KEY,
  packageDescription,
  packageMetadata,
  registrationToken,
  registryRecordSchema,
  type ApprovalStatus,
  type PackageLocations,
  type RegistryRecord,
} from '../core/model-registry';
import { registryRecordKey } from '../core/models-layout';
import { putJson } from './model-store';

/** The version's registry record, or null when it was never registered. */
export async function readRegistryRecord(
  s3: S3Client,
  bucket: string,
  version: string,
): Promise<RegistryRecord | null> {
  const key = registryRecordKey(version);
  let text: string;
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    text = await res.Body!.transformToString('utf-8');
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404) return null;
    throw error;
  }
  const parsed = registryRecordSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`s3://${bucket}/${key} is not a registry record`);
  return parsed.data;
}

export async function writeRegistryRecord(
  s3: S3Client,
  bucket: string,
  version: string,
  record: RegistryRecord,
): Promise<void> {
  await putJson(s3, bucket, registryRecordKey(version), record);
}

export interface RegisterInput {
  readonly group: string;
  readonly bucket: string;
  readonly artifact: ModelArtifact;
  readonly locations: PackageLocations;
  readonly status: ApprovalStatus;
  /** Why this status: the package description and the approval description. */
  readonly reason: string;
  readonly now: Date;
}

/**
 * The candidate as a model package with `status`: created once per version (the bucket's record,
 * and CreateModelPackage's ClientToken, make a retry find it), its status updated when it differs.
 */
export async function registerCandidate(
  sagemaker: SageMakerClient,
  s3: S3Client,
  input: RegisterInput,
): Promise<RegistryRecord> {
  const { group, bucket, artifact, status, reason, now } = input;
  const metadata = packageMetadata(artifact, input.locations);
  const existing = await readRegistryRecord(s3, bucket, artifact.version);
  if (existing && existing.group === group) {
    if (existing.status === status) return existing;
    await setApproval(sagemaker, { packageArn: existing.packageArn, status, reason, metadata });
  } else {
    const created = await sagemaker.send(
      new CreateModelPackageCommand({
        ModelPackageGroupName: group,
        ModelPackageDescription: packageDescription(artifact, reason),
        ModelApprovalStatus: status,
        CustomerMetadataProperties: metadata,
        ClientToken: registrationToken(artifact.version),
        Domain: 'MACHINE_LEARNING',
        Task: artifact.task === 'classification' ? 'CLASSIFICATION' : 'REGRESSION',
      }),
    );
    if (!created.ModelPackageArn) throw new Error('CreateModelPackage returned no ModelPackageArn');
    const record = { group, packageArn: created.ModelPackageArn, status, updatedAt: now.toISOString() };
    await writeRegistryRecord(s3, bucket, artifact.version, record);
    return record;
  }
  const record = { group, packageArn: existing.packageArn, status, updatedAt: now.toISOString() };
  await writeRegistryRecord(s3, bucket, artifact.version, record);
  return record;
}

/**
 * Sets a package's approval status. CustomerMetadataProperties go with every update: the call
 * states the package's whole metadata, so an update never depends on what the service keeps of
 * earlier ones (moto replaces them with what the update sends, none when it sends none).
 */
export async function setApproval(
  sagemaker: SageMakerClient,
  input: {
    readonly packageArn: string;
    readonly status: ApprovalStatus;
    readonly reason: string;
    readonly metadata: Record<string, string>;
  },
): Promise<void> {
  await sagemaker.send(
    new UpdateModelPackageCommand({
      ModelPackageArn: input.packageArn,
      ModelApprovalStatus: input.status,
      ApprovalDescription: input.reason.slice(0, 1024),
      CustomerMetadataProperties: input.metadata,
    }),
  );
}

/**
 * After the pointer moved from `previous` to another version: the package of `previous` is set
 * `Rejected`, as `factory models rollback` sets the version it replaces, so the registry shows one
 * Approved package per served model and a late or retried approval event for the replaced one
 * (the approval handler serves a package only while it is Approved) cannot move the pointer
 * back. Its metadata is read and resent (an update states the whole metadata: setApproval). A
 * version never registered, of another group, or no longer Approved is left as it is; returns
 * the package set Rejected, or null.
 */
export async function rejectReplaced(
  sagemaker: SageMakerClient,
  s3: S3Client,
  input: {
    readonly bucket: string;
    readonly group: string;
    readonly previous: string;
    readonly by: string;
    readonly now: Date;
  },
): Promise<string | null> {
  const record = await readRegistryRecord(s3, input.bucket, input.previous);
  if (!record || record.group !== input.group || record.status !== APPROVAL.approved) return null;
  const pkg = await describePackage(sagemaker, record.packageArn);
  if (pkg.status !== APPROVAL.approved) return null;
  await setApproval(sagemaker, {
    packageArn: record.packageArn,
    status: APPROVAL.rejected,
    reason: `replaced by ${input.by}`,
    metadata: pkg.metadata,
  });
  await writeRegistryRecord(s3, input.bucket, input.previous, {
    ...record,
    status: APPROVAL.rejected,
    updatedAt: input.now.toISOString(),
  });
  return record.packageArn;
}

/** A package as the registry holds it now. */
export interface RegisteredPackage {
  readonly packageArn: string;
  readonly group: string;
  readonly version?: number;
  readonly status: string;
  readonly metadata: Record<string, string>;
  readonly description?: string;
}

export async function describePackage(
  sagemaker: SageMakerClient,
  packageArn: string,
): Promise<RegisteredPackage> {
  const d = await sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: packageArn }));
  return {
    packageArn: d.ModelPackageArn ?? packageArn,
    group: d.ModelPackageGroupName ?? '',
    version: d.ModelPackageVersion,
    status: d.ModelApprovalStatus ?? '',
    metadata: { ...(d.CustomerMetadataProperties ?? {}) },
    description: d.ModelPackageDescription,
  };
}

/**
 * The group's package whose metadata names `version`, newest first; null when none does. For a
 * person's tools (`factory models`), which may list: the handlers read the bucket's record instead.
 */
export async function findPackageInGroup(
  sagemaker: SageMakerClient,
  group: string,
  version: string,
): Promise<RegisteredPackage | null> {
  let NextToken: string | undefined;
  do {
    const page = await sagemaker.send(
      new ListModelPackagesCommand({
        ModelPackageGroupName: group,
        SortBy: 'CreationTime',
        SortOrder: 'Descending',
        NextToken,
      }),
    );
    for (const summary of page.ModelPackageSummaryList ?? []) {
      if (!summary.ModelPackageArn) continue;
      const pkg = await describePackage(sagemaker, summary.ModelPackageArn);
      if (pkg.metadata[METADATA_KEY.version] === version) return pkg;
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return null;
}
