/**
 * Preprocess: one raw CSV or JSON Lines object in, its cleaned outputs in the curated bucket out.
 *
 * Triggered by EventBridge "Object Created" on the raw bucket (the S3 notification shape works
 * too) for keys ending in `.csv`, `.jsonl` or `.ndjson`, each optionally `.gz`, in any case
 * (core/input-key.ts: the suffix decides the format; the ingest stack's Firehose objects are
 * `ingest/.../*.jsonl.gz`, read as JSON Lines by cleaning/json-lines.ts into the same outputs);
 * gzip is known by the bytes (adapters/file-source.ts). Thin: decode the event (core/s3-event.ts), derive output keys (core/object-keys.ts),
 * check the size from the event before downloading, read the object once into a temp file, run
 * the streaming cleaning core twice over it (core/preprocess.ts), stream outputs to the curated
 * bucket (adapters/s3-objects.ts), and with them, when the query stack is deployed (ATHENA_COPY),
 * Athena's copy of each (core/athena-copy.ts: JSON Lines under `athena/<table>/`, the Glue
 * tables' locations, converted chunk by chunk as the CSVs stream; replaced and deleted with the
 * other outputs). Never writes to the raw bucket.
 *
 * Replays are safe: output keys depend only on the input key and version, and no written byte
 * depends on the run's time (elapsed time goes to the logs and metrics, not into the stored
 * report; the one time it holds is the version's own Last-Modified, its arrival).
 *
 * Only the current version counts. Raw is versioned and an overwritten key raises a second event,
 * in any order. So before anything is read the handler asks S3 for the key's current version
 * (HeadObject without a version id): an event for any other version, or for a key that is gone or
 * delete-marked, is `superseded` (logged, counted, nothing written, not an error). After the
 * current version's outputs are written (report last), the outputs of every other version of the
 * same input key are deleted from each curated folder (curated is versioned, so they stay as
 * noncurrent history). The order is: list the folders, ask again for the current version, then
 * delete only what was listed. Anything listed was written before the list, and a newer version's
 * outputs are written only after that version exists, so if the second check still finds this
 * version current, nothing listed can belong to a newer one: an old version can never delete a
 * newer version's outputs. If the second check finds a newer version (it arrived while this one
 * was processed), this run withdraws its own outputs and ends `superseded`. A rejected current
 * version counts too: its report and rejection record replace the older version's outputs, so
 * nothing downstream reads rows that raw no longer holds as current. A crash between the
 * writes and the deletes leaves at worst a duplicate that the next event or replay removes, never
 * a gap.
 *
 * Removals ("Object Deleted", `ObjectRemoved:*`) reconcile the key the same way. If the key is
 * gone or delete-marked, every output of it is deleted (list, check it is still gone, delete what
 * was listed: a key written again meanwhile keeps its new outputs) and the object is `removed`.
 * If the key still has a current version (a noncurrent version was deleted, or the current one
 * was permanently deleted so an older one is current again) and that version has no report, it
 * is processed as if just created; otherwise nothing happens. The preprocess stack's rule routes
 * both "Object Created" and "Object Deleted" of raw's CSV keys here.
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
import { join } from 'node:path';
import { s3Client } from '../adapters/clients';
import { fileSource } from '../adapters/file-source';
import { lambdaEntry } from '../adapters/lambda-entry';
import { removeOutputs, s3OutputPort, settleOutputs, type OutputPort } from '../adapters/output-replacement';
import { readPreprocessConfig, type PreprocessConfig } from '../core/env/preprocess';
import {
  downloadToFile,
  headCurrent,
  listKeys,
  objectGone,
  putSmallObject,
  StreamingUpload,
  withTempDir,
  type ObjectHead,
} from '../adapters/s3-objects';
import { FileRejectedError, ValidationError } from '../core/errors';
import { INPUT_SUFFIXES, inputKind, layoutKey } from '../core/input-key';
import {
  athenaJsonLines,
  rejectionJsonLine,
  reportJsonLine,
  withAthenaCopy,
  type StreamedTable,
} from '../core/athena-copy';
import { curatedTable, type RowOrigin } from '../core/curated-tables';
import {
  ATHENA_COPY_KINDS,
  isCurrentVersion,
  outputFolders,
  outputKeys,
  type OutputKeys,
} from '../core/object-keys';
import { PreprocessError, preprocessCsv, type PreprocessSink } from '../core/preprocess';
import { PREPROCESS_REPORT_FORMAT, type PreprocessReport } from '../core/preprocess-report';
import {
  decodeObjectEvent,
  type DecodedEvent,
  type ObjectCreated,
  type ObjectRemoved,
} from '../core/s3-event';

export { PREPROCESS_REPORT_FORMAT };
export const PREPROCESS_REJECTION_FORMAT = 'aiaas-factory/preprocess-rejection@1';

export type ObjectStatus = 'processed' | 'rejected' | 'ignored' | 'gone' | 'superseded' | 'removed';

/** What happened to one object of the event. */
export interface ObjectOutcome {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly etag?: string;
  readonly status: ObjectStatus;
  /**
   * Why it was ignored, rejected, gone or superseded (a code). Superseded: `newer_version` (the
   * key's current version is another one) or `deleted` (gone or delete-marked).
   */
  readonly reason?: string;
  readonly message?: string;
  /** Curated-bucket keys written (rejected: report and rejection only). */
  readonly outputs?: Partial<OutputKeys>;
  /**
   * Processed or rejected: outputs of other versions of the same key deleted after writing.
   * Superseded during processing: this run's own outputs withdrawn. Removed: every output of
   * the key deleted.
   */
  readonly deleted?: number;
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
  /** Events for a version that is no longer the key's current one (nothing written). */
  readonly superseded: number;
  /** Removal events whose key was gone, so its outputs were deleted. */
  readonly removed: number;
  /** 1 when the event itself could not be decoded (logged; not retried). */
  readonly invalidEvents: number;
  readonly results: readonly ObjectOutcome[];
}

