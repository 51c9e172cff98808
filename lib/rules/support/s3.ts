import { type Assembly, type ResourceInStack, resourcesOfType, type StackTemplate } from './assembly';
import { isObject, renderText, resolveResource } from './intrinsics';

const BUCKET = 'AWS::S3::Bucket';

/**
 * Whether a bucket of the assembly has, or may have, Object Lock: `ObjectLockEnabled` set to
 * anything but a literal false, or an `ObjectLockConfiguration` that says `Enabled`. A value only
 * CloudFormation knows (a parameter, a condition) counts as enabled, so rules that rely on a
 * bucket having no lock do not pass on a guess.
 */
export function mayHaveObjectLock(bucket: ResourceInStack): boolean {
  const props = bucket.resource.Properties ?? {};
  const enabled = props.ObjectLockEnabled;
  if (enabled !== undefined && enabled !== false && enabled !== 'false') return true;
  const configuration = props.ObjectLockConfiguration;
  return isObject(configuration) && configuration.ObjectLockEnabled !== undefined;
}

/** The buckets of the assembly whose `BucketName` renders to exactly `name`. */
export function bucketsNamed(name: string, assembly: Assembly): ResourceInStack[] {
  return resourcesOfType(assembly, BUCKET).filter((bucket) => {
    const declared = bucket.resource.Properties?.BucketName;
    return declared !== undefined && renderText(declared, bucket.stack, assembly) === name;
  });
}

/**
 * The bucket of the assembly that a bucket-name value names: a `Ref` / `Fn::GetAtt` (or an
 * imported or cross-stack output holding one) to an `AWS::S3::Bucket`, or a name (literal, or
 * built with `Fn::Join` / `Fn::Sub`) equal to the `BucketName` of exactly one bucket. Undefined
 * for a bucket outside the assembly.
 */
export function resolveBucket(
  value: unknown,
  stack: StackTemplate,
  assembly: Assembly,
): ResourceInStack | undefined {
  const resolved = resolveResource(value, stack, assembly);
  if (resolved) return resolved.resource.Type === BUCKET ? resolved : undefined;
  const named = bucketsNamed(renderText(value, stack, assembly), assembly);
  return named.length === 1 ? named[0] : undefined;
}
