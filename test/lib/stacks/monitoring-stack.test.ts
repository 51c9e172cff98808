import { Match, Template } from 'aws-cdk-lib/assertions';
import { platform, snapshotOf } from '../../support/synth';

describe('monitoring stack', () => {
  const { stacks } = platform({ alarmEmail: 'ops@example.com' });
  const template = Template.fromStack(stacks.monitoring);

  it('publishes alerts to a KMS-encrypted, TLS-only topic with the configured e-mail subscription', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AlertsKey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('has no subscription when no e-mail is configured', () => {
    Template.fromStack(platform().stacks.monitoring).resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it.each([
    ['Errors', 'AWS/Lambda'],
    ['ApproximateNumberOfMessagesVisible', 'AWS/SQS'],
    ['ExecutionsFailed', 'AWS/States'],
    ['ExecutionsTimedOut', 'AWS/States'],
    ['5XXError', 'AWS/ApiGateway'],
    ['Latency', 'AWS/ApiGateway'],
  ])('alarms on %s (%s) with actions to the topic', (metricName, namespace) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: metricName,
      Namespace: namespace,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Alerts') }],
      OKActions: [{ Ref: Match.stringLikeRegexp('^Alerts') }],
    });
  });

  it('alarms on API p99 latency above one second', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Latency',
      ExtendedStatistic: 'p99',
      Threshold: 1000,
    });
  });

  it('notifies when a training run fails, times out or is aborted', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        source: ['aws.states'],
        detail: Match.objectLike({ status: ['FAILED', 'TIMED_OUT', 'ABORTED'] }),
      }),
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^Alerts') } })],
    });
  });

  it('builds one dashboard covering cleaning, training against plan, and serving', () => {
    const dashboards = template.findResources('AWS::CloudWatch::Dashboard');
    expect(Object.keys(dashboards)).toHaveLength(1);
    const body = JSON.stringify(Object.values(dashboards)[0]);
    for (const text of [
      'RowsIn',
      'QuarantinedRows',
      'ApproximateNumberOfMessagesVisible',
      'ExecutionTime',
      'PlannedSeconds',
      'PlannedInstances',
      'Latency',
      'p99',
      '5XXError',
      '4XXError',
      'Anomalies',
    ]) {
      expect(body).toContain(text);
    }
    expect(body).toContain('AiaasFactory/aiaas-factory/dev');
  });

  it('outputs console links to the dashboard and the state machine', () => {
    template.hasOutput('DashboardUrl', Match.anyValue());
    template.hasOutput('StateMachineUrl', Match.anyValue());
  });

  it('matches the snapshot', () => {
    expect(snapshotOf(template)).toMatchSnapshot();
  });
});
