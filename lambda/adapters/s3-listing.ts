/**
 * Listing a prefix, all pages, through the SDK's own paginator: the one place the platform lists
 * S3 (preprocess's output folders, the plan's statistics partials, calibration records, the
 * trainer's input objects and shard partials).
 */
import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';

export interface ListedObject {
  readonly key: string;
  readonly size?: number;
}

/**
 * Every object under `prefix`, in S3's (UTF-8 binary) key order. With `delimiter: '/'`, keys in
 * deeper "folders" are left out.
 */
export async function listObjects(
  s3: S3Client,
  bucket: string,
  prefix: string,
  options: { readonly delimiter?: string } = {},
): Promise<ListedObject[]> {
  const objects: ListedObject[] = [];
  const pages = paginateListObjectsV2(
    { client: s3 },
    { Bucket: bucket, Prefix: prefix, ...(options.delimiter ? { Delimiter: options.delimiter } : {}) },
  );
  for await (const page of pages) {
    for (const object of page.Contents ?? []) {
      if (object.Key !== undefined) objects.push({ key: object.Key, size: object.Size });
    }
  }
  return objects;
}
