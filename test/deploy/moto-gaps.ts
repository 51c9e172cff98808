/**
 * Every place the emulated deploy (deploy.ts) and the state machine run (training-run.ts) bend
 * for moto 5.2.1, and only for moto. Each workaround is a small named function or constant
 * covering one gap of the emulator (named in its comment, with what moto does instead); none
 * changes what the product declares, and each run prints the ones it applied and where. A
 * template or definition the product gets wrong is never "fixed" here: that is a failed test.
 */
import type { StackResource } from '@aws-sdk/client-cloudformation';
import {
  CreateNamedQueryCommand,
  CreateWorkGroupCommand,
  type CreateNamedQueryInput,
  type WorkGroupConfiguration,
} from '@aws-sdk/client-athena';
import { CreateDeliveryStreamCommand, type CreateDeliveryStreamInput } from '@aws-sdk/client-firehose';
import {
  CreateDatabaseCommand,
  CreateTableCommand,
  type DatabaseInput,
  type TableInput,
} from '@aws-sdk/client-glue';
import { CreateServiceLinkedRoleCommand, GetRoleCommand } from '@aws-sdk/client-iam';
import { CreateTopicRuleCommand, type TopicRulePayload } from '@aws-sdk/client-iot';
import { CreateModelPackageGroupCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { CfnResource, CfnTemplate } from './assembly';
import { motoApi, type MotoClients } from './clients';
import { resolve } from './intrinsics';

export interface GapContext {
  /** Outputs of stacks already created on the emulator, by stack name. */
  readonly stackOutputs: (stackName: string) => Record<string, string> | undefined;
  readonly clients: MotoClients;
  readonly account: string;
}

export interface TemplateWorkaround {
  readonly name: string;
  /** The moto gap, in one line (printed with the run). */
  readonly gap: string;
  /** Rewrites the template in place; returns how many places it changed. */
  readonly apply: (template: CfnTemplate, context: GapContext) => number | Promise<number>;
}

/** Depth-first over every value; `visit` may return a replacement for a node. */
function rewrite(value: unknown, visit: (node: Record<string, unknown>) => unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => rewrite(v, visit));
  if (value && typeof value === 'object') {
    const replaced = visit(value as Record<string, unknown>);
    if (replaced !== undefined) return replaced;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = rewrite(v, visit);
    return out;
  }
  return value;
}

function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

/**
 * moto's CloudFormation has no `Fn::GetStackOutput` (CDK's weak cross-stack reference, cdk.json
 * `@aws-cdk/core:defaultCrossStackReferences: weak`): it passes the object through unresolved and
 * resources get a dict where a string belongs. Replaced by the producer stack's output as moto
 * itself reports it (DescribeStacks), which is what CloudFormation resolves it to.
 */
export const resolveGetStackOutput: TemplateWorkaround = {
  name: 'resolveGetStackOutput',
  gap: 'no Fn::GetStackOutput: replaced by the producer stack output read back with DescribeStacks',
  apply(template, context) {
    let count = 0;
    const resolved = rewrite(template, (node) => {
      const ref = node['Fn::GetStackOutput'] as { StackName?: string; OutputName?: string } | undefined;
      if (!ref || Object.keys(node).length !== 1) return undefined;
      const { StackName: stackName, OutputName: outputName } = ref;
      if (typeof stackName !== 'string' || typeof outputName !== 'string') {
        throw new Error(
          `Fn::GetStackOutput with a non-literal StackName or OutputName: ${JSON.stringify(ref)}`,
        );
      }
      const outputs = context.stackOutputs(stackName);
      if (!outputs) throw new Error(`Fn::GetStackOutput names ${stackName}, which is not deployed yet`);
      const value = outputs[outputName];
      if (value === undefined)
        throw new Error(`Fn::GetStackOutput: ${stackName} has no output ${outputName}`);
      count++;
      return value;
    }) as CfnTemplate;
    Object.assign(template, resolved);
    return count;
  },
};

/**
 * moto's AWS::KMS::Key hands the CloudFormation `Tags` ([{Key, Value}]) to its KMS TagResource,
 * which reads `TagKey`/`TagValue`: `KeyError: 'TagKey'`, HTTP 500 for the whole CreateStack.
 * The same tags in the KMS API's shape, so moto keeps them (ListResourceTags shows them).
 */
