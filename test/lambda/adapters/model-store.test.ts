import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { putArtifact, writePointer, type ModelPointer } from '../../../lambda/adapters/model-store';
import { artifactFixture } from '../model-fixture';

const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'eu-west-1' });

beforeEach(() => {
  s3Mock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
});

describe('model-store writes', () => {
  test('putArtifact writes indented, newline-terminated JSON at models/<version>/model.json', async () => {
    const artifact = artifactFixture({ version: 'v7' });

    await expect(putArtifact(s3, 'models-bucket', artifact)).resolves.toBe('models/v7/model.json');

    const calls = s3Mock.commandCalls(PutObjectCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input).toStrictEqual({
      Bucket: 'models-bucket',
      Key: 'models/v7/model.json',
      Body: JSON.stringify(artifact, null, 2) + '\n',
      ContentType: 'application/json',
    });
  });

  test('writePointer writes models/current.json the same way, marked no-cache', async () => {
    const pointer: ModelPointer = {
      version: 'v7',
      key: 'models/v7/model.json',
      promotedAt: '2026-01-02T03:04:05.000Z',
      metrics: artifactFixture({ version: 'v7' }).metrics,
    };

    await writePointer(s3, 'models-bucket', pointer);

    const calls = s3Mock.commandCalls(PutObjectCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input).toStrictEqual({
      Bucket: 'models-bucket',
      Key: 'models/current.json',
      Body: JSON.stringify(pointer, null, 2) + '\n',
      ContentType: 'application/json',
      CacheControl: 'no-cache',
    });
  });
});
