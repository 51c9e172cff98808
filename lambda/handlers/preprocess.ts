/**
 * Preprocess: one raw CSV object in, its cleaned outputs in the curated bucket out.
 *
 * Triggered by EventBridge "Object Created" on the raw bucket (the S3 notification shape works
 * too). Thin: decode the event (core/s3-event.ts), derive output keys (core/object-keys.ts),
 * check the size from the event before downloading, read the object once into a temp file, run
 * the streaming cleaning core twice over it (core/preprocess.ts), stream outputs to the curated
 * bucket (adapters/s3-objects.ts). Never writes to the raw bucket.
 *
 * Replays are safe: output keys depend only on the input key and version, and no written byte
 * depends on time (elapsed time goes to the logs and metrics, not into the stored report).
 *
 * What is retried and what is not: a bad event shape, a non-CSV key, an object that is gone and a
 * file the core rejects (over-size, not UTF-8, missing columns, ...) are logged, counted and, for
 * rejections, recorded in reports/ and quarantine/: retrying could not help, so the invocation
 * succeeds. Anything else (S3 throttling, network) throws, and Lambda's async retries and the
 * on-failure destination take over.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { s3Client } from '../adapters/clients';
import { readPreprocessConfig, type PreprocessConfig } from '../adapters/env';
import {
  downloadToFile,
  headObject,
  objectGone,
  putSmallObject,
  StreamingUpload,
  withTempDir,
} from '../adapters/s3-objects';
import { FileRejectedError, ValidationError } from '../core/errors';
import { isCsvKey, outputKeys, type OutputKeys } from '../core/object-keys';
import { PreprocessError, preprocessCsv, type PreprocessSink, type QualityReport } from '../core/preprocess';
import { decodeObjectEvent, type DecodedEvent, type ObjectCreated } from '../core/s3-event';

export const PREPROCESS_REPORT_FORMAT = 'aiaas-factory/preprocess-report@1';
export const PREPROCESS_REJECTION_FORMAT = 'aiaas-factory/preprocess-rejection@1';

export type ObjectStatus = 'processed' | 'rejected' | 'ignored' | 'gone';

/** What happened to one object of the event. */
export interface ObjectOutcome {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly etag?: string;
  readonly status: ObjectStatus;
  /** Why it was ignored, rejected or gone (a code). */
  readonly reason?: string;
  readonly message?: string;
  /** Curated-bucket keys written (rejected: report and rejection only). */
  readonly outputs?: Partial<OutputKeys>;
  readonly rowsIn?: number;
  readonly rowsClean?: number;
  readonly duplicates?: number;
  readonly quarantined?: number;
}

/** The handler's return value. */
export interface PreprocessSummary {
  readonly objects: number;
  readonly processed: number;
  readonly rejected: number;
  readonly ignored: number;
  readonly gone: number;
  /** 1 when the event itself could not be decoded (logged; not retried). */
  readonly invalidEvents: number;
  readonly results: readonly ObjectOutcome[];
}

/** The stored report (reports/...json): deterministic, no timestamps. */
export interface StoredReport {
  readonly format: typeof PREPROCESS_REPORT_FORMAT;
  readonly status: 'processed' | 'rejected';
  readonly input: {
    readonly bucket: string;
    readonly key: string;
    readonly versionId?: string;
    readonly etag?: string;
    readonly size?: number;
  };
  readonly outputs: { readonly bucket: string } & Partial<OutputKeys>;
  /** The core's quality report without its run time (processed only). */
  readonly quality?: Omit<QualityReport, 'elapsedMs'>;
  /** Why the file was rejected (rejected only). */
  readonly rejection?: { readonly code: string; readonly reason: string; readonly message: string };
}

export interface PreprocessDeps {
  readonly s3: S3Client;
  readonly config: PreprocessConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Multipart part size for the streamed outputs. @default 8 MiB */
  readonly partSize?: number;
}

const CSV_TYPE = 'text/csv; charset=utf-8';
const JSON_TYPE = 'application/json';
const json = (value: unknown) => JSON.stringify(value, null, 2) + '\n';

function inputOf(object: ObjectCreated, size?: number): StoredReport['input'] {
  return {
    bucket: object.bucket,
    key: object.key,
    ...(object.versionId !== undefined ? { versionId: object.versionId } : {}),
    ...(object.etag !== undefined ? { etag: object.etag } : {}),
    ...(size !== undefined ? { size } : {}),
  };
}

