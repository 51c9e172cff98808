/**
 * The trainer writes report.html beside every model.json it writes: on disk (/opt/ml/model, the
 * Batch reduce's TRAINER_MODEL_PATH) and in the models bucket (moto_server's S3) through the
 * model store, text/html. The report plots the holdout the solving host evaluated: after a
 * multi-host merge that is every host's held-out rows.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startMoto, type MotoServer } from '../../../bin/local/moto-server';
import { HOLDOUT_SAMPLE_LIMIT } from '../../../lambda/core/holdout-evaluation';
import type { ModelArtifact } from '../../../lambda/core/model-artifact';
import { candidateKey, reportKey } from '../../../lambda/core/models-layout';
import { SyntheticDataset } from '../../../lambda/core/synthetic-data';
import { runTrainer } from '../../../lambda/trainer/entry';

const quiet = () => undefined;
const BUCKET = 'models-report-test';

let work: string;
let moto: MotoServer;
let s3: S3Client;
const files: { name: string; bytes: Buffer }[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'trainer-report-'));
  const ds = new SyntheticDataset({ rows: 9000, files: 4, seed: 17 });
  for (let k = 0; k < ds.fileCount; k++)
    files.push({ name: `part-${k}.csv`, bytes: Buffer.concat([...ds.fileChunks(k)]) });
  moto = await startMoto();
  s3 = new S3Client({
    endpoint: moto.endpoint,
    region: 'eu-west-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  await s3.send(
    new CreateBucketCommand({
      Bucket: BUCKET,
      CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
    }),
  );
}, 60_000);
afterAll(async () => {
  s3?.destroy();
  await moto?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** One host's /opt/ml: hyperparameters, resource config, its files in the train channel. */
function host(root: string, name: string, hosts: string[], mine: typeof files, hp: Record<string, string>) {
  mkdirSync(join(root, 'input', 'config'), { recursive: true });
  mkdirSync(join(root, 'input', 'data', 'train'), { recursive: true });
  writeFileSync(join(root, 'input', 'config', 'hyperparameters.json'), JSON.stringify(hp));
  writeFileSync(
    join(root, 'input', 'config', 'resourceconfig.json'),
    JSON.stringify({ current_host: name, hosts, current_instance_type: 'ml.m5.large' }),
  );
  for (const f of mine) writeFileSync(join(root, 'input', 'data', 'train', f.name), f.bytes);
}

const scatterPoints = (html: string) => {
  const at = html.indexOf('data-chart="holdout-scatter"');
  return (html.slice(at, html.indexOf('</figure>', at)).match(/<circle class="mark"/g) ?? []).length;
};

describe('the trainer writes the model report', () => {
  it('one SageMaker host: /opt/ml/model/report.html and training/<run>/report.html as text/html', async () => {
    const root = join(work, 'one');
    host(root, 'algo-1', ['algo-1'], files, {
      holdout: '0.2',
      planned_seconds: '42',
      model_s3_uri: `s3://${BUCKET}/${candidateKey('run-1')}`,
    });
    expect(await runTrainer(['train'], { env: {}, smRoot: root, s3: () => s3, log: quiet })).toBe(0);
    const artifact = JSON.parse(readFileSync(join(root, 'model', 'model.json'), 'utf8')) as ModelArtifact;
    const local = readFileSync(join(root, 'model', 'report.html'), 'utf8');
    const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: reportKey('run-1') }));
    expect(object.ContentType).toBe('text/html; charset=utf-8');
    expect(await object.Body!.transformToString('utf-8')).toBe(local);
    expect(local).toContain(`<title>Model report: quality (${artifact.version})</title>`);
    expect(artifact.metrics.rows).toBeGreaterThan(HOLDOUT_SAMPLE_LIMIT);
    expect(scatterPoints(local)).toBe(HOLDOUT_SAMPLE_LIMIT);
    expect(local).toContain(`${HOLDOUT_SAMPLE_LIMIT} of ${artifact.metrics.rows} held-out rows`);
    expect(local).toContain('the trainer&#39;s own wall time');
    expect(local).toMatch(/<td>planned seconds<\/td><td>42<\/td>/);
  });

  it("several hosts: the leader's report evaluates every host's held-out rows", async () => {
    const hosts = ['algo-1', 'algo-2'];
    const roots = hosts.map((h) => join(work, `two-${h}`));
    hosts.forEach((h, i) =>
      host(
        roots[i],
        h,
        hosts,
        files.filter((_, k) => k % 2 === i),
        {
          holdout: '0.2',
          partials_dir: join(work, 'two-partials'),
          poll_milliseconds: '20',
          wait_timeout_seconds: '60',
        },
      ),
    );
    const codes = await Promise.all(
      roots.map((root) => runTrainer(['train'], { env: {}, smRoot: root, log: quiet })),
    );
    expect(codes).toEqual([0, 0]);
    const artifact = JSON.parse(readFileSync(join(roots[0], 'model', 'model.json'), 'utf8')) as ModelArtifact;
    const report = readFileSync(join(roots[0], 'model', 'report.html'), 'utf8');
    expect(report).toContain(`${HOLDOUT_SAMPLE_LIMIT} of ${artifact.metrics.rows} held-out rows`);
    expect(report).toContain('the first host&#39;s own wall time');
    expect(() => readFileSync(join(roots[1], 'model', 'report.html'))).toThrow(/ENOENT/);
  });

  it('a Batch reduce: report.html beside TRAINER_MODEL_PATH, its own wall time said to be the reduce only', async () => {
    const input = join(work, 'batch-input');
    mkdirSync(input, { recursive: true });
    for (const f of files) writeFileSync(join(input, f.name), f.bytes);
    const base = {
      TRAINER_INPUT_DIR: input,
      TRAINER_PARTIALS_DIR: join(work, 'batch-partials'),
      TRAINER_MODEL_PATH: join(work, 'batch-model', 'model.json'),
      TRAINER_HOLDOUT: '0.2',
      AWS_BATCH_JOB_ARRAY_SIZE: '2',
    };
    for (let i = 0; i < 2; i++)
      expect(
        await runTrainer(['batch'], { env: { ...base, AWS_BATCH_JOB_ARRAY_INDEX: String(i) }, log: quiet }),
      ).toBe(0);
    expect(await runTrainer(['reduce'], { env: base, log: quiet })).toBe(0);
    const artifact = JSON.parse(readFileSync(base.TRAINER_MODEL_PATH, 'utf8')) as ModelArtifact;
    const report = readFileSync(join(work, 'batch-model', 'report.html'), 'utf8');
    expect(report).toContain(`${HOLDOUT_SAMPLE_LIMIT} of ${artifact.metrics.rows} held-out rows`);
    expect(report).toContain('the Batch reduce job&#39;s own wall time');
    expect(report).toContain('<td>engine</td><td>batch</td>');
  });
});
