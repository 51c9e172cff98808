import { type Assembly, type ResourceInStack, resourcesOfType } from './support/assembly';
import type { FactoryRule, Finding } from './support/finding';
import { renderText } from './support/intrinsics';
import {
  actionMatches,
  asArray,
  type ConditionEntry,
  conditionsOf,
  servicePrincipals,
  type Statement,
  statementsOf,
} from './support/policy';

export const SERVICE_PRINCIPAL_SOURCE_CONDITION = 'Factory-ServicePrincipalSourceCondition';

/**
 * Keys that tie a service principal's request to the resource (or account, or organization) it
 * acts for, so the service cannot be used as a confused deputy by another customer's resource.
 * IAM, "The confused deputy problem", cross-service confused deputy prevention:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
 * - `aws:SourceArn`: the ARN of the resource the service acts for;
 * - `aws:SourceAccount`: the account that owns that resource;
 * - `aws:SourceOrgID`, `aws:SourceOrgPaths`: the organization (path) of that account.
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceorgid
 */
const GLOBAL_SOURCE_KEYS = /^aws:source(arn|account|orgid|orgpaths)$/i;

/**
 * In key policies, also the KMS condition keys ("AWS KMS condition keys",
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html):
 * - `kms:EncryptionContext:<key>`: the service must present the encryption context it binds to
 *   the resource (CloudWatch Logs `aws:logs:arn`, SNS `aws:sns:topicArn`), which names it;
 * - `kms:ViaService`: only requests that the named service makes on a caller's behalf;
 * - `kms:CallerAccount`: only callers of the named account.
 * For EventBridge publishing to an encrypted SNS topic, `aws:SourceArn` / `aws:SourceAccount` are
 * not supported in the key policy (Amazon SNS Developer Guide, "Key management"), so
 * `kms:EncryptionContext:aws:sns:topicArn` is the way to scope that statement.
 */
const KMS_SOURCE_KEYS = /^kms:(encryptioncontext:.+|viaservice|calleraccount)$/i;

/**
 * A condition constrains only if it is evaluated when the key is missing: `...IfExists`
 * operators and `ForAllValues:` pass a request without the key, and `Null` only tests presence.
 * ("IAM JSON policy elements: Condition operators", ...IfExists and Null checks,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html)
 */
function constrains(condition: ConditionEntry): boolean {
  return (
    !/IfExists$/i.test(condition.operator) &&
    !/^ForAllValues:/i.test(condition.operator) &&
    !/^Null$/i.test(condition.operator)
  );
}

interface ResourcePolicy {
  readonly owner: ResourceInStack;
  readonly location: string;
  readonly document: unknown;
  readonly kms: boolean;
}

const POLICY_PROPERTIES: Record<string, string> = {
  'AWS::KMS::Key': 'KeyPolicy',
  'AWS::SNS::TopicPolicy': 'PolicyDocument',
  'AWS::SQS::QueuePolicy': 'PolicyDocument',
  'AWS::S3::BucketPolicy': 'PolicyDocument',
};

function resourcePolicies(assembly: Assembly): ResourcePolicy[] {
  return Object.entries(POLICY_PROPERTIES).flatMap(([type, property]) =>
    resourcesOfType(assembly, type).map((owner) => ({
      owner,
      location: `Properties/${property}`,
      document: owner.resource.Properties?.[property],
      kms: type === 'AWS::KMS::Key',
    })),
  );
}

/**
 * The EventBridge User Guide, "Using resource-based policies for Amazon EventBridge", Amazon SNS
 * permissions: "You can't use Condition blocks in Amazon SNS topic policies for EventBridge."
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions
 * So a topic-policy statement that lets only EventBridge publish cannot carry a source condition
 * and is exempt; the topic's key policy statement for EventBridge can and must be scoped.
 */
function isEventBridgePublish(
  policy: ResourcePolicy,
  statement: Statement,
  services: readonly string[],
): boolean {
  return (
    policy.owner.resource.Type === 'AWS::SNS::TopicPolicy' &&
    services.every((s) => s === 'events.amazonaws.com') &&
    asArray(statement.Action as string | string[]).every((a) => actionMatches(a, 'sns:Publish'))
  );
}

/** `Principal` of a permission: a service when it is a service host name. */
const SERVICE = /\.amazonaws\.com(\.cn)?$/;

/**
 * Every Allow statement of a resource policy that names a service principal (key policies, topic,
 * queue and bucket policies) carries a source condition, and every `AWS::Lambda::Permission` for a
 * service carries `SourceArn` or `SourceAccount`. Deny statements need none: they only take away.
 * Role trust policies (`AssumeRolePolicyDocument`) are out of scope of this rule: a service can
 * assume a service role only after a principal of the account passes the role to it
 * (`iam:PassRole`, which the account's IAM policies control), and several services (EC2 for
 * instance profiles, Lambda, ECS tasks) set no source keys on `sts:AssumeRole`, so a trust-policy
 * source condition cannot be required across the board.
 */
export function checkServicePrincipalSourceCondition(assembly: Assembly): Finding[] {
  const findings: Finding[] = [];
  for (const policy of resourcePolicies(assembly)) {
    statementsOf(policy.document).forEach((statement, index) => {
      if (statement.Effect !== 'Allow') return;
      const services = servicePrincipals(statement, policy.owner.stack, assembly);
      if (services.length === 0 || isEventBridgePublish(policy, statement, services)) return;
      const accepted = (c: ConditionEntry) =>
        constrains(c) && (GLOBAL_SOURCE_KEYS.test(c.key) || (policy.kms && KMS_SOURCE_KEYS.test(c.key)));
      if (conditionsOf(statement, policy.owner.stack, assembly).some(accepted)) return;
      const name = statement.Sid ? `statement ${statement.Sid}` : `statement ${index}`;
      const keys = policy.kms
        ? 'aws:SourceArn, aws:SourceAccount, aws:SourceOrgID, aws:SourceOrgPaths, kms:EncryptionContext:*, kms:ViaService or kms:CallerAccount'
        : 'aws:SourceArn, aws:SourceAccount, aws:SourceOrgID or aws:SourceOrgPaths';
      findings.push({
        ruleId: SERVICE_PRINCIPAL_SOURCE_CONDITION,
        resource: policy.owner,
        location: `${policy.location}/Statement/${index}`,
        message:
          `AWS will let ${services.join(', ')} use this resource on behalf of any account's resources (confused deputy): ` +
          `${name} allows ${asArray(statement.Action as string | string[]).join(', ') || 'NotAction'} with no ${keys} condition.`,
      });
    });
  }
  for (const permission of resourcesOfType(assembly, 'AWS::Lambda::Permission')) {
    const props = permission.resource.Properties ?? {};
    const principal = renderText(props.Principal, permission.stack, assembly);
    if (!SERVICE.test(principal) || props.SourceArn !== undefined || props.SourceAccount !== undefined)
      continue;
    findings.push({
      ruleId: SERVICE_PRINCIPAL_SOURCE_CONDITION,
      resource: permission,
      location: 'Properties',
      message: `Lambda will let ${principal} invoke the function on behalf of any account's resources (confused deputy): the permission has no SourceArn or SourceAccount.`,
    });
  }
  return findings;
}

export const servicePrincipalSourceCondition: FactoryRule = {
  id: SERVICE_PRINCIPAL_SOURCE_CONDITION,
  documentation: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html',
  check: checkServicePrincipalSourceCondition,
};