export const kmsKeyTagsInKmsShape: TemplateWorkaround = {
  name: 'kmsKeyTagsInKmsShape',
  gap: "AWS::KMS::Key Tags crash (KeyError 'TagKey'): tags given in the KMS API shape {TagKey, TagValue}",
  apply(template) {
    let count = 0;
    for (const [, key] of resourcesOfType(template, 'AWS::KMS::Key')) {
      const tags = key.Properties?.Tags as { Key: unknown; Value: unknown }[] | undefined;
      if (!tags) continue;
      key.Properties!.Tags = tags.map((t) => ({ TagKey: t.Key, TagValue: t.Value }));
      count++;
    }
    return count;
  },
};

/**
 * moto's AWS::KMS::Key stores the CloudFormation `KeyPolicy` object as it is, where its KMS API
 * keeps policies as JSON text: every call that checks the key policy (DescribeKey first) then
 * fails with HTTP 500 (`TypeError: the JSON object must be str, bytes or bytearray, not dict` in
 * kms/policy_validator.py). The same policy handed over as text, through moto's own
 * `Fn::ToJsonString` (its intrinsics still resolved by moto).
 */
export const kmsKeyPolicyAsText: TemplateWorkaround = {
  name: 'kmsKeyPolicyAsText',
  gap: 'AWS::KMS::Key KeyPolicy kept as an object (DescribeKey then HTTP 500): given as JSON text via Fn::ToJsonString',
  apply(template) {
    let count = 0;
    for (const [, key] of resourcesOfType(template, 'AWS::KMS::Key')) {
      const policy = key.Properties?.KeyPolicy;
      if (!policy || typeof policy !== 'object') continue;
      key.Properties!.KeyPolicy = { 'Fn::ToJsonString': policy };
      count++;
    }
    return count;
  },
};

/**
 * moto's AWS::Batch::ComputeEnvironment reads `ServiceRole` unconditionally (`KeyError:
 * 'ServiceRole'`, HTTP 500) and then requires that role to exist; AWS Batch without ServiceRole
 * uses its service-linked role. That role is created on moto and named in the template.
 */
export const batchServiceLinkedRole: TemplateWorkaround = {
  name: 'batchServiceLinkedRole',
  gap: "AWS::Batch::ComputeEnvironment without ServiceRole crashes (KeyError 'ServiceRole'): the Batch service-linked role is named",
  async apply(template, context) {
    const environments = resourcesOfType(template, 'AWS::Batch::ComputeEnvironment').filter(
      ([, r]) => r.Properties && r.Properties.ServiceRole === undefined,
    );
    if (environments.length === 0) return 0;
    const roleArn = await batchServiceLinkedRoleArn(context);
    for (const [, r] of environments) r.Properties!.ServiceRole = roleArn;
    return environments.length;
  },
};

async function batchServiceLinkedRoleArn(context: GapContext): Promise<string> {
  const name = 'AWSServiceRoleForBatch';
  try {
    const { Role } = await context.clients.iam.send(new GetRoleCommand({ RoleName: name }));
    return Role!.Arn!;
  } catch {
    const { Role } = await context.clients.iam.send(
      new CreateServiceLinkedRoleCommand({ AWSServiceName: 'batch.amazonaws.com' }),
    );
    return Role!.Arn!;
  }
}

/**
 * moto's Batch compares the compute environment `Type` case-sensitively ("type managed must be one
 * of MANAGED | UNMANAGED"); AWS Batch accepts the lowercase `managed` the CDK L2 writes. Upper-cased.
 */
export const batchComputeEnvironmentTypeUpperCase: TemplateWorkaround = {
  name: 'batchComputeEnvironmentTypeUpperCase',
  gap: "Batch compute environment Type compared case-sensitively ('managed' rejected): upper-cased",
  apply(template) {
    let count = 0;
    for (const [, r] of resourcesOfType(template, 'AWS::Batch::ComputeEnvironment')) {
      const type = r.Properties?.Type;
      if (typeof type === 'string' && type !== type.toUpperCase()) {
        r.Properties!.Type = type.toUpperCase();
        count++;
      }
    }
    return count;
  },
};

/**
 * moto's Batch resources implement no `Fn::GetAtt` (ComputeEnvironmentArn, JobQueueArn,
 * JobDefinitionArn): it logs NotImplementedError and leaves the GetAtt object in place. Their
 * `Ref` is the same ARN in CloudFormation and in moto, so the GetAtt becomes a Ref.
 */
