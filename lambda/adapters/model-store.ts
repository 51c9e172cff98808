/**
 * The models bucket, as the training state machine writes it and serving reads it:
 *
 *   models/<version>/model.json   every candidate artifact, kept (history; versions sort by time)
 *   models/current.json           the pointer { version, key, promotedAt, metrics }: the served model
 *
 * Plain functions over an injected S3 client, so the promote step, the serving cache and tests
 * share one spelling of the layout.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ModelArtifact } from '../core/model-artifact';
import { documentText } from '../core/document-text';
import { parsePointer, type ModelPointer } from '../core/model-pointer';
import { artifactKey, CURRENT_POINTER_KEY, MODELS_PREFIX } from '../core/models-layout';

export { artifactKey, CURRENT_POINTER_KEY, MODELS_PREFIX, type ModelPointer };

/** Where an artifact lives; `s3://bucket/key` parses into one. */
export interface ObjectLocation {
  readonly bucket: string;
  readonly key: string;
}

export function parseLocation(value: unknown): ObjectLocation {
  if (typeof value === 'string') {
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(value);
    if (m) return { bucket: m[1], key: m[2] };
  } else if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (typeof v.bucket === 'string' && v.bucket && typeof v.key === 'string' && v.key)
      return { bucket: v.bucket, key: v.key };
  }
  throw new Error(`not an artifact location (s3://bucket/key or { bucket, key }): ${JSON.stringify(value)}`);
}

const notFound = (error: unknown): boolean => {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
};

async function getJson(s3: S3Client, bucket: string, key: string): Promise<unknown> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const text = await res.Body!.transformToString('utf-8');
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`s3://${bucket}/${key} is not valid JSON`);
  }
}

/** A JSON document in the bucket, in the platform's one spelling (`documentText`). */
export async function putJson(
  s3: S3Client,
  bucket: string,
  key: string,
  value: unknown,
  headers: { readonly CacheControl?: string } = {},
): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: documentText(value),
      ContentType: 'application/json',
      ...headers,
    }),
  );
}

/**
 * The model report (lambda/core/model-report.ts) at `key`, beside its artifact. S3 returns the
 * ContentType given at PutObject on every GET ("A standard MIME type describing the format of the
 * contents", PutObjectRequest.contentType in the AWS SDK API reference), so `text/html` with the
 * charset lets a browser that opens the object (S3 console, presigned URL) render the page. The
 * bucket's default encryption (the platform key) applies as to every object.
 */
export async function putReport(s3: S3Client, bucket: string, key: string, html: string): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: html,
      ContentType: 'text/html; charset=utf-8',
    }),
  );
}

/** Writes the artifact at `models/<version>/model.json`; the same artifact twice writes the same bytes. */
export async function putArtifact(s3: S3Client, bucket: string, artifact: ModelArtifact): Promise<string> {
  const key = artifactKey(artifact.version);
  await putJson(s3, bucket, key, artifact);
  return key;
}

/** Reads an artifact document (parsed, not validated: callers validate what they rely on). */
export async function getArtifact(s3: S3Client, bucket: string, key: string): Promise<ModelArtifact> {
  return (await getJson(s3, bucket, key)) as ModelArtifact;
}

/** The current pointer, or null when no model has been promoted yet. */
export async function readPointer(s3: S3Client, bucket: string): Promise<ModelPointer | null> {
  let value: unknown;
  try {
    value = await getJson(s3, bucket, CURRENT_POINTER_KEY);
  } catch (error) {
    if (notFound(error)) return null;
    throw error;
  }
  try {
    return parsePointer(value);
  } catch (error) {
    throw new Error(`s3://${bucket}/${CURRENT_POINTER_KEY}: ${(error as Error).message}`, { cause: error });
  }
}

export async function writePointer(s3: S3Client, bucket: string, pointer: ModelPointer): Promise<void> {
  // Serving revalidates the pointer with If-None-Match; keep intermediaries from caching it.
  await putJson(s3, bucket, CURRENT_POINTER_KEY, pointer, { CacheControl: 'no-cache' });
}
