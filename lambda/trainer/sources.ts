/**
 * Where the trainer's input objects come from: a local directory tree (a SageMaker channel, the
 * CLI) or an S3 prefix (Batch). Each source records its lineage as it is read: local files their
 * sha256 and size (hashed on the first pass), S3 objects their version and ETag.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { listObjects } from '../adapters/s3-listing';
import type { LineageInput, TrainingSource } from '../core/train';

/** Every regular file under `dir`, recursively, as paths relative to it with `/` separators, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) await walk(p);
      else if (entry.isFile() && !entry.name.startsWith('.')) out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  await walk(dir);
  return out.sort();
}

/** A local file as a training source whose lineage (sha256, bytes) fills in as it is read. */
export async function localSource(
  path: string,
  key: string,
  kind: TrainingSource['kind'],
): Promise<TrainingSource & { readonly lineage: LineageInput }> {
  const size = (await stat(path)).size;
  const lineage: { key: string; sha256?: string; bytes?: number } = { key, bytes: size };
  let hashed = false;
  return {
    key,
    kind,
    sizeHint: size,
    lineage,
    open: async function* () {
      const hash = hashed ? null : createHash('sha256');
      for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
        hash?.update(chunk as Buffer);
        yield chunk as Buffer;
      }
      if (hash) {
        lineage.sha256 = hash.digest('hex');
        hashed = true;
      }
    },
  };
}

/** Local sources for every CSV under `dir` (keys relative to it). */
export async function localSources(dir: string, kind: TrainingSource['kind']): Promise<TrainingSource[]> {
  const files = (await listFiles(dir)).filter((f) => f.toLowerCase().endsWith('.csv'));
  return Promise.all(files.map((f) => localSource(join(dir, f), f, kind)));
}

export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new Error(`not an s3:// URI: ${JSON.stringify(uri)}`);
  return { bucket: m[1], prefix: m[2] };
}

/** Sources for every `.csv` object under an S3 prefix (keys as full object keys). */
export async function s3Sources(
  s3: S3Client,
  uri: string,
  kind: TrainingSource['kind'],
): Promise<TrainingSource[]> {
  const { bucket, prefix } = parseS3Uri(uri);
  const keys = (await listObjects(s3, bucket, prefix)).filter((o) => o.key.toLowerCase().endsWith('.csv'));
  return keys.map(({ key, size }) => {
    const lineage: { key: string; version?: string; etag?: string; bytes?: number } = {
      key: `s3://${bucket}/${key}`,
      bytes: size,
    };
    let pinned: string | undefined;
    return {
      key: lineage.key,
      kind,
      sizeHint: size,
      lineage,
      open: async function* () {
        // Every pass reads the version the first pass saw, so a concurrent overwrite cannot mix versions.
        const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: pinned }));
        if (res.VersionId && res.VersionId !== 'null') lineage.version = pinned = res.VersionId;
        if (res.ETag) lineage.etag = res.ETag.replace(/"/g, '');
        for await (const chunk of res.Body as AsyncIterable<Uint8Array>) yield chunk;
      },
    };
  });
}
