import { ArnFormat, CfnOutput, RemovalPolicy, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgePlatformKeyLogGroup, wildcardResourceFinding } from '../acknowledgements';
import { ingestLineField, type FactoryConfig } from '../config';
import {
  INGEST_ERROR_OBJECT_PREFIX,
  INGEST_ERROR_PREFIX,
  INGEST_FILE_EXTENSION,
  INGEST_OBJECT_PREFIX,
  INGEST_PREFIX,
  RECORD_SEPARATOR,
  TELEMETRY_TOPIC_FILTER,
  telemetryStreamName,
  telemetryTopic,
} from '../../lambda/core/ingest-layout';

export interface IngestStackProps extends StackProps {
  readonly config: FactoryConfig;
  /** The platform key: encrypts what the stream writes to raw and the delivery-error logs. */
  readonly key: kms.IKey;
  /** Where telemetry lands, under `ingest/`, for the preprocess rule. */
  readonly raw: s3.IBucket;
}

/**
 * Line telemetry in: each line's thing publishes JSON messages to `factory/<line>/telemetry`
 * (MQTT over TLS with its X.509 certificate); an AWS IoT Core topic rule adds the line id from
 * the topic and hands each message to an Amazon Data Firehose stream, which writes gzip JSON
 * Lines objects into `raw/ingest/<yyyy>/<MM>/<dd>/`, encrypted with the platform key, where the
 * preprocess rule picks them up. Line PCs that do not speak MQTT call Firehose PutRecordBatch
 * directly with the role this stack creates for them.
 */
export class IngestStack extends Stack {
  public readonly deliveryStream: firehose.CfnDeliveryStream;
  public readonly topicRule: iot.CfnTopicRule;
  /** Attach to each line's thing certificate: the thing may publish only to its own topic. */
  public readonly linePolicy: iot.CfnPolicy;
  /** For line PCs without MQTT: PutRecord / PutRecordBatch on the stream, nothing else. */
  public readonly linePcRole: iam.Role;
  public readonly deliveryStreamName: string;
  public readonly topicRuleName: string;

