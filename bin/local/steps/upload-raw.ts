import { createReadStream, statSync } from 'node:fs';
import type { S3Client } from '@aws-sdk/client-s3';
import type { RunClock } from '../run-clock';

/** Where the production data lands in the raw bucket. */
export const RAW_PREFIX = 'production/';

export interface RawObject {
  readonly key: string;
  readonly versionId?: string;
  readonly etag?: string;
  readonly bytes: number;
}

/** Uploads each generated file to the raw bucket, one object each, as a production line would. */
export async function uploadRaw(
  clock: RunClock,
  s3: S3Client,
  options: {
    readonly bucket: string;
    readonly dataDir: string;
    readonly paths: readonly string[];
    readonly signal?: AbortSignal;
  },
): Promise<RawObject[]> {
  const { bucket, dataDir, paths, signal } = options;
  const { Upload } = await import('@aws-sdk/lib-storage');
  return clock.step('upload', async () => {
    const out: RawObject[] = [];
    for (const [i, path] of paths.entries()) {
      signal?.throwIfAborted();
      const key = `${RAW_PREFIX}${path.slice(dataDir.length + 1)}`;
      const bytes = statSync(path).size;
      const result = await new Upload({
        client: s3,
        params: {
          Bucket: bucket,
          Key: key,
          Body: createReadStream(path),
          ContentType: 'text/csv',
          ContentLength: bytes,
        },
      }).done();
      out.push({
        key,
        bytes,
        ...(result.VersionId ? { versionId: result.VersionId } : {}),
        ...(result.ETag ? { etag: result.ETag.replace(/"/g, '') } : {}),
      });
      clock.say(`upload ${i + 1}/${paths.length}: s3://${bucket}/${key} (${(bytes / 1e6).toFixed(1)} MB)`);
    }
    return out;
  });
}
