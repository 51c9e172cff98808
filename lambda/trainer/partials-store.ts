/**
 * Where shard partials meet: an S3 prefix (SageMaker hosts, Batch array jobs) or a shared local
 * directory (tests, one machine). A partial is two objects: `partial-<shard>.holdout.f64` (the
 * holdout rows as little-endian doubles) written first, then `partial-<shard>.json`, whose
 * presence therefore means the partial is complete.
 */
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { listObjects } from '../adapters/s3-listing';
import {
  TrainingShard,
  decodeHoldout,
  encodeHoldout,
  type TrainOptions,
  type TrainingPartialJson,
} from '../core/train';
import { parseS3Uri } from './sources';

export interface PartialsStore {
  /** Human-readable location for logs and errors. */
  readonly location: string;
  put(name: string, bytes: Uint8Array): Promise<void>;
  get(name: string): Promise<Uint8Array>;
  /** Names (relative to the store) currently present. */
  list(): Promise<string[]>;
}

export function localPartialsStore(dir: string): PartialsStore {
  return {
    location: dir,
    async put(name, bytes) {
      await mkdir(dir, { recursive: true });
      // Write then rename, so a reader never sees a half-written partial.
      const tmp = join(dir, `.${name}.${process.pid}.tmp`);
      await writeFile(tmp, bytes);
      await rename(tmp, join(dir, name));
    },
    get: async (name) => readFile(join(dir, name)),
    async list() {
      try {
        return (await readdir(dir)).filter((n) => !n.startsWith('.'));
      } catch {
        return [];
      }
    },
  };
}

export function s3PartialsStore(s3: S3Client, uri: string): PartialsStore {
  const { bucket, prefix } = parseS3Uri(uri);
  const base = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  return {
    location: `s3://${bucket}/${base}`,
    async put(name, bytes) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: base + name, Body: bytes }));
    },
    async get(name) {
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: base + name }));
      return res.Body!.transformToByteArray();
    },
    async list() {
      return (await listObjects(s3, bucket, base)).map((object) => object.key.slice(base.length));
    },
  };
}

export const partialName = (shard: string) => `partial-${shard}.json`;
export const holdoutName = (shard: string) => `partial-${shard}.holdout.f64`;

export async function writePartial(store: PartialsStore, shard: TrainingShard): Promise<void> {
  const { json, holdout } = shard.toPartial();
  await store.put(holdoutName(shard.shard), encodeHoldout(holdout));
  await store.put(partialName(shard.shard), new TextEncoder().encode(JSON.stringify(json)));
}

/** Shard names with a complete partial in the store. */
export async function presentShards(store: PartialsStore): Promise<string[]> {
  return (await store.list())
    .map((n) => /^partial-(.+)\.json$/.exec(n)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

export async function readPartial(
  store: PartialsStore,
  shard: string,
  options: TrainOptions,
): Promise<TrainingShard> {
  const json = JSON.parse(
    new TextDecoder().decode(await store.get(partialName(shard))),
  ) as TrainingPartialJson;
  const holdout = decodeHoldout(await store.get(holdoutName(shard)));
  return TrainingShard.fromPartial(json, holdout, options);
}

/** Polls until `expected` partials are present; throws after `timeoutMs` naming how many arrived. */
export async function waitForPartials(
  store: PartialsStore,
  expected: number,
  { timeoutMs, pollMs }: { timeoutMs: number; pollMs: number },
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const shards = await presentShards(store);
    if (shards.length >= expected) return shards;
    if (Date.now() >= deadline) {
      throw new Error(
        `waited ${Math.round(timeoutMs / 1000)} s for ${expected} partials in ${store.location}, found ${shards.length}: [${shards.join(', ')}]`,
      );
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
