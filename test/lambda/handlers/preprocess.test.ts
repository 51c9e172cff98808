import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable } from 'node:stream';
import type { PreprocessConfig } from '../../../lambda/adapters/env';
import { DEFAULT_DATASET_SCHEMA, encodeSchema } from '../../../lambda/core/dataset-schema';
import { outputKeys } from '../../../lambda/core/object-keys';
import { generateSyntheticCsv } from '../../../lambda/core/synthetic-data';

type HandlerModule = typeof import('../../../lambda/handlers/preprocess');

const RAW = 'raw-bucket';
const CURATED = 'curated-bucket';
const config: PreprocessConfig = {
  curatedBucket: CURATED,
  schema: DEFAULT_DATASET_SCHEMA,
  maxObjectBytes: 1_000_000,
  serviceName: 'preprocess',
  metricsNamespace: 'Test',
};

const s3Mock = mockClient(S3Client);
let mod: HandlerModule;
let metrics: Metrics;

function eventBridge(key: string, size?: number, versionId?: string, etag?: string, bucket = RAW) {
  return {
    'detail-type': 'Object Created',
    source: 'aws.s3',
    detail: { bucket: { name: bucket }, object: { key, size, etag, 'version-id': versionId } },
  };
}

function build() {
  return mod.createPreprocessHandler({
    s3: new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
    config,
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics,
  });
}

/** A GetObject body: the adapter only pipes it, so a plain Readable stands in for the SDK stream. */
function body(bytes: Buffer) {
  return Readable.from([bytes]) as never;
}

const puts = () => s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input as PutObjectCommandInput);
const putKeys = () => puts().map((p) => p.Key);
const putBody = (key: string) => String(puts().find((p) => p.Key === key)?.Body);

beforeAll(async () => {
  process.env.CURATED_BUCKET = CURATED;
  process.env.DATASET_SCHEMA = encodeSchema(DEFAULT_DATASET_SCHEMA);
  process.env.MAX_OBJECT_BYTES = '1000000';
  process.env.AWS_REGION = 'eu-west-1';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  mod = await import('../../../lambda/handlers/preprocess');
});

beforeEach(() => {
  s3Mock.reset();
  s3Mock.on(PutObjectCommand).resolves({ ETag: '"etag"' });
  metrics = new Metrics({ namespace: 'Test', serviceName: 'preprocess' });
  jest.spyOn(metrics, 'addMetric');
  jest.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
});

afterEach(() => jest.restoreAllMocks());

