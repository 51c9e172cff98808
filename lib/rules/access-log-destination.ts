import {
  type Assembly,
  nameOf,
  type ResourceInStack,
  resourcesOfType,
  sameResource,
} from './support/assembly';
import type { FactoryRule, Finding } from './support/finding';
import { isObject, renderText } from './support/intrinsics';
import { asArray } from './support/policy';
import { mayHaveObjectLock, resolveBucket } from './support/s3';

export const ACCESS_LOG_DESTINATION = 'Factory-AccessLogDestination';

/**
 * What S3 requires of a server access log destination (S3 user guide, "Enabling Amazon S3 server
 * access logging", https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html):
 * "You can use default bucket encryption on the target bucket only if you use server-side
 * encryption with Amazon S3 managed keys (SSE-S3), which uses the 256-bit Advanced Encryption
 * Standard (AES-256). Default server-side encryption with AWS Key Management Service (AWS KMS)
 * keys (SSE-KMS) is not supported." and "You can't enable S3 Object Lock on the target bucket."
 * The "Object Lock considerations" page says the same of the lock: "S3 buckets with Object Lock
 * can't be used as destination buckets for server access logs."
 *
 * Neither is refused when the stack deploys: `PutBucketLogging` succeeds and the logs are simply
 * never delivered, so an audit trail the platform relies on would be empty. "Only if SSE-S3" also
 * leaves out DSSE-KMS (`aws:kms:dsse`), so any default algorithm but `AES256` is reported; a bucket
 * with no `BucketEncryption` gets SSE-S3, the S3 default, and passes.
 */
const DOCUMENTATION =
  'https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html';
const SSE_S3 = 'AES256';
const ALGORITHM_NAMES: Record<string, string> = { 'aws:kms': 'SSE-KMS', 'aws:kms:dsse': 'DSSE-KMS' };

interface Destination {
  readonly bucket: ResourceInStack;
  readonly sources: ResourceInStack[];
}

/**
 * Every bucket of the assembly that receives server access logs, with the buckets that log to
 * it. A `LoggingConfiguration` without `DestinationBucketName` logs to its own bucket
 * (CloudFormation, `AWS::S3::Bucket LoggingConfiguration`: "By default, logs are stored in the
 * bucket where the LoggingConfiguration property is defined"). A destination outside the assembly
 * is not checked.
 */
function destinations(assembly: Assembly): Destination[] {
  const byName = new Map<string, Destination>();
  for (const source of resourcesOfType(assembly, 'AWS::S3::Bucket')) {
    const logging = source.resource.Properties?.LoggingConfiguration;
    if (!isObject(logging)) continue;
    const bucket =
      logging.DestinationBucketName === undefined
        ? source
        : resolveBucket(logging.DestinationBucketName, source.stack, assembly);
    if (!bucket) continue;
    const destination = byName.get(nameOf(bucket)) ?? { bucket, sources: [] };
    destination.sources.push(source);
    byName.set(nameOf(bucket), destination);
  }
  return [...byName.values()];
}

/** `AES256`, `aws:kms`, ... of each default-encryption rule, with where it is. */
function defaultAlgorithms(
  bucket: ResourceInStack,
  assembly: Assembly,
): { algorithm: string; location: string }[] {
  const encryption = bucket.resource.Properties?.BucketEncryption;
  if (!isObject(encryption)) return [];
  return asArray(encryption.ServerSideEncryptionConfiguration as unknown[]).flatMap((rule, i) => {
    const byDefault = isObject(rule) ? rule.ServerSideEncryptionByDefault : undefined;
    if (!isObject(byDefault) || byDefault.SSEAlgorithm === undefined) return [];
    return [
      {
        algorithm: renderText(byDefault.SSEAlgorithm, bucket.stack, assembly),
        location: `Properties/BucketEncryption/ServerSideEncryptionConfiguration/${i}/ServerSideEncryptionByDefault/SSEAlgorithm`,
      },
    ];
  });
}

/**
 * No bucket that receives server access logs has Object Lock or a default encryption other than
 * SSE-S3. One finding per destination and requirement, on the destination (where the fix is),
 * naming every bucket whose logs would be lost.
 */
export function checkAccessLogDestination(assembly: Assembly): Finding[] {
  const findings: Finding[] = [];
  for (const { bucket, sources } of destinations(assembly)) {
    const logs = `S3 will not deliver the server access logs of ${sources
      .map((source) => (sameResource(source, bucket) ? 'the bucket itself' : nameOf(source)))
      .join(', ')} to this bucket`;
    if (mayHaveObjectLock(bucket)) {
      const props = bucket.resource.Properties ?? {};
      findings.push({
        ruleId: ACCESS_LOG_DESTINATION,
        resource: bucket,
        location:
          props.ObjectLockEnabled !== undefined
            ? 'Properties/ObjectLockEnabled'
            : 'Properties/ObjectLockConfiguration',
        message:
          `${logs}: it has Object Lock enabled, and "S3 buckets with Object Lock can't be used as destination buckets ` +
          `for server access logs" (S3 user guide, Object Lock considerations). Log to a bucket without Object Lock.`,
      });
    }
    for (const { algorithm, location } of defaultAlgorithms(bucket, assembly)) {
      if (algorithm === SSE_S3) continue;
      findings.push({
        ruleId: ACCESS_LOG_DESTINATION,
        resource: bucket,
        location,
        message:
          `${logs}: its default encryption is ${algorithm}${ALGORITHM_NAMES[algorithm] ? ` (${ALGORITHM_NAMES[algorithm]})` : ''}, ` +
          'and a destination bucket may use default encryption "only if you use server-side encryption with Amazon S3 ' +
          'managed keys (SSE-S3)" (S3 user guide, Enabling Amazon S3 server access logging). Use SSE-S3 (AES256).',
      });
    }
  }
  return findings;
}

export const accessLogDestination: FactoryRule = {
  id: ACCESS_LOG_DESTINATION,
  documentation: DOCUMENTATION,
  check: checkAccessLogDestination,
};
