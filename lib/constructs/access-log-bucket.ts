import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { enableEventBridge } from './secure-bucket';

export interface AccessLogBucketProps {
  /** Access logs expire after this many days. */
  readonly expirationDays: number;
  /** `dev` destroys the bucket with its objects; `prod` keeps it. */
  readonly stage: 'dev' | 'prod';
}

const SELF_LOGGING = 'This is the access-log destination; logging it to itself would loop.';
const SSE_S3_ONLY = 'S3 server access log delivery supports only SSE-S3 destination buckets, not SSE-KMS.';
const NO_OBJECT_LOCK =
  "S3 buckets with Object Lock can't be used as destination buckets for server access logs (S3 user guide, Object Lock considerations); with it, log delivery to this bucket would fail.";
const NO_REPLICATION =
  'Access logs are operational records with a fixed expiry; replicating them to a second region adds cost without a recovery need.';

/**
 * The destination of the house buckets' server access logs: private, TLS-only, versioned,
 * expiring. S3 log delivery writes only to SSE-S3 buckets without Object Lock, so this one
 * bucket uses neither KMS nor Object Lock (unlike every other house bucket); the findings that
 * follow from that are acknowledged here, once. Factory-AccessLogDestination (lib/rules) keeps
 * every logging bucket pointed at a destination S3 can deliver to.
 */
export function accessLogBucket(scope: Construct, id: string, props: AccessLogBucketProps): s3.Bucket {
  const dev = props.stage === 'dev';
  const bucket = new s3.Bucket(scope, id, {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    versioned: true,
    lifecycleRules: [
      {
        id: 'expire-access-logs',
        expiration: Duration.days(props.expirationDays),
        noncurrentVersionExpiration: Duration.days(1),
      },
    ],
    removalPolicy: dev ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    autoDeleteObjects: dev,
  });
  enableEventBridge(bucket);
  Validations.of(bucket).acknowledge(
    { id: 'AwsSolutions-S1', reason: SELF_LOGGING },
    { id: 'NIST.800.53.R5-S3BucketLoggingEnabled', reason: SELF_LOGGING },
    { id: 'cdk-validator-cfnguard::s3_bucket_logging_enabled_check', reason: SELF_LOGGING },
    { id: 'NIST.800.53.R5-S3DefaultEncryptionKMS', reason: SSE_S3_ONLY },
    { id: 'cdk-validator-cfnguard::s3_bucket_default_encryption_kms_check', reason: SSE_S3_ONLY },
    { id: 'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check', reason: NO_OBJECT_LOCK },
    { id: 'NIST.800.53.R5-S3BucketReplicationEnabled', reason: NO_REPLICATION },
  );
  return bucket;
}
