/** SDK clients pointed at one moto_server, with dummy credentials: nothing reaches a real account. */
import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECRClient } from '@aws-sdk/client-ecr';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { GlueClient } from '@aws-sdk/client-glue';
import { IAMClient } from '@aws-sdk/client-iam';
import { IoTClient } from '@aws-sdk/client-iot';
import { KMSClient } from '@aws-sdk/client-kms';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';

export interface MotoClients {
  readonly endpoint: string;
  readonly region: string;
  readonly athena: AthenaClient;
  readonly cloudFormation: CloudFormationClient;
  readonly ec2: EC2Client;
  readonly ecr: ECRClient;
  readonly events: EventBridgeClient;
  readonly firehose: FirehoseClient;
  readonly glue: GlueClient;
  readonly iam: IAMClient;
  readonly iot: IoTClient;
  readonly kms: KMSClient;
  readonly lambda: LambdaClient;
  readonly s3: S3Client;
  readonly sfn: SFNClient;
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
  readonly ssm: SSMClient;
  destroy(): void;
}

export function motoClients(endpoint: string, region: string): MotoClients {
  // Node 20 is supported here (package.json engines); the SDK's end-of-support notice is noise.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const config = {
    endpoint,
    region,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    // moto answers at once; a retried call only hides the first error.
    maxAttempts: 1,
  };
  const clients = {
    athena: new AthenaClient(config),
    cloudFormation: new CloudFormationClient(config),
    ec2: new EC2Client(config),
    ecr: new ECRClient(config),
    events: new EventBridgeClient(config),
    firehose: new FirehoseClient(config),
    glue: new GlueClient(config),
    iam: new IAMClient(config),
    iot: new IoTClient(config),
    kms: new KMSClient(config),
    lambda: new LambdaClient(config),
    s3: new S3Client({ ...config, forcePathStyle: true }),
    sfn: new SFNClient(config),
    sns: new SNSClient(config),
    sqs: new SQSClient(config),
    ssm: new SSMClient(config),
  };
  return {
    endpoint,
    region,
    ...clients,
    destroy: () => Object.values(clients).forEach((c) => c.destroy()),
  };
}

/** POSTs JSON to one of moto's own endpoints (`/moto-api/...`); throws on a non-2xx answer. */
export async function motoApi(endpoint: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${endpoint}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`moto ${path}: HTTP ${res.status} ${await res.text()}`);
}
