/**
 * The serving model, loaded from the models bucket through its `current` pointer and cached in
 * the execution environment. At most every `maxAgeSeconds` the pointer is revalidated with a
 * conditional GET (If-None-Match with its ETag): an unchanged pointer costs one 304 and no parse.
 * When the pointer moves, the artifact it names is fetched (conditionally again, when it names the
 * same key), validated and compiled once for the new version.
 *
 * Bucket layout (lambda/adapters/model-store.ts, written by the promote step). Its readPointer and
 * getArtifact are unconditional reads, so the conditional GETs are made here:
 *   models/<version>/model.json   the artifact (lambda/core/model-artifact.ts)
 *   models/current.json           { version, key, promotedAt, metrics }
 *
 * Failure policy: with nothing cached, any failure is a ModelUnavailableError (the handler's 503).
 * With a model cached, a transient read error or a newly promoted artifact that is missing or
 * invalid keeps the cached model serving (and is logged at every check) rather than taking the
 * service down; a deleted pointer means the model was withdrawn, and then the cache empties.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ServiceUnavailableError } from '../core/errors';
import { compileModel, InvalidModelError, type CompiledModel } from '../core/scoring';
import { parsePointer, type ModelPointer } from '../core/model-pointer';
import { MODELS_PREFIX } from './model-store';

export type { ModelPointer };

export type ModelUnavailableReason = 'no_model' | 'invalid_model' | 'model_store_error';

/**
 * No model can be served (503, code `service_unavailable`); `reason` says why. The message is
 * safe to show a caller: no bucket name, no stack.
 */
export class ModelUnavailableError extends ServiceUnavailableError {
  constructor(
    readonly reason: ModelUnavailableReason,
    message: string,
    readonly details: readonly string[] = [],
  ) {
    super(message);
  }
}

/** The subset of the Powertools Logger the cache writes to. */
export interface CacheLogger {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

export interface ModelCacheOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** Prefix holding `current.json` (model-store.ts's layout). @default 'models/' */
  readonly prefix?: string;
  /** Seconds a loaded model is served before the pointer is revalidated. */
  readonly maxAgeSeconds: number;
  /** Clock in milliseconds; injectable for tests. @default Date.now */
  readonly now?: () => number;
  readonly logger?: CacheLogger;
}

interface Cached {
  readonly model: CompiledModel;
  readonly pointerEtag: string | undefined;
  readonly artifactKey: string;
  readonly artifactEtag: string | undefined;
}

interface Fetched {
  readonly notModified: boolean;
  readonly text: string;
  readonly etag: string | undefined;
}

/** The counters tests and logs read: how the cache has answered so far. */
export interface ModelCacheStats {
  hits: number;
  revalidations: number;
  notModified: number;
  loads: number;
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : String(error);
}

const isNotModified = (error: unknown) =>
  httpStatus(error) === 304 || errorName(error) === 'NotModified' || errorName(error) === '304';
const isNotFound = (error: unknown) =>
  errorName(error) === 'NoSuchKey' || errorName(error) === 'NoSuchBucket' || httpStatus(error) === 404;

/** Parses and checks a pointer document (the one schema, core/model-pointer); throws naming the defect. */
export function parsePointerText(text: string): ModelPointer {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('the pointer is not valid JSON');
  }
  return parsePointer(value);
}

export class ModelCache {
  readonly stats: ModelCacheStats = { hits: 0, revalidations: 0, notModified: 0, loads: 0 };
  private readonly prefix: string;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private cached: Cached | undefined;
  private checkedAt = -Infinity;
  private inflight: Promise<CompiledModel> | undefined;

  constructor(private readonly options: ModelCacheOptions) {
    this.prefix = options.prefix ?? MODELS_PREFIX;
    this.maxAgeMs = options.maxAgeSeconds * 1000;
    this.now = options.now ?? Date.now;
  }

  get pointerKey(): string {
    return `${this.prefix}current.json`;
  }

