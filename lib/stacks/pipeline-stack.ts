import {
  App,
  CfnResource,
  Aspects,
  RemovalPolicy,
  Stack,
  StackProps,
  Stage,
  StageProps,
  Validations,
} from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as pipelines from 'aws-cdk-lib/pipelines';
import cdkCli from 'aws-cdk/package.json';
import { Construct, IConstruct } from 'constructs';
import type { FactoryConfig } from '../config';
import { accessLogBucket } from '../constructs/access-log-bucket';
import { houseKey } from '../constructs/house-key';
import { AcknowledgeScopedGrants } from '../constructs/scoped-grants';
import { SecureBucket } from '../constructs/secure-bucket';
import { DropRedundantDependsOn } from '../acknowledgements';
import { createPlatform, type Platform } from '../platform';

/**
 * CLI versions the generated steps install. Pinned so a new npm release cannot change what runs
 * with the deploy and publishing roles; the CDK CLI follows the one in package-lock.json.
 */
const CDK_CLI_VERSION = cdkCli.version;
const CDK_ASSETS_VERSION = '4.7.3';
/** Node.js of every build (package.json engines: >= 20; Lambda runs 22+). */
const NODE_VERSION = '22';

export interface FactoryStageProps extends StageProps {
  /** The platform config of this copy; its `stage` decides dev or prod behaviour. */
  readonly config: FactoryConfig;
}

/** One deployable copy of the whole platform, as CDK Pipelines deploys it. */
export class FactoryStage extends Stage {
  public readonly platform: Platform;

  constructor(scope: Construct, id: string, props: FactoryStageProps) {
    super(scope, id, props);
    this.platform = createPlatform(this, props.config);
  }
}

export interface PipelineStackProps extends StackProps {
  /** The validated config; `pipeline.enabled` must be true with repository and connection set. */
  readonly config: FactoryConfig;
}

/**
 * Self-mutating CDK Pipelines deployment: source from GitHub through a CodeConnections
 * connection, synth in CodeBuild, the pipeline updates itself, then the platform in dev and,
 * after a manual approval, in prod. Artifacts and build logs are encrypted with the pipeline's
 * own customer-managed key; the artifact bucket is the house secure bucket, access-logged,
 * without Object Lock.
 */
export class PipelineStack extends Stack {
  public readonly pipeline: pipelines.CodePipeline;
  public readonly key: kms.Key;
  public readonly artifactBucket: s3.Bucket;
  public readonly accessLogs: s3.Bucket;
  public readonly buildLogs: logs.LogGroup;
  public readonly dev: FactoryStage;
  public readonly prod: FactoryStage;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { config } = props;
    const { enabled, repository, branch, connectionArn } = config.pipeline;
    if (!enabled || !repository || !connectionArn) {
      throw new Error(
        'PipelineStack needs factory.pipeline.enabled=true with factory.pipeline.repository and factory.pipeline.connectionArn',
      );
    }

    // The pipeline outlives both stages: its key is kept like prod data.
    this.key = houseKey(this, 'Key', {
      description: `${config.prefix} pipeline key: artifacts, build logs`,
      stage: 'prod',
    });