/** The stored report (reports/...json): one definition, in lambda/core/preprocess-report.ts. */
export type StoredReport = PreprocessReport;

export interface PreprocessDeps {
  readonly s3: S3Client;
  readonly config: PreprocessConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Multipart part size for the streamed outputs. @default 8 MiB */
  readonly partSize?: number;
  /** Test hook, passed to the core: weak row hashes force a collision restart. */
  readonly weakHashBitsForTest?: number;
  /** Where outputs are listed and deleted for the replace-older-outputs protocol. @default S3 */
  readonly outputs?: OutputPort;
}

const CSV_TYPE = 'text/csv; charset=utf-8';
const JSON_TYPE = 'application/json';
const JSON_LINES_TYPE = 'application/x-ndjson';
const json = (value: unknown) => JSON.stringify(value, null, 2) + '\n';
const NOT_INPUT = `key does not end in ${INPUT_SUFFIXES.join(', ')} (any case)`;

/**
 * The port for one raw key whose outputs are laid out under `layout` (input-key.ts layoutKey):
 * the raw bucket is asked about the real key.
 */
function portFor(port: OutputPort, realKey: string, layout: string): OutputPort {
  if (realKey === layout) return port;
  return {
    ...port,
    currentVersion: (bucket, key) => port.currentVersion(bucket, key === layout ? realKey : key),
  };
}

function inputOf(
  object: Pick<ObjectCreated, 'bucket' | 'key' | 'versionId' | 'etag'>,
  size?: number,
  lastModified?: string,
): StoredReport['input'] {
  return {
    bucket: object.bucket,
    key: object.key,
    ...(object.versionId !== undefined ? { versionId: object.versionId } : {}),
    ...(object.etag !== undefined ? { etag: object.etag } : {}),
    ...(size !== undefined ? { size } : {}),
    ...(lastModified !== undefined ? { lastModified } : {}),
  };
}

/** Where an object's rows came from and when that version arrived, for the per-object tables. */
function originOf(object: Pick<ObjectCreated, 'key'>, lastModified: string | undefined): RowOrigin {
  return { source: object.key, arrived: lastModified ?? null };
}

type Streamed = 'clean' | 'train' | 'quarantine' | (typeof ATHENA_COPY_KINDS)[StreamedTable];

/**
 * The three streamed outputs and Athena's copy of each (athena-copy.ts withAthenaCopy converts
 * the chunks as they pass), opened on first write so a rejected file leaves nothing behind.
 */
