import {
  type Assembly,
  nameOf,
  type ResourceInStack,
  resourcesOfType,
  sameResource,
} from './support/assembly';
import type { FactoryRule, Finding } from './support/finding';
import { isObject, referencedResources, resolveResource } from './support/intrinsics';
import {
  allowsAction,
  asArray,
  awsPrincipals,
  type ConditionEntry,
  conditionsOf,
  isAnyPrincipal,
  servicePrincipals,
  type Statement,
  statementsOf,
} from './support/policy';

export const KMS_SERVICE_PRINCIPAL = 'Factory-KmsServicePrincipal';

/**
 * What one AWS service needs from a key policy to use a customer managed key for a resource.
 * Only Allow statements naming the service (or, for the Auto Scaling service-linked role, that
 * role) count. The account-root statement CDK writes into every key policy (`arn:...:root` with
 * `kms:*`) does not: it lets IAM policies of the account grant use of the key, and a service
 * principal has no IAM policy, so it grants AWS services nothing.
 */
interface ServiceNeed {
  /** How the message names the principal. */
  readonly principal: string;
  readonly matches: (statement: Statement, key: ResourceInStack, assembly: Assembly) => boolean;
  /** Concrete actions; a statement grants one through a pattern such as `kms:GenerateDataKey*`. */
  readonly actions: readonly string[];
  /** Conditions under which the service's own requests are refused, so such a statement does not count. */
  readonly refuses?: (condition: ConditionEntry) => boolean;
  /** What AWS will do when the key policy lacks the statement. */
  readonly consequence: string;
  /** Another way an action is allowed than a key-policy statement naming the principal. */
  readonly allowedElsewhere?: (action: string, key: ResourceInStack, assembly: Assembly) => boolean;
  /** The message's account of what is missing, when it is not simply the key policy. */
  readonly explain?: (key: ResourceInStack, missing: readonly string[]) => string;
}

const service =
  (pattern: RegExp) =>
  (statement: Statement, key: ResourceInStack, assembly: Assembly): boolean =>
    servicePrincipals(statement, key.stack, assembly).some((principal) => pattern.test(principal));

/**
 * CloudTrail: "Configure AWS KMS key policies for CloudTrail", required sections "Granting
 * encrypt permissions for trails" (`kms:GenerateDataKey*` for `cloudtrail.amazonaws.com`) and
 * "Enable CloudTrail to describe KMS key properties" (`kms:DescribeKey`).
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html
 */
const CLOUDTRAIL: ServiceNeed = {
  principal: 'cloudtrail.amazonaws.com',
  matches: service(/^cloudtrail\.amazonaws\.com$/),
  actions: ['kms:GenerateDataKey', 'kms:DescribeKey'],
  consequence:
    'CloudTrail will refuse the trail (InsufficientEncryptionPolicyException) and the stack fails to create',
};

/**
 * CloudWatch Logs: "Encrypt log data in CloudWatch Logs using AWS KMS", step "Set permissions
 * on the key": principal `logs.<region>.amazonaws.com` with `kms:Encrypt*`, `kms:Decrypt*`,
 * `kms:ReEncrypt*`, `kms:GenerateDataKey*`, `kms:Describe*`.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
 * The statement's `kms:EncryptionContext:aws:logs:arn` pattern is not matched against the log
 * group's ARN (a key of one account and region serving its own log groups is the house shape).
 */
const LOGS: ServiceNeed = {
  principal: 'logs.<region>.amazonaws.com',
  matches: service(/^logs\.[^.]+\.amazonaws\.com(\.cn)?$/),
  actions: [
    'kms:Encrypt',
    'kms:Decrypt',
    'kms:ReEncryptFrom',
    'kms:ReEncryptTo',
    'kms:GenerateDataKey',
    'kms:DescribeKey',
  ],
  consequence:
    'CloudWatch Logs will refuse to associate the key (AccessDeniedException) and the log group fails to create',
};

