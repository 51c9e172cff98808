import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { ModelCache, ModelUnavailableError, parsePointerText } from '../../../lambda/adapters/model-cache';
import { modelsBucketFixture, pointerFixture } from '../model-fixture';
import { accessDenied, serveModels } from '../s3-mock-helpers';

const s3Mock = mockClient(S3Client);
const { v1, v2 } = modelsBucketFixture();
const pointer = pointerFixture;

let store: Map<string, { body: unknown; etag: string }>;
let clock: number;
const silent = { info: jest.fn(), warn: jest.fn(), error: jest.fn() };

function cache(maxAgeSeconds = 60) {
  return new ModelCache({
    s3: new S3Client({ region: 'eu-west-1' }),
    bucket: 'models-bucket',
    maxAgeSeconds,
    now: () => clock,
    logger: silent,
  });
}

function getKeys() {
  return s3Mock.commandCalls(GetObjectCommand).map((c) => [c.args[0].input.Key, c.args[0].input.IfNoneMatch]);
}

beforeEach(() => {
  s3Mock.reset();
  jest.clearAllMocks();
  clock = 1_000_000;
  store = modelsBucketFixture().store;
  serveModels(s3Mock, store);
});

describe('ModelCache', () => {
  test('the first get reads the pointer, then the artifact it names, from the models bucket', async () => {
    const model = await cache().get();
    expect(model.version).toBe('v1');
    expect(getKeys()).toEqual([
      ['models/current.json', undefined],
      ['models/v1/model.json', undefined],
    ]);
    expect(s3Mock).toHaveReceivedCommandWith(GetObjectCommand, {
      Bucket: 'models-bucket',
      Key: 'models/current.json',
    });
  });

  test('within the max age the cached model is served without any S3 call', async () => {
    const c = cache(60);
    const first = await c.get();
    clock += 59_999;
    const second = await c.get();
    expect(second).toBe(first);
    expect(getKeys()).toHaveLength(2);
    expect(c.stats.hits).toBe(1);
  });

  test('after the max age the pointer is revalidated with If-None-Match and a 304 keeps the compiled model', async () => {
    const c = cache(60);
    const first = await c.get();
    clock += 60_000;
    const second = await c.get();
    expect(second).toBe(first);
    expect(getKeys()[2]).toEqual(['models/current.json', '"p1"']);
    expect(getKeys()).toHaveLength(3);
    expect(c.stats.notModified).toBe(1);
  });

  test('a moved pointer loads and compiles the new artifact', async () => {
    const c = cache(10);
    await c.get();
    store.set('models/current.json', { body: pointer('v2'), etag: '"p2"' });
    clock += 10_000;
    const model = await c.get();
    expect(model.version).toBe('v2');
    expect(model.bias).toBe(20);
    expect(getKeys().slice(2)).toEqual([
      ['models/current.json', '"p1"'],
      ['models/v2/model.json', undefined],
    ]);
  });

  test('a rewritten pointer naming the same artifact revalidates the artifact with its ETag', async () => {
    const c = cache(10);
    const first = await c.get();
    store.set('models/current.json', { body: { ...pointer('v1'), promotedAt: 'later' }, etag: '"p1b"' });
    clock += 10_000;
    expect(await c.get()).toBe(first);
    expect(getKeys().slice(2)).toEqual([
      ['models/current.json', '"p1"'],
      ['models/v1/model.json', '"a1"'],
    ]);
    clock += 10_000;
    await c.get();
    expect(getKeys()[4]).toEqual(['models/current.json', '"p1b"']);
  });

  test('no pointer is a no_model ModelUnavailableError', async () => {
    store.delete('models/current.json');
    await expect(cache().get()).rejects.toMatchObject({
      name: 'ModelUnavailableError',
      reason: 'no_model',
      message: 'no model has been promoted: models/current.json does not exist in the models bucket',
    });
  });

  test('a pointer naming a missing artifact is a no_model error on a cold cache', async () => {
    store.set('models/current.json', { body: pointer('v9'), etag: '"p9"' });
    await expect(cache().get()).rejects.toMatchObject({ reason: 'no_model' });
  });

  test('an invalid artifact is an invalid_model error listing the defects', async () => {
    store.set('models/v1/model.json', { body: { ...v1, weights: [1] }, etag: '"bad"' });
    const error = (await cache()
      .get()
      .catch((e: unknown) => e)) as ModelUnavailableError;
    expect(error).toBeInstanceOf(ModelUnavailableError);
    expect(error.reason).toBe('invalid_model');
    expect(error.code).toBe('service_unavailable');
    expect(error.status).toBe(503);
    expect(error.details).toEqual(['weights: has 1 entries, expected 3 (one per feature)']);
  });

  test('an artifact whose version is not the pointer version is invalid', async () => {
    store.set('models/v1/model.json', { body: v2, etag: '"x"' });
    await expect(cache().get()).rejects.toMatchObject({ reason: 'invalid_model' });
  });

  test('a pointer that is not JSON is invalid', async () => {
    store.set('models/current.json', { body: 'not json', etag: '"px"' });
    await expect(cache().get()).rejects.toMatchObject({
      reason: 'invalid_model',
      message: 'the model pointer models/current.json is invalid: the pointer is not valid JSON',
    });
  });

  test('an S3 error on a cold cache is a model_store_error', async () => {
    s3Mock.reset();
    s3Mock.on(GetObjectCommand).rejects(accessDenied());
    await expect(cache().get()).rejects.toMatchObject({
      reason: 'model_store_error',
      message: 'cannot read the model pointer models/current.json (AccessDenied)',
    });
  });

  test('with a model cached, an S3 error or a broken new artifact keeps serving it and logs why', async () => {
    const c = cache(10);
    const first = await c.get();
    store.set('models/current.json', { body: pointer('v3'), etag: '"p3"' });
    store.set('models/v3/model.json', { body: { ...v2, version: 'v3', bias: 'x' }, etag: '"a3"' });
    clock += 10_000;
    expect(await c.get()).toBe(first);
    expect(silent.error).toHaveBeenCalledWith(
      expect.stringMatching(/^model check failed, still serving v1: the current model artifact models\/v3/),
      expect.objectContaining({ reason: 'invalid_model' }),
    );
    // the broken pointer is not remembered: the next check fetches it again
    clock += 10_000;
    await c.get();
    expect(getKeys().slice(-2)).toEqual([
      ['models/current.json', '"p1"'],
      ['models/v3/model.json', undefined],
    ]);
  });

  test('a deleted pointer withdraws the cached model', async () => {
    const c = cache(10);
    await c.get();
    store.delete('models/current.json');
    clock += 10_000;
    await expect(c.get()).rejects.toMatchObject({ reason: 'no_model' });
    expect(c.peek()).toBeUndefined();
  });

  test('concurrent gets share one refresh', async () => {
    const c = cache();
    const [a, b] = await Promise.all([c.get(), c.get()]);
    expect(a).toBe(b);
    expect(getKeys()).toHaveLength(2);
  });
});

describe('parsePointerText', () => {
  test('takes what promote writes and names each missing field', () => {
    expect(parsePointerText(JSON.stringify(pointerFixture('v')))).toEqual(pointerFixture('v'));
    expect(() => parsePointerText('{"key":"k"}')).toThrow(
      /^not a model pointer .*: version: expected string/,
    );
    expect(() => parsePointerText('{"version":"v","promotedAt":"t","metrics":{}}')).toThrow(
      /key: expected string/,
    );
    expect(() => parsePointerText('[]')).toThrow(/^not a model pointer/);
    expect(() => parsePointerText('{')).toThrow('the pointer is not valid JSON');
  });
});
