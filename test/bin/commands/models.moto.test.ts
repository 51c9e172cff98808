/**
 * `factory models list | show | rollback` end to end on moto_server: two versions promoted and
 * registered by the real promote handler, then rolled back through the CLI against S3 (--bucket,
 * AWS_ENDPOINT_URL) with the Model Registry updated together; refusals leave the pointer's bytes
 * as they were. The same commands on a directory laid out as the bucket (--dir).
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateModelPackageGroupCommand,
  DescribeModelPackageCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { run as models } from '../../../bin/commands/models';
import { startMoto, useMotoEnvironment, type MotoServer } from '../../../bin/local/moto-server';
import type { ModelArtifact } from '../../../lambda/core/model-artifact';
import { runEvaluate } from '../../../lambda/handlers/evaluate';
import { runPromote } from '../../../lambda/handlers/promote';
import { silentMetrics } from '../../support/emf';
import { syntheticModel } from '../../support/synthetic-model';
import { captureOutput } from '../../support/console-capture';

const REGION = 'eu-west-1';
const BUCKET = 'rollback-models';
const GROUP = 'rollback-dev-models';
let moto: MotoServer;
let s3: S3Client;
let sagemaker: SageMakerClient;
let older: ModelArtifact;
let newer: ModelArtifact;
const saved = { ...process.env };

const train = (ridge: number, at: string) => syntheticModel({ rows: 3000, seed: 9, ridge, trainedAt: at });

async function text(key: string): Promise<string> {
  const res = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return res.Body!.transformToString('utf-8');
}

const statusOf = async (arn: string) =>
  (await sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn }))).ModelApprovalStatus;

beforeAll(async () => {
  moto = await startMoto();
  // The CLI's clients take the endpoint and credentials from the environment, as a person's would.
  useMotoEnvironment(moto.endpoint, REGION);
  const common = {
    endpoint: moto.endpoint,
    region: REGION,
    credentials: { accessKeyId: 't', secretAccessKey: 't' },
  };
  s3 = new S3Client({ ...common, forcePathStyle: true });
  sagemaker = new SageMakerClient(common);
  await s3.send(
    new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: REGION } }),
  );
  await sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: GROUP }));
  // A heavy ridge first (worse), then the plain fit (better): both promoted in turn.
  older = await train(5000, '2024-05-01T00:00:00Z');
  newer = await train(0, '2024-05-02T00:00:00Z');
  const config = {
    modelsBucket: BUCKET,
    serviceName: 'promote',
    metricsNamespace: 'Test',
    modelPackageGroup: GROUP,
    manualApproval: false,
  };
  const deps = {
    s3,
    sagemaker,
    config,
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics: silentMetrics(),
  };
  for (const [run, artifact] of [
    ['run-1', older],
    ['run-2', newer],
  ] as const) {
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `training/${run}/model.json`,
        Body: JSON.stringify(artifact),
      }),
    );
    const evaluation = await runEvaluate({ candidate: `s3://${BUCKET}/training/${run}/model.json` }, deps);
    expect((await runPromote(evaluation, deps)).promoted).toBe(true);
  }
  // A kept version that fails the servable check (its weights are gone).
  const { weights: _drop, ...broken } = older;
  await s3.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: 'models/20240503T000000Z-unservable00/model.json',
      Body: JSON.stringify({ ...broken, version: '20240503T000000Z-unservable00' }),
    }),
  );
}, 90000);

afterAll(async () => {
  process.env = saved;
  sagemaker?.destroy();
  s3?.destroy();
  await moto?.stop();
});

describe('factory models against S3 on moto_server', () => {
  it('lists every kept version newest first, marking the served one and each registry status', async () => {
    const { code, out } = await captureOutput(() => models(['list', '--bucket', BUCKET]));
    expect(code).toBe(0);
    const lines = out.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^ {2}20240503T000000Z-unservable00 {2}not servable \(weights: must be/);
    expect(lines[1]).toMatch(new RegExp(`^\\* ${newer.version} {2}regression RMSE .* registry Approved$`));
    // Promote set the package of the version it replaced Rejected.
    expect(lines[2]).toMatch(new RegExp(`^  ${older.version} {2}regression RMSE .* registry Rejected$`));
  });

  it('shows one version: served or not, metrics, lineage, capacity and its package', async () => {
    const { code, out } = await captureOutput(() => models(['show', older.version, '--bucket', BUCKET]));
    expect(code).toBe(0);
    expect(out).toContain(`version   ${older.version}\n`);
    expect(out).toContain('servable  yes');
    expect(out).toContain('capacity  local × 1, 1 shards');
    expect(out).toMatch(
      new RegExp(
        `registry  Rejected arn:aws:sagemaker:${REGION}:\\d{12}:model-package/${GROUP}/1 \\(${GROUP}\\)`,
      ),
    );
  });

  it('refuses a version that does not exist, leaving the pointer as it was', async () => {
    const before = await text('models/current.json');
    const { code, err } = await captureOutput(() =>
      models(['rollback', '20200101T000000Z-000000000000', '--bucket', BUCKET]),
    );
    expect(code).toBe(1);
    expect(err).toBe(
      `factory models: no model version 20200101T000000Z-000000000000 in s3://${BUCKET} (models/20200101T000000Z-000000000000/model.json not found); pointer unchanged`,
    );
    expect(await text('models/current.json')).toBe(before);
  });

  it('refuses a version that fails the servable check, naming the problem; the pointer is unchanged', async () => {
    const before = await text('models/current.json');
    const { code, err } = await captureOutput(() =>
      models(['rollback', '20240503T000000Z-unservable00', '--bucket', BUCKET]),
    );
    expect(code).toBe(1);
    expect(err).toMatch(
      /^factory models: refusing to serve 20240503T000000Z-unservable00: models\/20240503T000000Z-unservable00\/model.json is not servable \(weights: must be .*\); pointer unchanged$/,
    );
    expect(await text('models/current.json')).toBe(before);
  });

  it('rolls back: the pointer names the older version, its package Approved and the replaced one Rejected', async () => {
    const olderArn = JSON.parse(await text(`models/${older.version}/registry.json`)).packageArn as string;
    const newerArn = JSON.parse(await text(`models/${newer.version}/registry.json`)).packageArn as string;
    const { code, out } = await captureOutput(() => models(['rollback', older.version, '--bucket', BUCKET]));
    expect(code).toBe(0);
    expect(out).toContain(
      `rolled back: models/current.json in s3://${BUCKET} → ${older.version} (was ${newer.version})`,
    );
    expect(out).toContain(`registry: ${olderArn} Approved, ${newerArn} Rejected (${GROUP})`);
    expect(out).toMatch(/within serving\.modelCacheSeconds \(\d+ s\)/);
    const pointer = JSON.parse(await text('models/current.json'));
    expect(pointer).toMatchObject({
      version: older.version,
      key: `models/${older.version}/model.json`,
      metrics: older.metrics,
    });
    expect(await statusOf(olderArn)).toBe('Approved');
    expect(await statusOf(newerArn)).toBe('Rejected');
    // The metadata survives the update (moto drops what an update does not resend).
    const described = await sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: newerArn }));
    expect(described.CustomerMetadataProperties?.version).toBe(newer.version);
    expect(JSON.parse(await text(`models/${newer.version}/registry.json`))).toMatchObject({
      status: 'Rejected',
    });
  });

  it('finds a package by --registry GROUP when the bucket keeps no record of it', async () => {
    const record = await text(`models/${newer.version}/registry.json`);
    // The invalid record reads as none; the group is searched by the version in the metadata.
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `models/${newer.version}/registry.json`,
        Body: '{"not":"a record"}',
      }),
    );
    const { code, out } = await captureOutput(() =>
      models(['rollback', newer.version, '--bucket', BUCKET, '--registry', GROUP]),
    );
    expect(code).toBe(0);
    expect(out).toContain(`→ ${newer.version} (was ${older.version})`);
    expect(await statusOf(JSON.parse(record).packageArn)).toBe('Approved');
  });

  it('answers a usage error with one line naming it', async () => {
    const { code, err } = await captureOutput(() => models(['rollback', '--bucket', BUCKET]));
    expect(code).toBe(1);
    expect(err).toBe(
      'factory models: rollback needs a VERSION (factory models list shows them) (factory models --help)',
    );
  });
});

describe('factory models on a directory laid out as the bucket', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'models-dir-'));
    for (const a of [older, newer]) {
      mkdirSync(join(dir, 'models', a.version), { recursive: true });
      writeFileSync(join(dir, 'models', a.version, 'model.json'), JSON.stringify(a));
    }
    writeFileSync(
      join(dir, 'models', 'current.json'),
      JSON.stringify({
        version: newer.version,
        key: `models/${newer.version}/model.json`,
        promotedAt: '2024-05-02T00:00:00.000Z',
        metrics: newer.metrics,
      }),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('rolls back the pointer file and says no registry record was found', async () => {
    const { code, out } = await captureOutput(() => models(['rollback', older.version, '--dir', dir]));
    expect(code).toBe(0);
    expect(out).toContain(`→ ${older.version} (was ${newer.version})`);
    expect(out).toContain(
      `registry: ${older.version} has no package record in the bucket; pass --registry GROUP`,
    );
    expect(JSON.parse(readFileSync(join(dir, 'models', 'current.json'), 'utf8')).version).toBe(older.version);
  });

  it('refuses a missing version with the pointer file unchanged', async () => {
    const before = readFileSync(join(dir, 'models', 'current.json'), 'utf8');
    const { code } = await captureOutput(() =>
      models(['rollback', '20200101T000000Z-000000000000', '--dir', dir]),
    );
    expect(code).toBe(1);
    expect(readFileSync(join(dir, 'models', 'current.json'), 'utf8')).toBe(before);
  });
});
