/**
 * A SageMaker training job, emulated on this machine: p "hosts", each a separate process running
 * the trainer image's entry point (lambda/trainer/entry.ts, mode `train`) against its own
 * /opt/ml tree (SM_ROOT). What SageMaker does around the container is done here:
 *
 * - config: hyperparameters.json (every value a string), resourceconfig.json (current_host,
 *   hosts), inputdataconfig.json (the `train` channel, ShardedByS3Key, File mode);
 * - input: File mode downloads the channel's objects into /opt/ml/input/data/train/<key relative
 *   to the channel prefix>; with ShardedByS3Key host i of p gets objects i, i + p, ... of the
 *   sorted keys (SageMaker promises about 1/p of the objects per host, not which ones);
 * - the hosts meet through `partials_s3_uri`, exactly as on SageMaker; the first host writes
 *   model/model.json and `model_s3_uri`;
 * - a failed host leaves its reason in output/failure and exits 1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/** The repository root (this file is bin/local/trainer-hosts.ts). */
export const REPO_ROOT = resolve(__dirname, '..', '..');
export const TRAINER_ENTRY = join(REPO_ROOT, 'lambda', 'trainer', 'entry.ts');

export interface TrainerHostsOptions {
  /** Directory holding one /opt/ml tree per host: <root>/algo-1, <root>/algo-2, ... */
  readonly root: string;
  readonly hosts: number;
  readonly s3: S3Client;
  /** Bucket and prefix of the channel (the plan's inputPrefix in the curated bucket). */
  readonly bucket: string;
  readonly prefix: string;
  /** Hyperparameters; SageMaker passes every value as a string. */
  readonly hyperparameters: Readonly<Record<string, string>>;
  /** Environment of the host processes (the moto endpoint and credentials). */
  readonly env: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
  /** One line per finished step. */
  readonly progress?: (line: string) => void;
}

export interface HostResult {
  readonly host: string;
  readonly root: string;
  /** Channel objects this host received. */
  readonly objects: readonly string[];
  readonly bytes: number;
  readonly exitCode: number;
  /** The host's stdout and stderr (trainer JSON logs). */
  readonly log: string;
}

export interface TrainerHostsResult {
  readonly hosts: readonly HostResult[];
  /** <root>/algo-1/model/model.json */
  readonly modelPath: string;
}

/** Every key under a prefix, sorted (the order ShardedByS3Key deals from). */
export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) if (o.Key && !o.Key.endsWith('/')) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

/** ShardedByS3Key as emulated here: host i of p takes keys i, i + p, ... */
export function shardKeys(keys: readonly string[], index: number, p: number): string[] {
  return keys.filter((_, k) => k % p === index);
}

export const hostName = (i: number) => `algo-${i + 1}`;

async function download(s3: S3Client, bucket: string, key: string, path: string): Promise<number> {
  await mkdir(dirname(path), { recursive: true });
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  await pipeline(res.Body as Readable, createWriteStream(path));
  return res.ContentLength ?? 0;
}

/** Lays out one host's /opt/ml tree: config files and its shard of the channel. */
async function layoutHost(
  options: TrainerHostsOptions,
  index: number,
  keys: readonly string[],
): Promise<{ root: string; objects: string[]; bytes: number }> {
  const { hosts: p } = options;
  const root = join(options.root, hostName(index));
  const config = join(root, 'input', 'config');
  const channel = join(root, 'input', 'data', 'train');
  await mkdir(config, { recursive: true });
  await mkdir(channel, { recursive: true });
  const hosts = Array.from({ length: p }, (_, i) => hostName(i));
  await writeFile(join(config, 'hyperparameters.json'), JSON.stringify(options.hyperparameters, null, 2));
  await writeFile(
    join(config, 'resourceconfig.json'),
    JSON.stringify(
      {
        current_host: hostName(index),
        hosts,
        // Honest about where it ran: the plan's instance type goes into the summary, not here.
        current_instance_type: 'local',
        network_interface_name: 'lo',
      },
      null,
      2,
    ),
  );
  await writeFile(
    join(config, 'inputdataconfig.json'),
    JSON.stringify(
      {
        train: {
          ContentType: 'text/csv',
          TrainingInputMode: 'File',
          S3DistributionType: 'ShardedByS3Key',
          RecordWrapperType: 'None',
        },
      },
      null,
      2,
    ),
  );
  const objects = shardKeys(keys, index, p);
  let bytes = 0;
  for (const key of objects) {
    options.signal?.throwIfAborted();
    bytes += await download(options.s3, options.bucket, key, join(channel, key.slice(options.prefix.length)));
  }
  return { root, objects, bytes };
}

function runHost(
  root: string,
  env: NodeJS.ProcessEnv,
  children: Set<ChildProcess>,
): Promise<{ exitCode: number; log: string }> {
  return new Promise((resolvePromise, reject) => {
    // `node --import tsx` runs the TypeScript entry as the image's bundle would run it.
    const child = spawn(process.execPath, ['--import', 'tsx', TRAINER_ENTRY, 'train'], {
      cwd: REPO_ROOT,
      env: { ...env, SM_ROOT: root },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.once('error', (error) => {
      children.delete(child);
      reject(error);
    });
    child.once('close', (code, signal) => {
      children.delete(child);
      resolvePromise({ exitCode: code ?? (signal ? 128 : 1), log: Buffer.concat(chunks).toString('utf8') });
    });
  });
}

/** Lays out p hosts, runs them in parallel and waits for all; throws with the first failure's reason. */
export async function runTrainerHosts(options: TrainerHostsOptions): Promise<TrainerHostsResult> {
  const { hosts: p, signal } = options;
  if (!(Number.isInteger(p) && p >= 1)) throw new RangeError(`hosts must be a whole number >= 1, got ${p}`);
  const keys = (await listKeys(options.s3, options.bucket, options.prefix)).filter((k) => k.endsWith('.csv'));
  if (keys.length === 0) throw new Error(`no .csv objects under s3://${options.bucket}/${options.prefix}`);
  const layouts = [];
  for (let i = 0; i < p; i++) layouts.push(await layoutHost(options, i, keys));
  options.progress?.(
    `training channel: ${keys.length} objects from s3://${options.bucket}/${options.prefix} sharded over ${p} host(s)`,
  );

  const children = new Set<ChildProcess>();
  const killAll = () => {
    for (const child of children) child.kill('SIGTERM');
  };
  signal?.addEventListener('abort', killAll, { once: true });
  let runs: { exitCode: number; log: string }[];
  try {
    runs = await Promise.all(layouts.map((l) => runHost(l.root, options.env, children)));
  } finally {
    signal?.removeEventListener('abort', killAll);
    killAll();
  }
  signal?.throwIfAborted();
  const results: HostResult[] = layouts.map((l, i) => ({
    host: hostName(i),
    root: l.root,
    objects: l.objects,
    bytes: l.bytes,
    exitCode: runs[i].exitCode,
    log: runs[i].log,
  }));
  for (const r of results) {
    await mkdir(join(r.root, 'output'), { recursive: true });
    await writeFile(join(r.root, 'output', 'trainer.log'), r.log);
  }
  const failed = results.find((r) => r.exitCode !== 0);
  if (failed) {
    const reason = await readFile(join(failed.root, 'output', 'failure'), 'utf8').catch(() =>
      failed.log.trim(),
    );
    throw new Error(`trainer host ${failed.host} exited with ${failed.exitCode}: ${reason}`);
  }
  return { hosts: results, modelPath: join(layouts[0].root, 'model', 'model.json') };
}
