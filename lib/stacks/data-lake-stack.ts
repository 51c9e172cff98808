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
  public readonly trail?: cloudtrail.CfnTrail;

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
    if (security.cloudTrailDataEvents) this.trail = this.recordDataEvents(props.config, common);

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

  /**
   * Object-level reads and writes of the data buckets, to an audit bucket of the house kind.
   *
   * The trail has a fixed name so its ARN can be written before it exists: the key policy and the
   * bucket policy name it in `aws:SourceArn`, and `trail.trailArn` would make key, bucket policy
   * and trail depend on each other. CloudTrail checks both when the trail is created and refuses
   * it ("insufficient permissions to access S3 bucket or KMS key") unless the key lets
   * cloudtrail.amazonaws.com generate data keys and describe the key, and the bucket lets it read
   * the bucket ACL and put objects ("Configure AWS KMS key policies for CloudTrail" and "Amazon S3
   * bucket policy for CloudTrail", CloudTrail user guide; both recommend `aws:SourceArn`).
   * The L1 trail is used because the L2 `Trail` adds an unconditioned `s3:GetBucketAcl`
   * statement for cloudtrail.amazonaws.com to the bucket policy.
   */
  private recordDataEvents(
    config: FactoryConfig,
    common: Omit<SecureBucketProps, 'lifecycleRules'>,
  ): cloudtrail.CfnTrail {
    const audit = new SecureBucket(this, 'Audit', common).bucket;
    acknowledgeDataBucket(audit);
    const trailName = `${config.prefix}-${config.stage}-data-events`;
    const trailArn = this.formatArn({ service: 'cloudtrail', resource: 'trail', resourceName: trailName });
    const cloudTrail = new iam.ServicePrincipal('cloudtrail.amazonaws.com');
    const fromThisTrail = { 'aws:SourceArn': trailArn };

    audit.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailAclCheck',
        principals: [cloudTrail],
        actions: ['s3:GetBucketAcl'],
        resources: [audit.bucketArn],
        conditions: { StringEquals: fromThisTrail },
      }),
    );
    audit.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailWrite',
        principals: [cloudTrail],
        actions: ['s3:PutObject'],
        resources: [audit.arnForObjects(`AWSLogs/${this.account}/*`)],
        conditions: { StringEquals: { ...fromThisTrail, 's3:x-amz-acl': 'bucket-owner-full-control' } },
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailEncryptsLogs',
        principals: [cloudTrail],
        actions: ['kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: fromThisTrail,
          StringLike: {
            'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${this.partition}:cloudtrail:*:${this.account}:trail/*`,
          },
        },
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailDescribesKey',
        principals: [cloudTrail],
        actions: ['kms:DescribeKey'],
        resources: ['*'],
        conditions: { StringEquals: fromThisTrail },
      }),
    );

    const dataBuckets = [this.raw, this.curated, this.models];
    const trail = new cloudtrail.CfnTrail(this, 'DataEvents', {
      trailName,
      isLogging: true,
      s3BucketName: audit.bucketName,
      kmsKeyId: this.key.keyArn,
      enableLogFileValidation: true,
      includeGlobalServiceEvents: false,
      isMultiRegionTrail: false,
      // Management events usually have an account or organization trail already; this one
      // records what those do not: who read or wrote which object.
      eventSelectors: [
        {
          includeManagementEvents: false,
          readWriteType: 'All',
          dataResources: [{ type: 'AWS::S3::Object', values: dataBuckets.map((b) => `${b.bucketArn}/`) }],
        },
      ],
    });
    // CloudTrail checks the bucket policy when the trail is created.
    if (audit.policy) trail.node.addDependency(audit.policy);
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
