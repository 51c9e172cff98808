import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { ModelCache } from '../../../lambda/adapters/model-cache';
import {
  contentTypeProblem,
  createPredictHandler,
  readPredictConfig,
  handler as lambdaHandler,
  type PredictDeps,
} from '../../../lambda/handlers/predict';
import { SERVING_DEFAULTS } from '../../../lambda/core/env/predict';
import { compileModel, type CompiledModel } from '../../../lambda/core/scoring';
import { apiEvent, lambdaContext } from '../api-event';
import { modelsBucketFixture, pointerFixture } from '../model-fixture';
import { serveModels } from '../s3-mock-helpers';

const s3Mock = mockClient(S3Client);
const { v1 } = modelsBucketFixture();
const pointer = pointerFixture;
const row = { category: 'A', temperature: 72, pressure: 5.5, vibration: 0.3 };
const config = {
  maxRows: 1000,
  maxBodyBytes: SERVING_DEFAULTS.maxBodyBytes,
  anomalyZ: 3,
  fillMissing: 'reject' as const,
};

let store: Map<string, { body: unknown; etag: string }>;
let clock: number;

function makeDeps(overrides: Partial<PredictDeps> = {}) {
  const logger = new Logger({ serviceName: 'predict', logLevel: 'SILENT' });
  const metrics = new Metrics({ namespace: 'Test', serviceName: 'predict' });
  jest.spyOn(metrics, 'publishStoredMetrics').mockImplementation(function (this: Metrics) {
    this.clearMetrics();
    return this;
  });
  const addMetric = jest.spyOn(metrics, 'addMetric');
  const cache = new ModelCache({
    s3: new S3Client({ region: 'eu-west-1' }),
    bucket: 'models-bucket',
    maxAgeSeconds: 60,
    now: () => clock,
    logger,
  });
  const deps: PredictDeps = { config, models: cache, logger, metrics, ...overrides };
  return { deps, cache, addMetric, handler: createPredictHandler(deps) };
}

const fixed = (model: CompiledModel) => ({ get: async () => model });

function post(body: unknown, overrides = {}) {
  return apiEvent('POST', '/predict', typeof body === 'string' ? body : JSON.stringify(body), overrides);
}

function parse(result: { body: string }) {
  return JSON.parse(result.body) as Record<string, unknown> & { message: string };
}

beforeEach(() => {
  s3Mock.reset();
  clock = 5_000_000;
  store = modelsBucketFixture().store;
  serveModels(s3Mock, store);
});

