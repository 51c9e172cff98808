import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface SecureBucketProps {
  /** Customer-managed key for SSE-KMS (with an S3 bucket key, so KMS calls stay cheap). */
  readonly encryptionKey: kms.IKey;
  /** Destination of this bucket's server access logs. */
  readonly accessLogs: s3.IBucket;
  /** Prefix under the log bucket; defaults to the construct id. @default `${id}/` */
  readonly accessLogsPrefix?: string;
  /** `prod` retains the bucket on stack deletion; `dev` destroys it and its objects. */
  readonly stage: 'dev' | 'prod';
  /** Lifecycle rules besides the non-current version expiry every bucket gets. @default none */
  readonly lifecycleRules?: s3.LifecycleRule[];
  /** Default Object Lock retention for new object versions. @default none (lock enabled, no default) */
  readonly objectLockRetention?: s3.ObjectLockRetention;
  /**
   * Object Lock on the bucket. Only for buckets whose objects are transient (pipeline artifacts),
   * where a lock protects nothing and would only let writers lock objects; it cannot be turned on
   * later. @default true
   */
  readonly objectLock?: boolean;
  /** Non-current object versions expire after this many days. */
  readonly noncurrentVersionDays: number;
}

/**
 * The house data bucket: private (all four Block Public Access flags, owner-enforced ACLs),
 * TLS 1.2+ only, versioned, SSE-KMS with a bucket key, access-logged, with a lifecycle.
 * Every data bucket of the platform is one of these, so no stack repeats a default.
 */
export class SecureBucket extends Construct {
  public readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    const dev = props.stage === 'dev';
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: new s3.BlockPublicAccess({
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      }),
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: props.accessLogsPrefix ?? `${id}/`,
      // Object Lock without a default retention changes nothing until a hold or retention is
      // set, and can only be turned on at creation, so every data bucket gets it.
      objectLockEnabled: (props.objectLock ?? true) || undefined,
      objectLockDefaultRetention: props.objectLockRetention,
      lifecycleRules: [
        {
          id: 'expire-noncurrent-versions',
          noncurrentVersionExpiration: Duration.days(props.noncurrentVersionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
        // Replaced outputs leave delete markers; once their versions expire, remove them too.
        { id: 'remove-expired-delete-markers', expiredObjectDeleteMarker: true },
        ...(props.lifecycleRules ?? []),
      ],
      removalPolicy: dev ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      autoDeleteObjects: dev,
    });
    enableEventBridge(this.bucket);
  }
}

/**
 * Object events go to EventBridge (free until a rule matches): raw's start preprocessing, the
 * others serve audit and downstream automation. Set on the bucket itself rather than through
 * `eventBridgeEnabled`, which adds a Lambda-backed custom resource to do the same at deploy time.
 */
export function enableEventBridge(bucket: s3.Bucket): void {
  (bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
    eventBridgeConfiguration: { eventBridgeEnabled: true },
  };
}
