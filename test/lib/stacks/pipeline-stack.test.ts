import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { configFromContext } from '../../../lib/config';
import { addPolicyChecks } from '../../../lib/policy-checks';
import {
  declareDeployment,
  joinAsSub,
  PipelineStack,
  synthCommand,
} from '../../../lib/stacks/pipeline-stack';
import { CDK_JSON_CONTEXT } from '../../support/synth';

const CONNECTION = 'arn:aws:codeconnections:eu-west-1:123456789012:connection/abcd-1234';
const PIPELINE = { enabled: true, repository: 'acme/factory', connectionArn: CONNECTION };

/** An app declared as bin/app.ts does; bundling skipped (templates only). */
function declare(factory: Record<string, unknown>, outdir?: string) {
  const app = new App({
    outdir,
    context: { ...CDK_JSON_CONTEXT, factory, 'aws:cdk:bundling-stacks': [] },
  });
  const config = configFromContext(app.node.getAllContext());
  return { app, config, ...declareDeployment(app, config) };
}

interface Action {
  Name: string;
  ActionTypeId: { Category: string; Provider: string };
  Configuration?: Record<string, unknown>;
  RunOrder?: number;
}
interface PipelineStage {
  Name: string;
  Actions: Action[];
}

describe('pipeline stack', () => {
  const { pipeline } = declare({ pipeline: { ...PIPELINE, branch: 'release' } });
  const stack = pipeline as PipelineStack;
  const template = Template.fromStack(stack);
  const stages = Object.values(template.findResources('AWS::CodePipeline::Pipeline'))[0].Properties
    .Stages as PipelineStage[];
  const stage = (name: string) => stages.find((s) => s.Name === name) as PipelineStage;
  const buildSpecOf = (logicalIdPrefix: string): string => {
    const projects = template.findResources('AWS::CodeBuild::Project');
    const id = Object.keys(projects).find((key) => key.startsWith(logicalIdPrefix)) as string;
    return projects[id].Properties.Source.BuildSpec as string;
  };

  it('is declared instead of the platform stacks when the pipeline is enabled', () => {
    const { app, platform } = declare({ pipeline: PIPELINE });
    expect(platform).toBeUndefined();
    expect(app.node.children.filter(Stack.isStack).map((s) => s.stackName)).toEqual([
      'AiaasFactory-Pipeline',
    ]);
  });

  it('is not declared when the pipeline is disabled (the default): the platform stacks are', () => {
    const { app, pipeline: none, platform } = declare({});
    expect(none).toBeUndefined();
    expect(platform).toBeDefined();
    const stacks = app.node.children.filter(Stack.isStack);
    expect(stacks.some((s) => s instanceof PipelineStack)).toBe(false);
    expect(stacks.map((s) => s.stackName)).toEqual(
      expect.arrayContaining(['AiaasFactory-dev-DataLake', 'AiaasFactory-dev-Monitoring']),
    );
  });

  it('refuses a config without the pipeline enabled', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    expect(() => new PipelineStack(app, 'P', { config: configFromContext({}) })).toThrow(
      /factory\.pipeline\.enabled=true with factory\.pipeline\.repository and factory\.pipeline\.connectionArn/,
    );
  });

  it('sources the configured repository and branch through the configured connection', () => {
    expect(stages[0].Name).toBe('Source');
    expect(stages[0].Actions).toEqual([
      expect.objectContaining({
        ActionTypeId: expect.objectContaining({ Category: 'Source', Provider: 'CodeStarSourceConnection' }),
        Configuration: expect.objectContaining({
          ConnectionArn: CONNECTION,
          FullRepositoryId: 'acme/factory',
          BranchName: 'release',
        }),
      }),
    ]);
  });

  it('synthesizes with npm ci and cdk synth, the version check off, declaring this same pipeline', () => {
    const spec = JSON.parse(buildSpecOf('PipelineBuildSynthCdkBuildProject'));
    expect(spec.phases.build.commands).toEqual([
      'npm ci',
      "npx cdk synth -c 'factory.pipeline.enabled=true' -c 'factory.pipeline.repository=acme/factory'" +
        ` -c 'factory.pipeline.branch=release' -c 'factory.pipeline.connectionArn=${CONNECTION}'`,
    ]);
    expect(spec.phases.install['runtime-versions']).toEqual({ nodejs: '22' });
    template.hasResourceProperties('AWS::CodeBuild::Project', {
      Environment: Match.objectLike({
        EnvironmentVariables: [{ Name: 'CDK_DISABLE_VERSION_CHECK', Type: 'PLAINTEXT', Value: '1' }],
      }),
    });
  });

  it('updates itself (self-mutation) after the synth and before anything is deployed', () => {
    expect(stages.map((s) => s.Name)).toEqual(['Source', 'Build', 'UpdatePipeline', 'Assets', 'Dev', 'Prod']);
    expect(stage('UpdatePipeline').Actions.map((a) => [a.Name, a.ActionTypeId.Provider])).toEqual([
      ['SelfMutate', 'CodeBuild'],
    ]);
    const spec = JSON.parse(buildSpecOf('PipelineUpdatePipelineSelfMutation'));
    expect(spec.phases.build.commands).toEqual([
      'cdk -a . deploy AiaasFactory-Pipeline --require-approval=never --verbose',
    ]);
    // The CLI that deploys with the bootstrap roles is pinned, not "latest".
    expect(spec.phases.install.commands).toEqual([
      expect.stringMatching(/^npm install -g aws-cdk@\d+\.\d+\.\d+$/),
    ]);
  });

  it('deploys dev, then prod only after a manual approval', () => {
    const prod = stage('Prod').Actions;
    const approval = prod.filter((a) => a.ActionTypeId.Category === 'Approval');
    expect(approval).toEqual([
      expect.objectContaining({
        Name: 'PromoteToProd',
        ActionTypeId: expect.objectContaining({ Provider: 'Manual' }),
      }),
    ]);
    const deploys = prod.filter((a) => a.ActionTypeId.Category === 'Deploy');
    expect(deploys.length).toBeGreaterThan(0);
    for (const deploy of deploys) expect(deploy.RunOrder).toBeGreaterThan(approval[0].RunOrder ?? 1);
    expect(stage('Dev').Actions.some((a) => a.ActionTypeId.Category === 'Approval')).toBe(false);
  });

  it.each(['dev', 'prod'] as const)(
    'deploys every platform stack in the %s stage, configured for that stage',
    (name) => {
      const factoryStage = name === 'dev' ? stack.dev : stack.prod;
      // Seven stacks and the ingest stack (on by default).
      const platformStacks = Object.values(factoryStage.platform).filter((s) => s !== undefined);
      expect(platformStacks).toHaveLength(8);
      const deployed = new Set(
        stage(name === 'dev' ? 'Dev' : 'Prod')
          .Actions.filter((a) => a.ActionTypeId.Category === 'Deploy')
          .map((a) => a.Configuration?.StackName),
      );
      expect([...deployed].sort()).toEqual(platformStacks.map((s) => s.stackName).sort());
      Template.fromStack(factoryStage.platform.dataLake).hasResourceProperties('AWS::KMS::Key', {
        Tags: Match.arrayWith([{ Key: 'stage', Value: name }]),
      });
      expect(factoryStage.platform.dataLake.terminationProtection).toBe(name === 'prod');
    },
  );

  it('keeps artifacts in the house secure bucket, encrypted with its own rotating KMS key', () => {
    const key = { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] };
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      ArtifactStore: {
        Type: 'S3',
        Location: { Ref: Match.stringLikeRegexp('^ArtifactsBucket') },
        EncryptionKey: { Type: 'KMS', Id: key },
      },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: key },
            BucketKeyEnabled: true,
          }),
        ],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: {
        DestinationBucketName: { Ref: Match.stringLikeRegexp('^AccessLogs') },
        LogFilePrefix: 'Artifacts/',
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('enables Object Lock on neither the artifact bucket (transient builds) nor the access-log bucket (S3 delivers no logs to one)', () => {
    const buckets = template.findResources('AWS::S3::Bucket');
    expect(Object.keys(buckets)).toEqual([
      expect.stringMatching(/^AccessLogs/),
      expect.stringMatching(/^ArtifactsBucket/),
    ]);
    for (const bucket of Object.values(buckets)) {
      expect(bucket.Properties.ObjectLockEnabled).toBeUndefined();
      expect(bucket.Properties.ObjectLockConfiguration).toBeUndefined();
    }
  });

  it('logs every build to one KMS-encrypted log group with the configured retention', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
      RetentionInDays: 365,
    });
    const projects = Object.values(template.findResources('AWS::CodeBuild::Project'));
    expect(projects.length).toBeGreaterThan(2);
    for (const project of projects) {
      expect(project.Properties.LogsConfig).toEqual({
        CloudWatchLogs: { GroupName: { Ref: expect.stringMatching(/^BuildLogs/) }, Status: 'ENABLED' },
      });
      expect(project.Properties.EncryptionKey).toEqual({
        'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'],
      });
    }
  });

  it('runs privileged (Docker) builds only for the image asset', () => {
    const privileged = Object.values(template.findResources('AWS::CodeBuild::Project'))
      .filter((p) => p.Properties.Environment.PrivilegedMode)
      .map((p) => p.Properties.Description);
    expect(privileged).toEqual([expect.stringMatching(/Assets\/TrainerImage$/)]);
  });

  it('renders each deploy action role as Fn::Sub (cfn-lint E3703)', () => {
    const roles = stages
      .flatMap((s) => s.Actions)
      .flatMap((a) => (a.Configuration?.RoleArn ? [a.Configuration.RoleArn] : []));
    expect(roles.length).toBeGreaterThan(0);
    for (const role of roles) {
      expect(role).toEqual({
        'Fn::Sub':
          'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-cfn-exec-role-${AWS::AccountId}-${AWS::Region}',
      });
    }
  });
});