describe('POST /predict', () => {
  test('answers 200 with one prediction per row, its explanation and the model version', async () => {
    const { handler, addMetric } = makeDeps();
    const result = await handler(
      post({ rows: [row, { ...row, category: 'Z', temperature: 90 }] }),
      lambdaContext,
    );
    expect(result.statusCode).toBe(200);
    expect(result.headers).toMatchObject({ 'content-type': 'application/json', 'x-model-version': 'v1' });
    expect(JSON.parse(result.body)).toEqual({
      modelVersion: 'v1',
      predictions: [
        {
          prediction: 36 - 1.375 + 0.6 + 10,
          contributions: { temperature: 36, pressure: -1.375, vibration: 0.6 },
          bias: 10,
          zScores: { temperature: 1, pressure: 1, vibration: (0.3 - 0.2) / 0.05 },
          anomalies: [],
          modelVersion: 'v1',
          categoryKnown: true,
        },
        {
          prediction: 45 - 1.375 + 0.6 + 10,
          contributions: { temperature: 45, pressure: -1.375, vibration: 0.6 },
          bias: 10,
          zScores: null,
          anomalies: [],
          modelVersion: 'v1',
          categoryKnown: false,
          note: 'category "Z" has no training profile: no z-scores or anomaly flags',
        },
      ],
    });
    expect(addMetric).toHaveBeenCalledWith('Predictions', 'Count', 2);
    expect(addMetric).toHaveBeenCalledWith('Anomalies', 'Count', 0);
  });

  test('counts anomalies in the Anomalies metric', async () => {
    const { handler, addMetric } = makeDeps();
    await handler(post({ rows: [{ ...row, temperature: 90, vibration: 1 }] }));
    expect(addMetric).toHaveBeenCalledWith('Anomalies', 'Count', 2);
  });

  test('a base64-encoded body is decoded', async () => {
    const { handler } = makeDeps();
    const body = Buffer.from(JSON.stringify({ rows: [row] })).toString('base64');
    const result = await handler(post(body, { isBase64Encoded: true }));
    expect(result.statusCode).toBe(200);
  });

  test('with fill = mean, missing features are filled and the row says which and from where', async () => {
    const { handler } = makeDeps({ config: { ...config, fillMissing: 'mean' } });
    const result = await handler(post({ rows: [{ category: 'A', temperature: 72 }] }));
    const body = parse(result) as unknown as { predictions: { filled: string[]; fillSource: string }[] };
    expect(result.statusCode).toBe(200);
    expect(body.predictions[0].filled).toEqual(['pressure', 'vibration']);
    expect(body.predictions[0].fillSource).toBe('category-mean');
  });

  test('invalid rows are a 400 listing every problem with row and field', async () => {
    const { handler } = makeDeps();
    const body =
      '{"rows":[{"category":"A","temperature":1e999,"pressure":"NaN","speed":1},' +
      JSON.stringify(row) +
      ']}';
    const result = await handler(post(body));
    expect(result.statusCode).toBe(400);
    const parsed = parse(result);
    expect(parsed.message).toBe('the request has 3 problems');
    expect(parsed.code).toBe('validation_failed');
    expect(parsed.reason).toBe('invalid_request');
    expect(parsed.errorCount).toBe(3);
    expect(
      (parsed.errors as { row: number; field: string; code: string }[]).map((e) => [e.row, e.field, e.code]),
    ).toEqual([
      [0, 'temperature', 'not_finite'],
      [0, 'pressure', 'not_finite'],
      [0, 'vibration', 'missing_feature'],
    ]);
  });

  test('a real row with ids, timestamp and target answers 200 and lists the ignored keys once', async () => {
    const { handler } = makeDeps();
    const real = { ...row, line_id: 'L01', timestamp: '2024-05-01T10:00:00Z', quality: 71.2 };
    const result = await handler(post({ rows: [real, { ...real, line_id: 'L02' }] }));
    expect(result.statusCode).toBe(200);
    const body = parse(result) as unknown as { predictions: unknown[]; ignoredFields: string[] };
    expect(body.predictions).toHaveLength(2);
    expect(body.ignoredFields).toEqual(['line_id', 'timestamp', 'quality']);
  });

  test('a request without extra keys has no ignoredFields', async () => {
    const { handler } = makeDeps();
    const result = await handler(post({ rows: [row] }));
    expect(parse(result)).not.toHaveProperty('ignoredFields');
  });

  test('with extraFields reject, each row with extra keys is one problem naming them, in a short message', async () => {
    const { handler } = makeDeps({ config: { ...config, extraFields: 'reject' } });
    const real = { ...row, UDI: 1, 'Product ID': 'M14860', 'Machine failure': 0 };
    const result = await handler(post({ rows: [real] }));
    expect(result.statusCode).toBe(400);
    const errors = parse(result).errors as { code: string; fields: string[]; message: string }[];
    expect(errors.map((e) => [e.code, e.fields])).toEqual([
      ['extra_field', ['UDI', 'Product ID', 'Machine failure']],
    ]);
    expect(errors[0].message).toBe(
      'row 0: 3 fields not in the model: "UDI", "Product ID", "Machine failure" (this service rejects fields that are not model inputs; GET /model lists them)',
    );
  });

  test('a row whose w·x overflows is a 400 naming the feature, not a 200 with a null prediction', async () => {
    const { handler } = makeDeps();
    const result = await handler(post({ rows: [row, { ...row, vibration: 1.7e308 }] }));
    expect(result.statusCode).toBe(400);
    expect(parse(result).errors).toEqual([
      {
        row: 1,
        field: 'vibration',
        code: 'overflow',
        message: 'row 1: no finite prediction: "vibration" = 1.7e+308 times its weight 2 overflows a double',
      },
    ]);
  });

  test('serves a model whose columns have real names (spaces, brackets, units, quotes) keyed as the header spells them', async () => {
    const names = ['Air temperature [K]', 'Torque [Nm]', 'Druck, "roh" [bar]'];
    const model = compileModel({ ...v1, category: 'Type', target: 'Tool wear [min]', features: names });
    const { handler } = makeDeps({ models: fixed(model) });
    const real = {
      UDI: 7,
      Type: 'A',
      'Air temperature [K]': 72,
      'Torque [Nm]': 5.5,
      'Druck, "roh" [bar]': 0.3,
    };
    const result = await handler(post({ rows: [{ ...real, 'Tool wear [min]': 108 }] }));
    expect(result.statusCode).toBe(200);
    const body = parse(result) as unknown as {
      predictions: { contributions: Record<string, number>; zScores: Record<string, number> }[];
      ignoredFields: string[];
    };
    expect(Object.keys(body.predictions[0].contributions)).toEqual(names);
    expect(body.predictions[0].contributions['Torque [Nm]']).toBe(-0.25 * 5.5);
    expect(Object.keys(body.predictions[0].zScores)).toEqual(names);
    expect(body.ignoredFields).toEqual(['UDI', 'Tool wear [min]']);
  });

  test('an unknown category answers categoryKnown false, or a 400 with unknownCategory reject', async () => {
    const flag = await makeDeps().handler(post({ rows: [{ ...row, category: 'Z' }] }));
    expect(
      (parse(flag) as unknown as { predictions: { categoryKnown: boolean }[] }).predictions[0],
    ).toMatchObject({ categoryKnown: false, zScores: null });
    const { handler } = makeDeps({ config: { ...config, unknownCategory: 'reject' } });
    const result = await handler(post({ rows: [{ ...row, category: 'Z' }] }));
    expect(result.statusCode).toBe(400);
    expect((parse(result).errors as { code: string }[]).map((e) => e.code)).toEqual(['unknown_category']);
  });

  test('more rows than MAX_ROWS is a 400', async () => {
    const { handler } = makeDeps({ config: { ...config, maxRows: 2 } });
    const result = await handler(post({ rows: [row, row, row] }));
    expect(result.statusCode).toBe(400);
    expect(parse(result).errors).toEqual([
      { field: 'rows', code: 'too_many_rows', message: '3 rows is more than the limit of 2 per request' },
    ]);
  });

  test('a body larger than MAX_BODY_BYTES is a 413, counted in UTF-8 bytes', async () => {
    const { handler } = makeDeps({ config: { ...config, maxBodyBytes: 100 } });
    const body = JSON.stringify({ rows: [{ category: 'é'.repeat(40) }] }); // under 100 chars, over 100 bytes
    expect(body.length).toBeLessThanOrEqual(100);
    const result = await handler(post(body));
    expect(result.statusCode).toBe(413);
    expect(parse(result).message).toBe(
      `the request body is ${Buffer.byteLength(body)} bytes, more than the limit of 100`,
    );
  });

  test('a base64 body larger than MAX_BODY_BYTES once decoded is a 413', async () => {
    const { handler } = makeDeps({ config: { ...config, maxBodyBytes: 50 } });
    const body = Buffer.from(JSON.stringify({ rows: [row] })).toString('base64');
    const result = await handler(post(body, { isBase64Encoded: true }));
    expect(result.statusCode).toBe(413);
  });

  test('a content type other than application/json is a 415', async () => {
    const { handler } = makeDeps();
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=latin1',
    ]) {
      const result = await handler(post({ rows: [row] }, { headers: { 'content-type': type } }));
      expect(result.statusCode).toBe(415);
    }
    const none = await handler(post({ rows: [row] }, { headers: {} }));
    expect(none.statusCode).toBe(415);
    expect(parse(none).message).toBe('the request has no Content-Type: send application/json');
  });

  test('a content type is matched case-insensitively with an optional utf-8 charset', async () => {
    const { handler } = makeDeps();
    const result = await handler(
      post({ rows: [row] }, { headers: { 'CONTENT-TYPE': 'Application/JSON; charset=UTF-8' } }),
    );
    expect(result.statusCode).toBe(200);
  });

  test('invalid JSON, an empty body and invalid UTF-8 are 400s with a message', async () => {
    const { handler } = makeDeps();
    const invalid = await handler(post('{"rows": ['));
    expect(invalid.statusCode).toBe(400);
    expect(parse(invalid)).toMatchObject({ code: 'validation_failed', reason: 'invalid_json' });
    expect(parse(invalid).message).toMatch(/^the request body is not valid JSON: /);
    const empty = await handler(apiEvent('POST', '/predict', null));
    expect(parse(empty)).toEqual({
      message: 'the request body is empty: send { "rows": [...] }',
      code: 'validation_failed',
      reason: 'empty_body',
    });
    const latin1 = await handler(
      post(Buffer.from([0x7b, 0xff, 0x7d]).toString('base64'), { isBase64Encoded: true }),
    );
    expect(parse(latin1)).toEqual({
      message: 'the request body is not valid UTF-8',
      code: 'validation_failed',
      reason: 'invalid_utf8',
    });
  });

  test('a missing model is a 503 with a clear message and no stack trace', async () => {
    store.delete('models/current.json');
    const { handler } = makeDeps();
    const result = await handler(post({ rows: [row] }));
    expect(result.statusCode).toBe(503);
    expect(result.headers).toMatchObject({ 'retry-after': '30' });
    expect(parse(result)).toEqual({
      message: 'no model has been promoted: models/current.json does not exist in the models bucket',
      code: 'service_unavailable',
      reason: 'no_model',
    });
  });

  test('an invalid model is a 503 naming the defect', async () => {
    store.set('models/v1/model.json', { body: { ...v1, bias: null }, etag: '"bad"' });
    const { handler } = makeDeps();
    const result = await handler(post({ rows: [row] }));
    expect(result.statusCode).toBe(503);
    expect(parse(result).message).toBe(
      'the current model artifact models/v1/model.json is invalid: bias: must be a finite number',
    );
  });

  test('an unexpected error is a 500 with the request id and no stack trace', async () => {
    const { handler } = makeDeps({ models: { get: async () => Promise.reject(new TypeError('boom')) } });
    const result = await handler(post({ rows: [row] }));
    expect(result.statusCode).toBe(500);
    expect(parse(result)).toEqual({
      message: 'internal error: the request could not be processed',
      code: 'internal_error',
      requestId: 'req-1',
    });
  });
});