export const batchGetAttAsRef: TemplateWorkaround = {
  name: 'batchGetAttAsRef',
  gap: 'Batch resources have no Fn::GetAtt: <X>Arn written as Ref (the same ARN)',
  apply(template) {
    const arnAttribute: Record<string, string> = {
      'AWS::Batch::ComputeEnvironment': 'ComputeEnvironmentArn',
      'AWS::Batch::JobQueue': 'JobQueueArn',
      'AWS::Batch::JobDefinition': 'JobDefinitionArn',
    };
    let count = 0;
    const rewritten = rewrite(template.Resources, (node) => {
      const getAtt = node['Fn::GetAtt'] as [string, string] | undefined;
      if (!Array.isArray(getAtt) || Object.keys(node).length !== 1) return undefined;
      const [logicalId, attribute] = getAtt;
      const type = template.Resources[logicalId]?.Type;
      if (!type || arnAttribute[type] !== attribute) return undefined;
      count++;
      return { Ref: logicalId };
    }) as CfnTemplate['Resources'];
    template.Resources = rewritten;
    return count;
  },
};

/**
 * Resource types moto 5.2.1's CloudFormation does not implement and skips (those of this app's
 * templates; checked against moto's `get_model_map()`).
 */
export const MOTO_SKIPPED_TYPES: ReadonlySet<string> = new Set([
  'AWS::ApiGateway::Account',
  'AWS::ApiGateway::GatewayResponse',
  'AWS::ApiGateway::Model',
  'AWS::ApiGateway::RequestValidator',
  'AWS::ApiGateway::Stage',
  'AWS::CloudTrail::Trail',
  'AWS::CloudWatch::Alarm',
  'AWS::EC2::SecurityGroupEgress',
  'AWS::Lambda::EventInvokeConfig',
  'AWS::S3::BucketPolicy',
  'AWS::SNS::TopicPolicy',
  'AWS::SQS::QueuePolicy',
  'AWS::WAFv2::LoggingConfiguration',
  'AWS::WAFv2::WebACL',
  'AWS::WAFv2::WebACLAssociation',
]);

/**
 * A `Fn::GetAtt` of a resource moto skipped fails the whole CreateStack ("Template error:
 * instance of Fn::GetAtt references undefined resource X"): the dashboard body names each alarm's
 * ARN. Replaced by a placeholder that says what it stands for (`moto-skipped:<id>.<attribute>`).
 */
export const getAttOfSkippedResource: TemplateWorkaround = {
  name: 'getAttOfSkippedResource',
  gap: 'Fn::GetAtt of a resource type moto skips fails CreateStack: a moto-skipped:<id>.<attribute> placeholder',
  apply(template) {
    let count = 0;
    template.Resources = rewrite(template.Resources, (node) => {
      const getAtt = node['Fn::GetAtt'] as [string, string] | undefined;
      if (!Array.isArray(getAtt) || Object.keys(node).length !== 1) return undefined;
      const type = template.Resources[getAtt[0]]?.Type;
      if (!type || !MOTO_SKIPPED_TYPES.has(type)) return undefined;
      count++;
      return `moto-skipped:${getAtt[0]}.${getAtt[1]}`;
    }) as CfnTemplate['Resources'];
    return count;
  },
};

/** The template workarounds, in the order they run. */
export const TEMPLATE_WORKAROUNDS: readonly TemplateWorkaround[] = [
  resolveGetStackOutput,
  kmsKeyTagsInKmsShape,
  kmsKeyPolicyAsText,
  batchServiceLinkedRole,
  batchComputeEnvironmentTypeUpperCase,
  batchGetAttAsRef,
  getAttOfSkippedResource,
];

export interface AppliedWorkaround {
  readonly name: string;
  readonly gap: string;
  readonly stack: string;
  readonly count: number;
}

/** A copy of the template with every applicable workaround applied, and what was applied. */
export async function adaptTemplate(
  stackName: string,
  template: CfnTemplate,
  context: GapContext,
): Promise<{ template: CfnTemplate; applied: AppliedWorkaround[] }> {
  const copy = structuredClone(template);
  const applied: AppliedWorkaround[] = [];
  for (const w of TEMPLATE_WORKAROUNDS) {
    const count = await w.apply(copy, context);
    if (count > 0) applied.push({ name: w.name, gap: w.gap, stack: stackName, count });
  }
  return { template: copy, applied };
}

