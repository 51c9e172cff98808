import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * Object writes, and nothing else: `s3:PutObject` and `s3:AbortMultipartUpload` on the keys
 * under `keyPattern`, plus the two KMS actions SSE-KMS writes need on the bucket's key.
 *
 * Why not `bucket.grantPut` / `grantReadWrite`: they also grant `s3:PutObjectRetention` and
 * `s3:PutObjectLegalHold`. Every platform bucket has Object Lock enabled, so a role holding those
 * (or a compromised one) could lock objects in compliance mode for years, where nobody, root
 * included, can delete them. No platform role sets a retention or a hold; the project rule pack
 * keeps it that way.
 *
 * KMS: S3 calls `kms:GenerateDataKey` for every SSE-KMS write, and a multipart upload (the SDK's
 * `Upload` for large outputs) also needs `kms:Decrypt` to assemble the parts ("Multipart upload
 * API and permissions", S3 user guide: "you must have permission to the kms:Decrypt and
 * kms:GenerateDataKey actions").
 */
export function grantObjectWrites(bucket: s3.IBucket, grantee: iam.IGrantable, keyPattern = '*'): void {
  iam.Grant.addToPrincipal({
    grantee,
    actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
    resourceArns: [bucket.arnForObjects(keyPattern)],
  });
  bucket.encryptionKey?.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt');
}