describe('model cache through the handler', () => {
  test('a warm request is a cache hit with no S3 call', async () => {
    const { handler, cache } = makeDeps();
    await handler(post({ rows: [row] }));
    const calls = s3Mock.commandCalls(GetObjectCommand).length;
    clock += 30_000;
    const result = await handler(post({ rows: [row] }));
    expect(result.statusCode).toBe(200);
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(calls);
    expect(cache.stats.hits).toBe(1);
  });

  test('after the cache interval the pointer is revalidated and a 304 keeps the model', async () => {
    const { handler, cache } = makeDeps();
    await handler(post({ rows: [row] }));
    clock += 60_000;
    const result = await handler(post({ rows: [row] }));
    expect(parse(result).modelVersion).toBe('v1');
    expect(s3Mock).toHaveReceivedCommandWith(GetObjectCommand, {
      Key: 'models/current.json',
      IfNoneMatch: '"p1"',
    });
    expect(cache.stats.notModified).toBe(1);
  });

  test('when the pointer moves the next revalidation serves the new model', async () => {
    const { handler } = makeDeps();
    await handler(post({ rows: [row] }));
    store.set('models/current.json', { body: pointer('v2'), etag: '"p2"' });
    clock += 1_000;
    expect(parse(await handler(post({ rows: [row] }))).modelVersion).toBe('v1');
    clock += 60_000;
    const moved = parse(await handler(post({ rows: [row] })));
    expect(moved.modelVersion).toBe('v2');
  });
});

