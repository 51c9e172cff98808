/**
 * `factory models list | show VERSION | rollback VERSION`: a models bucket's history and the
 * served version, in a local directory laid out as the bucket (`--dir`, e.g. `aws s3 sync
 * s3://<models bucket> DIR`) or in S3 (`--bucket`, with the usual AWS credentials chain;
 * AWS_ENDPOINT_URL is honoured, so moto_server works too).
 *
 * rollback moves `models/current.json` to a kept version and sets the Model Registry together:
 * the version's package `Approved`, the package of the version it replaces `Rejected`. It refuses,
 * with the pointer unchanged, a version that does not exist or fails the servable check (the one
 * predict applies), and puts the pointer back when the registry cannot be updated. The registry
 * group comes from the version's record in the bucket (`models/<version>/registry.json`), or from
 * `--registry GROUP` (searched by the version in the packages' metadata). Serving (and the next
 * training run's evaluate step) picks the change up within `serving.modelCacheSeconds`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { EXIT, fail, OK_OR_FAILURE_HELP, parseFlags, UsageError } from './command-line';
import { documentText } from '../../lambda/core/document-text';
import type { ModelArtifact } from '../../lambda/core/model-artifact';
import {
  parsePointer,
  pointerTo,
  servableProblems,
  type ModelPointer,
} from '../../lambda/core/model-pointer';
import {
  APPROVAL,
  packageMetadata,
  registryRecordSchema,
  type ApprovalStatus,
  type RegistryRecord,
} from '../../lambda/core/model-registry';
import {
  artifactKey,
  CURRENT_POINTER_KEY,
  MODELS_PREFIX,
  registryRecordKey,
} from '../../lambda/core/models-layout';

const HELP = `usage: factory models list [--dir DIR | --bucket BUCKET] [--json]
       factory models show VERSION [--dir DIR | --bucket BUCKET]
       factory models rollback VERSION [--dir DIR | --bucket BUCKET] [--registry GROUP]

The models bucket's history (models/<version>/model.json) and the served version
(models/current.json), in a directory laid out as the bucket (--dir) or in S3 (--bucket, with the
AWS credentials chain; AWS_ENDPOINT_URL is honoured).

  list       every kept version, newest first: * marks the served one; task, holdout metric,
             rows, registry status
  show       one version: its metrics, lineage, capacity used and registry package
  rollback   serve VERSION: moves models/current.json and sets its Model Registry package
             Approved (the replaced version's Rejected). Refused, pointer unchanged, when VERSION
             does not exist or is not servable. Serving picks it up within
             serving.modelCacheSeconds.

  --registry GROUP   the model package group (default: the one the version's record names)
  --json             list: one JSON object per line

${OK_OR_FAILURE_HELP}`;

/** The bucket's objects as keys: S3, or files under a directory. */
interface ModelsBucket {
  readonly where: string;
  read(key: string): Promise<string | null>;
  write(key: string, text: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
}

function directoryBucket(dir: string): ModelsBucket {
  if (!existsSync(dir)) throw new UsageError(`--dir ${dir}: no such directory`);
  const path = (key: string) => join(dir, ...key.split('/'));
  return {
    where: dir,
    read: async (key) => (existsSync(path(key)) ? readFileSync(path(key), 'utf8') : null),
    write: async (key, text) => {
      mkdirSync(dirname(path(key)), { recursive: true });
      // Written whole, then renamed: a reader never sees half a pointer.
      writeFileSync(`${path(key)}.tmp`, text);
      renameSync(`${path(key)}.tmp`, path(key));
    },
    list: async (prefix) => {
      const root = path(prefix);
      if (!existsSync(root)) return [];
      const keys: string[] = [];
      const walk = (d: string) => {
        for (const entry of readdirSync(d, { withFileTypes: true })) {
          const full = join(d, entry.name);
          if (entry.isDirectory()) walk(full);
          else keys.push(relative(dir, full).split(sep).join('/'));
        }
      };
      walk(root);
      return keys;
    },
  };
}

async function s3Bucket(bucket: string): Promise<ModelsBucket> {
  const { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } = await import('@aws-sdk/client-s3');
  const { s3Client } = await import('../../lambda/adapters/s3-client');
  const s3 = s3Client();
  return {
    where: `s3://${bucket}`,
    read: async (key) => {
      try {
        const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return await res.Body!.transformToString('utf-8');
      } catch (error) {
        const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
        if (e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404) return null;
        throw error;
      }
    },
    write: async (key, text) => {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: text,
          ContentType: 'application/json',
          // As promote writes the pointer: serving revalidates it, intermediaries must not cache it.
          ...(key === CURRENT_POINTER_KEY ? { CacheControl: 'no-cache' } : {}),
        }),
      );
    },
    list: async (prefix) => {
      const keys: string[] = [];
      let ContinuationToken: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken }),
        );
        keys.push(...(page.Contents ?? []).map((o) => o.Key!).filter(Boolean));
        ContinuationToken = page.NextContinuationToken;
      } while (ContinuationToken);
      return keys;
    },
  };
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${what} is not valid JSON`);
  }
}

async function readPointerOf(
  bucket: ModelsBucket,
): Promise<{ pointer: ModelPointer | null; text: string | null }> {
  const text = await bucket.read(CURRENT_POINTER_KEY);
  if (text === null) return { pointer: null, text };
  try {
    return { pointer: parsePointer(parseJson(text, CURRENT_POINTER_KEY)), text };
  } catch (error) {
    throw new Error(`${bucket.where}/${CURRENT_POINTER_KEY}: ${(error as Error).message}`, { cause: error });
  }
}

async function readRecord(bucket: ModelsBucket, version: string): Promise<RegistryRecord | null> {
  const text = await bucket.read(registryRecordKey(version));
  if (text === null) return null;
  const parsed = registryRecordSchema.safeParse(parseJson(text, registryRecordKey(version)));
  return parsed.success ? parsed.data : null;
}

/** `models/<version>/model.json` keys → versions, newest first (versions sort by training time). */
async function versionsOf(bucket: ModelsBucket): Promise<string[]> {
  const versions = (await bucket.list(MODELS_PREFIX))
    .map((key) => /^models\/([A-Za-z0-9._-]+)\/model\.json$/.exec(key)?.[1])
    .filter((v): v is string => v !== undefined);
  return [...new Set(versions)].sort().reverse();
}

function metricText(artifact: ModelArtifact): string {
  const m = artifact.metrics;
  return m.classification
    ? `log-loss ${m.classification.logLoss.toPrecision(4)}`
    : `RMSE ${m.rmse.toPrecision(4)} R² ${m.r2.toFixed(4)}`;
}

async function list(bucket: ModelsBucket, json: boolean): Promise<number> {
  const { pointer } = await readPointerOf(bucket);
  const versions = await versionsOf(bucket);
  if (versions.length === 0) {
    console.log(`no model versions in ${bucket.where}/${MODELS_PREFIX}`);
    return EXIT.ok;
  }
  for (const version of versions) {
    const text = await bucket.read(artifactKey(version));
    const value = text === null ? null : parseJson(text, artifactKey(version));
    const problems = servableProblems(value, version);
    const artifact = value as ModelArtifact;
    const record = await readRecord(bucket, version);
    const row = {
      version,
      current: pointer?.version === version,
      servable: problems.length === 0,
      ...(problems.length === 0
        ? {
            trainedAt: artifact.trainedAt,
            task: artifact.task ?? 'regression',
            rows: artifact.rows,
            metrics: artifact.metrics,
          }
        : { problems }),
      registry: record ? { status: record.status, packageArn: record.packageArn } : null,
    };
    if (json) {
      console.log(JSON.stringify(row));
      continue;
    }
    const mark = row.current ? '*' : ' ';
    const what =
      'task' in row
        ? `${row.task} ${metricText(artifact)} rows ${artifact.rows}`
        : `not servable (${problems[0]})`;
    console.log(`${mark} ${version}  ${what}  registry ${record?.status ?? 'none'}`);
  }
  return EXIT.ok;
}

async function show(bucket: ModelsBucket, version: string): Promise<number> {
  const key = artifactKey(version);
  const text = await bucket.read(key);
  if (text === null) throw new Error(`no model version ${version} in ${bucket.where} (${key} not found)`);
  const value = parseJson(text, key);
  const { pointer } = await readPointerOf(bucket);
  const record = await readRecord(bucket, version);
  const problems = servableProblems(value, version);
  console.log(`version   ${version}${pointer?.version === version ? ' (served: models/current.json)' : ''}`);
  console.log(`artifact  ${bucket.where}/${key}`);
  if (problems.length > 0) {
    console.log(`servable  no: ${problems.join('; ')}`);
  } else {
    const a = value as ModelArtifact;
    console.log(`servable  yes`);
    console.log(`trained   ${a.trainedAt} on ${a.rows} rows; ${a.task ?? 'regression'}; target ${a.target}`);
    console.log(`metrics   ${metricText(a)} on ${a.metrics.rows} ${a.metrics.on} rows`);
    console.log(
      `lineage   ${a.lineage.inputs.length} inputs; config ${a.lineage.configHash.slice(0, 12)}; code ${a.lineage.codeVersion}`,
    );
    console.log(
      `capacity  ${a.capacity.engine} × ${a.capacity.instances}${a.capacity.instanceType ? ` ${a.capacity.instanceType}` : ''}, ${a.capacity.shards} shards` +
        (a.capacity.plannedSeconds === undefined
          ? ''
          : `, planned ${Math.round(a.capacity.plannedSeconds)} s`),
    );
  }
  console.log(
    `registry  ${record ? `${record.status} ${record.packageArn} (${record.group})` : 'not registered'}`,
  );
  return EXIT.ok;
}

/** A version's package: the bucket's record, or the group's packages searched by version. */
async function packageOf(
  bucket: ModelsBucket,
  version: string,
  group: string | undefined,
): Promise<{ group: string; packageArn: string } | null> {
  const record = await readRecord(bucket, version);
  if (record && (group === undefined || record.group === group))
    return { group: record.group, packageArn: record.packageArn };
  if (group === undefined) return null;
  const { findPackageInGroup } = await import('../../lambda/adapters/model-registry');
  const { sageMakerClient } = await import('../../lambda/adapters/clients');
  const found = await findPackageInGroup(sageMakerClient(), group, version);
  return found ? { group, packageArn: found.packageArn } : null;
}

async function rollback(
  bucket: ModelsBucket,
  version: string,
  options: { readonly registry?: string; readonly now?: Date },
): Promise<number> {
  let key: string;
  try {
    key = artifactKey(version);
  } catch (error) {
    throw new Error(`${(error as Error).message}; pointer unchanged`, { cause: error });
  }
  const text = await bucket.read(key);
  if (text === null)
    throw new Error(`no model version ${version} in ${bucket.where} (${key} not found); pointer unchanged`);
  const value = parseJson(text, key);
  const problems = servableProblems(value, version);
  if (problems.length > 0)
    throw new Error(
      `refusing to serve ${version}: ${key} is not servable (${problems.join('; ')}); pointer unchanged`,
    );
  const artifact = value as ModelArtifact;
  const before = await readPointerOf(bucket);
  const previous = before.pointer?.version;

  const target = await packageOf(bucket, version, options.registry);
  if (options.registry && !target)
    throw new Error(
      `no package for ${version} in model package group ${options.registry}; pointer unchanged`,
    );
  const replaced =
    previous && previous !== version
      ? await packageOf(bucket, previous, target?.group ?? options.registry)
      : null;

  const now = options.now ?? new Date();
  if (previous !== version) {
    await bucket.write(CURRENT_POINTER_KEY, documentText(pointerTo(artifact, key, now)));
  }
  const updates: string[] = [];
  if (target) {
    try {
      await approve(
        bucket,
        artifact,
        target,
        APPROVAL.approved,
        `rolled back to by factory models (was ${previous ?? 'none'})`,
        now,
      );
      updates.push(`${target.packageArn} Approved`);
      if (replaced) {
        const old = await bucket.read(artifactKey(previous!));
        const oldArtifact = old === null ? null : (parseJson(old, artifactKey(previous!)) as ModelArtifact);
        if (oldArtifact) {
          await approve(
            bucket,
            oldArtifact,
            replaced,
            APPROVAL.rejected,
            `replaced by ${version} (factory models rollback)`,
            now,
          );
          updates.push(`${replaced.packageArn} Rejected`);
        }
      }
    } catch (error) {
      if (previous !== version) {
        if (before.text === null) {
          throw new Error(
            `the Model Registry update failed (${(error as Error).message}); ${CURRENT_POINTER_KEY} names ${version} and there was no pointer before`,
            { cause: error },
          );
        }
        await bucket.write(CURRENT_POINTER_KEY, before.text);
      }
      throw new Error(
        `the Model Registry update failed (${(error as Error).message}); pointer put back to ${previous ?? 'none'}`,
        { cause: error },
      );
    }
  }
  const { platformConfig } = await import('../local/platform-config');
  const cacheSeconds = platformConfig().serving.modelCacheSeconds;
  console.log(
    previous === version
      ? `${version} is already served (${CURRENT_POINTER_KEY} in ${bucket.where})`
      : `rolled back: ${CURRENT_POINTER_KEY} in ${bucket.where} → ${version} (was ${previous ?? 'none'})`,
  );
  console.log(
    target
      ? `registry: ${updates.join(', ')} (${target.group})`
      : `registry: ${version} has no package record in the bucket; pass --registry GROUP to set its approval status`,
  );
  console.log(
    `predict and the next training run pick it up within serving.modelCacheSeconds (${cacheSeconds} s)`,
  );
  return EXIT.ok;
}

async function approve(
  bucket: ModelsBucket,
  artifact: ModelArtifact,
  pkg: { group: string; packageArn: string },
  status: ApprovalStatus,
  reason: string,
  now: Date,
): Promise<void> {
  const { describePackage, setApproval } = await import('../../lambda/adapters/model-registry');
  const { sageMakerClient } = await import('../../lambda/adapters/clients');
  const sagemaker = sageMakerClient();
  // The package's own metadata, resent whole (an update states all of it), or made again from the artifact.
  const current = await describePackage(sagemaker, pkg.packageArn);
  const metadata =
    Object.keys(current.metadata).length > 0
      ? current.metadata
      : packageMetadata(artifact, { artifactUri: `${bucket.where}/${artifactKey(artifact.version)}` });
  await setApproval(sagemaker, { packageArn: pkg.packageArn, status, reason, metadata });
  const record: RegistryRecord = { ...pkg, status, updatedAt: now.toISOString() };
  await bucket.write(registryRecordKey(artifact.version), documentText(record));
}

export async function run(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseFlags({
      args: argv,
      allowPositionals: true,
      options: {
        dir: { type: 'string' },
        bucket: { type: 'string' },
        registry: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      console.log(HELP);
      return EXIT.ok;
    }
    const [action, version, ...extra] = positionals;
    if (!action) throw new UsageError('no action: list, show VERSION or rollback VERSION');
    if (!['list', 'show', 'rollback'].includes(action))
      throw new UsageError(`unknown action "${action}": list, show VERSION or rollback VERSION`);
    if (action !== 'list' && !version)
      throw new UsageError(`${action} needs a VERSION (factory models list shows them)`);
    if (extra.length > 0 || (action === 'list' && version))
      throw new UsageError(`unexpected argument "${action === 'list' ? version : extra[0]}"`);
    if ((values.dir === undefined) === (values.bucket === undefined))
      throw new UsageError('name the models bucket: --dir DIR or --bucket BUCKET (one of them)');
    const bucket = values.dir !== undefined ? directoryBucket(values.dir) : await s3Bucket(values.bucket!);
    if (action === 'list') return await list(bucket, values.json ?? false);
    if (action === 'show') return await show(bucket, version);
    return await rollback(bucket, version, { registry: values.registry });
  } catch (error) {
    return fail('models', error);
  }
}
