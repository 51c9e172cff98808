import { Duration, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { functionNetwork } from '../network-plan';
import { PREPROCESS_BUCKETS, preprocessEnvironment } from '../../lambda/core/env/preprocess';
import { INPUT_SUFFIXES } from '../../lambda/core/input-key';
import { CURATED_PREFIXES } from '../../lambda/core/object-keys';
import { ATHENA_TABLES_PREFIX } from '../../lambda/core/curated-tables';
import { metricsNamespace, type FactoryConfig } from '../config';
import { NodeFunction } from '../constructs/node-function';

export interface PreprocessStackProps extends StackProps {
  readonly config: FactoryConfig;
  readonly vpc: ec2.IVpc;
  readonly key: kms.IKey;
  readonly raw: s3.IBucket;
  readonly curated: s3.IBucket;
}

/**
 * Cleaning on arrival: every CSV that lands in `raw` raises an EventBridge "Object Created"
 * event, and the preprocess function writes its cleaned rows, training rows, statistics
 * partial, quality report and quarantined rows to `curated`. Failed invocations (after two
 * retries) land in an encrypted dead-letter queue that the monitoring stack alarms on.
 */
export class PreprocessStack extends Stack {
  public readonly function: NodeFunction;
  public readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: PreprocessStackProps) {
    super(scope, id, props);
    const { config } = props;
    const maxObjectMiB = Math.ceil(config.preprocess.maxObjectBytes / 1024 ** 2);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const dlqReason =
      'This queue is itself the dead-letter destination of the preprocess function; a DLQ of a DLQ would only move the same messages again.';
    Validations.of(this.deadLetterQueue).acknowledge(
      { id: 'AwsSolutions-SQS3', reason: dlqReason },
      { id: 'Serverless-SQSRedrivePolicy', reason: dlqReason },
      { id: 'cdk-validator-cfnguard::sqs_dlq_check', reason: dlqReason },
      {
        id: 'cdk-validator-cfnguard::sqs_queue_encrypted_check',
        reason:
          'Encrypted with the platform KMS key from the data-lake stack (a cross-stack reference the guard rule cannot resolve); a template test asserts KmsMasterKeyId.',
      },
    );

    const isAthenaPrefix = (prefix: string) => prefix.startsWith(ATHENA_TABLES_PREFIX);
    this.function = new NodeFunction(this, 'Function', {
      handler: 'preprocess',
      description: 'Cleans one raw CSV: dedupe, mean fill, group statistics, quarantine',
      // 1,769 MB buys one full vCPU: the scanner is single-threaded and CPU-bound (~150 MB/s),
      // so a 512 MiB object takes seconds plus the S3 transfer; 5 minutes is ample headroom.
      memorySize: 1769,
      timeout: Duration.minutes(5),
      // The object is staged once in /tmp and read twice; outputs stream from /tmp too.
      ephemeralStorageSize: Math.min(10240, Math.max(512, 2 * maxObjectMiB + 256)),
      concurrency:
        config.preprocess.reservedConcurrency !== null
          ? { reserved: config.preprocess.reservedConcurrency }
          : {
              unreservedBecause:
                "No reservation by default: a new account's Lambda quota (as low as 10) has no room for one and the deploy would fail. Bursts of uploads queue as asynchronous events that Lambda retries for up to 6 hours (maxEventAge) before the DLQ; set preprocess.reservedConcurrency with quotas.lambdaConcurrency to reserve.",
            },
      network: functionNetwork(config, props.vpc),
      logKey: props.key,
      logRetention: config.retention.logDays as logs.RetentionDays,
      stage: config.stage,
      environment: preprocessEnvironment({
        schema: config.dataset,
        maxObjectBytes: config.preprocess.maxObjectBytes,
        maxColumns: config.preprocess.maxColumns,
        maxCategories: config.preprocess.maxCategories,
        delimiter: config.preprocess.delimiter,
        metricsNamespace: metricsNamespace(config),
        // Athena's copy only feeds the query stack's tables.
        athenaCopy: config.query.enabled,
      }),
    })
      .bindBucket(PREPROCESS_BUCKETS.raw, props.raw, { read: true })
      .bindBucket(PREPROCESS_BUCKETS.curated, props.curated, {
        write: true,
        // Without the query stack nothing is written under athena/; listing and deleting there
        // stay (below), so copies written while it was enabled go with their object's outputs.
        prefixes: config.query.enabled
          ? CURATED_PREFIXES
          : CURATED_PREFIXES.filter((p) => !isAthenaPrefix(p)),
      });

    // Replacing an object's outputs when a newer version lands: list the output folders (Athena's
    // copy's included, whether or not it is written now) and delete the stale keys. Exactly s3:DeleteObject, never DeleteObjectVersion: curated's
    // version history is what keeps the replaced outputs recoverable.
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ListCuratedOutputs',
        actions: ['s3:ListBucket'],
        resources: [props.curated.bucketArn],
        conditions: { StringLike: { 's3:prefix': CURATED_PREFIXES.map((prefix) => `${prefix}*`) } },
      }),
    );
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'DeleteStaleOutputs',
        actions: ['s3:DeleteObject'],
        resources: CURATED_PREFIXES.map((prefix) => props.curated.arnForObjects(`${prefix}*`)),
      }),
    );

    this.function.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
    });

    // EventBridge writes events it could not deliver to the dead-letter queue, which is encrypted
    // with the platform key: the key must let events.amazonaws.com use it for this rule ("Using
    // dead-letter queues to process undelivered events", EventBridge user guide), or those events
    // are lost. The rule has a fixed name so its ARN can be written into the key policy without
    // the key depending on the rule (rule -> queue -> key would be a cycle).
    const ruleName = `${config.prefix}-${config.stage}-on-raw-object`;
    props.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'EventBridgeDeadLetters',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: {
          ArnEquals: {
            'aws:SourceArn': this.formatArn({ service: 'events', resource: 'rule', resourceName: ruleName }),
          },
        },
      }),
    );
    new events.Rule(this, 'OnRawObject', {
      ruleName,
      description: 'Preprocess every CSV created in the raw bucket; drop the outputs of deleted ones',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created', 'Object Deleted'],
        // Suffixes ignoring case (`LINE-7.CSV`, `x.csv.gz`): a key the rule misses is never
        // processed and nothing says so. The handler checks the same list (input-key.ts).
        detail: {
          bucket: { name: [props.raw.bucketName] },
          object: {
            key: events.Match.anyOf(...INPUT_SUFFIXES.map((s) => events.Match.suffixEqualsIgnoreCase(s))),
          },
        },
      },
      targets: [
        new targets.LambdaFunction(this.function, {
          retryAttempts: 2,
          maxEventAge: Duration.hours(6),
          deadLetterQueue: this.deadLetterQueue,
        }),
      ],
    });
    Validations.of(this.function).acknowledge(
      {
        id: 'NIST.800.53.R5-LambdaDLQ',
        reason:
          'Failed asynchronous invocations go to the on-failure destination queue, which keeps the whole invocation record (a DLQ keeps only the event).',
      },
      {
        id: 'Serverless-LambdaDLQ',
        reason:
          'Failed asynchronous invocations go to the on-failure destination queue, which keeps the whole invocation record (a DLQ keeps only the event).',
      },
    );
  }
}
