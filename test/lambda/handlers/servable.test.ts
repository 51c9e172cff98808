/**
 * One servable check: what the CLI trains, promote accepts and predict (CLI and handler) serves,
 * for any column name a factory's data can have, `bias` and `__proto__` included.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateModelPackageCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { run as predictCli } from '../../../bin/commands/predict';
import { run as trainCli } from '../../../bin/commands/train';
import { artifactProblems, type ModelArtifact } from '../../../lambda/core/model-artifact';
import { compileModel } from '../../../lambda/core/scoring';
import { createPredictHandler } from '../../../lambda/handlers/predict';
import { runPromote } from '../../../lambda/handlers/promote';
import { apiEvent } from '../api-event';

const FEATURES = ['bias', '__proto__', 'Torque [Nm]'];
const SCHEMA = { ids: [], category: 'line', features: FEATURES, target: 'y', timestamp: 'ts' };

/** y = 2·bias − 3·proto + 0.5·torque + 7, with a little deterministic noise. */
function csv(rows: number): string {
  const lines = ['ts,line,bias,__proto__,Torque [Nm],y'.replace('Torque [Nm]', '"Torque [Nm]"')];
  for (let i = 0; i < rows; i++) {
    const a = (i % 17) / 3;
    const b = ((i * 7) % 13) / 5;
    const c = (i * 31) % 101;
    const noise = (((i * 2654435761) % 1000) / 1000 - 0.5) * 0.01;
    lines.push(
      `2024-01-01T00:00:${String(i % 60).padStart(2, '0')}Z,L${i % 2},${a},${b},${c},${2 * a - 3 * b + 0.5 * c + 7 + noise}`,
    );
  }
  return lines.join('\n') + '\n';
}

describe('a model whose features are named bias, __proto__ and "Torque [Nm]"', () => {
  let dir: string;
  let artifact: ModelArtifact;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'servable-'));
    writeFileSync(join(dir, 'in.csv'), csv(400));
    writeFileSync(join(dir, 'schema.json'), JSON.stringify(SCHEMA));
    const code = await trainCli([
      join(dir, 'in.csv'),
      '--schema',
      join(dir, 'schema.json'),
      '--out',
      join(dir, 'model.json'),
    ]);
    expect(code).toBe(0);
    artifact = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains with those features, in order, near the true weights', () => {
    expect(artifact.features).toEqual(FEATURES);
    expect(artifact.weights[0]).toBeCloseTo(2, 2);
    expect(artifact.weights[1]).toBeCloseTo(-3, 2);
    expect(artifact.weights[2]).toBeCloseTo(0.5, 3);
  });

  it('passes the one servable check that promote and predict share', () => {
    expect(artifactProblems(artifact)).toEqual([]);
    expect(() => compileModel(artifact)).not.toThrow();
  });

  it('is promoted', async () => {
    const objects = new Map<string, string>();
    const s3 = mockClient(S3Client);
    s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: string }) => {
      objects.set(input.Key, input.Body);
      return {};
    });
    s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
      const body =
        input.Key === 'training/run/model.json' ? JSON.stringify(artifact) : objects.get(input.Key);
      if (body === undefined) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey' });
      return { Body: { transformToString: async () => body } };
    });
    const sagemaker = mockClient(SageMakerClient);
    sagemaker.on(CreateModelPackageCommand).resolves({
      ModelPackageArn: 'arn:aws:sagemaker:eu-west-1:123456789012:model-package/test-dev-models/1',
    });
    const output = await runPromote(
      {
        better: true,
        candidate: { location: 's3://models/training/run/model.json', version: artifact.version },
      },
      {
        s3: new S3Client({}),
        sagemaker: new SageMakerClient({}),
        config: {
          modelsBucket: 'models',
          serviceName: 'promote',
          metricsNamespace: 'Test',
          modelPackageGroup: 'test-dev-models',
          manualApproval: false,
        },
        logger: new Logger({ logLevel: 'SILENT' }),
        metrics: new Metrics({ namespace: 'Test', serviceName: 'promote' }),
      },
    );
    s3.restore();
    sagemaker.restore();
    expect(output).toMatchObject({ promoted: true, version: artifact.version });
    expect(JSON.parse(objects.get('models/current.json')!)).toMatchObject({ version: artifact.version });
  });

  it('is served by the predict handler, each feature a plain key and the bias beside them', async () => {
    const model = compileModel(artifact);
    const handler = createPredictHandler({
      config: { maxRows: 10, maxBodyBytes: 1 << 20, anomalyZ: 3, fillMissing: 'reject' },
      models: { get: async () => model },
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: 'Test', serviceName: 'predict' }),
    });
    const row = { line: 'L0', bias: 1, __proto__: 2, 'Torque [Nm]': 10 };
    // A literal `__proto__:` would set the prototype: build the row as JSON text, as a client sends it.
    const body = JSON.stringify(row).replace('"bias":1,', '"bias":1,"__proto__":2,');
    const result = await handler(apiEvent('POST', '/predict', `{"rows":[${body}]}`));
    expect(result.statusCode).toBe(200);
    const [answer] = JSON.parse(result.body).predictions;
    expect(Object.keys(answer.contributions)).toEqual(FEATURES);
    expect(answer.contributions.bias).toBeCloseTo(artifact.weights[0] * 1, 12);
    expect(answer.bias).toBe(artifact.bias);
    const sum = FEATURES.reduce((s, f) => s + answer.contributions[f], 0) + answer.bias;
    expect(sum).toBeCloseTo(answer.prediction, 9);
  });

  it('is served by the CLI', async () => {
    const stdout = new PassThrough();
    const chunks: Buffer[] = [];
    stdout.on('data', (c: Buffer) => chunks.push(c));
    const line = '{"line":"L1","bias":1,"__proto__":2,"Torque [Nm]":10}\n';
    const code = await predictCli(['--model', join(dir, 'model.json')], {
      stdin: Readable.from([line]),
      stdout,
    });
    expect(code).toBe(0);
    const answer = JSON.parse(Buffer.concat(chunks).toString('utf8').trim());
    expect(Object.keys(answer.contributions)).toEqual(FEATURES);
    expect(answer.bias).toBe(artifact.bias);
  });
});
