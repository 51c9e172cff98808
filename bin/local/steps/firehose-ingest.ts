/**
 * The generated sample rows as a line PC that does not speak MQTT sends them (the ingest stack's
 * direct path): JSON Lines records, each ending with RECORD_SEPARATOR, through the ingest stack's
 * delivery stream with PutRecordBatch, here on moto_server, landing in raw under ingest/ for the
 * same preprocess handler. The stream is created with the prefixes, extension and compression the
 * ingest stack declares (ingest-layout.ts); what moto does not do with them is made up for in
 * one place, moto-firehose-delivery.ts.
 *
 * PutRecordBatch limits (Amazon Data Firehose API reference, "PutRecordBatch",
 * https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html): up to 500
 * records per call, each up to 1,000 KB, up to 4 MB for the whole request ("these limits cannot be
 * changed"); "Record" (API_Record.html): the data blob is at most 1,000 KiB (1,024,000 bytes)
 * before base64. A 200 answer may still carry failed records (FailedPutCount, ErrorCode per
 * record), which would need sending again.
 *
 * Rows are packed: a Firehose record holds as many whole JSON Lines rows as fit in PACKED_RECORD_BYTES,
 * each row ending with RECORD_SEPARATOR, so the object Firehose writes (the records concatenated)
 * is the same JSON Lines text as with one row a record. That is what a well-written direct
 * caller does: the API reference says a record "can be a segment from a log file" (PutRecord,
 * https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecord.html); with one ~260-byte
 * row a record a stream's records-per-second quota is reached at a twentieth of its bytes-per-second
 * one (the same page: "5,000 records per second, or 5 MB per second" by default); ingestion is
 * billed per record rounded up to 5 KB, so a lone row is billed as 5 KB (the Firehose pricing page
 * as quoted at https://www.shigemk2.com/entry/2022/01/12/210322; the AWS page itself was not
 * available here); and the Kinesis Agent packs lines the same way (`aggregatedRecordSizeBytes`).
 * Rows are never split across records. The IoT topic rule's path stays one message a record
 * (the rule's Firehose action puts each message as one record).
 *
 * The malformed records (BAD_RECORDS) stand in for the CSV path's malformed rows: one per reason a
 * Firehose object's records are quarantined for, sent after the second file's rows.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DatasetSchema } from '../../../lambda/core/dataset-schema';
import {
  INGEST_ERROR_OBJECT_PREFIX,
  INGEST_FILE_EXTENSION,
  INGEST_OBJECT_PREFIX,
  RECORD_SEPARATOR,
} from '../../../lambda/core/ingest-layout';
import { MotoFirehoseDelivery } from '../moto-firehose-delivery';
import type { RunClock } from '../run-clock';
import { REGION } from './moto-session';
import type { RawObject } from './upload-raw';

/** PutRecordBatch's limits per call (see the module comment). */
export const PUT_RECORD_BATCH_LIMITS = {
  records: 500,
  requestBytes: 4_000_000,
  recordBytes: 1_000_000,
} as const;

/**
 * The bytes of rows a packed record holds at most: well under the 1,024,000-byte record limit, and
 * 15 of them fill a 4 MB call, so 200,000 generated rows (52 MB) take 13 calls instead of 401.
 */
export const PACKED_RECORD_BYTES = 256 * 1024;

/** PutRecordBatch calls in flight at once. */
const IN_FLIGHT = 4;

/** Three records the cleaning step must quarantine, one per reason, sent after file 2's rows. */
export const BAD_RECORDS = [
  // missing_key: no line id (the topic rule adds it to MQTT messages; a direct caller forgot)
  '{"timestamp":"2031-01-01T00:00:00.000Z","category":"gear","temperature":70.0,"pressure":6.5}',
  // non_numeric: text in a numeric field
  '{"timestamp":"2031-01-01T00:00:01.000Z","line_id":"L02","category":"gear","temperature":"hot","pressure":6.5}',
  // bad_timestamp: a day that does not exist
  '{"timestamp":"2031-02-30T00:00:02.000Z","line_id":"L03","category":"gear","temperature":70.0,"pressure":6.5}',
] as const;

export interface FirehoseIngest {
  readonly streamName: string;
  /** JSON Lines rows sent. */
  readonly records: number;
  /** Firehose records they were packed in. */
  readonly firehoseRecords: number;
  readonly calls: number;
  readonly objects: readonly RawObject[];
}

/** One generated CSV line as its JSON record: text columns as strings, numbers as numbers, empty cells left out. */
export function csvRowAsRecord(
  header: readonly string[],
  numeric: ReadonlySet<string>,
  line: string,
): string {
  if (line.includes('"')) throw new Error(`firehose-ingest: a quoted generated row is not expected: ${line}`);
  const cells = line.split(',');
  const record: Record<string, string | number> = {};
  header.forEach((name, k) => {
    const cell = cells[k];
    if (cell === undefined || cell === '') return;
    record[name] = numeric.has(name) ? Number(cell) : cell;
  });
  return JSON.stringify(record);
}

