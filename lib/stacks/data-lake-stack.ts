import { Duration, RemovalPolicy, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { FactoryConfig } from '../config';
import { SecureBucket, enableEventBridge } from '../constructs/secure-bucket';

export interface DataLakeStackProps extends StackProps {
  readonly config: FactoryConfig;
}

/**
 * The stateful part of the platform, in its own stack so everything else can be torn down and
 * redeployed: the platform KMS key and the raw (landing), curated and models buckets, plus the
 * bucket that receives their server access logs.
 */
export class DataLakeStack extends Stack {
  public readonly key: kms.Key;
  public readonly raw: s3.Bucket;
  public readonly curated: s3.Bucket;
  public readonly models: s3.Bucket;
  public readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: DataLakeStackProps) {
    super(scope, id, props);
    const { stage, retention } = props.config;
    const dev = stage === 'dev';

    this.key = new kms.Key(this, 'Key', {
      description: `${props.config.prefix} platform key: data buckets, queues, logs`,
      enableKeyRotation: true,
      removalPolicy: dev ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(dev ? 7 : 30),
    });
    // CloudWatch Logs encrypts the platform's log groups with this key; scoped by encryption
    // context to this account's log groups so no other account's logs can use it.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogsForThisAccount',
        principals: [new iam.ServicePrincipal(`logs.${this.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${this.partition}:logs:${this.region}:${this.account}:log-group:*`,
          },
        },
      }),
    );
    // Control Tower CT.KMS.PR.3: grants on this key may be created only by AWS services acting
    // for the platform (S3, Logs, Lambda), never handed out by a principal directly.
    this.key.addToResourcePolicy(
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

    // S3 server access logging delivers only to SSE-S3 buckets, so this one bucket cannot use KMS.
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      objectLockEnabled: true,
      lifecycleRules: [
        {
          id: 'expire-access-logs',
          expiration: Duration.days(retention.accessLogDays),
          noncurrentVersionExpiration: Duration.days(1),
        },
      ],
      removalPolicy: dev ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      autoDeleteObjects: dev,
    });
    enableEventBridge(this.accessLogs);
    acknowledgeLogBucket(this.accessLogs);

    const common = {
      encryptionKey: this.key,
      accessLogs: this.accessLogs,
      stage,
      noncurrentVersionDays: retention.noncurrentVersionDays,
    };
    this.raw = new SecureBucket(this, 'Raw', {
      ...common,
      lifecycleRules: [
        {
          id: 'age-raw-data',
          transitions: [
            {
              storageClass: s3.StorageClass.INFREQUENT_ACCESS,
              transitionAfter: Duration.days(retention.rawInfrequentAccessDays),
            },
            {
              storageClass: s3.StorageClass.GLACIER,
              transitionAfter: Duration.days(retention.rawGlacierDays),
            },
          ],
        },
      ],
    }).bucket;
    this.curated = new SecureBucket(this, 'Curated', common).bucket;
    this.models = new SecureBucket(this, 'Models', common).bucket;
    for (const bucket of [this.raw, this.curated, this.models]) acknowledgeDataBucket(bucket);
  }
}

function acknowledgeDataBucket(bucket: s3.Bucket): void {
  Validations.of(bucket).acknowledge({
    id: 'NIST.800.53.R5-S3BucketReplicationEnabled',
    reason:
      'Cross-region replication doubles storage cost and needs a second region the platform does not own; durability comes from S3 (11 nines), versioning and RETAIN in prod.',
  });
}

function acknowledgeLogBucket(bucket: s3.Bucket): void {
  Validations.of(bucket).acknowledge(
    { id: 'AwsSolutions-S1', reason: 'This is the access-log destination; logging it to itself would loop.' },
    {
      id: 'NIST.800.53.R5-S3BucketLoggingEnabled',
      reason: 'This is the access-log destination; logging it to itself would loop.',
    },
    {
      id: 'NIST.800.53.R5-S3DefaultEncryptionKMS',
      reason: 'S3 server access log delivery supports only SSE-S3 destination buckets, not SSE-KMS.',
    },
    {
      id: 'cdk-validator-cfnguard::s3_bucket_logging_enabled_check',
      reason: 'This is the access-log destination; logging it to itself would loop.',
    },
    {
      id: 'cdk-validator-cfnguard::s3_bucket_default_encryption_kms_check',
      reason: 'S3 server access log delivery supports only SSE-S3 destination buckets, not SSE-KMS.',
    },
    {
      id: 'NIST.800.53.R5-S3BucketReplicationEnabled',
      reason:
        'Access logs are operational records with a fixed expiry; replicating them to a second region adds cost without a recovery need.',
    },
  );
}