describe('GET /model and routing', () => {
  test('GET /model returns the model card', async () => {
    const { handler } = makeDeps();
    const result = await handler(apiEvent('GET', '/model'));
    expect(result.statusCode).toBe(200);
    expect(parse(result)).toMatchObject({
      version: 'v1',
      trainedAt: v1.trainedAt,
      features: [{ name: 'temperature' }, { name: 'pressure' }, { name: 'vibration' }],
      weights: { temperature: 0.5, pressure: -0.25, vibration: 2 },
      metrics: v1.metrics,
      lineage: v1.lineage,
    });
  });

  test('GET /model with no model is a 503', async () => {
    store.clear();
    const { handler } = makeDeps();
    expect((await handler(apiEvent('GET', '/model'))).statusCode).toBe(503);
  });

  test('an unknown route is a 404 and a wrong method on a known route is a 405', async () => {
    const { handler } = makeDeps();
    const notFound = await handler(apiEvent('GET', '/admin'));
    expect(notFound.statusCode).toBe(404);
    expect(parse(notFound).message).toBe('no route GET "/admin": use POST /predict or GET /model');
    const wrong = await handler(apiEvent('GET', '/predict'));
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers).toMatchObject({ allow: 'POST' });
  });

  test('a greedy proxy resource routes by the request path', async () => {
    const { handler } = makeDeps();
    const result = await handler(apiEvent('GET', '/model', null, { resource: '/{proxy+}' }));
    expect(result.statusCode).toBe(200);
  });
});