/**
 * moto's CloudFormation runs a custom resource's provider Lambda only in Docker (it invokes it
 * through its Docker backend and waits for the provider's response at `cfnresponse`): without a
 * Docker engine nobody answers and the stack stays CREATE_IN_PROGRESS. The harness sends the
 * SUCCESS response the provider would send, so the stack completes; what the provider would have
 * done (empty a bucket on delete, close the default security group) is not proven here.
 */
export const ANSWER_CUSTOM_RESOURCES = {
  name: 'answerCustomResources',
  gap: 'custom resource providers run only in Docker: the SUCCESS response is sent for them',
} as const;

export async function answerCustomResources(
  clients: MotoClients,
  stackId: string,
  template: CfnTemplate,
): Promise<number> {
  const custom = Object.entries(template.Resources).filter(
    ([, r]) => r.Type.startsWith('Custom::') || r.Type === 'AWS::CloudFormation::CustomResource',
  );
  for (const [logicalId] of custom) {
    const url = `${clients.endpoint}/cloudformation_${clients.region}/cfnresponse?stack=${encodeURIComponent(stackId)}`;
    const res = await fetch(url, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        Status: 'SUCCESS',
        StackId: stackId,
        LogicalResourceId: logicalId,
        PhysicalResourceId: logicalId,
        Data: {},
      }),
    });
    if (!res.ok) throw new Error(`cfnresponse for ${logicalId}: HTTP ${res.status} ${await res.text()}`);
  }
  return custom.length;
}

/**
 * moto's CloudFormation skips resource types it does not implement (it logs "No Moto
 * CloudFormation support for <type>", creates nothing, and a Ref to one yields nothing): the
 * types of the template's resources that moto's DescribeStackResources does not list. Printed with
 * each stack: the emulated deploy proves nothing about them.
 */
export function skippedByMoto(
  template: CfnTemplate,
  created: readonly { LogicalResourceId?: string }[],
): string[] {
  const ids = new Set(created.map((r) => r.LogicalResourceId));
  const types = Object.entries(template.Resources)
    .filter(([id]) => !ids.has(id))
    .map(([, r]) => r.Type);
  return [...new Set(types)].sort();
}

/**
 * moto's CloudFormation has no model for the delivery stream and the topic rule, nor for the Glue
 * database and tables and the Athena workgroup and named queries (it skips them: moto 5.2.1's
 * moto/cloudformation/parsing.py imports no Glue or Athena model, and moto/glue/models.py and
 * moto/athena/models.py define no CloudFormationModel; its Firehose, IoT, Glue and Athena APIs
 * have them). After the stack is created, each is created through its
 * own API from the template's properties, intrinsics resolved against what moto created: what
 * the stack declares, not a copy written here.
 */
export const CREATE_THROUGH_APIS = {
  name: 'createThroughApis',
  gap: 'no CloudFormation model for AWS::KinesisFirehose::DeliveryStream, AWS::IoT::TopicRule, AWS::Glue::Database/Table, AWS::Athena::WorkGroup/NamedQuery (nor AWS::Logs::LogStream, named by its logical id): created from the template through the Firehose, IoT, Glue and Athena APIs',
} as const;

/** In creation order: a table names its database, a named query its workgroup. */
const API_CREATED_TYPES = [
  'AWS::KinesisFirehose::DeliveryStream',
  'AWS::IoT::TopicRule',
  'AWS::Glue::Database',
  'AWS::Glue::Table',
  'AWS::Athena::WorkGroup',
  'AWS::Athena::NamedQuery',
] as const;

/** CloudFormation's PascalCase keys as the IoT API's camelCase (`TopicRulePayload.Sql` → `sql`). */
function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k.charAt(0).toLowerCase() + k.slice(1), camelKeys(v)]),
  );
}

