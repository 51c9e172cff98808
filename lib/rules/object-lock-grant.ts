import { type Assembly, nameOf, type ResourceInStack, resourcesOfType } from './support/assembly';
import type { FactoryRule, Finding } from './support/finding';
import { isObject, referencedResources, renderText, resolveResource } from './support/intrinsics';
import { asArray, grantingPatterns, type Statement, statementsOf } from './support/policy';
import { bucketsNamed, mayHaveObjectLock } from './support/s3';

export const OBJECT_LOCK_GRANT = 'Factory-ObjectLockGrant';

/**
 * S3 Object Lock actions ("Object Lock considerations": permissions for retention, legal holds,
 * bypassing governance mode and the bucket's default retention,
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html): a principal
 * with them can lock object versions against deletion, or undo a governance lock.
 * aws-cdk-lib's `bucket.grantPut` / `grantReadWrite` / `grantWrite` include the first two
 * (`s3:PutObjectLegalHold`, `s3:PutObjectRetention`), so every writer the platform wires up with
 * them could lock the data it writes.
 */
const OBJECT_ACTIONS: Record<string, string> = {
  's3:PutObjectRetention':
    'put a retention on object versions (in compliance mode nobody, root included, can shorten or remove it)',
  's3:PutObjectLegalHold': 'put legal holds that keep object versions from being deleted until removed',
  's3:BypassGovernanceRetention': 'delete or overwrite object versions under governance-mode retention',
};
/**
 * Changing the bucket's default retention is for Object Lock administrators only. The same
 * action turns Object Lock on for a bucket that has none ("Configuring S3 Object Lock": "You can
 * enable Object Lock for an existing S3 bucket by using the Amazon S3 console, the AWS CLI, AWS
 * SDKs, or Amazon S3 REST API"), so it is reported on any bucket, locked or not.
 */
const BUCKET_ACTION = 's3:PutBucketObjectLockConfiguration';
const BUCKET_ACTION_EFFECT = "change the bucket's default retention for every new object version";

export interface ObjectLockGrantOptions {
  /**
   * Roles (`Stack/LogicalId`) that administer Object Lock and may hold
   * `s3:PutBucketObjectLockConfiguration`. The platform's administrators are roles outside the app
   * (`security.adminRoleArns`), which get no policy from it, so the default is none.
   * @default none
   */
  readonly adminRoles?: readonly string[];
}

interface PolicySource {
  readonly owner: ResourceInStack;
  readonly location: string;
  readonly document: unknown;
  /** Who the policy applies to, as the message names them. */
  readonly principals: readonly ResourceInStack[];
  readonly principalText: string;
}

/** `role Stack/LogicalId`, `user ...`, `group ...`. */
const identityName = (identity: ResourceInStack) =>
  `${identity.resource.Type.replace('AWS::IAM::', '').toLowerCase()} ${nameOf(identity)}`;

function policySources(assembly: Assembly): PolicySource[] {
  const sources: PolicySource[] = [];
  const attached = (owner: ResourceInStack, keys: readonly string[]) => {
    const refs = keys.flatMap((k) => asArray(owner.resource.Properties?.[k] as unknown[]));
    const principals = refs.flatMap((r) => resolveResource(r, owner.stack, assembly) ?? []);
    const text = refs.map((r) => {
      const resolved = resolveResource(r, owner.stack, assembly);
      return resolved ? identityName(resolved) : renderText(r, owner.stack, assembly);
    });
    return { principals, principalText: text.join(', ') || 'its principals' };
  };
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const policy of resourcesOfType(assembly, type)) {
      sources.push({
        owner: policy,
        location: 'Properties/PolicyDocument',
        document: policy.resource.Properties?.PolicyDocument,
        ...attached(policy, ['Roles', 'Users', 'Groups']),
      });
    }
  }
  for (const type of ['AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group']) {
    for (const identity of resourcesOfType(assembly, type)) {
      asArray(identity.resource.Properties?.Policies as unknown[]).forEach((inline, i) => {
        if (!isObject(inline)) return;
        sources.push({
          owner: identity,
          location: `Properties/Policies/${i}/PolicyDocument`,
          document: inline.PolicyDocument,
          principals: [identity],
          principalText: identityName(identity),
        });
      });
    }
  }
  for (const policy of resourcesOfType(assembly, 'AWS::S3::BucketPolicy')) {
    sources.push({
      owner: policy,
      location: 'Properties/PolicyDocument',
      document: policy.resource.Properties?.PolicyDocument,
      principals: [],
      principalText: 'the principals of its statements',
    });
  }
  return sources;
}

