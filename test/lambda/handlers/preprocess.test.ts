import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { PreprocessConfig } from '../../../lambda/core/env/preprocess';
import { DEFAULT_DATASET_SCHEMA, encodeSchema } from '../../../lambda/core/dataset-schema';
import { athenaJsonLines } from '../../../lambda/core/athena-copy';
import {
  athenaTablePrefix,
  curatedTable,
  CURATED_TABLES,
  REPORT_COUNTS,
} from '../../../lambda/core/curated-tables';
import { ATHENA_COPY_KINDS, outputKeys, type OutputKeys } from '../../../lambda/core/object-keys';
import { athenaCopyFile, openCuratedDb } from '../../../bin/commands/query';
import { preprocessBytes } from '../../../lambda/core/preprocess';
import { parseReport } from '../../../lambda/core/preprocess-report';
import { parseStatsPartial } from '../../../lambda/core/stats-partial-schema';
import { objectDeletedEvent } from '../../../lambda/core/s3-event';
import { generateSyntheticCsv } from '../../../lambda/core/synthetic-data';

type HandlerModule = typeof import('../../../lambda/handlers/preprocess');

const RAW = 'raw-bucket';
const CURATED = 'curated-bucket';
const config: PreprocessConfig = {
  curatedBucket: CURATED,
  schema: DEFAULT_DATASET_SCHEMA,
  maxObjectBytes: 1_000_000,
  maxColumns: 4096,
  maxCategories: 10000,
  delimiter: ',',
  athenaCopy: true,
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

function build(overrides: Partial<Parameters<HandlerModule['createPreprocessHandler']>[0]> = {}) {
  return mod.createPreprocessHandler({
    s3: new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
    config,
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics,
    ...overrides,
  });
}

/** The Last-Modified HeadObject sends (S3 always does) for the current version. */
const LAST_MODIFIED = '2026-12-01T08:05:00.000Z';

/** HeadObject without a version id answers with this current version (and size). */
function currentIs(versionId: string | undefined, options: { etag?: string; size?: number } = {}) {
  s3Mock.on(HeadObjectCommand).resolves({
    VersionId: versionId,
    LastModified: new Date(LAST_MODIFIED),
    ETag: options.etag === undefined ? undefined : `"${options.etag}"`,
    ContentLength: options.size ?? 10,
  });
}

const notFound = () =>
  new S3ServiceException({ name: 'NotFound', $fault: 'client', $metadata: { httpStatusCode: 404 } });

/** ListObjectsV2 answers each curated folder with the listed keys that start with its prefix. */
function curatedHolds(keys: string[]) {
  s3Mock.on(ListObjectsV2Command).callsFake((input: { Prefix: string }) => ({
    Contents: keys.filter((k) => k.startsWith(input.Prefix)).map((Key) => ({ Key })),
  }));
}

/** Athena's copy of one input version's outputs (one JSON Lines object per Glue table). */
const athenaKeys = (k: OutputKeys) => [
  k.athenaClean,
  k.athenaTrain,
  k.athenaQuarantine,
  k.athenaGroupStats,
  k.athenaReport,
];

/** Every processed output of one input version (what a processed run writes). */
const processedKeys = (k: OutputKeys) => [
  k.clean,
  k.train,
  k.quarantine,
  k.stats,
  k.groupStats,
  k.report,
  ...athenaKeys(k),
];

const lastIndex = (names: string[], prefix: string) =>
  names.length - 1 - [...names].reverse().findIndex((n) => n.startsWith(prefix));

const deleted = () =>
  s3Mock
    .commandCalls(DeleteObjectsCommand)
    .map((c) => (c.args[0].input.Delete?.Objects ?? []).map((o) => o.Key));

const smallCsv = (rows: number, seed: number) =>
  Buffer.from(generateSyntheticCsv({ rows, seed }).files[0], 'latin1');

function servesObject(bytes: Buffer, versionId?: string) {
  s3Mock
    .on(GetObjectCommand)
    .callsFake(() => ({ Body: body(bytes), ContentLength: bytes.length, VersionId: versionId }));
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
  s3Mock.on(ListObjectsV2Command).resolves({});
  s3Mock.on(DeleteObjectsCommand).resolves({});
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
      superseded: 0,
      removed: 0,
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

  it('counts records that neither create nor remove an object as ignored', async () => {
    const out = await build()({
      Records: [
        { eventName: 'ObjectRestore:Completed', s3: { bucket: { name: RAW }, object: { key: 'a.csv' } } },
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
    currentIs('v9');
    const out = await build()(eventBridge('in/big+file.csv', 2_000_000, 'v9'));
    expect(out.results[0]).toMatchObject({ key: 'in/big file.csv', status: 'rejected', reason: 'too_large' });
    expect(s3Mock).not.toHaveReceivedCommand(GetObjectCommand);
    const keys = outputKeys({ key: 'in/big file.csv', versionId: 'v9' });
    expect(putKeys()).toEqual([keys.rejection, keys.athenaReport, keys.report]);
    // The reports table's row for it: no counts, the reason, the origin.
    expect(JSON.parse(putBody(keys.athenaReport))).toEqual({
      ...Object.fromEntries(REPORT_COUNTS.map((k) => [k, null])),
      status: 'rejected',
      rejection: 'too_large',
      source: 'in/big file.csv',
      arrived: LAST_MODIFIED,
    });
    expect(puts().every((p) => p.Bucket === CURATED)).toBe(true);
    expect(JSON.parse(putBody(keys.report))).toMatchObject({
      status: 'rejected',
      input: { bucket: RAW, key: 'in/big file.csv', versionId: 'v9', size: 2_000_000 },
      rejection: { code: 'file_rejected', reason: 'too_large' },
    });
    expect(metrics.addMetric).toHaveBeenCalledWith('FilesRejected', 'Count', 1);
  });

  it('writes a rejected report that parseReport reads back as written', async () => {
    currentIs('v9');
    await build()(eventBridge('in/big.csv', 2_000_000, 'v9'));
    const written = JSON.parse(putBody(outputKeys({ key: 'in/big.csv', versionId: 'v9' }).report));
    expect(parseReport(written)).toEqual(written);
  });

  it('takes the size from HeadObject of the current version when the event has none', async () => {
    currentIs('v2', { size: 5_000_000 });
    const out = await build()(eventBridge('a.csv', undefined, 'v2'));
    expect(s3Mock).toHaveReceivedCommandWith(HeadObjectCommand, { Bucket: RAW, Key: 'a.csv' });
    expect(s3Mock.commandCalls(HeadObjectCommand)[0].args[0].input).not.toHaveProperty('VersionId');
    expect(out.results[0]).toMatchObject({ status: 'rejected', reason: 'too_large' });
    expect(s3Mock).not.toHaveReceivedCommand(GetObjectCommand);
  });

  it('cleans a small object: pinned read, every output to the curated bucket, metrics, summary', async () => {
    const csv = Buffer.from(generateSyntheticCsv({ rows: 500, seed: 1 }).files[0], 'latin1');
    currentIs('v3');
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
    expect(new Set(putKeys())).toEqual(new Set(processedKeys(keys)));
    expect(putKeys().at(-1)).toBe(keys.report);
    expect(puts().every((p) => p.Bucket === CURATED)).toBe(true);
    // What the handler writes is what every reader's parse accepts, unchanged.
    const report = JSON.parse(putBody(keys.report));
    expect(parseReport(report, keys.report)).toEqual(report);
    const stats = JSON.parse(putBody(keys.stats));
    expect(parseStatsPartial(stats, keys.stats)).toEqual(stats);
    const result = out.results[0];
    expect(result).toMatchObject({ status: 'processed', rowsIn: 500, quarantined: 0 });
    expect(result.rowsIn).toBe(result.rowsClean! + result.duplicates! + result.quarantined!);
    for (const name of ['RowsIn', 'RowsClean', 'Duplicates', 'QuarantinedRows']) {
      expect(metrics.addMetric).toHaveBeenCalledWith(name, 'Count', expect.any(Number));
    }
    expect(metrics.addMetric).toHaveBeenCalledWith('RowsIn', 'Count', 500);
    expect(metrics.addMetric).toHaveBeenCalledWith('QuarantinedLines', 'Count', 0);
    expect(metrics.publishStoredMetrics).toHaveBeenCalledTimes(1);
  });

  it("writes Athena's copy beside the outputs, which reads as the Glue tables declare into the CSVs' rows", async () => {
    // Gaps, duplicates and a quarantined row whose raw text spans lines (a stray quote).
    const [header, ...rows] = generateSyntheticCsv({ rows: 300, seed: 9 }).files[0].trimEnd().split('\n');
    const gap = rows[3].split(',');
    gap[gap.length - 2] = '';
    const csv = Buffer.from(
      [header, ...rows, rows[5], gap.join(','), `${rows[7].split(',')[0]},"L2\n,stray`, ''].join('\n'),
      'latin1',
    );
    currentIs('v1');
    servesObject(csv, 'v1');
    const out = await build()(eventBridge('lines/l2.csv', csv.length, 'v1'));
    expect(out.results[0]).toMatchObject({ status: 'processed', quarantined: 1 });
    expect(out.results[0].duplicates).toBeGreaterThan(0);
    const keys = outputKeys({ key: 'lines/l2.csv', versionId: 'v1' });
    // Each copy sits under its Glue table's location (query-stack.ts: athenaTablePrefix).
    for (const table of CURATED_TABLES) {
      const key = keys[ATHENA_COPY_KINDS[table.name as keyof typeof ATHENA_COPY_KINDS]];
      expect(key).toBe(`${athenaTablePrefix(table)}lines/l2/v-v1.jsonl`);
      expect(putKeys()).toContain(key);
    }
    expect(out.results[0].outputs).toMatchObject({
      athenaClean: keys.athenaClean,
      athenaTrain: keys.athenaTrain,
      athenaQuarantine: keys.athenaQuarantine,
      athenaGroupStats: keys.athenaGroupStats,
      athenaReport: keys.athenaReport,
    });
    const dir = mkdtempSync(join(tmpdir(), 'handler-copy-'));
    try {
      // The written objects as a preprocess output directory: the CSVs, the report's counts, the copy.
      for (const name of ['clean', 'train', 'quarantine'] as const)
        writeFileSync(join(dir, `${name}.csv`), putBody(keys[name]));
      writeFileSync(join(dir, 'group_stats.csv'), putBody(keys.groupStats));
      // The stored report's status and origin as factory preprocess records them.
      const stored = JSON.parse(putBody(keys.report));
      expect(stored.input).toMatchObject({ key: 'lines/l2.csv', lastModified: LAST_MODIFIED });
      writeFileSync(
        join(dir, 'report.json'),
        JSON.stringify({
          ...stored.quality,
          status: stored.status,
          source: stored.input.key,
          arrived: stored.input.lastModified,
        }),
      );
      mkdirSync(join(dir, 'athena'));
      for (const table of CURATED_TABLES) {
        const key = keys[ATHENA_COPY_KINDS[table.name as keyof typeof ATHENA_COPY_KINDS]];
        writeFileSync(athenaCopyFile(dir, table), putBody(key));
      }
      const csvDb = await openCuratedDb([dir], DEFAULT_DATASET_SCHEMA);
      const copyDb = await openCuratedDb([dir], DEFAULT_DATASET_SCHEMA, { athenaCopy: true });
      try {
        expect(copyDb.tables).toEqual(CURATED_TABLES.map((t) => t.name));
        for (const table of CURATED_TABLES) {
          const sql = `SELECT * FROM ${table.name} ORDER BY ALL`;
          const [a, b] = [await csvDb.run(sql), await copyDb.run(sql)];
          expect({ table: table.name, ...b }).toEqual({ table: table.name, ...a });
        }
        const count = await copyDb.run('SELECT count(*) AS n FROM clean');
        expect(Number(count.rows[0][0])).toBe(out.results[0].rowsClean);
        const raw = await copyDb.run('SELECT raw, source, arrived FROM quarantine');
        expect(String(raw.rows[0][0])).toContain('\n');
        expect(raw.rows[0].slice(1)).toEqual(['lines/l2.csv', LAST_MODIFIED]);
      } finally {
        csvDb.close();
        copyDb.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads an unversioned object on the condition of its ETag', async () => {
    const csv = Buffer.from(generateSyntheticCsv({ rows: 20, seed: 1 }).files[0], 'latin1');
    currentIs(undefined, { etag: 'abc' });
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
    currentIs('v1');
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

  it('reports a version that vanishes between the version check and the read as gone, without writing', async () => {
    currentIs('old');
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
    currentIs('v1');
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
    currentIs('v1');
    s3Mock.on(GetObjectCommand).callsFake(() => ({ Body: body(bytes), ContentLength: bytes.length }));
    const out = await build()(eventBridge('bin.csv', bytes.length, 'v1'));
    expect(out.results[0]).toMatchObject({ status: 'rejected' });
    const keys = outputKeys({ key: 'bin.csv', versionId: 'v1' });
    expect(putKeys()).toEqual([keys.rejection, keys.athenaReport, keys.report]);
  });
});

describe('preprocess handler: keys of any case and gzip objects', () => {
  const csv = () => Buffer.from(generateSyntheticCsv({ rows: 300, seed: 4 }).files[0], 'latin1');

  /** Processes `bytes` under `key` (version v1); returns the summary and the written keys. */
  async function processes(key: string, bytes: Buffer, contentEncoding?: string) {
    currentIs('v1');
    s3Mock.on(GetObjectCommand).callsFake(() => ({
      Body: body(bytes),
      ContentLength: bytes.length,
      VersionId: 'v1',
      ContentEncoding: contentEncoding,
    }));
    return build()(eventBridge(key, bytes.length, 'v1'));
  }

  it.each(['LINE-7.CSV', 'exports/Line-7.Csv'])(
    'processes %s, its outputs under the key with .csv appended',
    async (key) => {
      const out = await processes(key, csv());
      expect(out.results[0]).toMatchObject({ key, status: 'processed', rowsIn: 300 });
      const keys = outputKeys({ key: `${key}.csv`, versionId: 'v1' });
      expect(new Set(putKeys())).toEqual(new Set(processedKeys(keys)));
      // The version check asks raw about the real key, never the layout's.
      const heads = s3Mock.commandCalls(HeadObjectCommand).map((c) => c.args[0].input.Key);
      expect(new Set(heads)).toEqual(new Set([key]));
    },
  );

  it('gunzips x.csv.gz (Content-Encoding gzip) into the same clean rows as the plain file', async () => {
    const plain = await processes('x.csv', csv());
    const plainClean = putBody(outputKeys({ key: 'x.csv', versionId: 'v1' }).clean);
    s3Mock.reset();
    s3Mock.on(PutObjectCommand).resolves({ ETag: '"etag"' });
    s3Mock.on(ListObjectsV2Command).resolves({});
    const gz = await processes('x.csv.gz', gzipSync(csv()), 'gzip');
    expect(gz.results[0]).toMatchObject({ status: 'processed', rowsIn: plain.results[0].rowsIn });
    const keys = outputKeys({ key: 'x.csv.gz.csv', versionId: 'v1' });
    expect(putBody(keys.clean)).toBe(plainClean);
    expect(JSON.parse(putBody(keys.report)).quality.bytesIn).toBe(csv().length);
  });

  it('gunzips gzip bytes under a plain .csv name, known by the magic bytes alone', async () => {
    const out = await processes('line-pc/upload.csv', gzipSync(csv()));
    expect(out.results[0]).toMatchObject({ status: 'processed', rowsIn: 300 });
  });

  it('rejects a damaged gzip object as bad_gzip with a report', async () => {
    const cut = gzipSync(csv()).subarray(0, 200);
    const out = await processes('cut.csv.gz', cut);
    expect(out.results[0]).toMatchObject({ status: 'rejected', reason: 'bad_gzip' });
    const keys = outputKeys({ key: 'cut.csv.gz.csv', versionId: 'v1' });
    expect(putKeys()).toEqual([keys.rejection, keys.athenaReport, keys.report]);
  });

  it('refuses a gzip object that inflates past MAX_OBJECT_BYTES as too_large', async () => {
    const bomb = gzipSync(Buffer.concat([csv(), Buffer.alloc(2_000_000, 0x20)]));
    expect(bomb.length).toBeLessThan(1_000_000);
    const out = await processes('bomb.csv.gz', bomb);
    expect(out.results[0]).toMatchObject({ status: 'rejected', reason: 'too_large' });
  });

  it('reads a Firehose JSON Lines object (gzip) into the clean rows of the same rows as CSV', async () => {
    const text = csv().toString('latin1');
    const [header, ...rows] = text.trimEnd().split('\n');
    const names = header.split(',');
    const numeric = new Set([...DEFAULT_DATASET_SCHEMA.features, DEFAULT_DATASET_SCHEMA.target]);
    const cell = (name: string, v: string) => (numeric.has(name) ? Number(v) : v);
    const records = rows.map((row) => {
      const cells = row.split(',');
      const entries = names.map((n, k) => [n, cell(n, cells[k])] as const).filter((_, k) => cells[k] !== '');
      return JSON.stringify(Object.fromEntries(entries)) + '\n';
    });
    // The same rows as CSV, numbers printed as JSON.stringify prints them.
    const asCsv = [
      header,
      ...rows.map((row) =>
        row
          .split(',')
          .map((v, k) => (v === '' || !numeric.has(names[k]) ? v : String(Number(v))))
          .join(','),
      ),
    ].join('\n');
    const plain = await processes('same-rows.csv', Buffer.from(asCsv + '\n'));
    const plainClean = putBody(outputKeys({ key: 'same-rows.csv', versionId: 'v1' }).clean);
    s3Mock.reset();
    s3Mock.on(PutObjectCommand).resolves({ ETag: '"etag"' });
    s3Mock.on(ListObjectsV2Command).resolves({});
    const key = 'ingest/2026/12/01/factory-ingest-1-2026-12-01-00-00-00-abc.jsonl.gz';
    const out = await processes(key, gzipSync(records.join('')));
    expect(out.results[0]).toMatchObject({
      status: 'processed',
      rowsIn: plain.results[0].rowsIn,
      quarantined: 0,
    });
    const keys = outputKeys({ key: `${key}.csv`, versionId: 'v1' });
    expect(putBody(keys.clean)).toBe(plainClean);
    const report = JSON.parse(putBody(keys.report)).quality;
    expect(report.bytesIn).toBe(Buffer.byteLength(records.join('')));
    expect(report.linesIn).toBe(rows.length);
  });
});

describe('preprocess handler: only the current version of a raw key has outputs', () => {
  it('skips an event whose version is no longer current as superseded: no read, no write, not an error', async () => {
    currentIs('v2');
    const out = await build()(eventBridge('a.csv', 100, 'v1'));
    expect(out).toMatchObject({ objects: 1, superseded: 1, processed: 0, rejected: 0, gone: 0 });
    expect(out.results[0]).toMatchObject({
      key: 'a.csv',
      versionId: 'v1',
      status: 'superseded',
      reason: 'newer_version',
    });
    expect(out.results[0].message).toMatch(/v2/);
    expect(s3Mock).toHaveReceivedCommandTimes(HeadObjectCommand, 1);
    expect(s3Mock).not.toHaveReceivedCommand(GetObjectCommand);
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
    expect(s3Mock).not.toHaveReceivedCommand(DeleteObjectsCommand);
    expect(metrics.addMetric).toHaveBeenCalledWith('ObjectsSuperseded', 'Count', 1);
  });

  it('skips an event for a key that is gone or delete-marked as superseded', async () => {
    s3Mock.on(HeadObjectCommand).rejects(notFound());
    const out = await build()(eventBridge('a.csv', 100, 'v1'));
    expect(out.results[0]).toMatchObject({ status: 'superseded', reason: 'deleted' });
    expect(s3Mock).not.toHaveReceivedCommand(GetObjectCommand);
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('skips an over-size event for an old version without writing a rejection', async () => {
    currentIs('v2');
    const out = await build()(eventBridge('a.csv', 2_000_000, 'v1'));
    expect(out.results[0]).toMatchObject({ status: 'superseded' });
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it("skips an unversioned event whose ETag is no longer the current object's", async () => {
    currentIs(undefined, { etag: 'new' });
    const out = await build()(eventBridge('u.csv', 100, undefined, 'old'));
    expect(out.results[0]).toMatchObject({ status: 'superseded', reason: 'newer_version' });
    expect(s3Mock).not.toHaveReceivedCommand(GetObjectCommand);
  });

  it('throws when the version check itself fails transiently, so Lambda retries', async () => {
    s3Mock
      .on(HeadObjectCommand)
      .rejects(
        new S3ServiceException({ name: 'SlowDown', $fault: 'server', $metadata: { httpStatusCode: 503 } }),
      );
    await expect(build()(eventBridge('a.csv', 100, 'v1'))).rejects.toMatchObject({ name: 'SlowDown' });
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('after writing, deletes the outputs of every other version of the key, reports first, and nothing else', async () => {
    const csv = smallCsv(40, 4);
    currentIs('v2');
    servesObject(csv, 'v2');
    const v1 = outputKeys({ key: 'a.csv', versionId: 'v1' });
    const v0 = outputKeys({ key: 'a.csv', versionId: 'v0' });
    const v2 = outputKeys({ key: 'a.csv', versionId: 'v2' });
    const others = [
      'clean/a/b/v-v1.csv', // a/b.csv, in a deeper folder (a real listing leaves it out)
      'clean/ab/v-v1.csv', // ab.csv
      'clean/a/notes.txt', // not an output
      'stats/a/v-v1.extra.json', // not an output either
      'reports/a/b/v-v1.json',
    ];
    curatedHolds([...processedKeys(v1), v0.report, v0.rejection, ...processedKeys(v2), ...others]);
    const out = await build()(eventBridge('a.csv', csv.length, 'v2'));
    expect(out.results[0]).toMatchObject({ status: 'processed', deleted: 13 });
    expect(s3Mock).toHaveReceivedCommandWith(ListObjectsV2Command, {
      Bucket: CURATED,
      Prefix: 'clean/a/',
      Delimiter: '/',
    });
    const listed = s3Mock.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix);
    expect(listed.sort()).toEqual([
      'athena/clean/a/',
      'athena/group_stats/a/',
      'athena/quarantine/a/',
      'athena/reports/a/',
      'athena/train/a/',
      'clean/a/',
      'quarantine/a/',
      'reports/a/',
      'stats/a/',
      'train/a/',
    ]);
    // Athena's copy of v1 goes with v1's outputs: a replaced object's copy is replaced too.
    expect(deleted()).toEqual([
      [v0.report, v1.report],
      [...athenaKeys(v1), v1.clean, v0.rejection, v1.quarantine, v1.groupStats, v1.stats, v1.train].sort(),
    ]);
    expect(s3Mock.commandCalls(DeleteObjectsCommand).every((c) => c.args[0].input.Bucket === CURATED)).toBe(
      true,
    );
    expect(metrics.addMetric).toHaveBeenCalledWith('StaleOutputsDeleted', 'Count', 13);
  });

  it('lists, checks the version again, then deletes, all after the report is written', async () => {
    const csv = smallCsv(40, 4);
    currentIs('v2');
    servesObject(csv, 'v2');
    curatedHolds(processedKeys(outputKeys({ key: 'a.csv', versionId: 'v1' })));
    await build()(eventBridge('a.csv', csv.length, 'v2'));
    const names = s3Mock.calls().map((c) => {
      const input = c.args[0].input as { Key?: string };
      return `${c.args[0].constructor.name}:${input.Key ?? ''}`;
    });
    const report = outputKeys({ key: 'a.csv', versionId: 'v2' }).report;
    const lastPut = names.lastIndexOf(`PutObjectCommand:${report}`);
    const firstList = names.findIndex((n) => n.startsWith('ListObjectsV2Command'));
    const lastList = lastIndex(names, 'ListObjectsV2Command');
    const heads = names.flatMap((n, i) => (n.startsWith('HeadObjectCommand') ? [i] : []));
    const firstDelete = names.findIndex((n) => n.startsWith('DeleteObjectsCommand'));
    expect(lastPut).toBe(lastIndex(names, 'PutObjectCommand'));
    expect(heads).toHaveLength(2);
    expect(lastPut).toBeLessThan(firstList);
    expect(lastList).toBeLessThan(heads[1]);
    expect(heads[1]).toBeLessThan(firstDelete);
  });

  it('deletes nothing on a replay of the current version', async () => {
    const csv = smallCsv(40, 4);
    currentIs('v2');
    servesObject(csv, 'v2');
    curatedHolds(processedKeys(outputKeys({ key: 'a.csv', versionId: 'v2' })));
    const out = await build()(eventBridge('a.csv', csv.length, 'v2'));
    expect(out.results[0]).toMatchObject({ status: 'processed', deleted: 0 });
    expect(deleted().flat()).toEqual([]);
  });

  it('out of order: v2 processed, then v1 delivered late is superseded and leaves v2 outputs alone', async () => {
    const csv = smallCsv(40, 4);
    currentIs('v2');
    servesObject(csv, 'v2');
    const handler = build();
    const first = await handler(eventBridge('a.csv', csv.length, 'v2'));
    const v2 = outputKeys({ key: 'a.csv', versionId: 'v2' });
    curatedHolds(processedKeys(v2));
    s3Mock.resetHistory();
    const late = await handler(eventBridge('a.csv', csv.length + 7, 'v1'));
    expect(first.results[0].status).toBe('processed');
    expect(late.results[0]).toMatchObject({ status: 'superseded', reason: 'newer_version' });
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
    expect(s3Mock).not.toHaveReceivedCommand(DeleteObjectsCommand);
    expect(s3Mock).not.toHaveReceivedCommand(ListObjectsV2Command);
  });

  it('withdraws its own outputs and ends superseded when a newer version lands during processing', async () => {
    const csv = smallCsv(40, 4);
    s3Mock
      .on(HeadObjectCommand)
      .resolvesOnce({ VersionId: 'v1', ContentLength: csv.length })
      .resolves({ VersionId: 'v2', ContentLength: 99 });
    servesObject(csv, 'v1');
    const v1 = outputKeys({ key: 'a.csv', versionId: 'v1' });
    const v2 = outputKeys({ key: 'a.csv', versionId: 'v2' });
    curatedHolds([...processedKeys(v1), ...processedKeys(v2)]);
    const out = await build()(eventBridge('a.csv', csv.length, 'v1'));
    expect(out).toMatchObject({ superseded: 1, processed: 0 });
    expect(out.results[0]).toMatchObject({ status: 'superseded', reason: 'newer_version', deleted: 11 });
    expect(deleted()).toEqual([
      [v1.report],
      [...athenaKeys(v1), v1.clean, v1.quarantine, v1.groupStats, v1.stats, v1.train].sort(),
    ]);
  });

  it("without the query stack (ATHENA_COPY false) writes no copy, and this key's earlier copies go", async () => {
    const csv = smallCsv(40, 4);
    currentIs('v1');
    servesObject(csv, 'v1');
    const v1 = outputKeys({ key: 'a.csv', versionId: 'v1' });
    // The copies written while the query stack was deployed, this version's included.
    curatedHolds([...athenaKeys(v1)]);
    const out = await build({ config: { ...config, athenaCopy: false } })(
      eventBridge('a.csv', csv.length, 'v1'),
    );
    expect(out.results[0]).toMatchObject({ status: 'processed', deleted: 5 });
    expect(putKeys().filter((k) => k?.startsWith('athena/'))).toEqual([]);
    expect(Object.keys(out.results[0].outputs!).filter((k) => k.startsWith('athena'))).toEqual([]);
    expect(deleted()).toEqual([[...athenaKeys(v1)].sort()]);
  });

  it('a rejected version keeps its reports row in the copy, and writes none without the query stack', async () => {
    currentIs('v2');
    const v2 = outputKeys({ key: 'a.csv', versionId: 'v2' });
    // The listing holds this version's rejection outputs and its reports row (a replay).
    curatedHolds([v2.report, v2.rejection, v2.athenaReport]);
    const kept = await build()(eventBridge('a.csv', 2_000_000, 'v2'));
    expect(kept.results[0]).toMatchObject({ status: 'rejected', deleted: 0 });
    expect(deleted()).toEqual([]);
    s3Mock.resetHistory();
    const off = await build({ config: { ...config, athenaCopy: false } })(
      eventBridge('a.csv', 2_000_000, 'v2'),
    );
    expect(off.results[0]).toMatchObject({ status: 'rejected', deleted: 1 });
    expect(putKeys()).toEqual([v2.rejection, v2.report]);
    expect(deleted()).toEqual([[v2.athenaReport]]);
  });

  it("a rejected current version also replaces the older version's outputs", async () => {
    currentIs('v2');
    const v1 = outputKeys({ key: 'a.csv', versionId: 'v1' });
    const v2 = outputKeys({ key: 'a.csv', versionId: 'v2' });
    curatedHolds(processedKeys(v1));
    const out = await build()(eventBridge('a.csv', 2_000_000, 'v2'));
    expect(out.results[0]).toMatchObject({ status: 'rejected', reason: 'too_large', deleted: 11 });
    // A rejected version has no rows, so no copy of them either (only its reports row): the
    // older version's copy goes.
    expect(putKeys()).toEqual([v2.rejection, v2.athenaReport, v2.report]);
    // The rejection says when the refused version arrived, as a processed report does.
    for (const key of [v2.rejection, v2.report])
      expect(JSON.parse(putBody(key)).input).toMatchObject({ key: 'a.csv', lastModified: LAST_MODIFIED });
    expect(deleted()).toEqual([
      [v1.report],
      [...athenaKeys(v1), v1.clean, v1.quarantine, v1.groupStats, v1.stats, v1.train].sort(),
    ]);
  });

  it('throws (so Lambda retries) when S3 refuses to delete a stale output', async () => {
    const csv = smallCsv(40, 4);
    currentIs('v2');
    servesObject(csv, 'v2');
    curatedHolds(processedKeys(outputKeys({ key: 'a.csv', versionId: 'v1' })));
    s3Mock.on(DeleteObjectsCommand).resolves({
      Errors: [{ Key: 'reports/a/v-v1.json', Code: 'AccessDenied', Message: 'Access Denied' }],
    });
    await expect(build()(eventBridge('a.csv', csv.length, 'v2'))).rejects.toThrow(
      /DeleteObjects refused 1 of 1 keys.*reports\/a\/v-v1\.json.*AccessDenied/,
    );
    expect(metrics.addMetric).toHaveBeenCalledWith('ObjectsFailed', 'Count', 1);
  });
});

describe('preprocess handler: hash-collision restart', () => {
  it("aborts the multipart uploads already started and writes exactly the core's outputs on the restart", async () => {
    // Over 5 MiB of quarantined (ragged) rows come first, so the quarantine upload has gone
    // multipart before pass 2 reaches the valid rows; 16 distinct rows under a 3-bit hash must
    // collide (pigeonhole), whatever the hash function is.
    const csvHeader = generateSyntheticCsv({ rows: 1, seed: 1 }).files[0].split('\n')[0];
    const cols = csvHeader.split(',').length;
    const ragged = `2024-01-01T00:00:00Z,L01,${'x'.repeat(300)}\n`;
    const valid = Array.from(
      { length: 16 },
      (_, i) => `2024-01-01T00:00:${String(i).padStart(2, '0')}Z,L01,gear${',1'.repeat(cols - 4)},${i}`,
    );
    const input = Buffer.from(`${csvHeader}\n${ragged.repeat(20000)}${valid.join('\n')}\n`, 'latin1');
    const expected = await preprocessBytes(input, DEFAULT_DATASET_SCHEMA);
    expect(expected.quarantine.length).toBeGreaterThan(5 * 1024 * 1024);

    currentIs('v1', { size: input.length });
    servesObject(input, 'v1');
    let uploads = 0;
    s3Mock.on(CreateMultipartUploadCommand).callsFake(async () => ({ UploadId: `u-${++uploads}` }));
    s3Mock
      .on(UploadPartCommand)
      .callsFake(async (p: { PartNumber: number }) => ({ ETag: `"p${p.PartNumber}"` }));
    s3Mock.on(CompleteMultipartUploadCommand).resolves({ ETag: '"m-2"' });
    s3Mock.on(AbortMultipartUploadCommand).resolves({});
    const handler = build({
      config: { ...config, maxObjectBytes: 64 * 1024 * 1024 },
      partSize: 5 * 1024 * 1024,
      weakHashBitsForTest: 3,
    });
    const out = await handler(eventBridge('q.csv', input.length, 'v1'));

    const keys = outputKeys({ key: 'q.csv', versionId: 'v1' });
    expect(out.results[0]).toMatchObject({ status: 'processed', quarantined: 20000, rowsClean: 16 });
    expect(JSON.parse(putBody(keys.report)).quality.passes).toBe(4);
    // The first attempt's quarantine upload had gone multipart (its copy too, if it got that far):
    // aborted, and the restart's uploads hold exactly the core's bytes and their Athena copy.
    const aborted = s3Mock.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input);
    expect(aborted.every((a) => a.Bucket === CURATED)).toBe(true);
    expect(aborted.map((a) => a.Key)).toContain(keys.quarantine);
    expect(aborted.every((a) => a.Key === keys.quarantine || a.Key === keys.athenaQuarantine)).toBe(true);
    const completed = s3Mock.commandCalls(CompleteMultipartUploadCommand).map((c) => c.args[0].input);
    expect(completed.map((c) => c.Key).sort()).toEqual([keys.athenaQuarantine, keys.quarantine].sort());
    const uploaded = (key: string) => {
      const uploadId = completed.find((c) => c.Key === key)!.UploadId;
      expect(aborted.map((a) => a.UploadId)).not.toContain(uploadId);
      return Buffer.concat(
        s3Mock
          .commandCalls(UploadPartCommand)
          .map((c) => c.args[0].input)
          .filter((p) => p.UploadId === uploadId)
          .sort((a, b) => a.PartNumber! - b.PartNumber!)
          .map((p) => Buffer.from(p.Body as Uint8Array)),
      );
    };
    expect(uploaded(keys.quarantine).equals(Buffer.from(expected.quarantine))).toBe(true);
    const quarantineCopy = athenaJsonLines(
      curatedTable('quarantine'),
      DEFAULT_DATASET_SCHEMA,
      Buffer.from(expected.quarantine).toString('utf8'),
      { source: 'q.csv', arrived: LAST_MODIFIED },
    );
    expect(uploaded(keys.athenaQuarantine).toString('utf8')).toBe(quarantineCopy);
    expect(putBody(keys.clean)).toBe(Buffer.from(expected.clean).toString('latin1'));
    expect(putKeys().filter((k) => k === keys.clean)).toHaveLength(1);
  });
});

describe('preprocess handler: removal events', () => {
  const removal = (key: string, versionId = 'dm-1') => objectDeletedEvent({ bucket: RAW, key, versionId });

  it("deletes every output of a key that is gone, reports first, and no other key's", async () => {
    s3Mock.on(HeadObjectCommand).rejects(notFound());
    const v1 = outputKeys({ key: 'a.csv', versionId: 'v1' });
    const v2 = outputKeys({ key: 'a.csv', versionId: 'v2' });
    curatedHolds([...processedKeys(v1), v2.report, v2.rejection, 'clean/a/b/v-v1.csv', 'clean/ab/v-v1.csv']);
    const out = await build()(removal('a.csv'));
    expect(out).toMatchObject({ objects: 1, removed: 1 });
    expect(out.results[0]).toMatchObject({ key: 'a.csv', status: 'removed', deleted: 13 });
    expect(deleted()[0].sort()).toEqual([v1.report, v2.report].sort());
    expect(new Set(deleted()[1])).toEqual(
      new Set([v1.clean, v1.train, v1.quarantine, v1.stats, v1.groupStats, v2.rejection, ...athenaKeys(v1)]),
    );
    expect(s3Mock).toHaveReceivedCommandTimes(HeadObjectCommand, 2);
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
    expect(metrics.addMetric).toHaveBeenCalledWith('ObjectsRemoved', 'Count', 1);
  });

  it('keeps the outputs when the key is written again between the listing and the check', async () => {
    s3Mock.on(HeadObjectCommand).rejectsOnce(notFound()).resolves({ VersionId: 'v3', ContentLength: 5 });
    curatedHolds(processedKeys(outputKeys({ key: 'a.csv', versionId: 'v1' })));
    const out = await build()(removal('a.csv'));
    expect(out.results[0]).toMatchObject({ status: 'ignored', reason: 'recreated' });
    expect(s3Mock).not.toHaveReceivedCommand(DeleteObjectsCommand);
  });

  it('does nothing when a noncurrent version goes and the current version has its outputs', async () => {
    currentIs('v2');
    curatedHolds(processedKeys(outputKeys({ key: 'a.csv', versionId: 'v2' })));
    const out = await build()(removal('a.csv', 'v1'));
    expect(out.results[0]).toMatchObject({ status: 'ignored', reason: 'current_version_in_place' });
    expect(s3Mock).not.toHaveReceivedCommand(GetObjectCommand);
    expect(s3Mock).not.toHaveReceivedCommand(DeleteObjectsCommand);
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('processes the older version that is current again after the newest was permanently deleted', async () => {
    const csv = smallCsv(40, 4);
    currentIs('v1', { size: csv.length });
    servesObject(csv, 'v1');
    const v1 = outputKeys({ key: 'a.csv', versionId: 'v1' });
    const v2 = outputKeys({ key: 'a.csv', versionId: 'v2' });
    curatedHolds(processedKeys(v2));
    const out = await build()(removal('a.csv', 'v2'));
    expect(out.results[0]).toMatchObject({ status: 'processed', versionId: 'v1', deleted: 11 });
    expect(s3Mock).toHaveReceivedCommandWith(GetObjectCommand, {
      Bucket: RAW,
      Key: 'a.csv',
      VersionId: 'v1',
    });
    expect(putKeys().at(-1)).toBe(v1.report);
    expect(deleted()).toEqual([
      [v2.report],
      [...athenaKeys(v2), v2.clean, v2.quarantine, v2.groupStats, v2.stats, v2.train].sort(),
    ]);
  });

  it('ignores a removal of a key that does not end in .csv, with no S3 call', async () => {
    const out = await build()(removal('notes.txt'));
    expect(out.results[0]).toMatchObject({ status: 'ignored', reason: 'not_csv' });
    expect(s3Mock.calls()).toHaveLength(0);
  });
});
