import { Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { accessLogBucket } from '../../../lib/constructs/access-log-bucket';
import { SecureBucket } from '../../../lib/constructs/secure-bucket';
import { checkAccessLogDestination } from '../../../lib/rules/access-log-destination';
import { CROSS_STACK_REFERENCES, messages, synthAssembly } from './synth-assembly';

/** A house data bucket (SecureBucket) of the data-lake stack whose access logs go to `logs`. */
function houseBucket(scope: Construct, logs: s3.IBucket): s3.Bucket {
  return new SecureBucket(scope, 'Raw', {
    encryptionKey: new kms.Key(scope, 'Key'),
    accessLogs: logs,
    stage: 'prod',
    noncurrentVersionDays: 30,
  }).bucket;
}

/** The access-log bucket as accessLogBucket() built it before the fix: SSE-S3, with Object Lock. */
const lockedLogBucket = (scope: Construct) =>
  new s3.Bucket(scope, 'AccessLogs', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    versioned: true,
    objectLockEnabled: true,
  });

describe('Factory-AccessLogDestination', () => {
  it('reports a house bucket logging to an Object-Lock-enabled log bucket, as accessLogBucket() built it', () => {
    const assembly = synthAssembly((app) => {
      const stack = new Stack(app, 'DataLake');
      houseBucket(stack, lockedLogBucket(stack));
    });

    expect(messages(checkAccessLogDestination(assembly))).toEqual([
      expect.stringMatching(
        /^\[Factory-AccessLogDestination\] DataLake\/AccessLogs[0-9A-F]{8}: S3 will not deliver the server access logs of DataLake\/RawBucket[0-9A-F]{8} to this bucket: it has Object Lock enabled, and "S3 buckets with Object Lock can't be used as destination buckets for server access logs" \(S3 user guide, Object Lock considerations\)\. Log to a bucket without Object Lock\.$/,
      ),
    ]);
    expect(checkAccessLogDestination(assembly)[0].location).toBe('Properties/ObjectLockEnabled');
  });

  it('passes the house bucket logging to accessLogBucket() as it is now (SSE-S3, no Object Lock)', () => {
    const assembly = synthAssembly((app) => {
      const stack = new Stack(app, 'DataLake');
      houseBucket(stack, accessLogBucket(stack, 'AccessLogs', { expirationDays: 90, stage: 'prod' }));
    });

    expect(messages(checkAccessLogDestination(assembly))).toEqual([]);
  });

  it.each(CROSS_STACK_REFERENCES)(
    'follows a $mode cross-stack reference to the log bucket of another stack',
    ({ context }) => {
      const assembly = synthAssembly((app) => {
        const logs = lockedLogBucket(new Stack(app, 'DataLake'));
        houseBucket(new Stack(app, 'Training'), logs);
      }, context);

      expect(messages(checkAccessLogDestination(assembly))).toEqual([
        expect.stringMatching(
          /^\[Factory-AccessLogDestination\] DataLake\/AccessLogs[0-9A-F]{8}: S3 will not deliver the server access logs of Training\/RawBucket[0-9A-F]{8} to /,
        ),
      ]);
    },
  );

  it('names every bucket that logs to the destination in one finding', () => {
    const assembly = synthAssembly((app) => {
      const stack = new Stack(app, 'DataLake');
      const logs = lockedLogBucket(stack);
      houseBucket(stack, logs);
      new s3.Bucket(stack, 'Models', { serverAccessLogsBucket: logs });
    });

    expect(messages(checkAccessLogDestination(assembly))).toEqual([
      expect.stringMatching(/of DataLake\/RawBucket[0-9A-F]{8}, DataLake\/Models[0-9A-F]{8} to this bucket/),
    ]);
  });

  it.each([
    ['SSE-KMS', s3.BucketEncryption.KMS, 'aws:kms \\(SSE-KMS\\)'],
    ['DSSE-KMS', s3.BucketEncryption.DSSE, 'aws:kms:dsse \\(DSSE-KMS\\)'],
  ])('reports a destination with %s default encryption', (_name, encryption, shown) => {
    const assembly = synthAssembly((app) => {
      const stack = new Stack(app, 'DataLake');
      houseBucket(
        stack,
        new s3.Bucket(stack, 'AccessLogs', { encryption, encryptionKey: new kms.Key(stack, 'LogKey') }),
      );
    });

    const findings = checkAccessLogDestination(assembly);
    expect(messages(findings)).toEqual([
      expect.stringMatching(
        new RegExp(
          `to this bucket: its default encryption is ${shown}, and a destination bucket may use default encryption "only if you use server-side encryption with Amazon S3 managed keys \\(SSE-S3\\)"`,
        ),
      ),
    ]);
    expect(findings[0].location).toBe(
      'Properties/BucketEncryption/ServerSideEncryptionConfiguration/0/ServerSideEncryptionByDefault/SSEAlgorithm',
    );
  });

  it('passes a destination with no BucketEncryption (S3 encrypts it with SSE-S3 by default)', () => {
    const assembly = synthAssembly((app) => {
      const stack = new Stack(app, 'DataLake');
      houseBucket(stack, new s3.Bucket(stack, 'AccessLogs'));
    });

    expect(messages(checkAccessLogDestination(assembly))).toEqual([]);
  });

  it('resolves a literal destination name to the bucket of the assembly with that BucketName', () => {
    const assembly = synthAssembly((app) => {
      const stack = new Stack(app, 'DataLake');
      new s3.Bucket(stack, 'AccessLogs', { bucketName: 'factory-access-logs', objectLockEnabled: true });
      new s3.CfnBucket(stack, 'Raw', {
        loggingConfiguration: { destinationBucketName: 'factory-access-logs', logFilePrefix: 'raw/' },
      });
      new s3.CfnBucket(stack, 'Elsewhere', {
        loggingConfiguration: { destinationBucketName: 'a-bucket-of-another-app' },
      });
    });

    expect(messages(checkAccessLogDestination(assembly))).toEqual([
      expect.stringMatching(
        /^\[Factory-AccessLogDestination\] DataLake\/AccessLogs[0-9A-F]{8}: .* of DataLake\/Raw to this bucket/,
      ),
    ]);
  });

  it('treats a LoggingConfiguration without a destination as logging to the bucket itself', () => {
    const assembly = synthAssembly((app) => {
      new s3.CfnBucket(new Stack(app, 'DataLake'), 'Audit', {
        objectLockEnabled: true,
        loggingConfiguration: { logFilePrefix: 'self/' },
      });
    });

    expect(messages(checkAccessLogDestination(assembly))).toEqual([
      expect.stringContaining(
        'DataLake/Audit: S3 will not deliver the server access logs of the bucket itself',
      ),
    ]);
  });
});
