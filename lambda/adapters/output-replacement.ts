/**
 * The replace-older-outputs protocol of preprocessing, behind a small port: a raw key's outputs
 * in the curated bucket follow the key's current version. The rule that keeps a newer version's
 * outputs safe is the order: list the key's output folders, then ask raw again which version is
 * current, then delete only what was listed. Anything listed was written before the list, and a
 * newer version's outputs are written only after that version exists, so if the check still finds
 * this version current, nothing listed can belong to a newer one. Deletions go reports first, so
 * a deletion cut short never leaves a report whose outputs are gone.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import {
  isCurrentVersion,
  outputFolders,
  parseOutputKey,
  staleOutputKeys,
  type InputObject,
} from '../core/object-keys';
import { deleteKeys, headCurrent, listKeys, type ObjectHead } from './s3-objects';

/** Where the outputs live, and which version of a raw key is current: S3, or a fake in tests. */
export interface OutputPort {
  /** The current version of a raw key, or null when it is gone or delete-marked. */
  currentVersion(bucket: string, key: string): Promise<ObjectHead | null>;
  /** Every output key of every version of `inputKey` in the curated bucket. */
  listOutputs(inputKey: string): Promise<string[]>;
  /** Deletes curated keys (in a versioned bucket: delete markers, the versions stay as history). */
  deleteOutputs(keys: readonly string[]): Promise<void>;
}

export function s3OutputPort(s3: S3Client, curatedBucket: string): OutputPort {
  return {
    currentVersion: (bucket, key) => headCurrent(s3, bucket, key),
    listOutputs: async (inputKey) =>
      (
        await Promise.all(outputFolders(inputKey).map((folder) => listKeys(s3, curatedBucket, folder)))
      ).flat(),
    deleteOutputs: (keys) => deleteKeys(s3, curatedBucket, keys),
  };
}

async function deleteReportsFirst(port: OutputPort, keys: readonly string[]): Promise<void> {
  const isReport = (key: string) => parseOutputKey(key)?.kind === 'report';
  await port.deleteOutputs(keys.filter(isReport));
  await port.deleteOutputs(keys.filter((key) => !isReport(key)));
}

export type Settled =
  /** This version is current: `deleted` are the other versions' outputs, now gone. */
  | { readonly current: true; readonly deleted: readonly string[] }
  /** A newer version (or a delete) arrived meanwhile: this run's own outputs were withdrawn. */
  | { readonly current: false; readonly now: ObjectHead | null; readonly withdrawn: readonly string[] };

/**
 * After an object's outputs (`written`) are in place: delete the outputs of its other versions,
 * or, if it is no longer current, withdraw its own (the newer version's run removes the rest).
 */
export async function settleOutputs(
  port: OutputPort,
  object: InputObject & { readonly bucket: string },
  written: readonly string[],
): Promise<Settled> {
  const listed = await port.listOutputs(object.key);
  const now = await port.currentVersion(object.bucket, object.key);
  if (!isCurrentVersion(object, now)) {
    const own = staleOutputKeys(object.key, written, []);
    await deleteReportsFirst(port, own);
    return { current: false, now, withdrawn: own };
  }
  const stale = staleOutputKeys(object.key, listed, written);
  await deleteReportsFirst(port, stale);
  return { current: true, deleted: stale };
}

export type Removed =
  /** Written again after the removal: its new version's run keeps its outputs. */
  { readonly recreated: true } | { readonly recreated: false; readonly deleted: readonly string[] };

/** A raw key that is gone: delete every output of it, unless it was written again meanwhile. */
export async function removeOutputs(port: OutputPort, bucket: string, key: string): Promise<Removed> {
  const listed = await port.listOutputs(key);
  if ((await port.currentVersion(bucket, key)) !== null) return { recreated: true };
  const stale = staleOutputKeys(key, listed, []);
  await deleteReportsFirst(port, stale);
  return { recreated: false, deleted: stale };
}
