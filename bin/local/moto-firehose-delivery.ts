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
 * So after each call this module takes moto's object (checking it is exactly the records sent,
 * joined), deletes it, and buffers its bytes; when the buffer would pass the size hint it writes
 * what Firehose would have: the buffered records, gzip-compressed, under the ingest prefix
 * evaluated (ingest-layout.ts) with the ingest file extension. The interval is not emulated (the
 * run sends faster than any interval); the preprocess handler then reads those objects as it
 * reads the stack's.
 */
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  DeleteObjectCommand,
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

export class MotoFirehoseDelivery {
  private buffer: Uint8Array[] = [];
  private buffered = 0;
  private bufferedRecords = 0;
  private oldest: Date | null = null;
  private readonly delivered: RawObject[] = [];

  constructor(
    private readonly s3: S3Client,
    private readonly options: {
      readonly bucket: string;
      readonly streamName: string;
      /** The stream's buffer size hint in bytes (ingest.bufferMiB). */
      readonly bufferBytes: number;
    },
  ) {}

  /** After one PutRecordBatch of `records`: takes moto's object for it and buffers its bytes. */
  async afterPut(records: readonly Uint8Array[], sentAt: Date): Promise<void> {
    const { bucket } = this.options;
    const listed = await this.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: INGEST_OBJECT_PREFIX }),
    );
    const keys = (listed.Contents ?? []).map((o) => o.Key!);
    if (keys.length !== 1)
      throw new Error(
        `moto-firehose-delivery: expected moto's one object for the call under ${INGEST_OBJECT_PREFIX}, found ${keys.length}`,
      );
    const got = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: keys[0] }));
    const bytes = await got.Body!.transformToByteArray();
    const sent = Buffer.concat(records);
    if (!sent.equals(Buffer.from(bytes)))
      throw new Error(`moto-firehose-delivery: ${keys[0]} is not the call's records joined (moto changed?)`);
    await this.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: keys[0] }));
    if (this.buffered > 0 && this.buffered + bytes.length > this.options.bufferBytes) await this.flush();
    this.oldest ??= sentAt;
    this.buffer.push(bytes);
    this.buffered += bytes.length;
    this.bufferedRecords += records.length;
  }

  /** Writes what is still buffered; returns every object delivered, in order. */
  async finish(): Promise<RawObject[]> {
    if (this.buffered > 0) await this.flush();
    return [...this.delivered];
  }

  private async flush(): Promise<void> {
    const at = this.oldest!;
    const { bucket, streamName } = this.options;
    const key =
      evaluatePrefix(INGEST_OBJECT_PREFIX, at) +
      `${streamName}-1-${nameTime(at)}-${randomUUID()}${INGEST_FILE_EXTENSION}`;
    const body = gzipSync(Buffer.concat(this.buffer));
    const put = await this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    this.delivered.push({
      key,
      bytes: body.length,
      via: 'firehose',
      records: this.bufferedRecords,
      ...(put.VersionId ? { versionId: put.VersionId } : {}),
      ...(put.ETag ? { etag: put.ETag.replace(/"/g, '') } : {}),
    });
    this.buffer = [];
    this.buffered = 0;
    this.bufferedRecords = 0;
    this.oldest = null;
  }
}
