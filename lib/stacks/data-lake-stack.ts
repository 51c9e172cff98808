import { CfnOutput, Duration, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { resolveSecurity, type FactoryConfig } from '../config';
import { accessLogBucket } from '../constructs/access-log-bucket';
import { houseKey } from '../constructs/house-key';
import { SecureBucket, type SecureBucketProps } from '../constructs/secure-bucket';

export interface DataLakeStackProps extends StackProps {
  readonly config: FactoryConfig;
  /** The VPC's S3 gateway endpoint: with `vpcEndpointOnly`, data is reachable only through it. */
  readonly s3Endpoint: ec2.IGatewayVpcEndpoint;
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
  /** CloudTrail trail recording object-level reads and writes, when enabled. */
  public readonly trail?: cloudtrail.Trail;

  constructor(scope: Construct, id: string, props: DataLakeStackProps) {
    super(scope, id, props);
    const { stage, retention } = props.config;
    const security = resolveSecurity(props.config);

    this.key = houseKey(this, 'Key', {
      description: `${props.config.prefix} platform key: data buckets, queues, logs`,
      stage,
    });

    this.accessLogs = accessLogBucket(this, 'AccessLogs', { expirationDays: retention.accessLogDays, stage });

    const common = {
      encryptionKey: this.key,
      accessLogs: this.accessLogs,
      stage,
      noncurrentVersionDays: retention.noncurrentVersionDays,
    };
    this.raw = new SecureBucket(this, 'Raw', {
      ...common,
      // Compliance mode: nobody, root included, can delete or overwrite a raw version before
      // the retention ends: the lineage of every model stays provable.
      objectLockRetention:
        security.rawObjectLockDays > 0
          ? s3.ObjectLockRetention.compliance(Duration.days(security.rawObjectLockDays))
          : undefined,
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

    if (security.vpcEndpointOnly) {
      for (const bucket of [this.curated, this.models])
        denyDataAccessOutsideVpc(bucket, props.s3Endpoint, security.adminRoleArns);
    }
    if (security.restrictKeyToPlatform) this.restrictKeyUse(props.config, security.adminRoleArns);
    if (security.cloudTrailDataEvents) this.trail = this.recordDataEvents(common);

    // What a person types: `aws s3 cp line.csv s3://<RawBucketName>/production/`.
    new CfnOutput(this, 'RawBucketName', {
      value: this.raw.bucketName,
      description: 'Upload production CSVs here',
    });
    new CfnOutput(this, 'CuratedBucketName', {
      value: this.curated.bucketName,
      description: 'Cleaned data, statistics, reports, quarantine',
    });
    new CfnOutput(this, 'ModelsBucketName', {
      value: this.models.bucketName,
      description: 'Model artifacts and the current pointer',
    });
  }

  /**
   * Data-plane use of the key (decrypt, encrypt, data keys) only by the platform's own roles,
   * which CloudFormation names after their stacks (`<Prefix>-<stage>-*`), the CDK deployment
   * roles, configured admin roles and AWS services acting for them; key administration stays
   * with the account.
   */
  private restrictKeyUse(config: FactoryConfig, adminRoleArns: readonly string[]): void {
    const role = (name: string) => `arn:${this.partition}:iam::${this.account}:role/${name}`;
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyDataUseOutsideThePlatform',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          ArnNotLike: {
            // Service-linked roles: EC2/Auto Scaling and SageMaker use the key for encrypted
            // volumes through grants made for the platform's jobs.
            'aws:PrincipalArn': [
              role(`${stackPrefix(config)}-*`),
              role('cdk-*'),
              role('aws-service-role/*'),
              ...adminRoleArns,
            ],
          },
          BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
        },
      }),
    );
  }

  /** Object-level reads and writes of the data buckets, to an audit bucket of the house kind. */
  private recordDataEvents(common: Omit<SecureBucketProps, 'lifecycleRules'>): cloudtrail.Trail {
    const audit = new SecureBucket(this, 'Audit', common).bucket;
    acknowledgeDataBucket(audit);
    const trail = new cloudtrail.Trail(this, 'DataEvents', {
      bucket: audit,
      encryptionKey: this.key,
      enableFileValidation: true,
      includeGlobalServiceEvents: false,
      isMultiRegionTrail: false,
      // Management events usually have an account or organization trail already; this one
      // records what those do not: who read or wrote which object.
      managementEvents: cloudtrail.ReadWriteType.NONE,
      sendToCloudWatchLogs: false,
    });
    trail.addS3EventSelector(
      [this.raw, this.curated, this.models].map((bucket) => ({ bucket })),
      { readWriteType: cloudtrail.ReadWriteType.ALL, includeManagementEvents: false },
    );
    const noLogsReason =
      'Data events go to the KMS-encrypted, versioned, access-logged audit bucket with file validation; streaming every object read to CloudWatch Logs as well would double the cost for no extra control.';
    Validations.of(trail).acknowledge(
      { id: 'NIST.800.53.R5-CloudTrailCloudWatchLogsEnabled', reason: noLogsReason },
      { id: 'cdk-validator-cfnguard::cloud_trail_cloud_watch_logs_enabled_check', reason: noLogsReason },
    );
    return trail;
  }
}

/** Which stacks' roles are the platform's: CloudFormation names roles after their stack. */
function stackPrefix(config: FactoryConfig): string {
  const pascal = config.prefix
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
  return `${pascal}-${config.stage}`;
}

/**
 * Denies object reads, writes and listings that do not come through the VPC's S3 endpoint,
 * except from AWS services acting for a caller and from configured admin roles. Bucket
 * configuration actions are left alone so CloudFormation can still manage the bucket.
 */
function denyDataAccessOutsideVpc(
  bucket: s3.Bucket,
  endpoint: ec2.IGatewayVpcEndpoint,
  adminRoleArns: readonly string[],
): void {
  bucket.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'DenyDataAccessOutsideTheVpcEndpoint',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: [
        's3:GetObject*',
        's3:PutObject*',
        's3:DeleteObject*',
        's3:ListBucket',
        's3:ListBucketVersions',
        's3:RestoreObject',
      ],
      resources: [bucket.bucketArn, bucket.arnForObjects('*')],
      conditions: {
        StringNotEquals: { 'aws:SourceVpce': endpoint.vpcEndpointId },
        BoolIfExists: { 'aws:ViaAWSService': 'false' },
        ...(adminRoleArns.length ? { ArnNotLike: { 'aws:PrincipalArn': [...adminRoleArns] } } : {}),
      },
    }),
  );
}

function acknowledgeDataBucket(bucket: s3.Bucket): void {
  Validations.of(bucket).acknowledge({
    id: 'NIST.800.53.R5-S3BucketReplicationEnabled',
    reason:
      'Cross-region replication doubles storage cost and needs a second region the platform does not own; durability comes from S3 (11 nines), versioning and RETAIN in prod.',
  });
}
