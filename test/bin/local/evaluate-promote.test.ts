/**
 * The local pipeline's evaluate-and-promote step under models.manualApproval (prod's default), on
 * moto_server: the candidate is registered PendingManualApproval, then approved in place of a
 * person and handed to the approval handler with the event moto does not emit
 * (bin/local/moto-approval-events.ts), which serves it.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startMoto, useMotoEnvironment, type MotoServer } from '../../../bin/local/moto-server';
import { startRunClock } from '../../../bin/local/run-clock';
import { readPointer } from '../../../lambda/adapters/model-store';
import { syntheticModel } from '../../support/synthetic-model';

const BUCKET = 'local-step-models';
let moto: MotoServer;
const saved = { ...process.env };

beforeAll(async () => {
  moto = await startMoto();
  useMotoEnvironment(moto.endpoint, 'eu-west-1');
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
}, 30000);

afterAll(async () => {
  process.env = saved;
  await moto?.stop();
});

it('registers the better candidate PendingManualApproval, approves it as a person would and serves it', async () => {
  const { s3Client } = await import('../../../lambda/adapters/clients');
  const { handlerDeps } = await import('../../../bin/local/handler-deps');
  const { evaluateAndPromote } = await import('../../../bin/local/steps/evaluate-promote');
  const s3: S3Client = s3Client();
  await s3.send(
    new CreateBucketCommand({
      Bucket: BUCKET,
      CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
    }),
  );
  const artifact = await syntheticModel({ rows: 2000, seed: 3, trainedAt: new Date() });
  await s3.send(
    new PutObjectCommand({ Bucket: BUCKET, Key: 'training/run/model.json', Body: JSON.stringify(artifact) }),
  );
  const progress: string[] = [];
  const model = await evaluateAndPromote(
    startRunClock({ progress: (line) => progress.push(line) }),
    s3,
    await handlerDeps(s3),
    {
      modelsBucket: BUCKET,
      candidate: `s3://${BUCKET}/training/run/model.json`,
      config: { prefix: 'local-test', stage: 'prod', models: { manualApproval: null } },
    },
  );
  expect(model.promotion).toMatchObject({ promoted: false, awaitingApproval: true });
  expect(model.promotion.registry.status).toBe('PendingManualApproval');
  expect(model.approval).toMatchObject({ action: 'promoted', version: artifact.version });
  expect(model.registry).toMatchObject({ group: 'local-test-prod-models', status: 'Approved' });
  expect((await readPointer(s3, BUCKET))?.version).toBe(artifact.version);
  expect(progress.at(-1)).toMatch(
    /registry: model package arn:aws:sagemaker:eu-west-1:\d{12}:model-package\/local-test-prod-models\/1 \(local-test-prod-models, version 1\) is Approved; approved in place of a person: promoted$/,
  );
}, 60000);