/** Creates the stack's resources moto's CloudFormation skips but its APIs have; returns how many. */
export async function createThroughApis(
  clients: MotoClients,
  stackName: string,
  template: CfnTemplate,
  created: readonly StackResource[],
  account: string,
): Promise<number> {
  const byId = new Map(created.map((r) => [r.LogicalResourceId, r.PhysicalResourceId ?? '']));
  const arn = (service: string, resource: string) =>
    `arn:aws:${service}:${service === 'iam' ? '' : clients.region}:${account}:${resource}`;
  const ctx = {
    env: { account, region: clients.region },
    templates: { [stackName]: template },
    physical: (_stack: string, logicalId: string, type: string, attribute: string | undefined) => {
      // moto skips AWS::Logs::LogStream too; its Firehose never checks the logging destination,
      // so the delivery stream names the log stream by its logical id.
      const id = byId.get(logicalId) ?? (type === 'AWS::Logs::LogStream' ? logicalId : undefined);
      if (id === undefined) throw new Error(`${stackName}/${logicalId} (${type}) was not created by moto`);
      if (attribute === undefined) return id;
      if (attribute === 'Arn' && type === 'AWS::IAM::Role') return arn('iam', `role/${id}`);
      if (attribute === 'Arn' && type === 'AWS::Logs::LogGroup') return arn('logs', `log-group:${id}:*`);
      throw new Error(`${stackName}/${logicalId}: no physical value for ${type}.${attribute}`);
    },
  };
  let count = 0;
  for (const type of API_CREATED_TYPES) {
    for (const [, resource] of resourcesOfType(template, type)) {
      const props = resolve(resource.Properties ?? {}, stackName, ctx) as Record<string, unknown>;
      if (type === 'AWS::KinesisFirehose::DeliveryStream') {
        await clients.firehose.send(
          new CreateDeliveryStreamCommand(props as unknown as CreateDeliveryStreamInput),
        );
      } else if (type === 'AWS::IoT::TopicRule') {
        await clients.iot.send(
          new CreateTopicRuleCommand({
            ruleName: props.RuleName as string,
            topicRulePayload: camelKeys(props.TopicRulePayload) as TopicRulePayload,
          }),
        );
      } else if (type === 'AWS::Glue::Database') {
        // The Glue API takes CloudFormation's PascalCase shapes as they are.
        await clients.glue.send(
          new CreateDatabaseCommand({
            CatalogId: props.CatalogId as string,
            DatabaseInput: props.DatabaseInput as DatabaseInput,
          }),
        );
      } else if (type === 'AWS::Glue::Table') {
        await clients.glue.send(
          new CreateTableCommand({
            CatalogId: props.CatalogId as string,
            DatabaseName: props.DatabaseName as string,
            TableInput: props.TableInput as TableInput,
          }),
        );
      } else if (type === 'AWS::Athena::WorkGroup') {
        // CloudFormation's WorkGroupConfiguration is the API's Configuration; State and
        // RecursiveDeleteOption have no CreateWorkGroup counterpart (a new workgroup is ENABLED).
        await clients.athena.send(
          new CreateWorkGroupCommand({
            Name: props.Name as string,
            Description: props.Description as string | undefined,
            Configuration: props.WorkGroupConfiguration as WorkGroupConfiguration,
            Tags: props.Tags as { Key: string; Value: string }[] | undefined,
          }),
        );
      } else {
        await clients.athena.send(new CreateNamedQueryCommand(props as unknown as CreateNamedQueryInput));
      }
      count++;
    }
  }
  return count;
}

/**
 * moto's CloudFormation has no model for the Model Registry group (moto/sagemaker/models.py's
 * ModelPackageGroup is a BaseObject, not a CloudFormationModel, so moto/cloudformation/parsing.py
 * skips AWS::SageMaker::ModelPackageGroup); its SageMaker API has it. After the stack is created,
 * each group is created through CreateModelPackageGroup from the template's properties.
 */
export const CREATE_MODEL_PACKAGE_GROUPS = {
  name: 'createModelPackageGroups',
  gap: 'no CloudFormation model for AWS::SageMaker::ModelPackageGroup: created from the template through the SageMaker API',
} as const;

export async function createModelPackageGroups(clients: MotoClients, template: CfnTemplate): Promise<number> {
  const groups = resourcesOfType(template, 'AWS::SageMaker::ModelPackageGroup');
  if (groups.length === 0) return 0;
  const sagemaker = new SageMakerClient({
    endpoint: clients.endpoint,
    region: clients.region,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
  });
  try {
    for (const [logicalId, group] of groups) {
      const name = group.Properties?.ModelPackageGroupName;
      const description = group.Properties?.ModelPackageGroupDescription;
      if (typeof name !== 'string')
        throw new Error(`${logicalId}: ModelPackageGroupName is not a plain name`);
      await sagemaker.send(
        new CreateModelPackageGroupCommand({
          ModelPackageGroupName: name,
          ...(typeof description === 'string' ? { ModelPackageGroupDescription: description } : {}),
        }),
      );
    }
  } finally {
    sagemaker.destroy();
  }
  return groups.length;
}