/** `arn:<partition>:s3:::<bucket>` or `.../<key>`: the bucket name, if it is spelled out (no wildcard, no placeholder). */
const S3_ARN = /^arn:(?:\$\{[^}]*\}|[^:]*):s3:::([^/*?$]+)(?:\/.*)?$/;

/**
 * Whether an object lock action granted on this `Resource` entry can take effect on a bucket
 * with Object Lock. S3 refuses retention and legal holds where the bucket has no Object Lock
 * ("Configuring S3 Object Lock": "Before you lock any objects, you must enable S3 Versioning and
 * Object Lock on a general purpose bucket"), so a grant on buckets of the assembly that have
 * none locks nothing. Only that is exempt: a reference to anything but such buckets, `*`, a
 * wildcard ARN (`arn:aws:s3:::*`), a parameter, or the ARN of a bucket outside the assembly
 * (whose lock the assembly cannot tell) can reach a locked bucket.
 */
function mayReachLockedBucket(resource: unknown, source: PolicySource, assembly: Assembly): boolean {
  const referenced = referencedResources(resource, source.owner.stack, assembly);
  if (referenced.length > 0) {
    return !referenced.every((r) => r.resource.Type === 'AWS::S3::Bucket' && !mayHaveObjectLock(r));
  }
  const name = S3_ARN.exec(renderText(resource, source.owner.stack, assembly))?.[1];
  const named = name === undefined ? [] : bucketsNamed(name, assembly);
  return named.length !== 1 || mayHaveObjectLock(named[0]);
}

/**
 * The resources (as text) of a statement on which it grants `action` with effect: for the
 * object actions, those that may reach a bucket with Object Lock; for the bucket action, all of
 * them. A `NotResource` statement covers every resource but the named ones, unknown ones included.
 */
function reachedResources(
  statement: Statement,
  action: string,
  source: PolicySource,
  assembly: Assembly,
): string[] {
  const render = (r: unknown) => renderText(r, source.owner.stack, assembly);
  if (statement.NotResource !== undefined) {
    return [`NotResource ${asArray(statement.NotResource).map(render).join(', ')}`];
  }
  const resources = asArray(statement.Resource);
  if (resources.length === 0) return ['*'];
  const reached =
    action === BUCKET_ACTION ? resources : resources.filter((r) => mayReachLockedBucket(r, source, assembly));
  return reached.map(render);
}

/**
 * No Allow statement of an IAM policy (standalone, managed, or inline in a role, user or group) or
 * bucket policy grants an Object Lock action, by name or through a wildcard (`s3:PutObject*`,
 * `s3:Put*`, `s3:*`, `*`, or a `NotAction` that leaves them in). CDK's auto-delete-objects
 * provider needs none of them (its bucket-policy statement is `s3:PutBucketPolicy`,
 * `s3:GetBucket*`, `s3:List*`, `s3:DeleteObject*`), so it needs no exception.
 *
 * The object actions are reported only where they can reach a bucket with Object Lock (see
 * `mayReachLockedBucket`): aws-cdk-lib grants them with every `grantReadWrite`, also on buckets
 * that deliberately have no lock (the pipeline's artifact bucket, which CDK Pipelines grants its
 * pipeline, source and synth roles read/write on), where S3 refuses them and they lock nothing.
 * Every grant on the platform's data buckets, which all have Object Lock, is still reported, as is
 * every grant on `*`, a wildcard, or a bucket the assembly does not declare.
 */
export function checkObjectLockGrant(assembly: Assembly, options: ObjectLockGrantOptions = {}): Finding[] {
  const admins = new Set(options.adminRoles ?? []);
  const findings: Finding[] = [];
  for (const source of policySources(assembly)) {
    const forAdminsOnly =
      source.principals.length > 0 && source.principals.every((p) => admins.has(nameOf(p)));
    const checked = forAdminsOnly
      ? Object.keys(OBJECT_ACTIONS)
      : [...Object.keys(OBJECT_ACTIONS), BUCKET_ACTION];
    const granted = new Map<string, Set<string>>();
    const resources = new Set<string>();
    for (const statement of statementsOf(source.document)) {
      for (const action of checked) {
        const patterns = grantingPatterns(statement, action);
        if (patterns.length === 0) continue;
        const reached = reachedResources(statement, action, source, assembly);
        if (reached.length === 0) continue;
        const via = granted.get(action) ?? new Set<string>();
        patterns.forEach((p) => via.add(p));
        granted.set(action, via);
        reached.forEach((r) => resources.add(r));
      }
    }
    if (granted.size === 0) continue;
    const grants = [...granted].map(([action, via]) =>
      via.has(action) ? action : `${action} (through ${[...via].join(', ')})`,
    );
    const effects = [...granted.keys()].map((action) => OBJECT_ACTIONS[action] ?? BUCKET_ACTION_EFFECT);
    findings.push({
      ruleId: OBJECT_LOCK_GRANT,
      resource: source.owner,
      location: source.location,
      message:
        `S3 will let ${source.principalText} ${effects.join('; ')} on ${[...resources].join(', ') || '*'}: ` +
        `it grants ${grants.join(', ')}, and a locked version blocks emptying and deleting the bucket until the lock ends.`,
    });
  }
  return findings;
}

export function objectLockGrant(options: ObjectLockGrantOptions = {}): FactoryRule {
  return {
    id: OBJECT_LOCK_GRANT,
    documentation: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html',
    check: (assembly) => checkObjectLockGrant(assembly, options),
  };
}
