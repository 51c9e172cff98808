/**
 * What `cdk bootstrap` leaves in an environment and what `cdk deploy` does before it creates a
 * stack, done against moto with the real APIs: the bootstrap version parameter the templates'
 * `BootstrapVersion` rule reads, the staging bucket and the container-assets repository, the
 * CloudFormation execution role; then asset publishing (each file asset zipped or copied to the
 * key its template names) and the context lookups the CLI performs before a synth.
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { DescribeAvailabilityZonesCommand } from '@aws-sdk/client-ec2';
import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { CreateBucketCommand, PutObjectCommand, type BucketLocationConstraint } from '@aws-sdk/client-s3';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import type { Assembly, FileAsset, ImageAsset } from './assembly';
import type { MotoClients } from './clients';
import { zipDirectory } from './zip';

/** The default bootstrap qualifier (`cdk bootstrap` without `--qualifier`). */
export const QUALIFIER = 'hnb659fds';

export interface BootstrapEnvironment {
  readonly account: string;
  readonly region: string;
  readonly version: string;
  readonly versionParameter: string;
  readonly stagingBucket: string;
  readonly containerRepository: string;
  readonly cfnExecutionRoleArn: string;
}

/** The bootstrap template version of the installed CDK CLI (its `CdkBootstrapVersion` value). */
export function bootstrapTemplateVersion(): string {
  const template = readFileSync(
    join(require.resolve('aws-cdk/package.json'), '..', 'lib', 'api', 'bootstrap', 'bootstrap-template.yaml'),
    'utf8',
  );
  const match = /CdkBootstrapVersion:[\s\S]*?Value:\s*'(\d+)'/.exec(template);
  if (!match) throw new Error('cannot read CdkBootstrapVersion from the CDK CLI bootstrap template');
  return match[1];
}

export async function bootstrap(clients: MotoClients, account: string): Promise<BootstrapEnvironment> {
  const region = clients.region;
  const env: BootstrapEnvironment = {
    account,
    region,
    version: bootstrapTemplateVersion(),
    versionParameter: `/cdk-bootstrap/${QUALIFIER}/version`,
    stagingBucket: `cdk-${QUALIFIER}-assets-${account}-${region}`,
    containerRepository: `cdk-${QUALIFIER}-container-assets-${account}-${region}`,
    cfnExecutionRoleArn: `arn:aws:iam::${account}:role/cdk-${QUALIFIER}-cfn-exec-role-${account}-${region}`,
  };
  await clients.ssm.send(
    new PutParameterCommand({ Name: env.versionParameter, Value: env.version, Type: 'String' }),
  );
  await clients.s3.send(
    new CreateBucketCommand({
      Bucket: env.stagingBucket,
      ...(region === 'us-east-1'
        ? {}
        : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
    }),
  );
  await clients.ecr.send(
    new CreateRepositoryCommand({ repositoryName: env.containerRepository, imageTagMutability: 'IMMUTABLE' }),
  );
  await clients.iam.send(
    new CreateRoleCommand({
      RoleName: `cdk-${QUALIFIER}-cfn-exec-role-${account}-${region}`,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'cloudformation.amazonaws.com' },
            Action: 'sts:AssumeRole',
          },
        ],
      }),
    }),
  );
  return env;
}

export interface PublishedFile {
  readonly asset: FileAsset;
  readonly bytes: number;
  readonly sha256: string;
}

export interface PublishReport {
  readonly files: readonly PublishedFile[];
  /** Image assets whose repository exists but whose image was not built (no Docker engine). */
  readonly imagesNotBuilt: readonly ImageAsset[];
}

/** Uploads every file asset of every stack to the bucket and key its template references. */
export async function publishAssets(clients: MotoClients, assembly: Assembly): Promise<PublishReport> {
  const seen = new Set<string>();
  const files: PublishedFile[] = [];
  const images: ImageAsset[] = [];
  for (const stack of assembly.stacks) {
    for (const asset of stack.files) {
      const where = `${asset.bucketName}/${asset.objectKey}`;
      if (seen.has(where)) continue;
      seen.add(where);
      const body = asset.packaging === 'zip' ? zipDirectory(asset.path) : readFileSync(asset.path);
      await clients.s3.send(
        new PutObjectCommand({ Bucket: asset.bucketName, Key: asset.objectKey, Body: body }),
      );
      files.push({ asset, bytes: body.length, sha256: createHash('sha256').update(body).digest('base64') });
    }
    for (const image of stack.images) {
      if (seen.has(`${image.repositoryName}:${image.imageTag}`)) continue;
      seen.add(`${image.repositoryName}:${image.imageTag}`);
      images.push(image);
    }
  }
  return { files, imagesNotBuilt: images };
}

/**
 * Context the CLI looks up before a synth of environment-specific stacks, from the emulator's
 * own answers: the availability zones (the Vpc construct asks for them).
 */
export async function lookupContext(clients: MotoClients, account: string): Promise<Record<string, unknown>> {
  const zones = await clients.ec2.send(new DescribeAvailabilityZonesCommand({}));
  const names = (zones.AvailabilityZones ?? [])
    .filter((z) => z.State === 'available')
    .map((z) => z.ZoneName)
    .filter((n): n is string => Boolean(n))
    .sort();
  return { [`availability-zones:account=${account}:region=${clients.region}`]: names };
}
