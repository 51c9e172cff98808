import { Match, Template } from 'aws-cdk-lib/assertions';
import { DEFAULT_DATASET_SCHEMA } from '../../../lambda/core/dataset-schema';
import { platform } from '../../support/synth';

const driftFunction = (template: Template) => {
  const [id] = Object.entries(template.findResources('AWS::Lambda::Function')).find(
    ([, r]) => r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'drift',
  )!;
  return id;
};

describe('monitoring stack: drift of served data', () => {
  const { stacks } = platform();
  const template = Template.fromStack(stacks.monitoring);
  const fn = driftFunction(template);

  it('runs the drift step with the thresholds, the window and the predict log group', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'drift',
          DRIFT_WINDOW_HOURS: '24',
          DRIFT_PSI: '0.2',
          DRIFT_MEAN_SHIFT_SD: '0.5',
          PREDICT_LOG_GROUP: Match.anyValue(),
          MODELS_BUCKET: Match.anyValue(),
        }),
      },
      MemorySize: 256,
      Timeout: 300,
    });
  });

  it('may start queries on the predict log group only, read models/ and write models/drift/', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p).includes('logs:StartQuery'),
    );
    expect(policies).toHaveLength(1);
    const statements = policies[0].Properties.PolicyDocument.Statement as {
      Action: string | string[];
      Resource: unknown;
    }[];
    const start = statements.find((s) => s.Action === 'logs:StartQuery')!;
    expect(JSON.stringify(start.Resource)).toMatch(/OutputFnGetAttPredictLogs\w*Arn/);
    expect(statements.find((s) => s.Action === 'logs:GetQueryResults')!.Resource).toBe('*');
    const text = JSON.stringify(statements);
    expect(text).toContain('/models/*');
    expect(text).toContain('/models/drift/*');
    expect(text).not.toMatch(/"states:StartExecution"/);
  });

  it('is scheduled once per window', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 day)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fn, 'Arn'] } })],
    });
  });

  it('alarms with an action when a feature drifted, keeping its state between runs', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'DriftedFeatures',
      Dimensions: [{ Name: 'service', Value: 'drift' }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'ignore',
      AlarmActions: [Match.objectLike({ Ref: Match.stringLikeRegexp('^Alerts') })],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn } }],
      AlarmActions: Match.anyValue(),
    });
  });

  it('shows PSI per feature on the dashboard, with the threshold', () => {
    const body = JSON.stringify(
      Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody,
    );
    for (const feature of DEFAULT_DATASET_SCHEMA.features)
      expect(body).toContain(`DriftPsi\\",\\"feature\\",\\"${feature}\\"`);
    expect(body).toContain('monitoring.driftPsi 0.2');
  });

  it('starts no training run by default', () => {
    template.resourcePropertiesCountIs(
      'AWS::Events::Rule',
      { EventPattern: Match.objectLike({ 'detail-type': ['CloudWatch Alarm State Change'] }) },
      0,
    );
  });

  it('with monitoring.retrainOnDrift starts the training state machine when the drift alarm goes to ALARM, with a role that may start only it', () => {
    const { stacks: retrainStacks } = platform({ monitoring: { retrainOnDrift: true } });
    const retrain = Template.fromStack(retrainStacks.monitoring);
    const [alarmId] = Object.entries(retrain.findResources('AWS::CloudWatch::Alarm')).find(
      ([, r]) => r.Properties.MetricName === 'DriftedFeatures',
    )!;
    retrain.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        resources: [{ 'Fn::GetAtt': [alarmId, 'Arn'] }],
        detail: { state: { value: ['ALARM'] } },
      },
      Targets: [
        Match.objectLike({
          Arn: {
            'Fn::GetStackOutput': Match.objectLike({ OutputName: Match.stringLikeRegexp('RefPipeline') }),
          },
          RoleArn: {
            'Fn::GetStackOutput': Match.objectLike({
              OutputName: Match.stringLikeRegexp('PipelineEventsRole'),
            }),
          },
        }),
      ],
    });
    // The state machine's own EventBridge role (CDK's, shared with the training schedule): it may
    // states:StartExecution on that state machine and nothing else.
    const training = Template.fromStack(retrainStacks.training);
    const starts = Object.values(training.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p).includes('states:StartExecution'),
    );
    expect(starts.map((p) => p.Properties.PolicyDocument.Statement)).toEqual([
      [
        {
          Action: 'states:StartExecution',
          Effect: 'Allow',
          Resource: { Ref: expect.stringMatching(/^Pipeline/) },
        },
      ],
    ]);
  });

  it.each([
    [{ driftPsi: 0 }, /monitoring\.driftPsi: got 0; must be a number in \(0, 10\]/],
    [{ driftMeanShiftSd: 11 }, /monitoring\.driftMeanShiftSd: got 11; must be a number in \(0, 10\]/],
    [
      { driftWindowHours: 0.5 },
      /monitoring\.driftWindowHours: got 0\.5; must be a whole number of hours from 1 to 168/,
    ],
  ])('fails synth on monitoring %j, naming the key and its range', (monitoring, message) => {
    expect(() => platform({ monitoring })).toThrow(message);
  });

  it('fails synth on a window longer than the log retention', () => {
    expect(() => platform({ monitoring: { driftWindowHours: 48 }, retention: { logDays: 1 } })).toThrow(
      /monitoring\.driftWindowHours: got 48; must be at most retention\.logDays × 24 = 24 hours/,
    );
  });
});