describe('fuzzing the handler', () => {
  test('arbitrary bodies and bytes never throw and always get a 2xx or 4xx with a message', async () => {
    const { handler } = makeDeps({ models: fixed(compileModel(v1)) });
    const key = fc.constantFrom('category', 'temperature', 'pressure', 'vibration', 'speed');
    const cell = fc.oneof(
      fc.double(),
      fc.string(),
      fc.constantFrom('A', 'B', null, '1e999', 'NaN'),
      fc.jsonValue(),
    );
    const body = fc.oneof(
      fc.jsonValue().map((v) => ({ text: JSON.stringify(v) ?? '', base64: false })),
      fc.record({ rows: fc.array(fc.dictionary(key, cell), { maxLength: 5 }) }).map((v) => ({
        text: JSON.stringify(v).replace(/"1e999"/g, '1e999'),
        base64: false,
      })),
      fc.string().map((text) => ({ text, base64: false })),
      fc
        .uint8Array({ maxLength: 200 })
        .map((bytes) => ({ text: Buffer.from(bytes).toString('base64'), base64: true })),
    );
    await fc.assert(
      fc.asyncProperty(body, async ({ text, base64 }) => {
        const result = await handler(post(text, { isBase64Encoded: base64 }));
        expect([200, 400, 413, 415]).toContain(result.statusCode);
        const parsed = JSON.parse(result.body) as { message?: string; predictions?: unknown[] };
        if (result.statusCode === 200) expect(Array.isArray(parsed.predictions)).toBe(true);
        else expect(typeof parsed.message).toBe('string');
      }),
      { numRuns: 1000 },
    );
  });
});