  constructor(scope: Construct, id: string, props: IngestStackProps) {
    super(scope, id, props);
    const { config, key, raw } = props;
    const { ingest } = config;
    const removalPolicy = config.stage === 'dev' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    // Fixed names: the roles' trust conditions name the stream and the rule before they exist.
    this.deliveryStreamName = telemetryStreamName(config.prefix, config.stage);
    this.topicRuleName = `${config.prefix}_${config.stage}_telemetry`.replace(/-/g, '_');
    const streamArn = this.formatArn({
      service: 'firehose',
      resource: 'deliverystream',
      resourceName: this.deliveryStreamName,
    });
    const ruleArn = this.formatArn({ service: 'iot', resource: 'rule', resourceName: this.topicRuleName });

    // --- delivery stream -----------------------------------------------------------------------
    // The stack's log groups: the configured retention, the platform key.
    const logGroup = (groupId: string) => {
      const group = new logs.LogGroup(this, groupId, {
        retention: config.retention.logDays as logs.RetentionDays,
        encryptionKey: key,
        removalPolicy,
      });
      acknowledgePlatformKeyLogGroup(group);
      return group;
    };
    const deliveryLogs = logGroup('DeliveryLogs');
    const deliveryLogStream = deliveryLogs.addStream('S3Delivery');
    const deliveryRole = new iam.Role(this, 'DeliveryRole', {
      description: 'Firehose writes telemetry objects to raw/ingest/ with the platform key',
      // "Grant Firehose access to an Amazon S3 destination" (Firehose developer guide), with the
      // stream named as the source, so no other stream can use the role.
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': this.account },
          ArnEquals: { 'aws:SourceArn': streamArn },
        },
      }),
    });
    const ingestObjects = [
      raw.arnForObjects(`${INGEST_PREFIX}*`),
      raw.arnForObjects(`${INGEST_ERROR_PREFIX}*`),
    ];
    deliveryRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteIngestObjects',
        actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:GetObject'],
        resources: ingestObjects,
      }),
    );
    deliveryRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadBucket',
        actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        resources: [raw.bucketArn],
      }),
    );
    deliveryRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'EncryptIngestObjects',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [key.keyArn],
        // The raw bucket uses an S3 Bucket Key (SecureBucket), and then S3 asks KMS with the
        // *bucket* ARN as the encryption context, not the object's ("Reducing the cost of SSE-KMS
        // with Amazon S3 Bucket Keys": policies that use the object ARN as encryption context
        // "won't work with an S3 Bucket Key"). The Firehose guide's example conditions on the
        // object prefix, which holds only without a Bucket Key; both are allowed, so delivery
        // works either way and the key is still usable only through S3 for this bucket.
        conditions: {
          StringEquals: { 'kms:ViaService': `s3.${this.region}.amazonaws.com` },
          StringLike: { 'kms:EncryptionContext:aws:s3:arn': [raw.bucketArn, ...ingestObjects] },
        },
      }),
    );
    deliveryRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'DeliveryErrorLogs',
        actions: ['logs:PutLogEvents'],
        resources: [
          this.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: `${deliveryLogs.logGroupName}:log-stream:${deliveryLogStream.logStreamName}`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    for (const objects of ingestObjects) {
      Validations.of(deliveryRole).acknowledge({
        id: wildcardResourceFinding(this, objects),
        reason:
          'Firehose names each object itself (stream name, time and a uuid under the date prefix); the grant is limited to the ingest prefixes.',
      });
    }

    this.deliveryStream = new firehose.CfnDeliveryStream(this, 'Telemetry', {
      deliveryStreamName: this.deliveryStreamName,
      deliveryStreamType: 'DirectPut',
      // Records wait in Firehose's buffer encrypted; the objects in raw carry the platform key.
      deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
      extendedS3DestinationConfiguration: {
        bucketArn: raw.bucketArn,
        roleArn: deliveryRole.roleArn,
        prefix: INGEST_OBJECT_PREFIX,
        errorOutputPrefix: INGEST_ERROR_OBJECT_PREFIX,
        compressionFormat: 'GZIP',
        // The preprocess rule matches the suffix; Firehose would otherwise end the name in `.gz`.
        fileExtension: INGEST_FILE_EXTENSION,
        bufferingHints: { sizeInMBs: ingest.bufferMiB, intervalInSeconds: ingest.bufferSeconds },
        encryptionConfiguration: { kmsEncryptionConfig: { awskmsKeyArn: key.keyArn } },
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: deliveryLogs.logGroupName,
          logStreamName: deliveryLogStream.logStreamName,
        },
      },
    });
    this.deliveryStream.node.addDependency(deliveryRole);

    // --- topic rule ----------------------------------------------------------------------------
    const ruleErrors = logGroup('RuleErrors');
    const ruleRole = new iam.Role(this, 'RuleRole', {
      description: 'The telemetry topic rule puts each message on the delivery stream',
      assumedBy: new iam.ServicePrincipal('iot.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': this.account },
          ArnEquals: { 'aws:SourceArn': ruleArn },
        },
      }),
    });
    ruleRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PutTelemetry',
        actions: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
        resources: [streamArn],
      }),
    );
    ruleRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'RuleErrorLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [ruleErrors.logGroupArn],
      }),
    );
    const lineField = ingestLineField(config);
    // The message as the line sent it, plus the line id of its topic. Nothing that differs between
    // an MQTT redelivery and its first delivery (a receive time, a message id), so the cleaning
    // step's de-duplication still catches a redelivered message.
    const select = lineField ? `*, topic(2) AS ${lineField}` : '*';
    this.topicRule = new iot.CfnTopicRule(this, 'TelemetryRule', {
      ruleName: this.topicRuleName,
      topicRulePayload: {
        description: 'Line telemetry to the Firehose stream that writes raw/ingest/',
        sql: `SELECT ${select} FROM '${TELEMETRY_TOPIC_FILTER}'`,
        awsIotSqlVersion: '2016-03-23',
        ruleDisabled: false,
        actions: [
          {
            firehose: {
              deliveryStreamName: this.deliveryStreamName,
              roleArn: ruleRole.roleArn,
              separator: RECORD_SEPARATOR,
              batchMode: false,
            },
          },
        ],
        errorAction: { cloudwatchLogs: { logGroupName: ruleErrors.logGroupName, roleArn: ruleRole.roleArn } },
      },
    });
    this.topicRule.node.addDependency(this.deliveryStream);

    // --- who may send ----------------------------------------------------------------------------
    // Each line's thing is named after its line id: the policy variable makes one policy serve
    // every line, and a line's certificate can publish nowhere but its own topic (AWS IoT Core
    // developer guide, "Thing policy variables").
    const thing = '${iot:Connection.Thing.ThingName}';
    this.linePolicy = new iot.CfnPolicy(this, 'LinePolicy', {
      policyName: `${config.prefix}-${config.stage}-line`,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'iot:Connect',
            Resource: this.formatArn({ service: 'iot', resource: 'client', resourceName: thing }),
            Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
          },
          {
            Effect: 'Allow',
            Action: 'iot:Publish',
            Resource: this.formatArn({
              service: 'iot',
              resource: 'topic',
              resourceName: telemetryTopic(thing),
            }),
          },
        ],
      },
    });
    this.linePcRole = new iam.Role(this, 'LinePcRole', {
      description: 'Line PCs without MQTT: PutRecord/PutRecordBatch on the telemetry stream only',
      assumedBy: new iam.AccountPrincipal(this.account),
    });
    this.linePcRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PutTelemetry',
        actions: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
        resources: [streamArn],
      }),
    );

    new CfnOutput(this, 'DeliveryStreamName', { value: this.deliveryStreamName });
    new CfnOutput(this, 'LinePcRoleArn', {
      value: this.linePcRole.roleArn,
      description: 'Assume it to call firehose:PutRecordBatch; end each record with a newline',
    });
    new CfnOutput(this, 'LinePolicyName', {
      value: this.linePolicy.ref,
      description: 'Attach to each line thing certificate (thing name = line id)',
    });
  }
}
