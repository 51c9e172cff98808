/**
 * Manual approval end to end on moto_server: promote registers a better candidate
 * PendingManualApproval and leaves the pointer; approving the package (UpdateModelPackage, as the
 * console does) and delivering the state-change event moto does not emit (built as SageMaker's
 * documented event) serves it. Events of another group, or not approvals, are ignored and logged;
 * an unservable artifact is refused with the pointer unchanged.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
import { Logger } from '@aws-lambda-powertools/logger';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateModelPackageGroupCommand,
  DescribeModelPackageCommand,
  SageMakerClient,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import { startMoto, type MotoServer } from '../../../bin/local/moto-server';
import { readPointer } from '../../../lambda/adapters/model-store';
import { readRegistryRecord } from '../../../lambda/adapters/model-registry';
import type { ModelArtifact } from '../../../lambda/core/model-artifact';
import { packageMetadata } from '../../../lambda/core/model-registry';
import { readApprovalConfig, runApproval } from '../../../lambda/handlers/approval';
import { runEvaluate } from '../../../lambda/handlers/evaluate';
import { runPromote } from '../../../lambda/handlers/promote';
import { silentMetrics } from '../../support/emf';
import { syntheticModel } from '../../support/synthetic-model';

const GROUP = 'approve-dev-models';
const MODELS = 'approval-models';
const REGION = 'eu-west-1';
let moto: MotoServer;
let s3: S3Client;
let sagemaker: SageMakerClient;
let model: ModelArtifact;
const logged: { level: string; message: string }[] = [];

/** A Powertools logger whose lines the test reads. */
function recordingLogger(): Logger {
  const logger = new Logger({ serviceName: 'approval', logLevel: 'INFO' });
  for (const level of ['info', 'warn', 'error'] as const) {
    jest.spyOn(logger, level).mockImplementation(((message: string) => {
      logged.push({ level, message });
    }) as never);
  }
  return logger;
}

const config = {
  modelsBucket: MODELS,
  serviceName: 'test',
  metricsNamespace: 'Test',
  modelPackageGroup: GROUP,
  manualApproval: true,
};
const deps = () => ({ s3, sagemaker, config, logger: recordingLogger(), metrics: silentMetrics() });

/** "SageMaker Model Package State Change", shaped as SageMaker documents it. */
function stateChange(detail: Record<string, unknown>): Record<string, unknown> {
  return {
    version: '0',
    id: 'a1b2c3d4-0000-0000-0000-000000000000',
    'detail-type': 'SageMaker Model Package State Change',
    source: 'aws.sagemaker',
    account: '123456789012',
    time: '2026-12-01T10:00:00Z',
    region: REGION,
    resources: [detail.ModelPackageArn],
    detail,
  };
}

beforeAll(async () => {
  moto = await startMoto();
  const common = {
    endpoint: moto.endpoint,
    region: REGION,
    credentials: { accessKeyId: 't', secretAccessKey: 't' },
  };
  s3 = new S3Client({ ...common, forcePathStyle: true });
  sagemaker = new SageMakerClient(common);
  await s3.send(
    new CreateBucketCommand({ Bucket: MODELS, CreateBucketConfiguration: { LocationConstraint: REGION } }),
  );
  await sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: GROUP }));
  model = await syntheticModel({ rows: 3000, seed: 5, trainedAt: '2024-05-01T00:00:00Z' });
  await s3.send(
    new PutObjectCommand({ Bucket: MODELS, Key: 'training/run-1/model.json', Body: JSON.stringify(model) }),
  );
  // The trainer writes the run's report beside its candidate (models-layout.ts reportBeside).
  await s3.send(
    new PutObjectCommand({ Bucket: MODELS, Key: 'training/run-1/report.html', Body: '<!doctype html>' }),
  );
}, 60000);

afterAll(async () => {
  sagemaker?.destroy();
  s3?.destroy();
  await moto?.stop();
});

beforeEach(() => {
  logged.length = 0;
});

