/**
 * The local pipeline's ONE workaround for what moto_server's Firehose does not do (test harness
 * only, never product code). Read in moto's source (getmoto/moto, moto/firehose/models.py,
 * `put_s3_records` and `_format_s3_object_path`), PutRecordBatch on moto writes, at once and
 * for every call:
 * - one S3 object per call, holding the call's records joined with nothing between them
 *   (`b"".join(r["Data"] for r in records)`): our records end with RECORD_SEPARATOR themselves,
 *   as every direct PutRecordBatch caller's must;
 * - uncompressed, whatever CompressionFormat says, and without the FileExtension;
 * - under the Prefix taken literally (`!{timestamp:yyyy}` is not evaluated), followed by moto's
 *   own `YYYY/MM/DD/HH/` and `<stream>-<version>-<time>-<uuid>`;
 * - with no buffering: BufferingHints are not read.
 *
 * Firehose itself buffers records until `ingest.bufferMiB` (measured before compression) or
 * `ingest.bufferSeconds`, then writes one object named `<evaluated prefix><stream>-<version>-
 * <yyyy-MM-dd-HH-mm-ss>-<uuid><file extension>`, its `!{timestamp:...}` expressions evaluated at
 * the approximate arrival time of the oldest record in the object (Amazon Data Firehose developer
 * guide, "Configure Amazon S3 object name format",
 * https://docs.aws.amazon.com/firehose/latest/dev/s3-object-name.html, and "Custom Prefixes for
 * Amazon S3 Objects", https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html).
 *
 * So this module notes what each call sent (its records' digest, sizes, rows and time); once the
 * calls are done it takes moto's objects, matches each to its call by content (every call's object
 * must be exactly its records joined, and every call must have one), removes them, and writes
 * what Firehose would have, in the order the calls were made: consecutive records up to the size
 * hint (cut between records, as Firehose buffers records, not calls), gzip-compressed (off the
 * main thread, the objects written a few at a time), under the ingest prefix evaluated
 * (ingest-layout.ts) with the ingest file extension. The interval is not emulated (the run sends faster than any interval);
 * the preprocess handler then reads those objects as it reads the stack's.
 */
import { createHash, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { INGEST_FILE_EXTENSION, INGEST_OBJECT_PREFIX } from '../../lambda/core/ingest-layout';
import type { RawObject } from './steps/upload-raw';

/** `!{timestamp:yyyy}`, `MM`, `dd`, `HH` of a prefix evaluated at `at` (UTC), as Firehose does. */
export function evaluatePrefix(prefix: string, at: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const parts: Record<string, string> = {
    yyyy: String(at.getUTCFullYear()),
    MM: two(at.getUTCMonth() + 1),
    dd: two(at.getUTCDate()),
    HH: two(at.getUTCHours()),
  };
  return prefix.replace(/!\{timestamp:(\w+)\}/g, (whole, f: string) => {
    const v = parts[f];
    if (v === undefined) throw new Error(`moto-firehose-delivery: cannot evaluate ${whole}`);
    return v;
  });
}

/** `yyyy-MM-dd-HH-mm-ss` of the object name's suffix. */
function nameTime(at: Date): string {
  return at.toISOString().slice(0, 19).replace(/[T:]/g, '-');
}

const gzipped = promisify(gzip);

/** One record of a call: its bytes and the JSON Lines rows they hold. */
export interface SentRecord {
  readonly data: Uint8Array;
  readonly rows: number;
}

/** What one PutRecordBatch call sent. */
interface SentCall {
  readonly digest: string;
  /** Each record's length and rows, in order. */
  readonly lengths: readonly number[];
  readonly rows: readonly number[];
  readonly at: Date;
}

const digestOf = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Runs `work` over `items`, at most `limit` at once, in any order. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const runner = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, runner));
}

export class MotoFirehoseDelivery {
  private readonly calls: SentCall[] = [];

  constructor(
    private readonly s3: S3Client,
    private readonly options: {
      readonly bucket: string;
      readonly streamName: string;
      /** The stream's buffer size hint in bytes (ingest.bufferMiB). */
      readonly bufferBytes: number;
    },
  ) {}

  /** Notes one PutRecordBatch call's records (in the order the calls were made); returns its index. */
  sent(records: readonly SentRecord[], at: Date): number {
    const hash = createHash('sha256');
    for (const r of records) hash.update(r.data);
    this.calls.push({
      digest: hash.digest('hex'),
      lengths: records.map((r) => r.data.length),
      rows: records.map((r) => r.rows),
      at,
    });
    return this.calls.length - 1;
  }

  /** Takes moto's objects for the calls and delivers them as Firehose would; returns the objects, in order. */
  async finish(): Promise<RawObject[]> {
    const { bucket } = this.options;
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: INGEST_OBJECT_PREFIX, ContinuationToken: token }),
      );
      keys.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.NextContinuationToken;
    } while (token);
    if (keys.length !== this.calls.length)
      throw new Error(
        `moto-firehose-delivery: ${this.calls.length} PutRecordBatch calls but ${keys.length} objects under ${INGEST_OBJECT_PREFIX}`,
      );
    // Calls by digest (two calls may send the same bytes: each takes one object).
    const byDigest = new Map<string, number[]>();
    this.calls.forEach((c, i) => byDigest.set(c.digest, [...(byDigest.get(c.digest) ?? []), i]));
    const bodies: (Uint8Array | undefined)[] = new Array(this.calls.length);
    await eachLimited(keys, 8, async (key) => {
      const got = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const bytes = await got.Body!.transformToByteArray();
      const call = byDigest.get(digestOf(bytes))?.shift();
      if (call === undefined)
        throw new Error(`moto-firehose-delivery: ${key} is no call's records joined (moto changed?)`);
      bodies[call] = bytes;
    });
    for (let i = 0; i < keys.length; i += 1000)
      await this.s3.send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true },
        }),
      );
    // Objects as Firehose cuts them: consecutive records up to the size hint.
    const objects: { parts: Uint8Array[]; records: number; at: Date }[] = [];
    let current: (typeof objects)[number] | null = null;
    let buffered = 0;
    for (const [i, call] of this.calls.entries()) {
      const body = bodies[i]!;
      let offset = 0;
      call.lengths.forEach((length, r) => {
        if (current !== null && buffered + length > this.options.bufferBytes) current = null;
        if (current === null) {
          current = { parts: [], records: 0, at: call.at };
          objects.push(current);
          buffered = 0;
        }
        current.parts.push(body.subarray(offset, offset + length));
        current.records += call.rows[r];
        buffered += length;
        offset += length;
      });
    }
    const delivered: RawObject[] = new Array(objects.length);
    await eachLimited(
      objects.map((o, i) => ({ ...o, i })),
      4,
      async (o) => {
        delivered[o.i] = await this.write(Buffer.concat(o.parts), o.records, o.at);
      },
    );
    return delivered;
  }

  /** One object as Firehose names and compresses it. */
  private async write(bytes: Uint8Array, records: number, at: Date): Promise<RawObject> {
    const { bucket, streamName } = this.options;
    const key =
      evaluatePrefix(INGEST_OBJECT_PREFIX, at) +
      `${streamName}-1-${nameTime(at)}-${randomUUID()}${INGEST_FILE_EXTENSION}`;
    const body = await gzipped(bytes);
    const put = await this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    return {
      key,
      bytes: body.length,
      via: 'firehose',
      records,
      ...(put.VersionId ? { versionId: put.VersionId } : {}),
      ...(put.ETag ? { etag: put.ETag.replace(/"/g, '') } : {}),
    };
  }
}