// --- Step Functions: running the state machine in moto's interpreter -------------------------

/**
 * moto executes state machines only when asked (`stepfunctions.execute_state_machine`; its
 * CloudFormation-created machines live in a backend that neither validates nor runs them), and
 * runs Lambda tasks only in Docker unless its simple Lambda backend is chosen (`lambda.use_docker:
 * false`), which returns queued results in order (`/moto-api/static/lambda-simple/response`) or
 * else echoes its input. Set before anything is created: functions live in the backend chosen.
 */
export const ENABLE_STATE_MACHINE_EXECUTION = {
  name: 'enableStateMachineExecution',
  gap: 'state machines run only with stepfunctions.execute_state_machine (CloudFormation-created ones never: the definition is created directly), Lambda tasks only in Docker unless lambda.use_docker is false (queued results)',
} as const;

export async function enableStateMachineExecution(clients: MotoClients): Promise<void> {
  await motoApi(clients.endpoint, '/moto-api/config', {
    stepfunctions: { execute_state_machine: true },
    lambda: { use_docker: false },
  });
}

/** Queues the simple Lambda backend's next results, in invocation order (any function). */
export async function queueLambdaResults(clients: MotoClients, results: readonly unknown[]): Promise<void> {
  await motoApi(clients.endpoint, '/moto-api/static/lambda-simple/response', {
    region: clients.region,
    results: results.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))),
  });
}

/**
 * The simple Lambda backend always succeeds: it cannot return a handler's error. The one function
 * error moto produces is its own response size check: a result over 6,000,000 bytes comes back
 * with `X-Amz-Function-Error: Unhandled` and errorType `Function.ResponseSizeTooLarge`, exactly as
 * Lambda answers an oversized response. Queued in place of a task's result, it makes that task
 * fail the way a throwing handler does (a Lambda function error, caught by `States.ALL`).
 */
export const FAIL_WITH_OVERSIZED_RESULT = {
  name: 'failWithOversizedResult',
  gap: 'the simple Lambda backend cannot return a handler error: a >6 MB result makes moto answer Function.ResponseSizeTooLarge, a Lambda function error',
} as const;

export const FAILING_LAMBDA_RESULT = JSON.stringify({ padding: 'x'.repeat(6_100_000) });
export const FAILING_LAMBDA_ERROR = 'Function.ResponseSizeTooLarge';

/** The `.sync` integrations moto cannot run: it has no SageMaker or Batch job lifecycle for Step Functions. */
const SYNC_INTEGRATIONS = /^arn:aws[a-z-]*:states:::(sagemaker:createTrainingJob|batch:submitJob)\.sync$/;

export interface StandIn {
  readonly state: string;
  readonly integration: 'sagemaker:createTrainingJob.sync' | 'batch:submitJob.sync';
}

/**
 * What the integration returns when the job succeeds, built from the request the state made
 * (`$.request`): SageMaker's DescribeTrainingJob, Batch's DescribeJobs job detail.
 */
function integrationOutput(integration: StandIn['integration'], env: { account: string; region: string }) {
  if (integration === 'sagemaker:createTrainingJob.sync') {
    return {
      'TrainingJobName.$': '$.request.TrainingJobName',
      'TrainingJobArn.$': `States.Format('arn:aws:sagemaker:${env.region}:${env.account}:training-job/{}', $.request.TrainingJobName)`,
      TrainingJobStatus: 'Completed',
      SecondaryStatus: 'Completed',
      BillableTimeInSeconds: 312,
      TrainingTimeInSeconds: 312,
      'AlgorithmSpecification.$': '$.request.AlgorithmSpecification',
      'ResourceConfig.$': '$.request.ResourceConfig',
      'HyperParameters.$': '$.request.HyperParameters',
    };
  }
  return {
    'JobId.$': 'States.UUID()',
    'JobName.$': '$.request.JobName',
    'JobQueue.$': '$.request.JobQueue',
    'JobDefinition.$': '$.request.JobDefinition',
    Status: 'SUCCEEDED',
    StatusReason: 'Essential container in task exited',
  };
}

