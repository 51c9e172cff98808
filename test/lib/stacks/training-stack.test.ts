import { Match, Template } from 'aws-cdk-lib/assertions';
import { sizeTrainingCapacity } from '../../../lambda/core/planner';
import { platform, snapshotOf } from '../../support/synth';

describe('training stack', () => {
  const { stacks, config } = platform();
  const template = Template.fromStack(stacks.training);
  const definition = (t: Template): Record<string, Record<string, unknown>> => {
    const machine = Object.values(t.findResources('AWS::StepFunctions::StateMachine'))[0] as {
      Properties: { DefinitionString: { 'Fn::Join': [string, unknown[]] } };
    };
    const text = machine.Properties.DefinitionString['Fn::Join'][1]
      .map((part) => (typeof part === 'string' ? part : 'TOKEN'))
      .join('');
    return JSON.parse(text).States;
  };

  it('sizes Batch maxvCpus and the SageMaker instance ceiling with the T = n/p planner', () => {
    const workload = {
      rowsPerRun: config.training.rowsPerRun,
      deadlineSeconds: config.training.deadlineSeconds,
      maxInstances: config.training.maxInstances,
      startupSeconds: config.training.startupSeconds,
      secondsPerUnit: config.training.secondsPerUnit,
      serialSeconds: config.training.serialSeconds,
    };
    const batchPlan = sizeTrainingCapacity({ ...workload, instanceType: 'm5.xlarge' });
    template.allResourcesProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({ MaxvCpus: batchPlan.maxvCpus, MinvCpus: 0 }),
    });
    template.hasOutput('BatchMaxVcpus', { Value: String(batchPlan.maxvCpus) });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ MAX_INSTANCES: String(stacks.training.sageMakerCapacity.p) }),
      },
    });
  });

  it('buys more capacity when the workload needs it to meet the deadline', () => {
    const big = platform({
      training: { engine: 'batch', rowsPerRun: 400_000_000, deadlineSeconds: 1800, maxInstances: 20 },
    });
    const t = Template.fromStack(big.stacks.training);
    expect(big.stacks.training.batchCapacity.p).toBeGreaterThan(1);
    t.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({ MaxvCpus: big.stacks.training.batchCapacity.p * 4 }),
    });
    t.hasOutput('TrainingPlan', {
      Value: Match.stringLikeRegexp(`^engine=batch rows=400000000 p=${big.stacks.training.batchCapacity.p} `),
    });
  });

  it('runs Batch instances from a launch template with IMDSv2, hop limit 1, encrypted EBS and no key pair', () => {
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        BlockDeviceMappings: [
          Match.objectLike({ Ebs: Match.objectLike({ Encrypted: true, KmsKeyId: Match.anyValue() }) }),
        ],
        Monitoring: { Enabled: true },
      }),
    });
    const data = JSON.stringify(template.findResources('AWS::EC2::LaunchTemplate'));
    expect(data).not.toContain('KeyName');
  });

  it('has on-demand and Spot compute environments in private subnets behind one queue', () => {
    template.resourceCountIs('AWS::Batch::ComputeEnvironment', 2);
    template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({
        Type: 'SPOT',
        AllocationStrategy: 'SPOT_PRICE_CAPACITY_OPTIMIZED',
      }),
    });
    template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({ Type: 'EC2' }),
    });
    template.resourceCountIs('AWS::Batch::JobQueue', 1);
  });

  it('gives the SageMaker role only the training prefixes and the image', () => {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^SageMakerRole') }] },
    });
    const text = JSON.stringify(policies);
    expect(text).toContain('/train/*');
    expect(text).toContain('/clean/*');
    expect(text).toContain('/training/*');
    expect(text).not.toContain('"s3:*"');
    expect(text).not.toContain('/models/*');
  });

  it('trains on SageMaker in the VPC with KMS volumes and outputs, a runtime cap and inter-container encryption', () => {
    const train = definition(template).TrainOnSageMaker as {
      Parameters: Record<string, unknown>;
      Resource: string;
    };
    expect(train.Resource).toContain('sagemaker:createTrainingJob.sync');
    expect(train.Parameters).toMatchObject({
      EnableInterContainerTrafficEncryption: true,
      StoppingCondition: { MaxRuntimeInSeconds: config.training.maxRuntimeSeconds },
      ResourceConfig: {
        'InstanceCount.$': '$.plan.p',
        InstanceType: 'ml.m5.xlarge',
        VolumeKmsKeyId: 'TOKEN',
      },
      OutputDataConfig: { KmsKeyId: 'TOKEN' },
      VpcConfig: { SecurityGroupIds: ['TOKEN'] },
      InputDataConfig: [{ DataSource: { S3DataSource: { S3DataDistributionType: 'ShardedByS3Key' } } }],
    });
  });

  it('uses managed spot training when configured', () => {
    const spot = Template.fromStack(platform({ training: { spot: true } }).stacks.training);
    const train = definition(spot).TrainOnSageMaker as { Parameters: Record<string, unknown> };
    expect(train.Parameters).toMatchObject({
      EnableManagedSpotTraining: true,
      StoppingCondition: { MaxWaitTimeInSeconds: config.training.maxRuntimeSeconds * 2 },
    });
  });

  it('orchestrates plan, train on either engine, evaluate and promote, with retries and a failure state', () => {
    const states = definition(template);
    expect(Object.keys(states)).toEqual(
      expect.arrayContaining([
        'StartRun',
        'PlanCapacity',
        'ChooseEngine',
        'TrainOnSageMaker',
        'ShardsOnBatch',
        'TrainShardsOnBatch',
        'TrainOneShardOnBatch',
        'ReduceOnBatch',
        'EvaluateCandidate',
        'PromoteCandidate',
        'Served',
        'AwaitingApproval',
        'KeptCurrentModel',
        'RecordSageMakerJob',
        'RecordBatchJob',
        'TrainingFailed',
      ]),
    );
    for (const name of [
      'PlanCapacity',
      'TrainOnSageMaker',
      'TrainShardsOnBatch',
      'ReduceOnBatch',
      'EvaluateCandidate',
      'PromoteCandidate',
    ]) {
      const state = states[name] as {
        Retry: { ErrorEquals: string[]; BackoffRate: number }[];
        Catch: { Next: string }[];
      };
      const transient = state.Retry.find((r) =>
        r.ErrorEquals.includes('SageMaker.ResourceLimitExceededException'),
      );
      expect(transient?.ErrorEquals).toEqual(
        expect.arrayContaining(['ThrottlingException', 'Batch.ServerException']),
      );
      expect(transient?.BackoffRate).toBe(2);
      expect(state.Catch[0].Next).toBe('TrainingFailed');
    }
    expect((states.TrainShardsOnBatch as { Parameters: Record<string, unknown> }).Parameters).toMatchObject({
      ArrayProperties: { 'Size.$': '$.plan.p' },
    });
  });

  it('keeps every finished training job as a calibration record without letting that fail the run', () => {
    const states = definition(template);
    const sageMaker = states.TrainOnSageMaker as { Parameters: { Tags: unknown[] }; Next: string };
    expect(sageMaker.Parameters.Tags).toEqual([{ Key: 'units', 'Value.$': "States.Format('{}', $.plan.n)" }]);
    expect(sageMaker.Next).toBe('RecordSageMakerJob');
    expect((states.ReduceOnBatch as { Next: string }).Next).toBe('RecordBatchJob');
    for (const name of ['RecordSageMakerJob', 'RecordBatchJob']) {
      const step = states[name] as { Next: string; Catch: { ErrorEquals: string[]; Next: string }[] };
      expect(step.Next).toBe('EvaluateCandidate');
      expect(step.Catch).toEqual([
        expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'EvaluateCandidate' }),
      ]);
    }
    expect((states.TrainShardsOnBatch as { Parameters: Record<string, unknown> }).Parameters).toMatchObject({
      Tags: { 'units.$': "States.Format('{}', $.plan.n)" },
    });
  });

  it('logs every state machine event, traces, and times out', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
      TracingConfiguration: { Enabled: true },
    });
  });

  it('starts on the configured schedule', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 day)' });
    const none = Template.fromStack(platform({ training: { schedule: null } }).stacks.training);
    expect(
      none.findResources('AWS::Events::Rule', { Properties: { ScheduleExpression: Match.anyValue() } }),
    ).toEqual({});
  });

  describe('Model Registry', () => {
    const group = `${config.prefix}-${config.stage}-models`;
    const policyOf = (fnPrefix: string): { Action: string | string[]; Resource: unknown }[] => {
      const fns = template.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: fnPrefix }) } },
      });
      const roleId = (Object.values(fns)[0] as { Properties: { Role: { 'Fn::GetAtt': string[] } } })
        .Properties.Role['Fn::GetAtt'][0];
      const policies = template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: roleId }] },
      });
      return Object.values(policies).flatMap(
        (p) =>
          (p as { Properties: { PolicyDocument: { Statement: never[] } } }).Properties.PolicyDocument
            .Statement,
      );
    };

    it('declares one model package group named from the prefix and stage', () => {
      template.resourceCountIs('AWS::SageMaker::ModelPackageGroup', 1);
      template.hasResourceProperties('AWS::SageMaker::ModelPackageGroup', { ModelPackageGroupName: group });
    });

    it('registers every candidate on both branches: promote follows evaluate, then the pointer decides', () => {
      const states = definition(template);
      expect((states.EvaluateCandidate as { Next: string }).Next).toBe('PromoteCandidate');
      expect((states.PromoteCandidate as { Next: string }).Next).toBe('Served');
      const served = states.Served as { Choices: { Next: string }[]; Default: string };
      expect(served.Choices.map((c) => c.Next)).toEqual(['Done', 'AwaitingApproval']);
      expect(served.Default).toBe('KeptCurrentModel');
    });

    it("lets promote create and update model packages of the deployment's group only", () => {
      const statements = policyOf('promote').filter((s) =>
        [s.Action].flat().some((a) => a.startsWith('sagemaker:')),
      );
      expect(statements).toHaveLength(1);
      expect([statements[0].Action].flat().sort()).toEqual([
        'sagemaker:CreateModelPackage',
        'sagemaker:DescribeModelPackage',
        'sagemaker:UpdateModelPackage',
      ]);
      expect(JSON.stringify(statements[0].Resource)).toContain(`:model-package/${group}/*`);
      expect(JSON.stringify(statements[0].Resource)).toContain(`:model-package-group/${group}`);
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            POWERTOOLS_SERVICE_NAME: 'promote',
            MODEL_PACKAGE_GROUP: group,
            MANUAL_APPROVAL: 'false',
          }),
        },
      });
    });

    it('lets the approval function only describe and update model packages of the group', () => {
      const statements = policyOf('approval').filter((s) =>
        [s.Action].flat().some((a) => a.startsWith('sagemaker:')),
      );
      expect(statements.map((s) => s.Action)).toEqual([
        ['sagemaker:DescribeModelPackage', 'sagemaker:UpdateModelPackage'],
      ]);
      expect(JSON.stringify(statements[0].Resource)).toContain(`:model-package/${group}/*`);
    });

    it('invokes the approval function on an Approved state change of a package in the group, from that rule only', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['aws.sagemaker'],
          'detail-type': ['SageMaker Model Package State Change'],
          detail: { ModelPackageGroupName: [group], ModelApprovalStatus: ['Approved'] },
        },
        Targets: [Match.objectLike({ RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 2 }) })],
      });
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ModelApproved'), 'Arn'] },
      });
    });

    it('turns manual approval on by default in prod, and off with models.manualApproval false', () => {
      const prod = Template.fromStack(platform({ stage: 'prod' }).stacks.training);
      prod.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'promote', MANUAL_APPROVAL: 'true' }),
        },
      });
      const off = Template.fromStack(
        platform({ stage: 'prod', models: { manualApproval: false } }).stacks.training,
      );
      off.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'promote', MANUAL_APPROVAL: 'false' }),
        },
      });
    });

    it('fails synth naming models.manualApproval for a value that is not true, false or null', () => {
      expect(() => platform({ models: { manualApproval: 'yes' } })).toThrow(/models\.manualApproval/);
    });
  });

  it('matches the snapshot', () => {
    expect(snapshotOf(template)).toMatchSnapshot();
  });

  it('hands training.task and training.positiveClass to the trainer and the plan step', () => {
    const classification = Template.fromStack(
      platform({ training: { task: 'classification', positiveClass: 1 } }).stacks.training,
    );
    classification.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'plan', TRAINING_TASK: 'classification' }),
      },
    });
    const definition = JSON.stringify(classification.findResources('AWS::StepFunctions::StateMachine'));
    expect(definition).toContain('\\"task\\":\\"classification\\"');
    expect(definition).toContain('\\"positive_class\\":\\"1\\"');
  });
});
