import {
  CreateBucketCommand,
  PutBucketLoggingCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { LocalBuckets } from '../pipeline-summary';
import type { RunClock } from '../run-clock';
import { REGION } from './moto-session';

/** The data-lake stack's bucket names for a platform prefix. */
export function bucketNames(prefix: string): LocalBuckets {
  return {
    raw: `${prefix}-raw`,
    curated: `${prefix}-curated`,
    models: `${prefix}-models`,
    accessLogs: `${prefix}-access-logs`,
  };
}

/** The buckets as the data-lake stack declares them: versioned, public access blocked, access-logged. */
export async function createBuckets(clock: RunClock, s3: S3Client, buckets: LocalBuckets): Promise<void> {
  await clock.step('buckets', async () => {
    for (const bucket of [buckets.accessLogs, buckets.raw, buckets.curated, buckets.models]) {
      await s3.send(
        new CreateBucketCommand({
          Bucket: bucket,
          CreateBucketConfiguration: { LocationConstraint: REGION },
        }),
      );
      await s3.send(
        new PutBucketVersioningCommand({
          Bucket: bucket,
          VersioningConfiguration: { Status: 'Enabled' },
        }),
      );
      await s3.send(
        new PutPublicAccessBlockCommand({
          Bucket: bucket,
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
        }),
      );
    }
    // Server access logs go to the log bucket through a bucket policy for the logging service,
    // as in the stack (moto records the setting; it does not deliver log files).
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: buckets.accessLogs,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'logging.s3.amazonaws.com' },
              Action: 's3:PutObject',
              Resource: `arn:aws:s3:::${buckets.accessLogs}/*`,
            },
          ],
        }),
      }),
    );
    for (const bucket of [buckets.raw, buckets.curated, buckets.models]) {
      await s3.send(
        new PutBucketLoggingCommand({
          Bucket: bucket,
          BucketLoggingStatus: {
            LoggingEnabled: { TargetBucket: buckets.accessLogs, TargetPrefix: `${bucket}/` },
          },
        }),
      );
    }
    // Not emulated: SSE-KMS with the platform key. moto would store the setting but encrypts
    // nothing and checks no key policy, so setting it here would only pretend; the data-lake
    // stack's tests assert the real encryption. Object lock on the log bucket is left out too.
  });
  clock.say(`buckets: ${Object.values(buckets).join(', ')} (versioned, public access blocked)`);
}
