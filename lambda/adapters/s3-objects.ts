/**
 * S3 plumbing for handlers: read an object once into a temp file (so the cleaning core can make
 * its two passes from local disk), stream outputs out with multipart uploads, small puts, and
 * classify "the object is gone" errors. Clients are injected (lambda/adapters/clients.ts makes them).
 */
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { listObjects } from './s3-listing';
import { Upload } from '@aws-sdk/lib-storage';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FileRejectedError } from '../core/errors';

export interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
  /** Pins the read to this version. */
  readonly versionId?: string;
  /** Without a version id, the read is conditional on this ETag (If-Match). */
  readonly etag?: string;
}

export interface ObjectHead {
  readonly size: number;
  readonly versionId?: string;
  readonly etag?: string;
  /** GetObject's Content-Encoding (`gzip` for many uploads); the bytes decide (file-source.ts). */
  readonly contentEncoding?: string;
  /** Last-Modified, ISO-8601 UTC: when this version was written (S3 sends it on every HEAD). */
  readonly lastModified?: string;
}

const unquote = (etag: string | undefined) => etag?.replace(/^"(.*)"$/, '$1');
const quote = (etag: string) => (etag.startsWith('"') ? etag : `"${etag}"`);

/** The object's size, version and ETag (HeadObject, pinned like a read). */
export async function headObject(s3: S3Client, ref: ObjectRef): Promise<ObjectHead> {
  const out = await s3.send(
    new HeadObjectCommand({
      Bucket: ref.bucket,
      Key: ref.key,
      VersionId: ref.versionId,
      IfMatch: ref.versionId === undefined && ref.etag !== undefined ? quote(ref.etag) : undefined,
    }),
  );
  return { size: out.ContentLength ?? 0, versionId: out.VersionId, etag: unquote(out.ETag) };
}

/**
 * The current version of a key (HeadObject without a version id): its version id and ETag, or
 * null when the key is gone or its current version is a delete marker (both answer 404).
 */
export async function headCurrent(s3: S3Client, bucket: string, key: string): Promise<ObjectHead | null> {
  try {
    const out = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return {
      size: out.ContentLength ?? 0,
      versionId: out.VersionId,
      etag: unquote(out.ETag),
      lastModified: out.LastModified?.toISOString(),
    };
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  if (!e || typeof e !== 'object') return false;
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}

/**
 * Every key directly under `prefix` (ListObjectsV2 with Delimiter `/`, all pages): keys in deeper
 * "folders" are left out.
 */
export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  return (await listObjects(s3, bucket, prefix, { delimiter: '/' })).map((object) => object.key);
}

/**
 * Deletes keys (DeleteObjects, up to 1000 a request, in order). In a versioned bucket this adds
 * delete markers and keeps every version as history. Throws when S3 refuses any key.
 */
export async function deleteKeys(s3: S3Client, bucket: string, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000);
    const out = await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
      }),
    );
    const failed = out.Errors ?? [];
    if (failed.length > 0) {
      const first = failed[0];
      throw new Error(
        `DeleteObjects refused ${failed.length} of ${batch.length} keys in s3://${bucket}, ` +
          `first ${JSON.stringify(first.Key)}: ${first.Code} ${first.Message ?? ''}`.trim(),
      );
    }
  }
}

/**
 * Runs `fn` with a fresh directory under os.tmpdir() and always removes it afterwards, whatever
 * `fn` does (Lambda reuses /tmp across invocations; a leak would fill it).
 */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Downloads one object (pinned to its version, or conditional on its ETag) to `path`. Stops with
 * FileRejectedError `too_large` as soon as more than `maxBytes` arrive, whatever the event said.
 */
export async function downloadToFile(
  s3: S3Client,
  ref: ObjectRef,
  path: string,
  options: { maxBytes: number },
): Promise<ObjectHead> {
  const out = await s3.send(
    new GetObjectCommand({
      Bucket: ref.bucket,
      Key: ref.key,
      VersionId: ref.versionId,
      IfMatch: ref.versionId === undefined && ref.etag !== undefined ? quote(ref.etag) : undefined,
    }),
  );
  const body = out.Body as Readable | undefined;
  if (!body) throw new Error(`GetObject s3://${ref.bucket}/${ref.key} returned no body`);
  const tooLarge = (size: number) =>
    new FileRejectedError('too_large', `object is ${size} bytes, over the limit of ${options.maxBytes}`);
  if (out.ContentLength !== undefined && out.ContentLength > options.maxBytes) {
    body.destroy();
    throw tooLarge(out.ContentLength);
  }
  let bytes = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > options.maxBytes) callback(tooLarge(bytes));
      else callback(null, chunk);
    },
  });
  await pipeline(body, limit, createWriteStream(path));
  return {
    size: bytes,
    versionId: out.VersionId,
    etag: unquote(out.ETag),
    ...(out.ContentEncoding ? { contentEncoding: out.ContentEncoding } : {}),
  };
}

/** True when a read failed because that object (version) no longer exists or changed. */
export function objectGone(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.name === 'NoSuchKey' || e.name === 'NoSuchVersion' || e.name === 'NotFound') return true;
  if (e.name === 'PreconditionFailed') return true;
  const status = e.$metadata?.httpStatusCode;
  return status === 404 || status === 412;
}

/**
 * One output object written as it is produced: bytes go through a PassThrough into lib-storage's
 * Upload (a single PutObject when small, multipart otherwise), so memory is bounded by
 * partSize × queueSize, not the object. Nothing is created until `finish()` unless the bytes pass
 * one part; `abort()` removes a started multipart upload.
 */
export class StreamingUpload {
  private readonly body = new PassThrough({ highWaterMark: 1 << 20 });
  private readonly upload: Upload;
  private readonly done: Promise<unknown>;
  private failure: unknown = undefined;
  private finished = false;

  constructor(
    s3: S3Client,
    readonly bucket: string,
    readonly key: string,
    contentType: string,
    options: { partSize?: number; queueSize?: number } = {},
  ) {
    this.upload = new Upload({
      client: s3,
      params: { Bucket: bucket, Key: key, Body: this.body, ContentType: contentType },
      partSize: options.partSize ?? 8 * 1024 * 1024,
      queueSize: options.queueSize ?? 2,
      leavePartsOnError: false,
    });
    this.done = this.upload.done();
    // Recorded so a write waiting for 'drain' wakes up instead of hanging on a dead upload.
    this.done.catch((error: unknown) => {
      this.failure = error ?? new Error('upload failed');
    });
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (!this.body.write(bytes)) {
      await Promise.race([once(this.body, 'drain'), this.done]);
      if (this.failure !== undefined) throw this.failure;
    }
  }

  /** Ends the body and waits for the object to exist. */
  async finish(): Promise<void> {
    this.finished = true;
    this.body.end();
    await this.done;
  }

  /** Abandons the upload; no object is left behind. Never throws. */
  async abort(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.upload.abort().catch(() => undefined);
    this.body.destroy();
    await this.done.catch(() => undefined);
  }
}

/** A small object in one PutObject (JSON documents, reports). */
export async function putSmallObject(
  s3: S3Client,
  bucket: string,
  key: string,
  body: string | Uint8Array,
  contentType: string,
): Promise<{ etag?: string; versionId?: string }> {
  const out = await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }),
  );
  return { etag: unquote(out.ETag), versionId: out.VersionId };
}
