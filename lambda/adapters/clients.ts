import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { EC2Client } from '@aws-sdk/client-ec2';
import { BatchClient } from '@aws-sdk/client-batch';

/**
 * SDK clients, created once per process and injected. `AWS_ENDPOINT_URL` (read by the SDK
 * itself) points them at moto_server locally; S3 then needs path-style addressing because
 * loopback has no bucket subdomains.
 */
const local = Boolean(process.env.AWS_ENDPOINT_URL);

let s3: S3Client | undefined;
let sagemaker: SageMakerClient | undefined;
let ec2: EC2Client | undefined;
let batch: BatchClient | undefined;

export const s3Client = (): S3Client => (s3 ??= new S3Client({ forcePathStyle: local }));
export const sageMakerClient = (): SageMakerClient => (sagemaker ??= new SageMakerClient({}));
export const ec2Client = (): EC2Client => (ec2 ??= new EC2Client({}));
export const batchClient = (): BatchClient => (batch ??= new BatchClient({}));
