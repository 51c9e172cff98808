import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { EC2Client } from '@aws-sdk/client-ec2';
import { BatchClient } from '@aws-sdk/client-batch';

/**
 * SDK clients, created once per process and injected. `AWS_ENDPOINT_URL` (read by the SDK
 * itself) points them at moto_server locally. The S3 client has a module of its own (s3-client.ts).
 */
export { s3Client } from './s3-client';

let sagemaker: SageMakerClient | undefined;
let ec2: EC2Client | undefined;
let batch: BatchClient | undefined;

export const sageMakerClient = (): SageMakerClient => (sagemaker ??= new SageMakerClient({}));
export const ec2Client = (): EC2Client => (ec2 ??= new EC2Client({}));
export const batchClient = (): BatchClient => (batch ??= new BatchClient({}));