/** The three streamed outputs, opened on first write so a rejected file leaves nothing behind. */
class OutputStreams implements PreprocessSink {
  private uploads: Partial<Record<'clean' | 'train' | 'quarantine', StreamingUpload>> = {};

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly keys: OutputKeys,
    private readonly partSize: number | undefined,
  ) {}

  private stream(name: 'clean' | 'train' | 'quarantine'): StreamingUpload {
    return (this.uploads[name] ??= new StreamingUpload(this.s3, this.bucket, this.keys[name], CSV_TYPE, {
      partSize: this.partSize,
    }));
  }

  clean = (bytes: Uint8Array) => this.stream('clean').write(bytes);
  train = (bytes: Uint8Array) => this.stream('train').write(bytes);
  quarantine = (bytes: Uint8Array) => this.stream('quarantine').write(bytes);

  reset = async () => {
    await this.abort();
  };

  async finish(): Promise<void> {
    const open = Object.values(this.uploads);
    this.uploads = {};
    await Promise.all(open.map((u) => u.finish()));
  }

  async abort(): Promise<void> {
    const open = Object.values(this.uploads);
    this.uploads = {};
    await Promise.all(open.map((u) => u.abort()));
  }
}

/** Builds the handler around injected clients and configuration (tests, the local pipeline). */
export function createPreprocessHandler(deps: PreprocessDeps) {
  const { s3, config, logger, metrics } = deps;

  async function reject(
    object: ObjectCreated,
    keys: OutputKeys,
    error: FileRejectedError,
    size: number | undefined,
  ): Promise<ObjectOutcome> {
    const rejection = { code: error.code, reason: error.reason, message: error.message };
    const outputs = { bucket: config.curatedBucket, report: keys.report, rejection: keys.rejection };
    const report: StoredReport = {
      format: PREPROCESS_REPORT_FORMAT,
      status: 'rejected',
      input: inputOf(object, size),
      outputs,
      rejection,
    };
    const record = { format: PREPROCESS_REJECTION_FORMAT, input: inputOf(object, size), ...rejection };
    await putSmallObject(s3, config.curatedBucket, keys.rejection, json(record), JSON_TYPE);
    await putSmallObject(s3, config.curatedBucket, keys.report, json(report), JSON_TYPE);
    logger.warn('file rejected', { reason: error.reason, message: error.message });
    metrics.addMetric('FilesRejected', MetricUnit.Count, 1);
    return {
      ...inputOf(object),
      status: 'rejected',
      reason: error.reason,
      message: error.message,
      outputs: { report: keys.report, rejection: keys.rejection },
    };
  }

  async function processObject(object: ObjectCreated): Promise<ObjectOutcome> {
    const ignore = (reason: string, message: string): ObjectOutcome => {
      logger.info('object ignored', { reason, message });
      metrics.addMetric('ObjectsIgnored', MetricUnit.Count, 1);
      return { ...inputOf(object), status: 'ignored', reason, message };
    };
    if (object.bucket === config.curatedBucket) {
      // An event from the bucket we write to would loop; the rule should never route one here.
      logger.error('event from the curated bucket ignored: check the event rule');
      return ignore('curated_bucket', 'event came from the curated bucket');
    }
    if (!isCsvKey(object.key)) return ignore('not_csv', 'key does not end in .csv');

    let keys: OutputKeys;
    try {
      keys = outputKeys(object);
    } catch (error) {
      if (!(error instanceof FileRejectedError)) throw error;
      // No key derived from this input fits in S3, so there is nowhere to put a report.
      logger.error('file rejected without a report', { reason: error.reason, message: error.message });
      metrics.addMetric('FilesRejected', MetricUnit.Count, 1);
      return { ...inputOf(object), status: 'rejected', reason: error.reason, message: error.message };
    }

    let size = object.size;
    try {
      size ??= (await headObject(s3, object)).size;
    } catch (error) {
      if (objectGone(error)) return gone(error);
      throw error;
    }
    if (size > config.maxObjectBytes) {
      const error = new FileRejectedError(
        'too_large',
        `object is ${size} bytes, over the limit of ${config.maxObjectBytes} (MAX_OBJECT_BYTES)`,
      );
      return reject(object, keys, error, size);
    }

    const started = Date.now();
    return withTempDir('preprocess-', async (dir) => {
      const path = join(dir, 'input.csv');
      try {
        await downloadToFile(s3, object, path, { maxBytes: config.maxObjectBytes });
      } catch (error) {
        if (objectGone(error)) return gone(error);
        if (error instanceof FileRejectedError) return reject(object, keys, error, size);
        throw error;
      }
      const sink = new OutputStreams(s3, config.curatedBucket, keys, deps.partSize);
      let result;
      try {
        result = await preprocessCsv({
          schema: config.schema,
          maxBytes: config.maxObjectBytes,
          sizeHint: size,
          open: () => createReadStream(path, { highWaterMark: 1 << 20 }),
          sink,
        });
        await sink.finish();
      } catch (error) {
        await sink.abort();
        if (error instanceof PreprocessError) {
          return reject(object, keys, FileRejectedError.fromPreprocessError(error), size);
        }
        throw error;
      }
      const { elapsedMs, ...quality } = result.report;
      const report: StoredReport = {
        format: PREPROCESS_REPORT_FORMAT,
        status: 'processed',
        input: inputOf(object, size),
        outputs: {
          bucket: config.curatedBucket,
          clean: keys.clean,
          train: keys.train,
          quarantine: keys.quarantine,
          stats: keys.stats,
          groupStats: keys.groupStats,
          report: keys.report,
        },
        quality,
      };
      await putSmallObject(s3, config.curatedBucket, keys.stats, json(result.stats), JSON_TYPE);
      await putSmallObject(s3, config.curatedBucket, keys.groupStats, result.groupStatsCsv, CSV_TYPE);
      // The report goes last: its presence means every other output is complete.
      await putSmallObject(s3, config.curatedBucket, keys.report, json(report), JSON_TYPE);
      const totalMs = Date.now() - started;
      logger.info('object processed', {
        rowsIn: quality.rowsIn,
        rowsClean: quality.rowsClean,
        duplicates: quality.duplicates,
        quarantined: quality.quarantined,
        bytesIn: quality.bytesIn,
        coreMs: elapsedMs,
        totalMs,
        curatedBucket: config.curatedBucket,
        clean: keys.clean,
      });
      metrics.addMetric('RowsIn', MetricUnit.Count, quality.rowsIn);
      metrics.addMetric('RowsClean', MetricUnit.Count, quality.rowsClean);
      metrics.addMetric('Duplicates', MetricUnit.Count, quality.duplicates);
      metrics.addMetric('QuarantinedRows', MetricUnit.Count, quality.quarantined);
      metrics.addMetric('BytesIn', MetricUnit.Bytes, quality.bytesIn);
      metrics.addMetric('PreprocessMilliseconds', MetricUnit.Milliseconds, totalMs);
      return {
        ...inputOf(object),
        status: 'processed',
        outputs: report.outputs,
        rowsIn: quality.rowsIn,
        rowsClean: quality.rowsClean,
        duplicates: quality.duplicates,
        quarantined: quality.quarantined,
      };
    });

    function gone(error: unknown): ObjectOutcome {
      const name = (error as { name?: string }).name ?? 'unknown';
      logger.warn('object gone before it could be read', { error: name });
      metrics.addMetric('ObjectsGone', MetricUnit.Count, 1);
      return { ...inputOf(object), status: 'gone', reason: name };
    }
  }

  function decode(event: unknown): DecodedEvent | null {
    try {
      return decodeObjectEvent(event);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      logger.error('event rejected', { code: error.code, message: error.message });
      metrics.addMetric('InvalidEvents', MetricUnit.Count, 1);
      return null;
    }
  }

  return async function preprocessHandler(event: unknown, context?: Context): Promise<PreprocessSummary> {
    if (context) logger.addContext(context);
    const results: ObjectOutcome[] = [];
    const decoded = decode(event);
    try {
      for (const skipped of decoded?.ignored ?? []) {
        logger.info('record ignored', { reason: skipped.reason, detail: skipped.detail });
        metrics.addMetric('ObjectsIgnored', MetricUnit.Count, 1);
      }
      for (const object of decoded?.objects ?? []) {
        logger.appendKeys({ bucket: object.bucket, key: object.key, versionId: object.versionId ?? null });
        try {
          results.push(await processObject(object));
        } catch (error) {
          logger.error('object failed; the invocation will be retried', error as Error);
          metrics.addMetric('ObjectsFailed', MetricUnit.Count, 1);
          throw error;
        } finally {
          logger.removeKeys(['bucket', 'key', 'versionId']);
        }
      }
    } finally {
      metrics.publishStoredMetrics();
    }
    const invalidEvents = decoded === null ? 1 : 0;
    const ignoredRecords = decoded?.ignored.length ?? 0;
    const count = (status: ObjectStatus) => results.filter((r) => r.status === status).length;
    return {
      objects: results.length,
      processed: count('processed'),
      rejected: count('rejected'),
      ignored: count('ignored') + ignoredRecords,
      gone: count('gone'),
      invalidEvents,
      results,
    };
  };
}

// Module scope: read once per cold start; a missing or bad variable fails the init with a
// ConfigError naming it.
const config = readPreprocessConfig(process.env);
const logger = new Logger({ serviceName: config.serviceName });
const metrics = new Metrics({ namespace: config.metricsNamespace, serviceName: config.serviceName });

/** The Lambda entry point. */
export const handler = createPreprocessHandler({ s3: s3Client(), config, logger, metrics });
