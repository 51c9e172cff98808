/**
 * Where line telemetry enters the platform (the ingest stack) and how it is written: one home for
 * the MQTT topic, the raw-bucket prefixes the delivery stream writes, the object suffix it gives
 * them, and the record separator. The preprocess rule and handler read objects by the same
 * suffix (input-key.ts); a test holds the two together.
 */

/** Each line publishes to `factory/<line>/telemetry`: the rule reads the line id from the topic. */
export const TELEMETRY_TOPIC_FILTER = 'factory/+/telemetry';

/** The topic of one line, the only one its thing may publish to. */
export const telemetryTopic = (line: string): string => `factory/${line}/telemetry`;

/**
 * Delivered objects under `ingest/` by UTC date; records that Firehose could not deliver under
 * `ingest-errors/`, by error type and date (Firehose requires `!{firehose:error-output-type}`
 * in the error prefix when the prefix has expressions: Firehose developer guide, "Custom
 * prefixes for Amazon S3 objects").
 */
export const INGEST_PREFIX = 'ingest/';
export const INGEST_ERROR_PREFIX = 'ingest-errors/';
export const INGEST_OBJECT_PREFIX = `${INGEST_PREFIX}!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/`;
export const INGEST_ERROR_OBJECT_PREFIX = `${INGEST_ERROR_PREFIX}!{firehose:error-output-type}/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/`;

/** JSON Lines, gzip-compressed: the suffix the preprocess rule matches. */
export const INGEST_FILE_EXTENSION = '.jsonl.gz';

/**
 * The separator after each record: the topic rule's Firehose action adds it; direct
 * PutRecordBatch callers must end each record with it themselves (Firehose concatenates records).
 */
export const RECORD_SEPARATOR = '\n';

/**
 * The delivery stream's name for a platform prefix and stage (the ingest stack names its stream
 * so; the local pipeline creates the same one on moto_server).
 */
export const telemetryStreamName = (prefix: string, stage: string): string => `${prefix}-${stage}-telemetry`;