describe('preprocess handler (mocked S3)', () => {
  it('exports the Lambda entry point as `handler`', () => {
    expect(typeof mod.handler).toBe('function');
  });

  it('answers an undecodable event with invalidEvents 1 and no S3 call, without throwing', async () => {
    const out = await build()({ hello: 'world' });
    expect(out).toEqual({
      objects: 0,
      processed: 0,
      rejected: 0,
      ignored: 0,
      gone: 0,
      invalidEvents: 1,
      results: [],
    });
    expect(s3Mock.calls()).toHaveLength(0);
    expect(metrics.addMetric).toHaveBeenCalledWith('InvalidEvents', 'Count', 1);
  });

  it('ignores a key that does not end in .csv, counted, with no S3 call', async () => {
    const out = await build()(eventBridge('docs/readme.txt', 10, 'v1'));
    expect(out.ignored).toBe(1);
    expect(out.results[0]).toMatchObject({ key: 'docs/readme.txt', status: 'ignored', reason: 'not_csv' });
    expect(s3Mock.calls()).toHaveLength(0);
    expect(metrics.addMetric).toHaveBeenCalledWith('ObjectsIgnored', 'Count', 1);
  });

  it('counts non-creation records of an S3 notification as ignored', async () => {
    const out = await build()({
      Records: [
        { eventName: 'ObjectRemoved:Delete', s3: { bucket: { name: RAW }, object: { key: 'a.csv' } } },
      ],
    });
    expect(out).toMatchObject({ objects: 0, ignored: 1 });
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('ignores an event from the curated bucket itself, so outputs can never loop', async () => {
    const out = await build()(eventBridge('clean/a/v-1.csv', 10, 'v1', undefined, CURATED));
    expect(out.results[0]).toMatchObject({ status: 'ignored', reason: 'curated_bucket' });
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('rejects an object over MAX_OBJECT_BYTES from the event size before downloading', async () => {
    const out = await build()(eventBridge('in/big+file.csv', 2_000_000, 'v9'));
    expect(out.results[0]).toMatchObject({ key: 'in/big file.csv', status: 'rejected', reason: 'too_large' });
    expect(s3Mock).not.toHaveReceivedCommand(GetObjectCommand);
    expect(s3Mock).not.toHaveReceivedCommand(HeadObjectCommand);
    const keys = outputKeys({ key: 'in/big file.csv', versionId: 'v9' });
    expect(putKeys()).toEqual([keys.rejection, keys.report]);
    expect(puts().every((p) => p.Bucket === CURATED)).toBe(true);
    expect(JSON.parse(putBody(keys.report))).toMatchObject({
      status: 'rejected',
      input: { bucket: RAW, key: 'in/big file.csv', versionId: 'v9', size: 2_000_000 },
      rejection: { code: 'file_rejected', reason: 'too_large' },
    });
    expect(metrics.addMetric).toHaveBeenCalledWith('FilesRejected', 'Count', 1);
  });

  it('asks HeadObject for the size when the event has none, pinned to the version', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 5_000_000, VersionId: 'v2' });
    const out = await build()(eventBridge('a.csv', undefined, 'v2'));
    expect(s3Mock).toHaveReceivedCommandWith(HeadObjectCommand, {
      Bucket: RAW,
      Key: 'a.csv',
      VersionId: 'v2',
    });
    expect(out.results[0]).toMatchObject({ status: 'rejected', reason: 'too_large' });
    expect(s3Mock).not.toHaveReceivedCommand(GetObjectCommand);
  });

  it('cleans a small object: pinned read, every output to the curated bucket, metrics, summary', async () => {
    const csv = Buffer.from(generateSyntheticCsv({ rows: 500, seed: 1 }).files[0], 'latin1');
    s3Mock
      .on(GetObjectCommand)
      .callsFake(() => ({ Body: body(csv), ContentLength: csv.length, VersionId: 'v3' }));
    const out = await build()(eventBridge('lines/l1.csv', csv.length, 'v3', 'abc'));
    expect(s3Mock).toHaveReceivedCommandWith(GetObjectCommand, {
      Bucket: RAW,
      Key: 'lines/l1.csv',
      VersionId: 'v3',
    });
    const keys = outputKeys({ key: 'lines/l1.csv', versionId: 'v3' });
    expect(new Set(putKeys())).toEqual(
      new Set([keys.clean, keys.train, keys.quarantine, keys.stats, keys.groupStats, keys.report]),
    );
    expect(putKeys().at(-1)).toBe(keys.report);
    expect(puts().every((p) => p.Bucket === CURATED)).toBe(true);
    const result = out.results[0];
    expect(result).toMatchObject({ status: 'processed', rowsIn: 500, quarantined: 0 });
    expect(result.rowsIn).toBe(result.rowsClean! + result.duplicates! + result.quarantined!);
    for (const name of ['RowsIn', 'RowsClean', 'Duplicates', 'QuarantinedRows']) {
      expect(metrics.addMetric).toHaveBeenCalledWith(name, 'Count', expect.any(Number));
    }
    expect(metrics.addMetric).toHaveBeenCalledWith('RowsIn', 'Count', 500);
    expect(metrics.publishStoredMetrics).toHaveBeenCalledTimes(1);
  });

  it('reads an unversioned object on the condition of its ETag', async () => {
    const csv = Buffer.from(generateSyntheticCsv({ rows: 20, seed: 1 }).files[0], 'latin1');
    s3Mock.on(GetObjectCommand).callsFake(() => ({ Body: body(csv), ContentLength: csv.length }));
    const out = await build()(eventBridge('u.csv', csv.length, undefined, 'abc'));
    expect(s3Mock).toHaveReceivedCommandWith(GetObjectCommand, {
      Bucket: RAW,
      Key: 'u.csv',
      IfMatch: '"abc"',
    });
    expect(out.results[0].outputs?.clean).toBe('clean/u/e-abc.csv');
  });

  it('writes a stored report without elapsed time, so replays write the same bytes', async () => {
    const csv = Buffer.from(generateSyntheticCsv({ rows: 50, seed: 2 }).files[0], 'latin1');
    s3Mock.on(GetObjectCommand).callsFake(() => ({ Body: body(csv), ContentLength: csv.length }));
    const handler = build();
    await handler(eventBridge('r.csv', csv.length, 'v1'));
    const first = puts().map((p) => [p.Key, String(p.Body)]);
    s3Mock.resetHistory();
    await handler(eventBridge('r.csv', csv.length, 'v1'));
    const reportKey = outputKeys({ key: 'r.csv', versionId: 'v1' }).report;
    expect(putBody(reportKey)).not.toMatch(/elapsed/i);
    const small = (rows: string[][]) => rows.filter(([key]) => /\.json$|groups/.test(key!));
    expect(small(puts().map((p) => [p.Key!, String(p.Body)]))).toEqual(small(first as string[][]));
  });

  it('reports a version that no longer exists as gone, without throwing or writing', async () => {
    s3Mock.on(GetObjectCommand).rejects(
      new S3ServiceException({
        name: 'NoSuchVersion',
        $fault: 'client',
        $metadata: { httpStatusCode: 404 },
      }),
    );
    const out = await build()(eventBridge('x.csv', 10, 'old'));
    expect(out).toMatchObject({ gone: 1 });
    expect(out.results[0]).toMatchObject({ status: 'gone', reason: 'NoSuchVersion' });
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('throws on a transient S3 failure so Lambda retries, writing nothing', async () => {
    s3Mock
      .on(GetObjectCommand)
      .rejects(
        new S3ServiceException({ name: 'SlowDown', $fault: 'server', $metadata: { httpStatusCode: 503 } }),
      );
    await expect(build()(eventBridge('x.csv', 10, 'v1'))).rejects.toMatchObject({ name: 'SlowDown' });
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
    expect(metrics.addMetric).toHaveBeenCalledWith('ObjectsFailed', 'Count', 1);
    expect(metrics.publishStoredMetrics).toHaveBeenCalledTimes(1);
  });

  it('rejects a file the core rejects (not UTF-8) with a report and no clean output', async () => {
    const bytes = Buffer.from([0x61, 0x2c, 0x62, 0x0a, 0xff, 0xfe, 0x0a]);
    s3Mock.on(GetObjectCommand).callsFake(() => ({ Body: body(bytes), ContentLength: bytes.length }));
    const out = await build()(eventBridge('bin.csv', bytes.length, 'v1'));
    expect(out.results[0]).toMatchObject({ status: 'rejected' });
    const keys = outputKeys({ key: 'bin.csv', versionId: 'v1' });
    expect(putKeys()).toEqual([keys.rejection, keys.report]);
  });
});