  /** The model being served, revalidating first when the cached one is older than the max age. */
  get(): Promise<CompiledModel> {
    if (this.cached && this.now() - this.checkedAt < this.maxAgeMs) {
      this.stats.hits++;
      return Promise.resolve(this.cached.model);
    }
    // One refresh at a time, shared by concurrent callers in the same environment.
    this.inflight ??= this.refresh().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** The cached model without any I/O, if there is one. */
  peek(): CompiledModel | undefined {
    return this.cached?.model;
  }

  private async fetch(key: string, etag: string | undefined): Promise<Fetched> {
    try {
      const res = await this.options.s3.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: key, IfNoneMatch: etag }),
      );
      if (!res.Body) throw new Error(`s3://${this.options.bucket}/${key} has no body`);
      return { notModified: false, text: await res.Body.transformToString('utf-8'), etag: res.ETag };
    } catch (error) {
      if (etag !== undefined && isNotModified(error)) return { notModified: true, text: '', etag };
      throw error;
    }
  }

  /** Keeps the cached model after a failed check, or turns the failure into a 503 when there is none. */
  private keepOrFail(failure: ModelUnavailableError, cause?: unknown): CompiledModel {
    const fields = {
      bucket: this.options.bucket,
      reason: failure.reason,
      details: failure.details,
      cause: cause === undefined ? undefined : errorName(cause),
    };
    if (this.cached) {
      this.options.logger?.error(
        `model check failed, still serving ${this.cached.model.version}: ${failure.message}`,
        fields,
      );
      return this.cached.model;
    }
    this.options.logger?.error(`no model to serve: ${failure.message}`, fields);
    throw failure;
  }

  private async refresh(): Promise<CompiledModel> {
    const startedAt = this.now();
    this.stats.revalidations++;
    const previous = this.cached;
    let pointerDoc: Fetched;
    try {
      pointerDoc = await this.fetch(this.pointerKey, previous?.pointerEtag);
    } catch (error) {
      this.checkedAt = startedAt;
      if (isNotFound(error)) {
        if (previous) {
          this.options.logger?.warn('the model pointer was deleted: the model is withdrawn', {
            bucket: this.options.bucket,
            key: this.pointerKey,
            version: previous.model.version,
          });
        }
        this.cached = undefined;
        throw new ModelUnavailableError(
          'no_model',
          `no model has been promoted: ${this.pointerKey} does not exist in the models bucket`,
        );
      }
      return this.keepOrFail(
        new ModelUnavailableError(
          'model_store_error',
          `cannot read the model pointer ${this.pointerKey} (${errorName(error)})`,
        ),
        error,
      );
    }
    this.checkedAt = startedAt;
    if (pointerDoc.notModified && previous) {
      this.stats.notModified++;
      return previous.model;
    }

    let pointer: ModelPointer;
    try {
      pointer = parsePointerText(pointerDoc.text);
    } catch (error) {
      return this.keepOrFail(
        new ModelUnavailableError(
          'invalid_model',
          `the model pointer ${this.pointerKey} is invalid: ${(error as Error).message}`,
        ),
      );
    }

    const sameKey = previous?.artifactKey === pointer.key;
    let artifactDoc: Fetched;
    try {
      artifactDoc = await this.fetch(pointer.key, sameKey ? previous?.artifactEtag : undefined);
    } catch (error) {
      if (isNotFound(error)) {
        return this.keepOrFail(
          new ModelUnavailableError(
            'no_model',
            `the model pointer names ${pointer.key} (version ${pointer.version}), which does not exist`,
          ),
        );
      }
      return this.keepOrFail(
        new ModelUnavailableError(
          'model_store_error',
          `cannot read the model artifact ${pointer.key} (${errorName(error)})`,
        ),
        error,
      );
    }
    if (artifactDoc.notModified && previous) {
      this.stats.notModified++;
      this.cached = { ...previous, pointerEtag: pointerDoc.etag };
      return previous.model;
    }

    let model: CompiledModel;
    try {
      let parsed: unknown;
      try {
        parsed = JSON.parse(artifactDoc.text);
      } catch {
        throw new InvalidModelError(['the artifact is not valid JSON']);
      }
      model = compileModel(parsed);
      if (model.version !== pointer.version) {
        throw new InvalidModelError([
          `the artifact's version ${model.version} is not the pointer's ${pointer.version}`,
        ]);
      }
    } catch (error) {
      const problems = error instanceof InvalidModelError ? error.problems : [(error as Error).message];
      return this.keepOrFail(
        new ModelUnavailableError(
          'invalid_model',
          `the current model artifact ${pointer.key} is invalid: ${problems.slice(0, 5).join('; ')}`,
          problems,
        ),
      );
    }
    this.cached = {
      model,
      pointerEtag: pointerDoc.etag,
      artifactKey: pointer.key,
      artifactEtag: artifactDoc.etag,
    };
    this.stats.loads++;
    this.options.logger?.info('model loaded', {
      version: model.version,
      key: pointer.key,
      previousVersion: previous?.model.version,
      features: model.features.length,
      categories: model.profiles.size,
    });
    return model;
  }
}