describe('manual approval (models.manualApproval) on moto_server', () => {
  let packageArn: string;

  it('registers a better candidate PendingManualApproval and leaves the pointer unset', async () => {
    const evaluation = await runEvaluate({ candidate: `s3://${MODELS}/training/run-1/model.json` }, deps());
    const out = await runPromote(evaluation, deps());
    expect(out).toMatchObject({ promoted: false, awaitingApproval: true, pointer: null });
    expect(out.registry.status).toBe('PendingManualApproval');
    packageArn = out.registry.packageArn;
    const pkg = await sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: packageArn }));
    expect(pkg.ModelApprovalStatus).toBe('PendingManualApproval');
    expect(pkg.CustomerMetadataProperties).toMatchObject({
      artifact: `s3://${MODELS}/models/${model.version}/model.json`,
      report: `s3://${MODELS}/training/run-1/report.html`,
    });
    expect(await readPointer(s3, MODELS)).toBeNull();
  });

  it('ignores and logs an approval event for a package of another group; the pointer stays unset', async () => {
    const out = await runApproval(
      stateChange({
        ModelPackageGroupName: 'someone-elses-models',
        ModelPackageArn: packageArn,
        ModelApprovalStatus: 'Approved',
      }),
      deps(),
    );
    expect(out).toEqual({
      action: 'ignored',
      reason: `a package of group someone-elses-models, not ${GROUP}`,
      packageArn,
    });
    expect(logged).toEqual([
      { level: 'warn', message: `ignored: a package of group someone-elses-models, not ${GROUP}` },
    ]);
    expect(await readPointer(s3, MODELS)).toBeNull();
  });

  it('ignores an event whose status is not Approved, and one that is no model package event', async () => {
    const rejected = await runApproval(
      stateChange({
        ModelPackageGroupName: GROUP,
        ModelPackageArn: packageArn,
        ModelApprovalStatus: 'Rejected',
      }),
      deps(),
    );
    expect(rejected.action).toBe('ignored');
    const other = await runApproval({ source: 'aws.s3', detail: {} }, deps());
    expect(other.action).toBe('ignored');
    expect(other.reason).toMatch(/^not a model package state change event: source: /);
    expect(logged.map((l) => l.level)).toEqual(['warn', 'warn']);
  });

  it('ignores an Approved event for a package that is still pending when read back (a stale event)', async () => {
    const out = await runApproval(
      stateChange({
        ModelPackageGroupName: GROUP,
        ModelPackageArn: packageArn,
        ModelApprovalStatus: 'Approved',
      }),
      deps(),
    );
    expect(out).toMatchObject({
      action: 'ignored',
      reason: 'the package is PendingManualApproval now, no longer Approved',
    });
    expect(await readPointer(s3, MODELS)).toBeNull();
  });

  it('serves the version once the package is approved and its event arrives', async () => {
    // What the console's "Update status → Approved" does; metadata resent (moto drops it otherwise).
    await sagemaker.send(
      new UpdateModelPackageCommand({
        ModelPackageArn: packageArn,
        ModelApprovalStatus: 'Approved',
        CustomerMetadataProperties: packageMetadata(model, {
          artifactUri: `s3://${MODELS}/models/${model.version}/model.json`,
        }),
      }),
    );
    const event = stateChange({
      ModelPackageGroupName: GROUP,
      ModelPackageArn: packageArn,
      ModelApprovalStatus: 'Approved',
    });
    const out = await runApproval(event, { ...deps(), now: () => new Date('2024-06-02T00:00:00Z') });
    expect(out).toMatchObject({ action: 'promoted', version: model.version, packageArn });
    expect(await readPointer(s3, MODELS)).toEqual({
      version: model.version,
      key: `models/${model.version}/model.json`,
      promotedAt: '2024-06-02T00:00:00.000Z',
      metrics: model.metrics,
    });
    expect((await readRegistryRecord(s3, MODELS, model.version))?.status).toBe('Approved');
    // Delivered twice (SageMaker may send several events per change): nothing moves again.
    expect((await runApproval(event, deps())).action).toBe('already-current');
  });

  it('refuses, and logs, an approved package whose artifact is not servable; the pointer is unchanged', async () => {
    const { weights: _drop, ...broken } = model;
    const version = '20240503T000000Z-badbadbadbad';
    await s3.send(
      new PutObjectCommand({
        Bucket: MODELS,
        Key: `models/${version}/model.json`,
        Body: JSON.stringify({ ...broken, version }),
      }),
    );
    const before = await readPointer(s3, MODELS);
    await sagemaker.send(
      new UpdateModelPackageCommand({
        ModelPackageArn: packageArn,
        ModelApprovalStatus: 'Approved',
        CustomerMetadataProperties: { version },
      }),
    );
    const out = await runApproval(
      stateChange({
        ModelPackageGroupName: GROUP,
        ModelPackageArn: packageArn,
        ModelApprovalStatus: 'Approved',
      }),
      deps(),
    );
    expect(out).toMatchObject({ action: 'refused', version });
    expect(out.reason).toMatch(/is not servable: weights: must be/);
    expect(logged.at(-1)?.level).toBe('error');
    expect(await readPointer(s3, MODELS)).toEqual(before);
  });

  it('reads its group and bucket from MODEL_PACKAGE_GROUP and MODELS_BUCKET, naming a missing one', () => {
    expect(readApprovalConfig({ MODELS_BUCKET: 'b', MODEL_PACKAGE_GROUP: 'g' })).toMatchObject({
      modelsBucket: 'b',
      modelPackageGroup: 'g',
      serviceName: 'approval',
    });
    expect(() => readApprovalConfig({ MODELS_BUCKET: 'b' })).toThrow(/MODEL_PACKAGE_GROUP is not set/);
  });
});
