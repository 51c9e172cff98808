/**
 * What AWS checks when it creates or runs these resources, which no template linter sees: each
 * test here failed on the templates before the fix it names (issue 11), and each cites the AWS
 * rule it holds the template to.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ConfigError } from '../../../lib/config';
import { commonRuleSetOverrides, WAF_CRS_BODY_LIMIT_BYTES } from '../../../lib/stacks/serving-stack';
import { platform } from '../../support/synth';

type Statement = {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  Action: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};

const { stacks, config } = platform();
const templates = {
  dataLake: Template.fromStack(stacks.dataLake),
  network: Template.fromStack(stacks.network),
  preprocess: Template.fromStack(stacks.preprocess),
  training: Template.fromStack(stacks.training),
  serving: Template.fromStack(stacks.serving),
  monitoring: Template.fromStack(stacks.monitoring),
};
const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const resolve = (stack: Stack, value: unknown) => JSON.stringify(stack.resolve(value));

function keyStatements(template: Template, logicalIdPrefix: string): Statement[] {
  const keys = template.findResources('AWS::KMS::Key');
  const entry = Object.entries(keys).find(([id]) => id.startsWith(logicalIdPrefix));
  if (!entry) throw new Error(`no key ${logicalIdPrefix}`);
  return (entry[1] as { Properties: { KeyPolicy: { Statement: Statement[] } } }).Properties.KeyPolicy
    .Statement;
}

function servicePrincipals(statement: Statement): string[] {
  const principal = statement.Principal as { Service?: string | string[] } | undefined;
  return principal?.Service ? asArray(principal.Service) : [];
}

describe('CloudTrail can create the data-events trail (fix 1)', () => {
  const trailName = `${config.prefix}-${config.stage}-data-events`;
  const trailArn = {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':cloudtrail:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        `:trail/${trailName}`,
      ],
    ],
  };

  it('names the trail, so key and bucket policies can name it before it exists', () => {
    templates.dataLake.hasResourceProperties('AWS::CloudTrail::Trail', {
      TrailName: trailName,
      KMSKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
    });
  });

  it('lets cloudtrail.amazonaws.com generate data keys and describe the key, for this trail only', () => {
    // "Configure AWS KMS key policies for CloudTrail": GenerateDataKey* (encryption context of a
    // trail of this account) and DescribeKey, with aws:SourceArn naming the trail.
    const statements = keyStatements(templates.dataLake, 'Key').filter((s) =>
      servicePrincipals(s).includes('cloudtrail.amazonaws.com'),
    );
    expect(statements).toEqual([
      expect.objectContaining({
        Action: 'kms:GenerateDataKey*',
        Condition: {
          StringEquals: { 'aws:SourceArn': trailArn },
          StringLike: {
            'kms:EncryptionContext:aws:cloudtrail:arn': {
              'Fn::Join': [
                '',
                ['arn:', { Ref: 'AWS::Partition' }, ':cloudtrail:*:', { Ref: 'AWS::AccountId' }, ':trail/*'],
              ],
            },
          },
        },
      }),
      expect.objectContaining({
        Action: 'kms:DescribeKey',
        Condition: { StringEquals: { 'aws:SourceArn': trailArn } },
      }),
    ]);
  });

  it('conditions both of CloudTrail’s audit-bucket statements on the trail', () => {
    const policies = Object.values(templates.dataLake.findResources('AWS::S3::BucketPolicy')) as {
      Properties: { PolicyDocument: { Statement: Statement[] } };
    }[];
    const cloudTrail = policies
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((s) => servicePrincipals(s).includes('cloudtrail.amazonaws.com'));
    expect(cloudTrail.map((s) => s.Action).sort()).toEqual(['s3:GetBucketAcl', 's3:PutObject']);
    for (const statement of cloudTrail) {
      expect(statement.Condition?.StringEquals?.['aws:SourceArn']).toEqual(trailArn);
    }
  });
});

describe('Step Functions accepts the training definition (fix 2)', () => {
  it('passes promote an object built from the evaluation, never a path string', () => {
    const machine = Object.values(
      templates.training.findResources('AWS::StepFunctions::StateMachine'),
    )[0] as {
      Properties: { DefinitionString: { 'Fn::Join': [string, unknown[]] } };
    };
    const text = machine.Properties.DefinitionString['Fn::Join'][1]
      .map((part) => (typeof part === 'string' ? part : 'TOKEN'))
      .join('');
    const promote = JSON.parse(text).States.PromoteCandidate;
    // payloadResponseOnly: the Lambda ARN is the state's Resource and Parameters is the payload.
    expect(promote.Parameters).toEqual({
      'better.$': '$.evaluation.better',
      'candidate.$': '$.evaluation.candidate',
    });
  });
});

describe('Batch instances can launch with encrypted volumes (fix 3)', () => {
  const autoScalingRole = {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':iam::',
        { Ref: 'AWS::AccountId' },
        ':role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling',
      ],
    ],
  };

  it('encrypts the launch template volumes with the Batch volume key', () => {
    templates.training.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        BlockDeviceMappings: [
          Match.objectLike({
            Ebs: Match.objectLike({
              KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BatchVolumeKey'), 'Arn'] },
            }),
          }),
        ],
      }),
    });
  });

  it('lets the Auto Scaling service-linked role use the key and attach volumes, without naming it as principal', () => {
    // "Required AWS KMS key policy for use with encrypted volumes" (EC2 Auto Scaling): use of the
    // key, and CreateGrant for AWS resources. A principal that does not exist yet would make KMS
    // refuse the whole policy (MalformedPolicyDocumentException) on a fresh account.
    const statements = keyStatements(templates.training, 'BatchVolumeKey');
    const forAutoScaling = statements.filter(
      (s) => JSON.stringify(s.Condition?.ArnEquals?.['aws:PrincipalArn']) === JSON.stringify(autoScalingRole),
    );
    expect(forAutoScaling.map((s) => asArray(s.Action)).flat()).toEqual(
      expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*', 'kms:DescribeKey', 'kms:CreateGrant']),
    );
    for (const statement of forAutoScaling) expect(statement.Principal).toEqual({ AWS: '*' });
    expect(forAutoScaling.find((s) => s.Action === 'kms:CreateGrant')?.Condition?.Bool).toEqual({
      'kms:GrantIsForAWSResource': 'true',
    });
    expect(JSON.stringify(statements)).not.toContain(
      '"AWS":{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":iam::",{"Ref":"AWS::AccountId"},":role/aws-service-role',
    );
  });
});

describe('an aborted or timed-out run stops its Batch jobs (fix 4)', () => {
  it('gives the state machine role DescribeJobs and TerminateJob', () => {
    // "IAM policies for AWS Batch" (Step Functions): .sync needs SubmitJob, DescribeJobs, TerminateJob.
    const role = stacks.training.stateMachine.role;
    const policies = templates.training.findResources('AWS::IAM::Policy');
    const roleRef = resolve(stacks.training, role.roleName);
    const actions = Object.values(policies)
      .filter((p) =>
        JSON.stringify((p as { Properties: { Roles: unknown } }).Properties.Roles).includes(roleRef),
      )
      .flatMap(
        (p) =>
          (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
            .Statement,
      )
      .flatMap((s) => asArray(s.Action));
    expect(actions).toEqual(
      expect.arrayContaining(['batch:SubmitJob', 'batch:DescribeJobs', 'batch:TerminateJob']),
    );
  });
});

describe('the WAF lets the API’s own batches through (fix 5)', () => {
  it('counts instead of blocking bodies over 8 KB when the API accepts more, derived from serving.maxBodyBytes', () => {
    expect(config.serving.maxBodyBytes).toBeGreaterThan(WAF_CRS_BODY_LIMIT_BYTES);
    templates.serving.hasResourceProperties('AWS::WAFv2::WebACL', {
      Rules: Match.arrayWith([
        Match.objectLike({
          Name: 'AWSManagedRulesCommonRuleSet',
          Statement: {
            ManagedRuleGroupStatement: {
              VendorName: 'AWS',
              Name: 'AWSManagedRulesCommonRuleSet',
              RuleActionOverrides: [{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }],
            },
          },
        }),
      ]),
    });
  });

  it('keeps the rule blocking when the API itself accepts no more than 8 KB', () => {
    expect(commonRuleSetOverrides(WAF_CRS_BODY_LIMIT_BYTES)).toBeUndefined();
    const small = platform({ serving: { maxBodyBytes: 8192 } });
    const acl = Object.values(
      Template.fromStack(small.stacks.serving).findResources('AWS::WAFv2::WebACL'),
    )[0] as {
      Properties: { Rules: { Name: string; Statement: { ManagedRuleGroupStatement?: object } }[] };
    };
    const crs = acl.Properties.Rules.find((r) => r.Name === 'AWSManagedRulesCommonRuleSet');
    expect(crs?.Statement.ManagedRuleGroupStatement).toEqual({
      VendorName: 'AWS',
      Name: 'AWSManagedRulesCommonRuleSet',
    });
  });

  it('enforces the body limit in the predict function', () => {
    templates.serving.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ MAX_BODY_BYTES: String(config.serving.maxBodyBytes) }) },
    });
  });
});

describe('the trainer can write its model on SageMaker and on Batch (fix 6)', () => {
  const dockerfile = readFileSync(
    path.join(__dirname, '..', '..', '..', 'lambda', 'trainer', 'Dockerfile'),
    'utf8',
  );
  const runStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

  it('leaves the runtime image on root, which SageMaker’s root-owned /opt/ml mounts need', () => {
    expect(runStage).not.toMatch(/^\s*USER\s/m);
  });

  it('runs the Batch container as the unprivileged trainer user on a read-only root', () => {
    templates.training.hasResourceProperties('AWS::Batch::JobDefinition', {
      ContainerProperties: Match.objectLike({ User: '1001', ReadonlyRootFilesystem: true }),
    });
    expect(runStage).toMatch(/useradd --system --uid 1001/);
  });
});

describe('a fresh account can deploy the functions (fix 7)', () => {
  it('reserves no concurrency by default', () => {
    for (const template of [templates.preprocess, templates.serving, templates.training]) {
      template.allResourcesProperties('AWS::Lambda::Function', {
        ReservedConcurrentExecutions: Match.absent(),
      });
    }
  });

  it('refuses a reservation without the account quota, naming the key', () => {
    expect(() => platform({ serving: { reservedConcurrency: 20 } })).toThrow(ConfigError);
    expect(() => platform({ serving: { reservedConcurrency: 20 } })).toThrow(
      /factory\.quotas\.lambdaConcurrency: .*required when reserving concurrency \(serving\.reservedConcurrency = 20\)/,
    );
  });

  it('refuses reservations that leave fewer than 100 unreserved', () => {
    expect(() =>
      platform({
        preprocess: { reservedConcurrency: 10 },
        serving: { reservedConcurrency: 20 },
        quotas: { lambdaConcurrency: 120 },
      }),
    ).toThrow(/reserving 30 leaves 90 of 120 unreserved; Lambda requires at least 100/);
  });

  it('reserves what the quota allows', () => {
    const reserved = platform({
      preprocess: { reservedConcurrency: 10 },
      serving: { reservedConcurrency: 20 },
      quotas: { lambdaConcurrency: 1000 },
    });
    Template.fromStack(reserved.stacks.preprocess).hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 10,
    });
    Template.fromStack(reserved.stacks.serving).hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 20,
    });
  });
});

describe('no role can lock objects (fix 8)', () => {
  const lockActions = ['s3:PutObjectRetention', 's3:PutObjectLegalHold', 's3:BypassGovernanceRetention'];
  const covers = (granted: string, action: string) =>
    new RegExp(`^${granted.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(action);

  it.each(Object.keys(templates) as (keyof typeof templates)[])(
    'grants no Object Lock action in %s',
    (name) => {
      const policies = templates[name].findResources('AWS::IAM::Policy');
      const granted = Object.values(policies)
        .flatMap(
          (p) =>
            (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
              .Statement,
        )
        .filter((s) => s.Effect === 'Allow')
        .flatMap((s) => asArray(s.Action));
      for (const action of lockActions) expect(granted.filter((g) => covers(g, action))).toEqual([]);
    },
  );
});

describe('every service principal is conditioned on its source (fix 9)', () => {
  it('gives EventBridge neither the alerts key nor the topic: the rule publishes with its own role', () => {
    const key = keyStatements(templates.monitoring, 'AlertsKey');
    expect(key.filter((s) => servicePrincipals(s).includes('events.amazonaws.com'))).toEqual([]);
    templates.monitoring.hasResourceProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ RoleArn: Match.anyValue() })],
    });
  });

  it('lets only this stack’s alarms publish to the topic and use its key', () => {
    const alarms = {
      ArnLike: {
        'aws:SourceArn': {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':cloudwatch:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              `:alarm:${stacks.monitoring.stackName}-*`,
            ],
          ],
        },
      },
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
    };
    const key = keyStatements(templates.monitoring, 'AlertsKey').filter((s) =>
      servicePrincipals(s).includes('cloudwatch.amazonaws.com'),
    );
    expect(key.map((s) => s.Condition)).toEqual([alarms]);
    const topic = Object.values(templates.monitoring.findResources('AWS::SNS::TopicPolicy'))[0] as {
      Properties: { PolicyDocument: { Statement: Statement[] } };
    };
    const allows = topic.Properties.PolicyDocument.Statement.filter((s) => s.Effect === 'Allow');
    expect(allows.map((s) => [servicePrincipals(s), s.Condition])).toEqual([
      [['cloudwatch.amazonaws.com'], alarms],
    ]);
  });

  it('lets EventBridge use the platform key only for the preprocess rule’s dead letters', () => {
    const ruleName = `${config.prefix}-${config.stage}-on-raw-object`;
    templates.preprocess.hasResourceProperties('AWS::Events::Rule', { Name: ruleName });
    const events = keyStatements(templates.dataLake, 'Key').filter((s) =>
      servicePrincipals(s).includes('events.amazonaws.com'),
    );
    expect(events).toEqual([
      expect.objectContaining({
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Condition: {
          ArnEquals: {
            'aws:SourceArn': {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':events:',
                  { Ref: 'AWS::Region' },
                  ':',
                  { Ref: 'AWS::AccountId' },
                  `:rule/${ruleName}`,
                ],
              ],
            },
          },
        },
      }),
    ]);
  });
});

describe('every log group is declared, with retention and a key (fix 10)', () => {
  it('declares the API Gateway execution-log group before the stage can write to it', () => {
    const groups = templates.serving.findResources('AWS::Logs::LogGroup');
    const [id, group] = Object.entries(groups).find(([logicalId]) => logicalId.startsWith('ExecutionLogs'))!;
    expect((group as { Properties: Record<string, unknown> }).Properties).toEqual(
      expect.objectContaining({
        LogGroupName: {
          'Fn::Join': ['', ['API-Gateway-Execution-Logs_', { Ref: expect.stringMatching(/^Api/) }, '/v1']],
        },
        RetentionInDays: config.retention.logDays,
        KmsKeyId: expect.anything(),
      }),
    );
    templates.serving.hasResource('AWS::ApiGateway::Stage', { DependsOn: Match.arrayWith([id]) });
  });

  it.each([
    ['dataLake', 'Custom::S3AutoDeleteObjects'],
    ['network', 'Custom::VpcRestrictDefaultSG'],
  ] as const)('declares the log group of the aws-cdk-lib provider in %s before %s runs', (name, type) => {
    const template = templates[name];
    const groups = Object.entries(template.findResources('AWS::Logs::LogGroup')).filter(([, g]) =>
      JSON.stringify(g).includes('/aws/lambda/'),
    );
    expect(groups).toHaveLength(1);
    const [groupId, group] = groups[0];
    expect((group as { Properties: Record<string, unknown> }).Properties).toEqual(
      expect.objectContaining({ RetentionInDays: config.retention.logDays, KmsKeyId: expect.anything() }),
    );
    const custom = Object.values(template.findResources(type));
    expect(custom.length).toBeGreaterThan(0);
    for (const resource of custom)
      expect((resource as { DependsOn?: string[] }).DependsOn).toContain(groupId);
  });
});

describe('acknowledgements are true (fix 11)', () => {
  it('gives no house function an AWS-managed policy that writes to every log group', () => {
    for (const template of [templates.preprocess, templates.training, templates.serving]) {
      for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
        const text = JSON.stringify(role);
        if (!text.includes('lambda.amazonaws.com')) continue;
        expect(text).not.toContain('AWSLambdaBasicExecutionRole');
        expect(text).not.toContain('AWSLambdaVPCAccessExecutionRole');
      }
    }
  });

  it('writes function logs only to the function’s own log group', () => {
    const policy = JSON.stringify(templates.serving.findResources('AWS::IAM::Policy'));
    expect(policy).toContain('"Action":["logs:CreateLogStream","logs:PutLogEvents"]');
    expect(policy).not.toContain('logs:CreateLogGroup');
  });

  it('gives Batch instances no Session Manager policy', () => {
    expect(JSON.stringify(templates.training.findResources('AWS::IAM::Role'))).not.toContain(
      'AmazonSSMManagedInstanceCore',
    );
  });
});
