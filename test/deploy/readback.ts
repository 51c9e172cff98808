/**
 * What moto keeps of the deployed stacks, read back through the services' own APIs (not
 * CloudFormation's view of them): buckets and their default encryption, queues, topics, Lambda
 * functions (with the code they were created from), IAM roles and the state machine definition.
 */
import type { StackResource } from '@aws-sdk/client-cloudformation';
import {
  GetRoleCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { DescribeKeyCommand, ListResourceTagsCommand } from '@aws-sdk/client-kms';
import { GetFunctionCommand } from '@aws-sdk/client-lambda';
import { GetBucketEncryptionCommand } from '@aws-sdk/client-s3';
import { DescribeStateMachineCommand } from '@aws-sdk/client-sfn';
import { GetTopicAttributesCommand } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { MotoClients } from './clients';

export interface DeployedResource extends StackResource {
  readonly StackName: string;
}

export interface KeyReadback {
  readonly logicalId: string;
  readonly stack: string;
  readonly arn: string;
  readonly tags: Record<string, string>;
}

export interface BucketReadback {
  readonly logicalId: string;
  readonly stack: string;
  readonly name: string;
  readonly sseAlgorithm?: string;
  /** The default-encryption key as moto reports it, and that key's ARN (DescribeKey). */
  readonly kmsKeyId?: string;
  readonly kmsKeyArn?: string;
  readonly bucketKeyEnabled?: boolean;
}

export interface QueueReadback {
  readonly logicalId: string;
  readonly stack: string;
  readonly url: string;
  readonly kmsMasterKeyId?: string;
}

export interface TopicReadback {
  readonly logicalId: string;
  readonly stack: string;
  readonly arn: string;
  readonly kmsMasterKeyId?: string;
}

export interface FunctionReadback {
  readonly logicalId: string;
  readonly stack: string;
  readonly name: string;
  readonly arn: string;
  readonly runtime?: string;
  readonly architectures: readonly string[];
  readonly memorySize?: number;
  readonly handler?: string;
  readonly codeSha256?: string;
  readonly codeSize?: number;
  readonly environment: Record<string, string>;
  readonly subnetIds: readonly string[];
  readonly role?: string;
}

export interface RoleReadback {
  readonly logicalId: string;
  readonly stack: string;
  readonly name: string;
  readonly arn: string;
  readonly trustedServices: readonly string[];
  readonly inlinePolicies: number;
  readonly managedPolicies: readonly string[];
}

export interface StateMachineReadback {
  readonly logicalId: string;
  readonly stack: string;
  readonly arn: string;
  readonly name?: string;
  readonly definition: Record<string, unknown>;
}

export interface Readback {
  readonly keys: readonly KeyReadback[];
  readonly buckets: readonly BucketReadback[];
  readonly queues: readonly QueueReadback[];
  readonly topics: readonly TopicReadback[];
  readonly functions: readonly FunctionReadback[];
  readonly roles: readonly RoleReadback[];
  readonly stateMachines: readonly StateMachineReadback[];
}

const ofType = (resources: readonly DeployedResource[], type: string) =>
  resources.filter((r) => r.ResourceType === type && r.PhysicalResourceId);

export async function readBack(
  clients: MotoClients,
  resources: readonly DeployedResource[],
): Promise<Readback> {
  const keyArns = new Map<string, string>();
  const keyArn = async (id: string | undefined) => {
    if (!id) return undefined;
    if (!keyArns.has(id)) {
      const { KeyMetadata } = await clients.kms.send(new DescribeKeyCommand({ KeyId: id }));
      keyArns.set(id, KeyMetadata?.Arn ?? id);
    }
    return keyArns.get(id);
  };

  const keys: KeyReadback[] = [];
  for (const r of ofType(resources, 'AWS::KMS::Key')) {
    const { Tags } = await clients.kms.send(new ListResourceTagsCommand({ KeyId: r.PhysicalResourceId! }));
    keys.push({
      logicalId: r.LogicalResourceId!,
      stack: r.StackName,
      arn: (await keyArn(r.PhysicalResourceId))!,
      tags: Object.fromEntries((Tags ?? []).map((t) => [t.TagKey!, t.TagValue!])),
    });
  }

  const buckets: BucketReadback[] = [];
  for (const r of ofType(resources, 'AWS::S3::Bucket')) {
    const name = r.PhysicalResourceId!;
    const answer = await clients.s3
      .send(new GetBucketEncryptionCommand({ Bucket: name }))
      .catch(() => undefined);
    const rule = answer?.ServerSideEncryptionConfiguration?.Rules?.[0];
    const kmsKeyId = rule?.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID;
    buckets.push({
      logicalId: r.LogicalResourceId!,
      stack: r.StackName,
      name,
      sseAlgorithm: rule?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
      kmsKeyId,
      kmsKeyArn: await keyArn(kmsKeyId),
      bucketKeyEnabled: rule?.BucketKeyEnabled,
    });
  }

  const queues: QueueReadback[] = [];
  for (const r of ofType(resources, 'AWS::SQS::Queue')) {
    const { Attributes } = await clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: r.PhysicalResourceId!, AttributeNames: ['All'] }),
    );
    queues.push({
      logicalId: r.LogicalResourceId!,
      stack: r.StackName,
      url: r.PhysicalResourceId!,
      kmsMasterKeyId: Attributes?.KmsMasterKeyId,
    });
  }

  const topics: TopicReadback[] = [];
  for (const r of ofType(resources, 'AWS::SNS::Topic')) {
    const { Attributes } = await clients.sns.send(
      new GetTopicAttributesCommand({ TopicArn: r.PhysicalResourceId! }),
    );
    topics.push({
      logicalId: r.LogicalResourceId!,
      stack: r.StackName,
      arn: r.PhysicalResourceId!,
      kmsMasterKeyId: Attributes?.KmsMasterKeyId,
    });
  }

  const functions: FunctionReadback[] = [];
  for (const r of ofType(resources, 'AWS::Lambda::Function')) {
    const { Configuration: c } = await clients.lambda.send(
      new GetFunctionCommand({ FunctionName: r.PhysicalResourceId! }),
    );
    functions.push({
      logicalId: r.LogicalResourceId!,
      stack: r.StackName,
      name: c?.FunctionName ?? r.PhysicalResourceId!,
      arn: c?.FunctionArn ?? '',
      runtime: c?.Runtime,
      architectures: c?.Architectures ?? [],
      memorySize: c?.MemorySize,
      handler: c?.Handler,
      codeSha256: c?.CodeSha256,
      codeSize: c?.CodeSize,
      environment: c?.Environment?.Variables ?? {},
      subnetIds: c?.VpcConfig?.SubnetIds ?? [],
      role: c?.Role,
    });
  }

  const roles: RoleReadback[] = [];
  for (const r of ofType(resources, 'AWS::IAM::Role')) {
    const name = r.PhysicalResourceId!;
    const { Role } = await clients.iam.send(new GetRoleCommand({ RoleName: name }));
    const trust = JSON.parse(decodeURIComponent(Role?.AssumeRolePolicyDocument ?? '{}')) as {
      Statement?: { Principal?: { Service?: string | string[] } }[];
    };
    const inline = await clients.iam.send(new ListRolePoliciesCommand({ RoleName: name }));
    const attached = await clients.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name }));
    roles.push({
      logicalId: r.LogicalResourceId!,
      stack: r.StackName,
      name,
      arn: Role?.Arn ?? '',
      trustedServices: (trust.Statement ?? []).flatMap((s) => [s.Principal?.Service ?? []].flat()),
      inlinePolicies: inline.PolicyNames?.length ?? 0,
      managedPolicies: (attached.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? ''),
    });
  }

  const stateMachines: StateMachineReadback[] = [];
  for (const r of ofType(resources, 'AWS::StepFunctions::StateMachine')) {
    const answer = await clients.sfn.send(
      new DescribeStateMachineCommand({ stateMachineArn: r.PhysicalResourceId! }),
    );
    stateMachines.push({
      logicalId: r.LogicalResourceId!,
      stack: r.StackName,
      arn: r.PhysicalResourceId!,
      name: answer.name,
      definition: JSON.parse(answer.definition ?? '{}') as Record<string, unknown>,
    });
  }
  return { keys, buckets, queues, topics, functions, roles, stateMachines };
}