describe('synthCommand', () => {
  it('quotes every value for the shell, a single quote included', () => {
    const command = synthCommand({
      pipeline: { enabled: true, repository: 'a/b', branch: "it's", connectionArn: CONNECTION },
    });
    expect(command).toContain(`-c 'factory.pipeline.branch=it'\\''s'`);
  });
});

describe('joinAsSub', () => {
  it('turns an empty-delimiter join of literals and Refs into the same Fn::Sub', () => {
    expect(joinAsSub({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':x/${y}']] })).toEqual({
      'Fn::Sub': 'arn:${AWS::Partition}:x/${!y}',
    });
  });

  it('leaves anything else alone', () => {
    expect(joinAsSub('arn:aws:iam::1:role/r')).toBeUndefined();
    expect(joinAsSub({ 'Fn::Join': [',', ['a', 'b']] })).toBeUndefined();
    expect(joinAsSub({ 'Fn::Join': ['', [{ 'Fn::GetAtt': ['R', 'Arn'] }]] })).toBeUndefined();
  });
});

describe('pipeline-enabled app', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'pipeline-'));
  let error: Error | undefined;
  beforeAll(() => {
    const { app } = declare({ pipeline: PIPELINE, alarmEmail: 'ops@example.com' }, outdir);
    addPolicyChecks(app);
    try {
      app.synth();
    } catch (e) {
      error = e as Error;
    }
  });

  it('passes every policy pack, on the pipeline stack and on both stages', () => {
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; conclusion: string; violations: { ruleName: string }[] }[];
    };
    expect(
      report.pluginReports.flatMap((p) => p.violations.map((v) => `${p.pluginName}:${v.ruleName}`)),
    ).toEqual([]);
    expect(error?.message).toBeUndefined();
    expect(report.pluginReports.map((p) => p.conclusion)).toEqual(report.pluginReports.map(() => 'success'));
  });

  it('passes cfn-lint on every template, the stage assemblies included', () => {
    const templates = [
      ...readdirSync(outdir).filter((f) => f.endsWith('.template.json')),
      ...readdirSync(outdir)
        .filter((d) => d.startsWith('assembly-'))
        .flatMap((d) =>
          readdirSync(path.join(outdir, d))
            .filter((f) => f.endsWith('.template.json'))
            .map((f) => path.join(d, f)),
        ),
    ];
    // The pipeline's, and eight in each of the two stages.
    expect(templates).toHaveLength(17);
    // cfn-lint exits non-zero on any error or warning; its output names each finding.
    const output = execFileSync('cfn-lint', templates, { cwd: outdir, encoding: 'utf8' });
    expect(output).toBe('');
  });
});