/** `$.x.y` read from under `root` instead: `$.x.y` → `<root>.x.y`. */
function reroot(selector: Record<string, unknown>, root: string): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(selector).map(([k, v]) => {
      if (k.endsWith('.$') && typeof v === 'string' && v.startsWith('$')) return [k, `${root}${v.slice(1)}`];
      if (v && typeof v === 'object' && !Array.isArray(v))
        return [k, reroot(v as Record<string, unknown>, root)];
      return [k, v];
    }),
  );
}

/**
 * moto has no SageMaker `createTrainingJob.sync` and no Batch `submitJob.sync` for Step Functions.
 * Each such Task becomes three Pass states that do what the Task does around the job, in the real
 * interpreter: the first, under the Task's own name, evaluates the Task's `Parameters` against its
 * input (the request, visible in the history); the second makes the integration's success output
 * from that request; the third applies the Task's `ResultSelector` and `ResultPath` to it and
 * continues at the Task's `Next`. Only the job itself (and the Task's Retry and Catch, which a job
 * that always succeeds never uses) is not exercised.
 */
export const SYNC_INTEGRATIONS_AS_PASS_STATES = {
  name: 'syncIntegrationsAsPassStates',
  gap: 'no SageMaker createTrainingJob.sync or Batch submitJob.sync: each such Task becomes Pass states (request, success output, ResultSelector/ResultPath)',
} as const;

export function syncIntegrationsAsPassStates(
  definition: { States: Record<string, Record<string, unknown>> },
  env: { account: string; region: string },
): StandIn[] {
  const standIns: StandIn[] = [];
  for (const [name, state] of Object.entries(definition.States)) {
    const resource = state.Resource;
    if (state.Type !== 'Task' || typeof resource !== 'string') continue;
    const match = SYNC_INTEGRATIONS.exec(resource);
    if (!match) continue;
    const integration = `${match[1]}.sync` as StandIn['integration'];
    const resultPath = state.ResultPath as string | null | undefined;
    const output = `${name}.IntegrationOutput`;
    const result = `${name}.Result`;
    definition.States[name] = {
      Type: 'Pass',
      Comment: `moto gap: stands in for ${integration} (the request)`,
      Parameters: { 'input.$': '$', request: state.Parameters ?? {} },
      Next: output,
    };
    definition.States[output] = {
      Type: 'Pass',
      Comment: `moto gap: what ${integration} returns for a successful job`,
      Parameters: {
        'input.$': '$.input',
        'request.$': '$.request',
        output: integrationOutput(integration, env),
      },
      Next: result,
    };
    const next = state.Next ? { Next: state.Next } : { End: true };
    const into = `$.input${(resultPath ?? '$').slice(1)}`;
    definition.States[result] = {
      Type: 'Pass',
      Comment: 'moto gap: the Task ResultSelector and ResultPath, applied to the integration output',
      // ResultPath null (discard): the state leaves with its input unchanged.
      ...(resultPath === null
        ? {}
        : state.ResultSelector
          ? {
              Parameters: reroot(state.ResultSelector as Record<string, unknown>, '$.output'),
              ResultPath: into,
            }
          : { InputPath: '$.output', ResultPath: into }),
      OutputPath: '$.input',
      ...next,
    };
    standIns.push({ state: name, integration });
  }
  return standIns;
}

/**
 * moto's Step Functions emits no "Execution Status Change" events, and its EventBridge delivers
 * to SQS, log groups and buses but not to SNS topics (`NotImplementedError` for any other target).
 * To see what the monitoring stack's rule does with a failed run, the rule is put on moto's
 * EventBridge with its own pattern and input transformer and an SQS queue in the topic's place,
 * and the event Step Functions would emit for the execution is put on the bus.
 */
export const STATUS_CHANGE_ON_A_QUEUE = {
  name: 'statusChangeOnAQueue',
  gap: "no Execution Status Change events from Step Functions, no SNS targets in EventBridge: the event is put on the bus for the rule, an SQS queue in the topic's place",
} as const;

export function ruleTargetsAsQueue<T extends { Arn?: unknown; RoleArn?: unknown }>(
  targets: readonly T[],
  queueArn: string,
): (Omit<T, 'Arn' | 'RoleArn'> & { Arn: string })[] {
  return targets.map((t) => {
    const { RoleArn: _role, Arn: _arn, ...rest } = t;
    void _role;
    void _arn;
    return { ...rest, Arn: queueArn };
  });
}
