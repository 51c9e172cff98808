import { Duration, Stack } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { checkKmsServicePrincipal } from '../../../lib/rules/kms-service-principal';
import { CROSS_STACK_REFERENCES, messages, synthAssembly } from './synth-assembly';

/** The platform key as lib/constructs/house-key.ts declares it: root, CloudWatch Logs, no other service. */
function houseShapedKey(scope: Construct, id: string): kms.Key {
  const stack = Stack.of(scope);
  const key = new kms.Key(scope, id, { enableKeyRotation: true });
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchLogsForThisAccount',
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`,
        },
      },
    }),
  );
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'DenyGrantsNotForAwsResources',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: {
        BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
      },
    }),
  );
  return key;
}

const noCode = () => lambda.Code.fromInline('exports.handler = async () => ({})');
function smallFunction(scope: Construct, id: string): lambda.Function {
  return new lambda.Function(scope, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: noCode(),
  });
}

describe('Factory-KmsServicePrincipal', () => {
  describe('CloudTrail', () => {
    const dataLake = (allowCloudTrail: boolean) =>
      synthAssembly((app) => {
        const stack = new Stack(app, 'DataLake');
        const key = houseShapedKey(stack, 'Key');
        if (allowCloudTrail) {
          key.addToResourcePolicy(
            new iam.PolicyStatement({
              sid: 'AllowCloudTrailToEncryptLogs',
              principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
              actions: ['kms:GenerateDataKey*'],
              resources: ['*'],
              conditions: {
                StringLike: {
                  'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${stack.partition}:cloudtrail:*:${stack.account}:trail/*`,
                },
              },
            }),
          );
          key.addToResourcePolicy(
            new iam.PolicyStatement({
              sid: 'AllowCloudTrailToDescribeKey',
              principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
              actions: ['kms:DescribeKey'],
              resources: ['*'],
            }),
          );
        }
        const audit = new s3.Bucket(stack, 'Audit', {
          encryption: s3.BucketEncryption.KMS,
          encryptionKey: key,
        });
        const raw = new s3.Bucket(stack, 'Raw', { encryption: s3.BucketEncryption.KMS, encryptionKey: key });
        const trail = new cloudtrail.Trail(stack, 'DataEvents', {
          bucket: audit,
          encryptionKey: key,
          enableFileValidation: true,
          includeGlobalServiceEvents: false,
          isMultiRegionTrail: false,
          managementEvents: cloudtrail.ReadWriteType.NONE,
        });
        trail.addS3EventSelector([{ bucket: raw }], { readWriteType: cloudtrail.ReadWriteType.ALL });
      });

    it('reports a trail whose key policy has only the account root and CloudWatch Logs (the data-lake shape)', () => {
      const found = messages(checkKmsServicePrincipal(dataLake(false)));

      expect(found).toEqual([
        expect.stringMatching(
          /^\[Factory-KmsServicePrincipal\] DataLake\/DataEvents[0-9A-F]{8}: CloudTrail will refuse the trail .*the key policy of DataLake\/Key[0-9A-F]{8} does not allow cloudtrail\.amazonaws\.com kms:GenerateDataKey, kms:DescribeKey\.$/,
        ),
      ]);
    });

    it('passes once the key policy has the two CloudTrail statements of the CloudTrail guide', () => {
      expect(messages(checkKmsServicePrincipal(dataLake(true)))).toEqual([]);
    });
  });

  describe('EBS volumes of a launch template that AWS Batch launches through EC2 Auto Scaling', () => {
    const training = (
      context: Record<string, unknown>,
      keyStatements: (key: kms.Key, stack: Stack) => void,
    ) =>
      synthAssembly((app) => {
        const dataLake = new Stack(app, 'DataLake');
        const key = houseShapedKey(dataLake, 'Key');
        keyStatements(key, dataLake);
        const stack = new Stack(app, 'Training');
        const vpc = new ec2.Vpc(stack, 'Vpc', {
          natGateways: 0,
          subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
        });
        const launchTemplate = new ec2.LaunchTemplate(stack, 'BatchLaunchTemplate', {
          requireImdsv2: true,
          httpPutResponseHopLimit: 1,
          blockDevices: [
            {
              deviceName: '/dev/xvda',
              volume: ec2.BlockDeviceVolume.ebs(50, {
                encrypted: true,
                kmsKey: key,
                volumeType: ec2.EbsDeviceVolumeType.GP3,
                deleteOnTermination: true,
              }),
            },
          ],
        });
        new batch.ManagedEc2EcsComputeEnvironment(stack, 'OnDemand', {
          vpc,
          vpcSubnets: { subnetGroupName: 'private' },
          instanceTypes: [new ec2.InstanceType('c5.xlarge')],
          useOptimalInstanceClasses: false,
          maxvCpus: 8,
          launchTemplate,
        });
      }, context);

    it.each(CROSS_STACK_REFERENCES)(
      'reports the launch template whose key, read through a $mode cross-stack reference, does not admit AWSServiceRoleForAutoScaling',
      ({ context }) => {
        const found = messages(checkKmsServicePrincipal(training(context, () => undefined)));

        expect(found).toEqual([
          expect.stringMatching(
            /^\[Factory-KmsServicePrincipal\] Training\/BatchLaunchTemplate[0-9A-F]{8}: EC2 Auto Scaling will fail to launch instances .*\(used through Training\/OnDemand[0-9A-F]{8}\): the key policy of DataLake\/Key[0-9A-F]{8} does not allow the AWSServiceRoleForAutoScaling service-linked role kms:Encrypt, kms:Decrypt, kms:ReEncryptFrom, kms:ReEncryptTo, kms:GenerateDataKeyWithoutPlaintext, kms:DescribeKey, kms:CreateGrant\.$/,
          ),
        ]);
      },
    );

    it('passes a key policy that names the service-linked role, as the EC2 Auto Scaling guide shows', () => {
      const assembly = training({}, (key, stack) => {
        const role = new iam.ArnPrincipal(
          `arn:${stack.partition}:iam::${stack.account}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
        );
        key.addToResourcePolicy(
          new iam.PolicyStatement({
            sid: 'AllowServiceLinkedRoleUseOfTheKey',
            principals: [role],
            actions: [
              'kms:Encrypt',
              'kms:Decrypt',
              'kms:ReEncrypt*',
              'kms:GenerateDataKey*',
              'kms:DescribeKey',
            ],
            resources: ['*'],
          }),
        );
        key.addToResourcePolicy(
          new iam.PolicyStatement({
            sid: 'AllowAttachmentOfPersistentResources',
            principals: [role],
            actions: ['kms:CreateGrant'],
            resources: ['*'],
            conditions: { Bool: { 'kms:GrantIsForAWSResource': true } },
          }),
        );
      });

      expect(messages(checkKmsServicePrincipal(assembly))).toEqual([]);
    });

    it('passes Principal * narrowed by an aws:PrincipalArn condition naming the service-linked role', () => {
      const assembly = training({}, (key, stack) => {
        key.addToResourcePolicy(
          new iam.PolicyStatement({
            sid: 'AllowAutoScalingServiceLinkedRole',
            principals: [new iam.AnyPrincipal()],
            actions: [
              'kms:Encrypt',
              'kms:Decrypt',
              'kms:ReEncrypt*',
              'kms:GenerateDataKey*',
              'kms:DescribeKey',
              'kms:CreateGrant',
            ],
            resources: ['*'],
            conditions: {
              ArnEquals: {
                'aws:PrincipalArn': `arn:${stack.partition}:iam::${stack.account}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
              },
            },
          }),
        );
      });

      expect(messages(checkKmsServicePrincipal(assembly))).toEqual([]);
    });

    it('does not take a Principal * statement whose aws:PrincipalArn names another role for the service-linked role', () => {
      const assembly = training({}, (key, stack) => {
        key.addToResourcePolicy(
          new iam.PolicyStatement({
            principals: [new iam.AnyPrincipal()],
            actions: ['kms:*'],
            resources: ['*'],
            conditions: {
              ArnLike: { 'aws:PrincipalArn': `arn:${stack.partition}:iam::${stack.account}:role/Factory-*` },
            },
          }),
        );
      });

      expect(messages(checkKmsServicePrincipal(assembly))).toHaveLength(1);
    });
  });

  describe('SNS topics that AWS services publish to', () => {
    const monitoring = (declare: (stack: Stack, key: kms.Key, topic: sns.Topic) => void) =>
      synthAssembly((app) => {
        const stack = new Stack(app, 'Monitoring');
        const key = new kms.Key(stack, 'AlertsKey', { enableKeyRotation: true });
        const topic = new sns.Topic(stack, 'Alerts', { masterKey: key, enforceSSL: true });
        declare(stack, key, topic);
      });
    const alarm = (stack: Stack, topic: sns.Topic) =>
      new cloudwatch.Alarm(stack, 'DeadLetters', {
        metric: new cloudwatch.Metric({ namespace: 'Test', metricName: 'Depth' }),
        threshold: 1,
        evaluationPeriods: 1,
      }).addAlarmAction(new actions.SnsAction(topic));
    /** The monitoring stack's statement: both publishers, scoped by aws:SourceAccount. */
    const publishers = (stack: Stack, key: kms.Key) =>
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

    it('reports a topic that a CloudWatch alarm publishes to when its key admits no CloudWatch', () => {
      const found = messages(
        checkKmsServicePrincipal(monitoring((stack, _key, topic) => alarm(stack, topic))),
      );

      expect(found).toEqual([
        expect.stringMatching(
          /^\[Factory-KmsServicePrincipal\] Monitoring\/Alerts[0-9A-F]{8}: CloudWatch will fail to publish the alarm notifications .*\(used through Monitoring\/DeadLetters[0-9A-F]{8}\): the key policy of Monitoring\/AlertsKey[0-9A-F]{8} does not allow cloudwatch\.amazonaws\.com kms:GenerateDataKey, kms:Decrypt\.$/,
        ),
      ]);
    });

    it('passes the monitoring shape: alarm and EventBridge publishers, CDK adding the EventBridge grant itself', () => {
      const assembly = monitoring((stack, key, topic) => {
        publishers(stack, key);
        alarm(stack, topic);
        new events.Rule(stack, 'TrainingRunFailed', {
          eventPattern: { source: ['aws.states'] },
          targets: [new targets.SnsTopic(topic)],
        });
      });

      expect(messages(checkKmsServicePrincipal(assembly))).toEqual([]);
    });

    it('does not count an EventBridge key statement conditioned on aws:SourceAccount, which EventBridge requests do not satisfy', () => {
      const assembly = monitoring((stack, key, topic) => {
        publishers(stack, key);
        // A target written without the L2 (which would add its own unconditioned grant).
        new events.CfnRule(stack, 'TrainingRunFailed', {
          eventPattern: { source: ['aws.states'] },
          targets: [{ id: 'Alerts', arn: topic.topicArn }],
        });
      });

      expect(messages(checkKmsServicePrincipal(assembly))).toEqual([
        expect.stringMatching(
          /Monitoring\/Alerts[0-9A-F]{8}: EventBridge will fail every delivery to the topic .*\(used through Monitoring\/TrainingRunFailed\): .*does not allow events\.amazonaws\.com kms:GenerateDataKey, kms:Decrypt; statements conditioned on aws:SourceArn\/aws:SourceAccount do not count/,
        ),
      ]);
    });

    it('passes an EventBridge key statement scoped by the topic ARN encryption context instead', () => {
      const assembly = monitoring((stack, key, topic) => {
        key.addToResourcePolicy(
          new iam.PolicyStatement({
            principals: [new iam.ServicePrincipal('events.amazonaws.com')],
            actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            resources: ['*'],
            // The topic's own ARN would be a circular reference (topic -> key -> topic).
            conditions: {
              ArnLike: {
                'kms:EncryptionContext:aws:sns:topicArn': `arn:${stack.partition}:sns:${stack.region}:${stack.account}:*`,
              },
            },
          }),
        );
        new events.CfnRule(stack, 'TrainingRunFailed', {
          eventPattern: { source: ['aws.states'] },
          targets: [{ id: 'Alerts', arn: topic.topicArn }],
        });
      });

      expect(messages(checkKmsServicePrincipal(assembly))).toEqual([]);
    });
    it("passes an EventBridge target that publishes with its own role (the monitoring stack's authorizeUsingRole)", () => {
      const assembly = monitoring((stack, _key, topic) => {
        new events.Rule(stack, 'TrainingRunFailed', {
          eventPattern: { source: ['aws.states'] },
          targets: [new targets.SnsTopic(topic, { authorizeUsingRole: true })],
        });
      });

      expect(messages(checkKmsServicePrincipal(assembly))).toEqual([]);
    });

    it('reports an EventBridge target role whose policies do not reach the key', () => {
      const assembly = monitoring((stack, _key, topic) => {
        const role = new iam.Role(stack, 'EventsRole', {
          assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
        });
        topic.grantPublish(new iam.ServicePrincipal('events.amazonaws.com'));
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [topic.topicArn] }),
        );
        new events.CfnRule(stack, 'TrainingRunFailed', {
          eventPattern: { source: ['aws.states'] },
          targets: [{ id: 'Alerts', arn: topic.topicArn, roleArn: role.roleArn }],
        });
      });

      expect(messages(checkKmsServicePrincipal(assembly))).toEqual([
        expect.stringMatching(
          /Monitoring\/Alerts[0-9A-F]{8}: EventBridge will fail every delivery to the topic .*: neither the key policy of Monitoring\/AlertsKey[0-9A-F]{8} nor the IAM policies of role Monitoring\/EventsRole[0-9A-F]{8} \(the target's RoleArn, which the key policy must delegate to\) allow kms:GenerateDataKey, kms:Decrypt\.$/,
        ),
      ]);
    });
  });

  describe('SQS queues that AWS services send to', () => {
    const preprocess = (allowEvents: boolean) =>
      synthAssembly((app) => {
        const dataLake = new Stack(app, 'DataLake');
        const key = houseShapedKey(dataLake, 'Key');
        if (allowEvents) {
          key.addToResourcePolicy(
            new iam.PolicyStatement({
              principals: [new iam.ServicePrincipal('events.amazonaws.com')],
              actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
              resources: ['*'],
              conditions: { StringEquals: { 'aws:SourceAccount': dataLake.account } },
            }),
          );
        }
        const stack = new Stack(app, 'Preprocess');
        const deadLetters = new sqs.Queue(stack, 'DeadLetters', {
          encryption: sqs.QueueEncryption.KMS,
          encryptionMasterKey: key,
          enforceSSL: true,
        });
        const fn = smallFunction(stack, 'Function');
        // Lambda writes its destination records with the execution role: no key-policy statement needed.
        fn.configureAsyncInvoke({
          retryAttempts: 2,
          maxEventAge: Duration.hours(6),
          onFailure: new destinations.SqsDestination(deadLetters),
        });
        new events.Rule(stack, 'OnRawObject', {
          eventPattern: { source: ['aws.s3'], detailType: ['Object Created'] },
          targets: [new targets.LambdaFunction(fn, { retryAttempts: 2, deadLetterQueue: deadLetters })],
        });
      });

    it('reports the preprocess dead-letter queue: EventBridge cannot use the data-lake key it reaches across stacks', () => {
      expect(messages(checkKmsServicePrincipal(preprocess(false)))).toEqual([
        expect.stringMatching(
          /^\[Factory-KmsServicePrincipal\] Preprocess\/DeadLetters[0-9A-F]{8}: EventBridge cannot write undeliverable events to this dead-letter queue.*\(used through Preprocess\/OnRawObject[0-9A-F]{8}\): the key policy of DataLake\/Key[0-9A-F]{8} does not allow events\.amazonaws\.com kms:GenerateDataKey, kms:Decrypt\.$/,
        ),
      ]);
    });

    it('passes once the key admits EventBridge (the Lambda destination needs nothing from the key policy)', () => {
      expect(messages(checkKmsServicePrincipal(preprocess(true)))).toEqual([]);
    });
  });

  describe('CloudWatch Logs log groups', () => {
    const withLogGroup = (key: (stack: Stack) => kms.IKey, keyInServing = false) =>
      synthAssembly((app) => {
        const dataLake = keyInServing ? undefined : new Stack(app, 'DataLake');
        const serving = new Stack(app, 'Serving');
        new logs.LogGroup(serving, 'AccessLogs', { encryptionKey: key(dataLake ?? serving) });
      });

    it('reports a log group whose key (in another stack) does not admit logs.<region>.amazonaws.com', () => {
      const assembly = withLogGroup((stack) => new kms.Key(stack, 'Key'));

      expect(messages(checkKmsServicePrincipal(assembly))).toEqual([
        expect.stringMatching(
          /^\[Factory-KmsServicePrincipal\] Serving\/AccessLogs[0-9A-F]{8}: CloudWatch Logs will refuse to associate the key .*the key policy of DataLake\/Key[0-9A-F]{8} does not allow logs\.<region>\.amazonaws\.com kms:Encrypt, kms:Decrypt, kms:ReEncryptFrom, kms:ReEncryptTo, kms:GenerateDataKey, kms:DescribeKey\.$/,
        ),
      ]);
    });

    it('passes the house key, which admits the regional CloudWatch Logs principal', () => {
      expect(
        messages(checkKmsServicePrincipal(withLogGroup((stack) => houseShapedKey(stack, 'Key')))),
      ).toEqual([]);
    });

    it('does not check keys the app does not declare (an AWS managed key or a literal ARN)', () => {
      const assembly = withLogGroup(
        (stack) =>
          kms.Key.fromKeyArn(
            stack,
            'Key',
            'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
          ),
        true,
      );

      expect(messages(checkKmsServicePrincipal(assembly))).toEqual([]);
    });
  });
});