/** Sends the generated files' rows (and BAD_RECORDS when asked) through the stream on moto. */
export async function sendThroughFirehose(
  clock: RunClock,
  s3: S3Client,
  options: {
    readonly bucket: string;
    readonly streamName: string;
    readonly bufferMiB: number;
    readonly bufferSeconds: number;
    readonly schema: DatasetSchema;
    readonly paths: readonly string[];
    readonly badRecords: boolean;
    readonly signal?: AbortSignal;
  },
): Promise<FirehoseIngest> {
  // Imported only now, as the handlers are: the client reads AWS_ENDPOINT_URL (moto) when created.
  const { CreateDeliveryStreamCommand, FirehoseClient, PutRecordBatchCommand } =
    await import('@aws-sdk/client-firehose');
  const firehose = new FirehoseClient({ region: REGION });
  const { bucket, streamName, signal } = options;
  return clock.step('firehose', async () => {
    await firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: streamName,
        DeliveryStreamType: 'DirectPut',
        ExtendedS3DestinationConfiguration: {
          BucketARN: `arn:aws:s3:::${bucket}`,
          RoleARN: 'arn:aws:iam::123456789012:role/local-firehose-delivery',
          Prefix: INGEST_OBJECT_PREFIX,
          ErrorOutputPrefix: INGEST_ERROR_OBJECT_PREFIX,
          CompressionFormat: 'GZIP',
          FileExtension: INGEST_FILE_EXTENSION,
          BufferingHints: { SizeInMBs: options.bufferMiB, IntervalInSeconds: options.bufferSeconds },
        },
      }),
    );
    const delivery = new MotoFirehoseDelivery(s3, {
      bucket,
      streamName,
      bufferBytes: options.bufferMiB * 1024 * 1024,
    });
    // The call being filled: its packed records (each with its row count), then the record being packed.
    let batch: { data: Uint8Array; rows: number }[] = [];
    let batchBytes = 0;
    let packed: Buffer[] = [];
    let packedBytes = 0;
    let records = 0;
    let firehoseRecords = 0;
    let calls = 0;
    // A few calls in flight at once, as a line PC's SDK would; moto's objects are matched to
    // their calls by content afterwards (moto-firehose-delivery.ts), so the order is kept.
    const inFlight = new Set<Promise<void>>();
    const made: Promise<void>[] = [];
    const send = async () => {
      if (batch.length === 0) return;
      signal?.throwIfAborted();
      const pending = batch;
      batch = [];
      batchBytes = 0;
      calls++;
      // The call's place in the order, its records and its time are noted now.
      delivery.sent(pending, new Date());
      const done = firehose
        .send(
          new PutRecordBatchCommand({
            DeliveryStreamName: streamName,
            Records: pending.map(({ data }) => ({ Data: data })),
          }),
        )
        .then((out) => {
          // moto never fails a record; a failure here would need the records resent in order.
          if ((out.FailedPutCount ?? 0) > 0)
            throw new Error(`firehose-ingest: ${out.FailedPutCount} records of a PutRecordBatch call failed`);
        });
      made.push(done);
      inFlight.add(done);
      const settle = () => void inFlight.delete(done);
      done.then(settle, settle);
      if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
    };
    /** Closes the record being packed and adds it to the call (sending the call first if full). */
    const seal = async () => {
      if (packed.length === 0) return;
      const data = Buffer.concat(packed, packedBytes);
      const rows = packed.length;
      packed = [];
      packedBytes = 0;
      if (
        batch.length === PUT_RECORD_BATCH_LIMITS.records ||
        batchBytes + data.length > PUT_RECORD_BATCH_LIMITS.requestBytes
      )
        await send();
      batch.push({ data, rows });
      batchBytes += data.length;
      firehoseRecords++;
    };
    const add = async (json: string) => {
      const row = Buffer.from(json + RECORD_SEPARATOR, 'utf8');
      if (row.length > PUT_RECORD_BATCH_LIMITS.recordBytes)
        throw new Error(`firehose-ingest: a row of ${row.length} bytes is over Firehose's record limit`);
      if (packedBytes + row.length > PACKED_RECORD_BYTES) await seal();
      packed.push(row);
      packedBytes += row.length;
      records++;
    };
    const numeric = new Set([...options.schema.features, options.schema.target]);
    for (const [i, path] of options.paths.entries()) {
      let header: string[] | null = null;
      for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
        if (header === null) {
          header = line.split(',');
          continue;
        }
        if (line.trim() !== '') await add(csvRowAsRecord(header, numeric, line));
      }
      if (options.badRecords && i === Math.min(1, options.paths.length - 1))
        for (const bad of BAD_RECORDS) await add(bad);
    }
    await seal();
    await send();
    await Promise.all(made);
    const objects = await delivery.finish();
    clock.say(
      `firehose: ${records} JSON Lines records in ${calls} PutRecordBatch calls ` +
        `(${firehoseRecords} Firehose records of up to ${PACKED_RECORD_BYTES / 1024} KiB) to stream ${streamName} on moto → ` +
        `${objects.length} object(s) in s3://${bucket}/${INGEST_OBJECT_PREFIX.split('!')[0]}`,
    );
    return { streamName, records, firehoseRecords, calls, objects };
  });
}