/**
 * The source-scoping keys that AWS documents as unsupported for EventBridge-to-encrypted-topic
 * delivery: "Adding the aws:SourceAccount and aws:SourceArn to a AWS KMS policy is not supported
 * for EventBridge-to-encrypted topics" (Amazon SNS Developer Guide, "Key management",
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services,
 * as quoted in awslabs/landing-zone-accelerator-on-aws#407, where exactly that statement dropped
 * every notification). The organization keys are treated the same way, since the request carries
 * no source at all. Scope the statement with `kms:EncryptionContext:aws:sns:topicArn` instead, or
 * deliver with a target role (see `throughRole`).
 */
const SOURCE_KEYS = /^aws:source(arn|account|orgid|orgpaths)$/i;

/**
 * SNS topics encrypted with a customer managed key and published to by an AWS service: "Enable
 * compatibility between event sources from AWS services and encrypted topics" asks for
 * `kms:GenerateDataKey*` and `kms:Decrypt` for the service principal (CloudWatch:
 * `cloudwatch.amazonaws.com`, EventBridge: `events.amazonaws.com`, S3: `s3.amazonaws.com`).
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
 */
const topicPublisher = (
  principal: string,
  consequence: string,
  refuses?: ServiceNeed['refuses'],
): ServiceNeed => ({
  principal,
  matches: service(new RegExp(`^${principal.replace(/\./g, '\\.')}$`)),
  actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
  refuses,
  consequence,
});
const ALARMS_TO_TOPIC = topicPublisher(
  'cloudwatch.amazonaws.com',
  'CloudWatch will fail to publish the alarm notifications (KMS access denied), so alarms change state without telling anyone',
);
const EVENTS_TO_TOPIC = topicPublisher(
  'events.amazonaws.com',
  'EventBridge will fail every delivery to the topic (FailedInvocations), so the notifications are dropped',
  (condition) => SOURCE_KEYS.test(condition.key),
);
const S3_TO_TOPIC = topicPublisher(
  's3.amazonaws.com',
  'S3 will fail to publish the bucket notifications to the topic',
);

/**
 * SQS queues encrypted with a customer managed key that an AWS service sends to: "Configure KMS
 * permissions for AWS services" asks for `kms:GenerateDataKey` and `kms:Decrypt` for the event
 * source's service principal (EventBridge targets and target dead-letter queues, S3, SNS).
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html#compatibility-with-aws-services
 * A Lambda asynchronous-invocation destination (`AWS::Lambda::EventInvokeConfig`) or function DLQ
 * needs no key-policy statement: Lambda sends with the function's execution role ("Capturing
 * records of Lambda asynchronous invocations", execution-role permissions), which IAM grants.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
 */
const queueSender = (principal: string, consequence: string): ServiceNeed => ({
  ...topicPublisher(principal, consequence),
  consequence,
});
const EVENTS_TO_QUEUE = queueSender(
  'events.amazonaws.com',
  'EventBridge will fail every delivery to the queue (FailedInvocations), so the events are lost',
);
const EVENTS_TO_DEAD_LETTERS = queueSender(
  'events.amazonaws.com',
  'EventBridge cannot write undeliverable events to this dead-letter queue, so they are lost',
);
const S3_TO_QUEUE = queueSender(
  's3.amazonaws.com',
  'S3 will fail to deliver the bucket notifications to the queue',
);
const SNS_TO_QUEUE = queueSender(
  'sns.amazonaws.com',
  'SNS will fail to deliver the subscription messages to the queue',
);

/** The account root (`arn:...:iam::<account>:root`, or the bare account id) as a key-policy principal. */
const ACCOUNT_ROOT =
  /^(arn:(?:\$\{[^}]*\}|[^:$])*:iam::(?:\$\{[^}]*\}|[^:$])*:root|\$\{AWS::AccountId\}|\d{12})$/;