    this.accessLogs = accessLogBucket(this, 'AccessLogs', {
      expirationDays: config.retention.accessLogDays,
      stage: 'prod',
    });
    // The pipeline outlives both stages and holds what was deployed: kept like prod data.
    this.artifactBucket = new SecureBucket(this, 'Artifacts', {
      encryptionKey: this.key,
      accessLogs: this.accessLogs,
      stage: 'prod',
      noncurrentVersionDays: config.retention.noncurrentVersionDays,
      objectLock: false,
    }).bucket;
    // Unlike the platform's data buckets, no Object Lock here: pipeline artifacts are transient
    // build outputs, rebuilt from the repository on every run, so a lock protects nothing, while
    // CDK Pipelines grants its pipeline, source-action and synth roles read/write on this bucket
    // (s3:PutObjectRetention and s3:PutObjectLegalHold included, and it offers no way to narrow
    // them). With the lock on, a compromised build could put compliance-mode retention on the
    // artifacts, which nobody can shorten and which keeps the bucket from being emptied or
    // deleted; without it S3 refuses those calls.
    Validations.of(this.artifactBucket).acknowledge(
      {
        id: 'NIST.800.53.R5-S3BucketReplicationEnabled',
        reason:
          'Pipeline artifacts are rebuilt from the repository on every run; a replica in a second region would hold nothing that cannot be recreated.',
      },
      {
        id: 'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check',
        reason:
          'Pipeline artifacts are transient build outputs rebuilt from the repository on every run, so Object Lock would protect nothing; it would only let the roles CDK Pipelines grants read/write here (s3:PutObjectRetention, s3:PutObjectLegalHold) lock artifacts so that the bucket cannot be emptied or deleted. Versioning and the key-encrypted, access-logged house bucket stay.',
      },
    );
    this.buildLogs = new logs.LogGroup(this, 'BuildLogs', {
      retention: config.retention.logDays,
      encryptionKey: this.key,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.pipeline = new pipelines.CodePipeline(this, 'Pipeline', {
      artifactBucket: this.artifactBucket,
      selfMutation: true,
      cliVersion: CDK_CLI_VERSION,
      cdkAssetsCliVersion: CDK_ASSETS_VERSION,
      synth: new pipelines.ShellStep('Synth', {
        input: pipelines.CodePipelineSource.connection(repository, branch, { connectionArn }),
        env: { CDK_DISABLE_VERSION_CHECK: '1' },
        commands: ['npm ci', synthCommand(config)],
      }),
      codeBuildDefaults: {
        buildEnvironment: { buildImage: codebuild.LinuxBuildImage.STANDARD_8_0 },
        partialBuildSpec: codebuild.BuildSpec.fromObject({
          version: '0.2',
          phases: { install: { 'runtime-versions': { nodejs: NODE_VERSION } } },
        }),
        logging: { cloudWatch: { logGroup: this.buildLogs } },
      },
    });

    this.dev = new FactoryStage(this, 'Dev', { config: { ...config, stage: 'dev' } });
    this.prod = new FactoryStage(this, 'Prod', { config: { ...config, stage: 'prod' } });
    this.pipeline.addStage(this.dev);
    this.pipeline.addStage(this.prod, {
      pre: [
        new pipelines.ManualApprovalStep('PromoteToProd', {
          comment: 'dev is deployed: approve to deploy this revision of the platform to prod.',
        }),
      ],
    });

    // Build now (not just in time at synth) so the generated roles and projects exist to be
    // acknowledged one by one below.
    this.pipeline.buildPipeline();
    Aspects.of(this.pipeline).add(new AcknowledgeScopedGrants([logicalId(this.artifactBucket)]));
    Aspects.of(this).add(new DropRedundantDependsOn());
    this.acknowledgeGeneratedRoles();
    renderActionRolesWithSub(this.pipeline.pipeline.node.defaultChild as codepipeline.CfnPipeline);
  }

  /**
   * Findings on the roles and projects that aws-cdk-lib/pipelines generates, whose policies it
   * writes itself; each acknowledgement names the exact wildcard and why the module needs it.
   */
  private acknowledgeGeneratedRoles(): void {
    const arn = (service: string, resource: string) =>
      `arn:<AWS::Partition>:${service}:<AWS::Region>:<AWS::AccountId>:${resource}`;
    for (const project of [this.pipeline.synthProject, this.pipeline.selfMutationProject]) {
      const id = `<${logicalId(project)}>`;
      Validations.of(defaultPolicyOf(project.role)).acknowledge(
        {
          id: `AwsSolutions-IAM5[Resource::${arn('logs', `log-group:/aws/codebuild/${id}:*`)}]`,
          reason:
            "codebuild.Project grants every project its own default log group's streams (named per build, hence the wildcard); our builds log to the KMS-encrypted BuildLogs group.",
        },
        {
          id: `AwsSolutions-IAM5[Resource::${arn('codebuild', `report-group/${id}-*`)}]`,
          reason:
            'codebuild.Project grants test-report writes to report groups prefixed with its own project name only.',
        },
      );
    }
    const mutate = defaultPolicyOf(this.pipeline.selfMutationProject.role);
    Validations.of(mutate).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::arn:*:iam::<AWS::AccountId>:role/*]',
        reason:
          'Self-mutation assumes the CDK bootstrap roles of this account; CDK Pipelines limits the wildcard with a condition on the tag aws-cdk:bootstrap-role (deploy, file-publishing, image-publishing).',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Self-mutation runs `cdk deploy`, which reads the bootstrap stack (cloudformation:DescribeStacks) and lists its staging bucket (s3:ListBucket); their names are decided at bootstrap, not known at synth.',
      },
    );

    const assets = this.pipeline.node.tryFindChild('Assets');
    for (const role of ['FileRole', 'DockerRole']) {
      const policy = assets?.node.tryFindChild(role)?.node.tryFindChild('DefaultPolicy');
      if (!policy) continue;
      const reason =
        'CDK Pipelines shares one publishing role across all asset projects of a type and writes project-specific grants with wildcards, so that the role policy stays under the IAM size quota however many assets the stages have';
      Validations.of(policy).acknowledge(
        {
          id: `AwsSolutions-IAM5[Resource::${arn('logs', 'log-group:/aws/codebuild/*')}]`,
          reason: `${reason}: CodeBuild logs of its projects.`,
        },
        {
          id: `AwsSolutions-IAM5[Resource::${arn('codebuild', 'report-group/*')}]`,
          reason: `${reason}: CodeBuild reports of its projects.`,
        },
        {
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason: `${reason}: codebuild:StartBuild/BatchGetBuilds/StopBuild on its projects.`,
        },
      );
    }

    // Building the trainer image needs a Docker daemon, which CodeBuild runs only in privileged
    // mode; CDK Pipelines turns it on for exactly the projects that publish image assets.
    for (const node of this.pipeline.node.findAll()) {
      if (!(node instanceof codebuild.CfnProject)) continue;
      const environment = this.resolve(node.environment) as { privilegedMode?: boolean };
      if (!environment.privilegedMode) continue;
      Validations.of(node).acknowledge({
        id: 'cdk-validator-cfnguard::codebuild_project_environment_privileged_check',
        reason:
          'Publishes a Docker image asset (the trainer image): docker build needs privileged mode. The project runs only cdk-assets on the synthesized assembly, with the image-publishing role.',
      });
    }
  }
}

/**
 * What `cdk deploy` stands up: with `pipeline.enabled`, the pipeline stack (which deploys the
 * platform in its dev and prod stages); otherwise the platform's stacks directly.
 */
export function declareDeployment(
  app: App,
  config: FactoryConfig,
): { readonly pipeline?: PipelineStack; readonly platform?: Platform } {
  if (!config.pipeline.enabled) return { platform: createPlatform(app, config) };
  const env =
    config.account || config.region
      ? {
          account: config.account ?? process.env.CDK_DEFAULT_ACCOUNT,
          region: config.region ?? process.env.CDK_DEFAULT_REGION,
        }
      : undefined;
  return {
    pipeline: new PipelineStack(app, pipelineStackId(config), {
      config,
      env,
      terminationProtection: true,
      description:
        'aiaas-factory pipeline: self-mutating CDK Pipelines deployment of the platform to dev, then prod',
    }),
  };
}

/** `AiaasFactory-Pipeline` for the default prefix. */
export function pipelineStackId(config: Pick<FactoryConfig, 'prefix'>): string {
  const pascal = config.prefix
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
  return `${pascal}-Pipeline`;
}

/**
 * The pipeline's synth must declare this pipeline again, or self-mutation would find no stack
 * to update: its own settings are passed on the command line. Everything else comes from the
 * repository's cdk.json, so a config change merged to the branch is what gets deployed.
 */
export function synthCommand(config: Pick<FactoryConfig, 'pipeline'>): string {
  const { repository, branch, connectionArn } = config.pipeline;
  const context = {
    'factory.pipeline.enabled': 'true',
    'factory.pipeline.repository': repository ?? '',
    'factory.pipeline.branch': branch,
    'factory.pipeline.connectionArn': connectionArn ?? '',
  };
  const args = Object.entries(context).map(([key, value]) => `-c ${shellQuote(`${key}=${value}`)}`);
  return ['npx cdk synth', ...args].join(' ');
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * CDK Pipelines renders the CloudFormation execution role of each deploy action as an
 * `Fn::Join` with an empty delimiter, which cfn-lint rejects for an action's RoleArn (E3703:
 * prefer `Fn::Sub`). The same ARN is rewritten as `Fn::Sub` once the stages are final (construct
 * validation runs after prepare, before the template is rendered).
 */
function renderActionRolesWithSub(cfnPipeline: codepipeline.CfnPipeline): void {
  cfnPipeline.node.addValidation({
    validate: () => {
      const stack = Stack.of(cfnPipeline);
      // The L1 property in its camelCase form; `configuration` is free-form JSON, kept as is.
      const stages = stack.resolve(cfnPipeline.stages) as {
        actions: { configuration?: Record<string, unknown> }[];
      }[];
      stages.forEach((stage, s) =>
        stage.actions.forEach((action, a) => {
          const sub = joinAsSub(action.configuration?.RoleArn);
          if (sub) cfnPipeline.addPropertyOverride(`Stages.${s}.Actions.${a}.Configuration.RoleArn`, sub);
        }),
      );
      return [];
    },
  });
}

/** `{"Fn::Join": ["", [...]]}` of literals and Refs as the equivalent `{"Fn::Sub": "..."}`. */
export function joinAsSub(value: unknown): { 'Fn::Sub': string } | undefined {
  const join = (value as { 'Fn::Join'?: [string, unknown[]] } | undefined)?.['Fn::Join'];
  if (!join || join[0] !== '') return undefined;
  let text = '';
  for (const part of join[1]) {
    if (typeof part === 'string') text += part.replace(/\$\{/g, '${!');
    else if (typeof (part as { Ref?: unknown }).Ref === 'string')
      text += `\${${(part as { Ref: string }).Ref}}`;
    else return undefined;
  }
  return { 'Fn::Sub': text };
}

function logicalId(construct: IConstruct): string {
  const resource = (construct.node.defaultChild ?? construct) as CfnResource;
  return Stack.of(construct).resolve(resource.logicalId) as string;
}

function defaultPolicyOf(role: iam.IRole | undefined): IConstruct {
  const policy = role?.node.tryFindChild('DefaultPolicy');
  if (!policy) throw new Error(`no default policy on ${role?.node.path ?? 'a missing role'}`);
  return policy;
}