describe('readPredictConfig', () => {
  test('applies the defaults', () => {
    expect(readPredictConfig({ MODELS_BUCKET: 'b' })).toEqual({
      modelsBucket: 'b',
      modelCacheSeconds: 60,
      maxRows: 1000,
      maxBodyBytes: 1048576,
      anomalyZ: 3,
      fillMissing: 'reject',
      extraFields: 'ignore',
      unknownCategory: 'flag',
      metricsNamespace: 'AiaasFactory',
      serviceName: 'predict',
    });
  });

  test('reads every variable', () => {
    expect(
      readPredictConfig({
        MODELS_BUCKET: 'b',
        MODEL_CACHE_SECONDS: '5',
        MAX_ROWS: '10',
        MAX_BODY_BYTES: '2048',
        ANOMALY_Z: '2.5',
        FILL_MISSING: 'mean',
        EXTRA_FIELDS: 'reject',
        UNKNOWN_CATEGORY: 'reject',
        METRICS_NAMESPACE: 'Ns',
      }),
    ).toEqual({
      modelsBucket: 'b',
      modelCacheSeconds: 5,
      maxRows: 10,
      maxBodyBytes: 2048,
      anomalyZ: 2.5,
      fillMissing: 'mean',
      extraFields: 'reject',
      unknownCategory: 'reject',
      metricsNamespace: 'Ns',
      serviceName: 'predict',
    });
  });

  test('names the variable that is missing or wrong', () => {
    expect(() => readPredictConfig({})).toThrow(
      'MODELS_BUCKET is not set: the models bucket name is required',
    );
    expect(() => readPredictConfig({ MODELS_BUCKET: 'b', MAX_ROWS: '1.5' })).toThrow(
      'MAX_ROWS must be a whole number ≥ 1, got "1.5"',
    );
    expect(() => readPredictConfig({ MODELS_BUCKET: 'b', ANOMALY_Z: 'x' })).toThrow(
      'ANOMALY_Z must be a number > 0, got "x"',
    );
    expect(() => readPredictConfig({ MODELS_BUCKET: 'b', FILL_MISSING: 'zero' })).toThrow(
      'FILL_MISSING must be "reject" or "mean", got "zero"',
    );
    expect(() => readPredictConfig({ MODELS_BUCKET: 'b', MODEL_CACHE_SECONDS: '-1' })).toThrow(
      'MODEL_CACHE_SECONDS must be a whole number ≥ 0, got "-1"',
    );
    expect(() => readPredictConfig({ MODELS_BUCKET: 'b', MAX_BODY_BYTES: '1' })).toThrow(/^MAX_BODY_BYTES/);
  });
});

describe('the Lambda entry point', () => {
  test('a missing MODELS_BUCKET answers 500 naming the variable, without a stack trace', async () => {
    const saved = { bucket: process.env.MODELS_BUCKET, level: process.env.POWERTOOLS_LOG_LEVEL };
    delete process.env.MODELS_BUCKET;
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    try {
      const result = await lambdaHandler(apiEvent('GET', '/model'), lambdaContext);
      expect(result.statusCode).toBe(500);
      expect(parse(result)).toEqual({
        message: 'MODELS_BUCKET is not set: the models bucket name is required',
        code: 'config_invalid',
      });
    } finally {
      if (saved.bucket !== undefined) process.env.MODELS_BUCKET = saved.bucket;
      if (saved.level !== undefined) process.env.POWERTOOLS_LOG_LEVEL = saved.level;
      else delete process.env.POWERTOOLS_LOG_LEVEL;
    }
  });
});

describe('contentTypeProblem', () => {
  test('accepts application/json with or without a utf-8 charset', () => {
    expect(contentTypeProblem('application/json')).toBeUndefined();
    expect(contentTypeProblem('application/json;charset="utf-8"')).toBeUndefined();
    expect(contentTypeProblem('application/json; charset=utf-16')).toBe(
      'only the utf-8 charset is accepted, got "utf-16"',
    );
  });
});