/** Whether the key policy lets IAM policies of its account grant the action (the root statement). */
function delegatesToIam(key: ResourceInStack, action: string, assembly: Assembly): boolean {
  return statementsOf(key.resource.Properties?.KeyPolicy).some(
    (s) =>
      allowsAction(s, action) &&
      s.Condition === undefined &&
      awsPrincipals(s, key.stack, assembly).some((p) => ACCOUNT_ROOT.test(p)),
  );
}

/** The policy documents that apply to a role: its inline policies, and policies naming it. */
function rolePolicyDocuments(
  role: ResourceInStack,
  assembly: Assembly,
): { owner: ResourceInStack; document: unknown }[] {
  const inline = asArray(role.resource.Properties?.Policies as unknown[])
    .filter(isObject)
    .map((policy) => ({ owner: role, document: policy.PolicyDocument }));
  const managedArns = asArray(role.resource.Properties?.ManagedPolicyArns as unknown[]);
  const attached = ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'].flatMap((type) =>
    resourcesOfType(assembly, type)
      .filter(
        (policy) =>
          asArray(policy.resource.Properties?.Roles as unknown[]).some((ref) => {
            const target = resolveResource(ref, policy.stack, assembly);
            return target !== undefined && sameResource(target, role);
          }) ||
          managedArns.some((arn) => {
            const target = resolveResource(arn, role.stack, assembly);
            return target !== undefined && sameResource(target, policy);
          }),
      )
      .map((policy) => ({ owner: policy, document: policy.resource.Properties?.PolicyDocument })),
  );
  return [...inline, ...attached];
}

/** Whether an IAM policy of the role allows the action on the key (or on every key). */
function roleAllows(
  role: ResourceInStack,
  key: ResourceInStack,
  action: string,
  assembly: Assembly,
): boolean {
  return rolePolicyDocuments(role, assembly).some(({ owner, document }) =>
    statementsOf(document).some(
      (s) =>
        allowsAction(s, action) &&
        asArray(s.Resource).some((resource) => {
          if (resource === '*') return true;
          const target = resolveResource(resource, owner.stack, assembly);
          return target !== undefined && sameResource(target, key);
        }),
    ),
  );
}

/**
 * An EventBridge target with a `RoleArn` is delivered with that role's credentials, not as the
 * `events.amazonaws.com` service ("Using resource-based policies for Amazon EventBridge": for
 * Lambda, SNS and SQS targets EventBridge can use an IAM execution role or the target's
 * resource-based policy, https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html).
 * Then the key must admit the role: by naming it, or by delegating to IAM (the account-root
 * statement) with the role's own policies allowing the actions on the key.
 */
function throughRole(need: ServiceNeed, role: ResourceInStack): ServiceNeed {
  return {
    principal: `role ${nameOf(role)} (the target's RoleArn)`,
    matches: (statement, key, assembly) =>
      asArray((statement.Principal as Record<string, unknown> | undefined)?.AWS).some((value) => {
        const target = resolveResource(value, key.stack, assembly);
        return target !== undefined && sameResource(target, role);
      }),
    actions: need.actions,
    consequence: need.consequence,
    allowedElsewhere: (action, key, assembly) =>
      delegatesToIam(key, action, assembly) && roleAllows(role, key, action, assembly),
    explain: (key, missing) =>
      `neither the key policy of ${nameOf(key)} nor the IAM policies of role ${nameOf(role)} (the target's RoleArn, ` +
      `which the key policy must delegate to) allow ${missing.join(', ')}`,
  };
}

/**
 * EC2 Auto Scaling (AWS Batch runs managed EC2 compute environments on Auto Scaling groups:
 * "Use Amazon EC2 launch templates with AWS Batch", https://docs.aws.amazon.com/batch/latest/userguide/launch-templates.html)
 * launches instances with its service-linked role, which has no access to customer managed keys:
 * "Required AWS KMS key policy for use with encrypted volumes" asks for `kms:Encrypt`,
 * `kms:Decrypt`, `kms:ReEncrypt*`, `kms:GenerateDataKey*`, `kms:DescribeKey` and `kms:CreateGrant`
 * (with `kms:GrantIsForAWSResource`) for `AWSServiceRoleForAutoScaling`, named as principal.
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html
 * `Principal: "*"` with an `aws:PrincipalArn` condition naming (or matching) that role counts too.
 */
