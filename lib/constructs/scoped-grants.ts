import { IAspect, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import { IConstruct } from 'constructs';

/**
 * AwsSolutions-IAM5 flags every `*` in a policy. The platform's policies come from aws-cdk-lib
 * grant methods, whose wildcards have two harmless shapes: action groups of one access level
 * (`s3:GetObject*`, `kms:GenerateDataKey*`, ...) and object ARNs inside one of our buckets
 * (`<bucket ARN>/*`, `<bucket ARN>/clean/*`). This aspect acknowledges exactly those findings,
 * plus `Resource::*` where every action on `*` is one AWS does not scope by resource, and
 * IAMNoInlinePolicy on role default policies, which CDK attaches to exactly one role. Any other
 * wildcard (`s3:*`, `Resource::*` on a scopable action, a foreign bucket) still fails synth.
 */
const GRANT_ACTION_GROUPS: Record<string, string> = {
  's3:GetObject*':
    'read access to objects and their versions, tags and ACL reads, as granted by bucket.grantRead',
  's3:GetBucket*':
    'bucket metadata reads (location, versioning) needed by the SDK, as granted by bucket.grantRead',
  's3:List*':
    'listing the bucket (ListBucket, ListBucketVersions, multipart uploads), as granted by bucket.grantRead',
  's3:PutObject*': 'object writes including multipart parts and tags, as granted by bucket.grantPut',
  's3:Abort*':
    'aborting failed multipart uploads so no partial objects linger, as granted by bucket.grantPut',
  's3:DeleteObject*': 'deleting objects under the granted prefix, as granted by bucket.grantDelete',
  'kms:GenerateDataKey*':
    'SSE-KMS data keys for writes to the platform buckets and queue, limited to the platform key',
  'kms:ReEncrypt*': 'SSE-KMS re-encryption on copy, limited to the platform key',
};

/** Actions that AWS only authorizes on `*` (no resource-level permissions). */
const UNSCOPABLE_ACTIONS = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'ecr:GetAuthorizationToken',
  'cloudwatch:PutMetricData',
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DeleteNetworkInterface',
  'ec2:DescribeVpcs',
  'ec2:DescribeSubnets',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeDhcpOptions',
  'ec2:DescribeInstanceTypes',
  'ec2:CreateNetworkInterfacePermission',
  'ec2:DeleteNetworkInterfacePermission',
  'batch:DescribeJobs',
  'batch:SubmitJob',
  'batch:TerminateJob',
  'events:PutTargets',
  'events:PutRule',
  'events:DescribeRule',
  'sagemaker:ListTrainingJobs',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
]);

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

export class AcknowledgeScopedGrants implements IAspect {
  /** @param bucketLogicalIds logical ids of the platform's buckets */
  constructor(private readonly bucketLogicalIds: readonly string[]) {}

  /** A flattened ARN (as cdk-nag prints it) that refers to one of the platform's buckets. */
  private isPlatformBucket(flattenedArn: string): boolean {
    return this.bucketLogicalIds.some(
      (id) => flattenedArn.includes(`<${id}.Arn>`) || flattenedArn.includes(`FnGetAtt${id}Arn`),
    );
  }

  visit(node: IConstruct): void {
    if (!(node instanceof iam.CfnPolicy)) return;
    // Cross-stack references are rewritten after aspects run; construct validation runs after
    // that rewrite and before the policy plugins, so the findings are computed from the same
    // resolved document cdk-nag will see.
    node.node.addValidation({
      validate: () => {
        this.acknowledge(node);
        return [];
      },
    });
  }

  private acknowledge(node: iam.CfnPolicy): void {
    const document = Stack.of(node).resolve(node.policyDocument) as { Statement?: Statement[] };
    const acknowledgements: { id: string; reason: string }[] = [];
    const seen = new Set<string>();
    const add = (id: string, reason: string) => {
      if (seen.has(id)) return;
      seen.add(id);
      acknowledgements.push({ id: `AwsSolutions-IAM5[${id}]`, reason });
    };
    for (const statement of document.Statement ?? []) {
      if (statement.Effect !== 'Allow') continue;
      const actions = asArray(statement.Action);
      for (const action of actions) {
        const reason = GRANT_ACTION_GROUPS[action];
        if (reason) add(`Action::${action}`, `${action}: ${reason}.`);
      }
      for (const resource of asArray(statement.Resource).map(flattenCfnReference)) {
        if (resource === '*') {
          if (actions.every((action) => UNSCOPABLE_ACTIONS.has(action))) {
            add(
              'Resource::*',
              `${actions.join(', ')} support no resource-level permissions, so AWS requires Resource "*".`,
            );
          }
          continue;
        }
        if (
          /^<[A-Za-z0-9]+\.Arn>:\*$/.test(resource) &&
          actions.every((a) => a === 'lambda:InvokeFunction')
        ) {
          add(
            `Resource::${resource}`,
            'versions and aliases of a function in this stack that the state machine invokes.',
          );
          continue;
        }
        const object = /^(.*?)(\/[A-Za-z0-9_.\-/]*)\*$/.exec(resource);
        if (object && this.isPlatformBucket(object[1])) {
          add(
            `Resource::${resource}`,
            `objects under ${object[2]} of a platform bucket: object keys are data, so a key-level grant needs the wildcard.`,
          );
        }
      }
    }
    if (node.node.scope?.node.id === 'DefaultPolicy') {
      acknowledgements.push({
        id: 'NIST.800.53.R5-IAMNoInlinePolicy',
        reason:
          'aws-cdk-lib writes grants into the default policy of the one role they are for; it is attached to nothing else.',
      });
    }
    if (acknowledgements.length > 0) Validations.of(node).acknowledge(...acknowledgements);
  }
}