class OutputStreams implements PreprocessSink {
  private uploads: Partial<Record<Streamed, StreamingUpload>> = {};

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly keys: OutputKeys,
    private readonly partSize: number | undefined,
  ) {}

  private stream(name: Streamed): StreamingUpload {
    return (this.uploads[name] ??= new StreamingUpload(
      this.s3,
      this.bucket,
      this.keys[name],
      name.startsWith('athena') ? JSON_LINES_TYPE : CSV_TYPE,
      { partSize: this.partSize },
    ));
  }

  clean = (bytes: Uint8Array) => this.stream('clean').write(bytes);
  train = (bytes: Uint8Array) => this.stream('train').write(bytes);
  quarantine = (bytes: Uint8Array) => this.stream('quarantine').write(bytes);
  /** Athena's copy of a streamed output: JSON Lines, written like the CSV (same upload path). */
  copy = (table: StreamedTable, jsonLines: Uint8Array) =>
    this.stream(ATHENA_COPY_KINDS[table]).write(jsonLines);

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
  const outputs = deps.outputs ?? s3OutputPort(deps.s3, deps.config.curatedBucket);
  const { s3, config, logger, metrics } = deps;

  async function reject(
    object: ObjectCreated,
    keys: OutputKeys,
    error: FileRejectedError,
    size: number | undefined,
    lastModified: string | undefined,
  ): Promise<ObjectOutcome> {
    const rejection = { code: error.code, reason: error.reason, message: error.message };
    const outputs = { bucket: config.curatedBucket, report: keys.report, rejection: keys.rejection };
    const report: StoredReport = {
      format: PREPROCESS_REPORT_FORMAT,
      status: 'rejected',
      input: inputOf(object, size, lastModified),
      outputs,
      rejection,
    };
    const record = {
      format: PREPROCESS_REJECTION_FORMAT,
      input: inputOf(object, size, lastModified),
      ...rejection,
    };
    await putSmallObject(s3, config.curatedBucket, keys.rejection, json(record), JSON_TYPE);
    // The reports table has a row for a refused object too: no counts, its reason, its origin.
    if (config.athenaCopy) {
      const line = rejectionJsonLine(error.reason, originOf(object, lastModified));
      await putSmallObject(s3, config.curatedBucket, keys.athenaReport, line, JSON_LINES_TYPE);
    }
    await putSmallObject(s3, config.curatedBucket, keys.report, json(report), JSON_TYPE);
    logger.warn('file rejected', { reason: error.reason, message: error.message });
    metrics.addMetric('FilesRejected', MetricUnit.Count, 1);
    return {
      ...inputOf(object),
      status: 'rejected',
      reason: error.reason,
      message: error.message,
      outputs: {
        report: keys.report,
        rejection: keys.rejection,
        ...(config.athenaCopy ? { athenaReport: keys.athenaReport } : {}),
      },
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
    const kind = inputKind(object.key);
    if (kind === null) return ignore('not_csv', NOT_INPUT);
    const layoutObject = { ...object, key: layoutKey(object.key) };
    const port = portFor(outputs, object.key, layoutObject.key);

    let keys: OutputKeys;
    try {
      keys = outputKeys(layoutObject);
    } catch (error) {
      if (!(error instanceof FileRejectedError)) throw error;
      // No key derived from this input fits in S3, so there is nowhere to put a report.
      logger.error('file rejected without a report', { reason: error.reason, message: error.message });
      metrics.addMetric('FilesRejected', MetricUnit.Count, 1);
      return { ...inputOf(object), status: 'rejected', reason: error.reason, message: error.message };
    }

    // Before reading anything: an event for a version that is no longer current writes nothing,
    // so a late or replayed event can never bring an old version back.
    const current = await headCurrent(s3, object.bucket, object.key);
    if (!isCurrentVersion(object, current)) return superseded(current, 0);

    // The current version is the event's, so HeadObject's size is the event's object's size.
    const size = object.size ?? current!.size;
    // Where the rows came from and when that version arrived, for the per-object tables.
    const lastModified = current!.lastModified;
    const origin = originOf(object, lastModified);
    if (size > config.maxObjectBytes) {
      const error = new FileRejectedError(
        'too_large',
        `object is ${size} bytes, over the limit of ${config.maxObjectBytes} (MAX_OBJECT_BYTES)`,
      );
      return settle(await reject(object, keys, error, size, lastModified));
    }

    const started = Date.now();
    const outcome = await withTempDir('preprocess-', async (dir): Promise<ObjectOutcome> => {
      const path = join(dir, `input${kind.suffix}`);
      let contentEncoding: string | undefined;
      try {
        contentEncoding = (await downloadToFile(s3, object, path, { maxBytes: config.maxObjectBytes }))
          .contentEncoding;
      } catch (error) {
        if (objectGone(error)) return gone(error);
        if (error instanceof FileRejectedError) return reject(object, keys, error, size, lastModified);
        throw error;
      }
      // Gzip by the bytes (the event carries no Content-Encoding; names and headers may not say).
      const source = await fileSource(path);
      if (source.gzip || contentEncoding !== undefined || kind.gzipName) {
        logger.info('input encoding', { gzip: source.gzip, contentEncoding: contentEncoding ?? null });
      }
      const streams = new OutputStreams(s3, config.curatedBucket, keys, deps.partSize);
      // Athena's copy only when the query stack reads it (ATHENA_COPY, config.query.enabled).
      const copy = config.athenaCopy
        ? withAthenaCopy(streams, config.schema, origin, streams.copy)
        : undefined;
      let result;
      try {
        result = await preprocessCsv({
          schema: config.schema,
          // The limit applies to the decompressed bytes too: a gzip bomb stops at it.
          maxBytes: config.maxObjectBytes,
          maxColumns: config.maxColumns,
          maxCategories: config.maxCategories,
          delimiter: config.delimiter,
          format: kind.format,
          sizeHint: source.gzip ? undefined : size,
          open: source.open,
          sink: copy ?? streams,
          weakHashBitsForTest: deps.weakHashBitsForTest,
        });
        await copy?.end();
        await streams.finish();
      } catch (error) {
        await streams.abort();
        if (error instanceof PreprocessError) {
          return reject(object, keys, FileRejectedError.fromPreprocessError(error), size, lastModified);
        }
        throw error;
      }
      const { elapsedMs, ...quality } = result.report;
      const report: StoredReport = {
        format: PREPROCESS_REPORT_FORMAT,
        status: 'processed',
        input: inputOf(object, size, lastModified),
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
      if (config.athenaCopy) {
        const groupStatsCopy = athenaJsonLines(
          curatedTable('group_stats'),
          config.schema,
          result.groupStatsCsv,
          origin,
        );
        await putSmallObject(
          s3,
          config.curatedBucket,
          keys.athenaGroupStats,
          groupStatsCopy,
          JSON_LINES_TYPE,
        );
        await putSmallObject(
          s3,
          config.curatedBucket,
          keys.athenaReport,
          reportJsonLine(quality, origin),
          JSON_LINES_TYPE,
        );
      }
      // The report goes last: its presence means every other output is complete.
      await putSmallObject(s3, config.curatedBucket, keys.report, json(report), JSON_TYPE);
      const totalMs = Date.now() - started;
      logger.info('object processed', {
        rowsIn: quality.rowsIn,
        rowsClean: quality.rowsClean,
        duplicates: quality.duplicates,
        quarantined: quality.quarantined,
        // Far above quarantined when a stray quote swallowed a block of lines.
        quarantinedLines: quality.quarantinedLines,
        linesIn: quality.linesIn,
        extraNumericColumns: quality.extraNumericColumns.length,
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
      metrics.addMetric('QuarantinedLines', MetricUnit.Count, quality.quarantinedLines);
      metrics.addMetric('BytesIn', MetricUnit.Bytes, quality.bytesIn);
      metrics.addMetric('PreprocessMilliseconds', MetricUnit.Milliseconds, totalMs);
      return {
        ...inputOf(object),
        status: 'processed',
        // The stored report names the outputs it always named; Athena's copy is listed here too,
        // so the settle step keeps it (and deletes other versions' copies). Without the copy,
        // any this key had are stale and go.
        outputs: {
          ...report.outputs,
          ...(config.athenaCopy
            ? {
                athenaClean: keys.athenaClean,
                athenaTrain: keys.athenaTrain,
                athenaQuarantine: keys.athenaQuarantine,
                athenaGroupStats: keys.athenaGroupStats,
                athenaReport: keys.athenaReport,
              }
            : {}),
        },
        rowsIn: quality.rowsIn,
        rowsClean: quality.rowsClean,
        duplicates: quality.duplicates,
        quarantined: quality.quarantined,
      };
    });
    return outcome.status === 'gone' ? outcome : settle(outcome);

    /**
     * After this version's outputs are written: list every folder of this input key, confirm the
     * version is still current, then delete what was listed and this run did not write (other
     * versions' outputs). Listing before the check is what keeps a newer version's outputs safe.
     */
    async function settle(done: ObjectOutcome): Promise<ObjectOutcome> {
      const written = Object.entries(done.outputs ?? {})
        .filter(([name]) => name !== 'bucket')
        .map(([, key]) => key as string);
      const settled = await settleOutputs(port, layoutObject, written);
      // A newer version (or a delete) arrived while this one was processed: its own run removes
      // the rest, and this run's outputs were withdrawn.
      if (!settled.current) return superseded(settled.now, settled.withdrawn.length);
      const stale = settled.deleted;
      if (stale.length > 0) {
        logger.info('outputs of other versions deleted', {
          deleted: stale.length,
          keys: stale.slice(0, 20),
        });
        metrics.addMetric('StaleOutputsDeleted', MetricUnit.Count, stale.length);
      }
      return { ...done, deleted: stale.length };
    }

    function superseded(now: ObjectHead | null, withdrawn: number): ObjectOutcome {
      const reason = now === null ? 'deleted' : 'newer_version';
      const message =
        (now === null
          ? 'the object is gone or delete-marked'
          : `the current version is ${now.versionId ?? `the one with ETag ${now.etag ?? '?'}`}`) +
        (withdrawn > 0 ? `; ${withdrawn} outputs written by this run withdrawn` : '');
      logger.info('object superseded', {
        reason,
        currentVersionId: now?.versionId ?? null,
        currentEtag: now?.etag ?? null,
        withdrawn,
      });
      metrics.addMetric('ObjectsSuperseded', MetricUnit.Count, 1);
      return {
        ...inputOf(object),
        status: 'superseded',
        reason,
        message,
        ...(withdrawn > 0 ? { deleted: withdrawn } : {}),
      };
    }

    function gone(error: unknown): ObjectOutcome {
      const name = (error as { name?: string }).name ?? 'unknown';
      logger.warn('object gone before it could be read', { error: name });
      metrics.addMetric('ObjectsGone', MetricUnit.Count, 1);
      return { ...inputOf(object), status: 'gone', reason: name };
    }
  }

  /**
   * A removal: bring the key's outputs in line with what raw now holds (see the module comment).
   * Only the bucket and key of the event matter; the removed version itself is not read.
   */
  async function reconcileRemoved(removed: ObjectRemoved): Promise<ObjectOutcome> {
    const ignore = (reason: string, message: string): ObjectOutcome => {
      logger.info('removal ignored', { reason, message });
      metrics.addMetric('ObjectsIgnored', MetricUnit.Count, 1);
      return { ...inputOf(removed), status: 'ignored', reason, message };
    };
    if (removed.bucket === config.curatedBucket) {
      logger.error('event from the curated bucket ignored: check the event rule');
      return ignore('curated_bucket', 'event came from the curated bucket');
    }
    if (inputKind(removed.key) === null) return ignore('not_csv', NOT_INPUT);
    const layout = layoutKey(removed.key);

    const current = await headCurrent(s3, removed.bucket, removed.key);
    if (current !== null) {
      const identity = { key: layout, versionId: current.versionId, etag: current.etag };
      let report: string;
      try {
        report = outputKeys(identity).report;
      } catch (error) {
        if (error instanceof FileRejectedError) return ignore(error.reason, error.message);
        throw error;
      }
      const [reports] = outputFolders(layout).filter((f) => f.startsWith('reports/'));
      if ((await listKeys(s3, config.curatedBucket, reports)).includes(report)) {
        return ignore('current_version_in_place', 'the current version of the key already has its outputs');
      }
      // The current version lost its outputs to a newer version that is now deleted: redo them.
      logger.info('removal left an older version current; processing it', {
        currentVersionId: current.versionId ?? null,
      });
      return processObject({
        bucket: removed.bucket,
        key: removed.key,
        ...(current.versionId !== undefined ? { versionId: current.versionId } : {}),
        ...(current.etag !== undefined ? { etag: current.etag } : {}),
        size: current.size,
        source: removed.source,
      });
    }

    const result = await removeOutputs(portFor(outputs, removed.key, layout), removed.bucket, layout);
    if (result.recreated) {
      return ignore('recreated', 'the key was written again; the run for its new version writes its outputs');
    }
    const stale = result.deleted;
    logger.info('raw object removed; its outputs deleted', {
      deleted: stale.length,
      keys: stale.slice(0, 20),
    });
    metrics.addMetric('ObjectsRemoved', MetricUnit.Count, 1);
    if (stale.length > 0) metrics.addMetric('StaleOutputsDeleted', MetricUnit.Count, stale.length);
    return { ...inputOf(removed), status: 'removed', deleted: stale.length };
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
      for (const removed of decoded?.removed ?? []) {
        logger.appendKeys({ bucket: removed.bucket, key: removed.key, versionId: removed.versionId ?? null });
        try {
          results.push(await reconcileRemoved(removed));
        } catch (error) {
          logger.error('removal failed; the invocation will be retried', error as Error);
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
      superseded: count('superseded'),
      removed: count('removed'),
      invalidEvents,
      results,
    };
  };
}

/**
 * The Lambda entry point: the environment is read on the first invocation (a missing or bad
 * variable fails it with a ConfigError naming it, which Lambda retries and then dead-letters).
 */
export const handler = lambdaEntry({
  name: 'preprocess',
  readConfig: readPreprocessConfig,
  create: ({ config, logger, metrics }) =>
    createPreprocessHandler({ s3: s3Client(), config, logger, metrics }),
});
