import { createReadStream, statSync } from 'node:fs';
import type { S3Client } from '@aws-sdk/client-s3';
import type { RunClock } from '../run-clock';

/** Where the production data lands in the raw bucket. */
export const RAW_PREFIX = 'production/';

/** A local file and the raw key it goes to. */
export interface RawFile {
  readonly path: string;
  readonly key: string;
}

/** How an object reached raw: uploaded as a file (`--input`), or delivered by the Firehose stream. */
export type RawPath = 'upload' | 'firehose';

export interface RawObject {
  readonly key: string;
  readonly versionId?: string;
  readonly etag?: string;
  readonly bytes: number;
  readonly via: RawPath;
  /** Records in a Firehose object (via 'firehose'). */
  readonly records?: number;
}

/**
 * Uploads each file to the raw bucket, one object each, as a line PC with files would (`--input`;
 * generated rows arrive through Firehose instead: firehose-ingest.ts).
 */
export async function uploadRaw(
  clock: RunClock,
  s3: S3Client,
  options: {
    readonly bucket: string;
    readonly files: readonly RawFile[];
    readonly signal?: AbortSignal;
  },
): Promise<RawObject[]> {
  const { bucket, files, signal } = options;
  const { Upload } = await import('@aws-sdk/lib-storage');
  return clock.step('upload', async () => {
    const out: RawObject[] = [];
    for (const [i, { path, key }] of files.entries()) {
      signal?.throwIfAborted();
      const bytes = statSync(path).size;
      const result = await new Upload({
        client: s3,
        params: {
          Bucket: bucket,
          Key: key,
          Body: createReadStream(path),
          ContentType: /\.gz$/i.test(key) ? 'application/gzip' : 'text/csv',
          ContentLength: bytes,
        },
      }).done();
      out.push({
        key,
        bytes,
        via: 'upload',
        ...(result.VersionId ? { versionId: result.VersionId } : {}),
        ...(result.ETag ? { etag: result.ETag.replace(/"/g, '') } : {}),
      });
      clock.say(`upload ${i + 1}/${files.length}: s3://${bucket}/${key} (${(bytes / 1e6).toFixed(1)} MB)`);
    }
    return out;
  });
}