/** One ARN field: text without colons, or placeholders such as `${AWS::Partition}` (which contain them). */
const ARN_FIELD = String.raw`(?:\$\{[^}]*\}|[^:$])*`;
const AUTOSCALING_ROLE = new RegExp(
  String.raw`^arn:${ARN_FIELD}:iam::${ARN_FIELD}:role/aws-service-role/autoscaling\.amazonaws\.com/AWSServiceRoleForAutoScaling(_[\w+=,.@-]+)?$`,
);
const SAMPLE_AUTOSCALING_ROLE =
  'arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling';

function globMatches(pattern: string, text: string): boolean {
  // Placeholders for account, partition and region match anything, like a wildcard.
  const regex = pattern
    .replace(/\$\{[^}]*\}/g, '*')
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${regex}$`).test(text);
}

const AUTOSCALING_LAUNCH: ServiceNeed = {
  principal: 'the AWSServiceRoleForAutoScaling service-linked role',
  matches: (statement, key, assembly) => {
    if (awsPrincipals(statement, key.stack, assembly).some((arn) => AUTOSCALING_ROLE.test(arn))) return true;
    return (
      isAnyPrincipal(statement, key.stack, assembly) &&
      conditionsOf(statement, key.stack, assembly).some(
        (c) =>
          /^aws:principalarn$/i.test(c.key) &&
          !/not/i.test(c.operator) &&
          c.values.some((v) => AUTOSCALING_ROLE.test(v) || globMatches(v, SAMPLE_AUTOSCALING_ROLE)),
      )
    );
  },
  actions: [
    'kms:Encrypt',
    'kms:Decrypt',
    'kms:ReEncryptFrom',
    'kms:ReEncryptTo',
    'kms:GenerateDataKeyWithoutPlaintext',
    'kms:DescribeKey',
    'kms:CreateGrant',
  ],
  consequence:
    'EC2 Auto Scaling will fail to launch instances with the encrypted volume (Client.InternalError: Client error on launch), so the capacity never comes up',
};

interface KeyUse {
  readonly consumer: ResourceInStack;
  readonly location: string;
  readonly keyValue: unknown;
  readonly need: ServiceNeed;
  /** Who makes the service use the key (the rule, alarm or compute environment), for the message. */
  readonly via?: string;
}

/** Keys are given as key ARN, key id or alias; an alias defined in the app leads to its key. */
function resolveKey(use: KeyUse, assembly: Assembly): ResourceInStack | undefined {
  const target = resolveResource(use.keyValue, use.consumer.stack, assembly);
  if (target?.resource.Type === 'AWS::KMS::Alias') {
    return resolveResource(target.resource.Properties?.TargetKeyId, target.stack, assembly);
  }
  return target?.resource.Type === 'AWS::KMS::Key' ? target : undefined;
}

/** Who publishes to or sends to each topic and queue, found from the publishers' side. */
function senders(assembly: Assembly): { target: ResourceInStack; need: ServiceNeed; via: string }[] {
  const found: { target: ResourceInStack; need: ServiceNeed; via: string }[] = [];
  const add = (value: unknown, from: ResourceInStack, need: (type: string) => ServiceNeed | undefined) => {
    const target = resolveResource(value, from.stack, assembly);
    const chosen = target && need(target.resource.Type);
    if (target && chosen) found.push({ target, need: chosen, via: nameOf(from) });
  };
  for (const rule of resourcesOfType(assembly, 'AWS::Events::Rule')) {
    for (const target of asArray(rule.resource.Properties?.Targets as unknown[])) {
      if (!isObject(target)) continue;
      const role = resolveResource(target.RoleArn, rule.stack, assembly);
      const asRole = (need: ServiceNeed) =>
        role?.resource.Type === 'AWS::IAM::Role' ? throughRole(need, role) : need;
      add(target.Arn, rule, (type) =>
        type === 'AWS::SNS::Topic'
          ? asRole(EVENTS_TO_TOPIC)
          : type === 'AWS::SQS::Queue'
            ? asRole(EVENTS_TO_QUEUE)
            : undefined,
      );
      if (isObject(target.DeadLetterConfig)) {
        add(target.DeadLetterConfig.Arn, rule, (type) =>
          type === 'AWS::SQS::Queue' ? EVENTS_TO_DEAD_LETTERS : undefined,
        );
      }
    }
  }
  for (const alarm of resourcesOfType(assembly, 'AWS::CloudWatch::Alarm')) {
    const props = alarm.resource.Properties ?? {};
    for (const action of ['AlarmActions', 'OKActions', 'InsufficientDataActions'].flatMap((k) =>
      asArray(props[k] as unknown[]),
    )) {
      add(action, alarm, (type) => (type === 'AWS::SNS::Topic' ? ALARMS_TO_TOPIC : undefined));
    }
  }
  const buckets = [
    ...resourcesOfType(assembly, 'AWS::S3::Bucket'),
    ...resourcesOfType(assembly, 'Custom::S3BucketNotifications'),
  ];
  for (const bucket of buckets) {
    const config = bucket.resource.Properties?.NotificationConfiguration;
    if (!isObject(config)) continue;
    for (const topic of asArray(config.TopicConfigurations as unknown[]).filter(isObject)) {
      add(topic.Topic ?? topic.TopicArn, bucket, (type) =>
        type === 'AWS::SNS::Topic' ? S3_TO_TOPIC : undefined,
      );
    }
    for (const queue of asArray(config.QueueConfigurations as unknown[]).filter(isObject)) {
      add(queue.Queue ?? queue.QueueArn, bucket, (type) =>
        type === 'AWS::SQS::Queue' ? S3_TO_QUEUE : undefined,
      );
    }
  }
  for (const subscription of resourcesOfType(assembly, 'AWS::SNS::Subscription')) {
    const props = subscription.resource.Properties ?? {};
    if (props.Protocol !== 'sqs') continue;
    add(props.Endpoint, subscription, (type) => (type === 'AWS::SQS::Queue' ? SNS_TO_QUEUE : undefined));
  }
  return found;
}

/** Launch templates an Auto Scaling group or a Batch compute environment launches from. */
function autoScaledLaunchTemplates(assembly: Assembly): { template: ResourceInStack; via: string }[] {
  const users = [
    ...resourcesOfType(assembly, 'AWS::Batch::ComputeEnvironment').map((ce) => ({
      user: ce,
      spec: (ce.resource.Properties?.ComputeResources as Record<string, unknown> | undefined)?.LaunchTemplate,
    })),
    ...resourcesOfType(assembly, 'AWS::AutoScaling::AutoScalingGroup').map((asg) => ({
      user: asg,
      spec: [asg.resource.Properties?.LaunchTemplate, asg.resource.Properties?.MixedInstancesPolicy],
    })),
  ];
  return users.flatMap(({ user, spec }) =>
    referencedResources(spec, user.stack, assembly)
      .filter((r) => r.resource.Type === 'AWS::EC2::LaunchTemplate')
      .map((template) => ({ template, via: nameOf(user) })),
  );
}

function keyUses(assembly: Assembly): KeyUse[] {
  const uses: KeyUse[] = [];
  for (const trail of resourcesOfType(assembly, 'AWS::CloudTrail::Trail')) {
    const keyValue = trail.resource.Properties?.KMSKeyId;
    if (keyValue) uses.push({ consumer: trail, location: 'Properties/KMSKeyId', keyValue, need: CLOUDTRAIL });
  }
  for (const group of resourcesOfType(assembly, 'AWS::Logs::LogGroup')) {
    const keyValue = group.resource.Properties?.KmsKeyId;
    if (keyValue) uses.push({ consumer: group, location: 'Properties/KmsKeyId', keyValue, need: LOGS });
  }
  const sent = senders(assembly);
  for (const type of ['AWS::SNS::Topic', 'AWS::SQS::Queue']) {
    for (const target of resourcesOfType(assembly, type)) {
      const keyValue = target.resource.Properties?.KmsMasterKeyId;
      if (!keyValue) continue;
      for (const { need, via } of sent.filter((s) => sameResource(s.target, target))) {
        uses.push({ consumer: target, location: 'Properties/KmsMasterKeyId', keyValue, need, via });
      }
    }
  }
  for (const { template, via } of autoScaledLaunchTemplates(assembly)) {
    const data = template.resource.Properties?.LaunchTemplateData;
    if (!isObject(data)) continue;
    asArray(data.BlockDeviceMappings as unknown[]).forEach((mapping, index) => {
      const keyValue = isObject(mapping) && isObject(mapping.Ebs) ? mapping.Ebs.KmsKeyId : undefined;
      if (!keyValue) return;
      uses.push({
        consumer: template,
        location: `Properties/LaunchTemplateData/BlockDeviceMappings/${index}/Ebs/KmsKeyId`,
        keyValue,
        need: AUTOSCALING_LAUNCH,
        via,
      });
    });
  }
  return uses;
}

/**
 * Every customer managed key that an AWS service uses for a resource of the app (trail, log group,
 * topic or queue an AWS service writes to, EBS volume Auto Scaling creates) must have a key-policy
 * statement for that service, wherever the key is defined: the key is followed through `Ref`,
 * `Fn::GetAtt`, `Fn::ImportValue` and `Fn::GetStackOutput` into the stack that declares it.
 * Keys not declared in the app (AWS managed keys, literal ARNs) are not checked. Deny statements
 * are not weighed.
 */
export function checkKmsServicePrincipal(assembly: Assembly): Finding[] {
  // One finding per resource and service need, naming every rule, alarm or environment behind it.
  const grouped = new Map<string, { use: KeyUse; vias: string[] }>();
  for (const use of keyUses(assembly)) {
    const id = `${nameOf(use.consumer)}|${use.location}|${use.need.principal}|${use.need.consequence}`;
    const group = grouped.get(id) ?? { use, vias: [] };
    if (use.via && !group.vias.includes(use.via)) group.vias.push(use.via);
    grouped.set(id, group);
  }
  const findings: Finding[] = [];
  for (const { use, vias } of grouped.values()) {
    const key = resolveKey(use, assembly);
    if (!key) continue;
    const statements = statementsOf(key.resource.Properties?.KeyPolicy).filter(
      (s) =>
        s.Effect === 'Allow' &&
        use.need.matches(s, key, assembly) &&
        !(use.need.refuses && conditionsOf(s, key.stack, assembly).some(use.need.refuses)),
    );
    const missing = use.need.actions.filter(
      (action) =>
        !statements.some((s) => allowsAction(s, action)) &&
        !use.need.allowedElsewhere?.(action, key, assembly),
    );
    if (missing.length === 0) continue;
    const via = vias.length > 0 ? ` (used through ${vias.join(', ')})` : '';
    const refused = use.need.refuses
      ? '; statements conditioned on aws:SourceArn/aws:SourceAccount do not count, EventBridge requests do not carry them'
      : '';
    findings.push({
      ruleId: KMS_SERVICE_PRINCIPAL,
      resource: use.consumer,
      location: use.location,
      message: use.need.explain
        ? `${use.need.consequence}${via}: ${use.need.explain(key, missing)}.`
        : `${use.need.consequence}${via}: the key policy of ${nameOf(key)} does not allow ` +
          `${use.need.principal} ${missing.join(', ')}${refused}.`,
    });
  }
  return findings;
}

export const kmsServicePrincipal: FactoryRule = {
  id: KMS_SERVICE_PRINCIPAL,
  documentation: 'https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-services.html',
  check: checkKmsServicePrincipal,
};
