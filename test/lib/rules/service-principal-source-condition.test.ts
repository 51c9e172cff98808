import { Stack } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { checkServicePrincipalSourceCondition } from '../../../lib/rules/service-principal-source-condition';
import { messages, synthAssembly } from './synth-assembly';

const code = lambda.Code.fromInline('exports.handler = async () => ({})');
const check = (declare: (stack: Stack) => void) =>
  messages(
    checkServicePrincipalSourceCondition(synthAssembly((app) => declare(new Stack(app, 'Monitoring')))),
  );
const keyWith = (stack: Stack, statement: iam.PolicyStatement) => {
  const key = new kms.Key(stack, 'Key');
  key.addToResourcePolicy(statement);
  return key;
};
const serviceStatement = (conditions?: Record<string, Record<string, unknown>>) =>
  new iam.PolicyStatement({
    sid: 'Service',
    principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    resources: ['*'],
    conditions,
  });

describe('Factory-ServicePrincipalSourceCondition', () => {
  it("reports the alerts key's EventBridge statement that the SnsTopic target adds with no condition (the monitoring shape)", () => {
    const found = check((stack) => {
      const key = new kms.Key(stack, 'AlertsKey', { enableKeyRotation: true });
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowAlarmAndEventPublishers',
          principals: [
            new iam.ServicePrincipal('cloudwatch.amazonaws.com'),
            new iam.ServicePrincipal('events.amazonaws.com'),
          ],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
        }),
      );
      const topic = new sns.Topic(stack, 'Alerts', { masterKey: key, enforceSSL: true });
      new events.Rule(stack, 'TrainingRunFailed', {
        eventPattern: { source: ['aws.states'] },
        targets: [new targets.SnsTopic(topic)],
      });
    });

    // The topic policy's own EventBridge statement is exempt: EventBridge documents that it cannot carry a condition.
    expect(found).toEqual([
      expect.stringMatching(
        /^\[Factory-ServicePrincipalSourceCondition\] Monitoring\/AlertsKey[0-9A-F]{8}: AWS will let events\.amazonaws\.com use this resource on behalf of any account's resources \(confused deputy\): statement 2 allows kms:Decrypt, kms:GenerateDataKey\* with no aws:SourceArn, aws:SourceAccount, aws:SourceOrgID, aws:SourceOrgPaths, kms:EncryptionContext:\*, kms:ViaService or kms:CallerAccount condition\.$/,
      ),
    ]);
  });

  it("reports CloudTrail's audit-bucket statements, which CDK's Trail writes without a source condition (the data-lake shape)", () => {
    const found = check((stack) => {
      const audit = new s3.Bucket(stack, 'Audit');
      const raw = new s3.Bucket(stack, 'Raw');
      const trail = new cloudtrail.Trail(stack, 'DataEvents', {
        bucket: audit,
        managementEvents: cloudtrail.ReadWriteType.NONE,
      });
      trail.addS3EventSelector([{ bucket: raw }]);
    });

    expect(found).toEqual([
      expect.stringMatching(
        /^\[Factory-ServicePrincipalSourceCondition\] Monitoring\/AuditPolicy[0-9A-F]{8}: AWS will let cloudtrail\.amazonaws\.com .*allows s3:GetBucketAcl with no aws:SourceArn, aws:SourceAccount, aws:SourceOrgID or aws:SourceOrgPaths condition\.$/,
      ),
      expect.stringMatching(
        /^\[Factory-ServicePrincipalSourceCondition\] Monitoring\/AuditPolicy[0-9A-F]{8}: AWS will let cloudtrail\.amazonaws\.com .*allows s3:PutObject with no/,
      ),
    ]);
  });

  it('passes the statements CDK scopes itself: EventBridge to a queue (aws:SourceArn), a Lambda permission (SourceArn), access-log delivery', () => {
    const found = check((stack) => {
      const queue = new sqs.Queue(stack, 'DeadLetters', { enforceSSL: true });
      const fn = new lambda.Function(stack, 'Function', {
        runtime: lambda.Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code,
      });
      new events.Rule(stack, 'OnRawObject', {
        eventPattern: { source: ['aws.s3'] },
        targets: [new targets.LambdaFunction(fn, { deadLetterQueue: queue })],
      });
      const logs = new s3.Bucket(stack, 'AccessLogs');
      new s3.Bucket(stack, 'Raw', { serverAccessLogsBucket: logs });
    });

    expect(found).toEqual([]);
  });

  it('passes a CloudWatch Logs key statement scoped by the kms:EncryptionContext:aws:logs:arn condition', () => {
    expect(
      check((stack) =>
        keyWith(
          stack,
          new iam.PolicyStatement({
            principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
            actions: ['kms:Encrypt*', 'kms:Decrypt*'],
            resources: ['*'],
            conditions: {
              ArnLike: {
                'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${stack.region}:${stack.account}:*`,
              },
            },
          }),
        ),
      ),
    ).toEqual([]);
  });

  it.each([
    ['aws:SourceArn', { ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:*' } }],
    ['aws:SourceOrgID', { StringEquals: { 'aws:SourceOrgID': 'o-abcdef' } }],
    ['aws:SourceOrgPaths', { 'ForAnyValue:StringLike': { 'aws:SourceOrgPaths': 'o-abcdef/r-ab12/*' } }],
    ['kms:ViaService', { StringEquals: { 'kms:ViaService': 'sns.eu-west-1.amazonaws.com' } }],
    ['kms:CallerAccount', { StringEquals: { 'kms:CallerAccount': '111122223333' } }],
  ])('accepts %s on a key statement', (_key, conditions) => {
    expect(check((stack) => keyWith(stack, serviceStatement(conditions)))).toEqual([]);
  });

  it('does not accept a KMS condition key outside a key policy, nor a condition that passes when the key is missing', () => {
    const found = check((stack) => {
      keyWith(stack, serviceStatement({ StringEqualsIfExists: { 'aws:SourceAccount': stack.account } }));
      const topic = new sns.Topic(stack, 'Alerts');
      topic.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: { StringEquals: { 'kms:CallerAccount': stack.account } },
        }),
      );
    });

    expect(found).toEqual([
      expect.stringMatching(/Monitoring\/Key[0-9A-F]{8}: .*statement Service allows/),
      expect.stringMatching(/Monitoring\/AlertsPolicy[0-9A-F]{8}: .*cloudwatch\.amazonaws\.com/),
    ]);
  });

  it('reports a Lambda permission for a service with neither SourceArn nor SourceAccount', () => {
    const found = check((stack) => {
      const fn = new lambda.Function(stack, 'Function', {
        runtime: lambda.Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code,
      });
      fn.addPermission('FromS3', { principal: new iam.ServicePrincipal('s3.amazonaws.com') });
    });

    expect(found).toEqual([
      expect.stringMatching(
        /^\[Factory-ServicePrincipalSourceCondition\] Monitoring\/FunctionFromS3[0-9A-F]{8}: Lambda will let s3\.amazonaws\.com invoke the function on behalf of any account's resources \(confused deputy\): the permission has no SourceArn or SourceAccount\.$/,
      ),
    ]);
  });

  it('needs no condition on a Deny statement, and leaves role trust policies alone', () => {
    const found = check((stack) => {
      keyWith(
        stack,
        new iam.PolicyStatement({
          effect: iam.Effect.DENY,
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['kms:Decrypt'],
          resources: ['*'],
        }),
      );
      new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    });

    expect(found).toEqual([]);
  });
});
