/**
 * Decoding the events that start preprocessing: EventBridge "Object Created" (and "Object
 * Deleted") from the raw bucket and the classic S3 notification shape (`Records[].s3`,
 * `ObjectCreated:*` and `ObjectRemoved:*`). Object keys arrive URL-encoded the way S3
 * encodes them (form encoding: a space is `+`, a literal `+` is `%2B`) and are decoded exactly so.
 * Pure: plain data in, plain data out; anything malformed is a ValidationError naming the field.
 */
import { ValidationError } from './errors';

/** One created object, decoded. */
export interface ObjectCreated {
  readonly bucket: string;
  /** The real object key (decoded). */
  readonly key: string;
  /** Size in bytes from the event, when it says. */
  readonly size?: number;
  /** The version id when the bucket is versioned (absent, not "null", when the event has none). */
  readonly versionId?: string;
  /** The ETag without quotes. */
  readonly etag?: string;
  /** Event sequencer (hex), for ordering events of one key. */
  readonly sequencer?: string;
  readonly source: 'eventbridge' | 's3-notification';
}

/** One removed object (a delete marker created, or a version permanently deleted), decoded. */
export interface ObjectRemoved {
  readonly bucket: string;
  /** The real object key (decoded). */
  readonly key: string;
  /** The deleted version's id, or the new delete marker's. */
  readonly versionId?: string;
  /** EventBridge `deletion-type` or the notification's event name suffix, as S3 says it. */
  readonly deletionType?: string;
  readonly sequencer?: string;
  readonly source: 'eventbridge' | 's3-notification';
}

/**
 * A record that is neither an object creation nor a removal (restore, tagging, ...): skipped,
 * with why. (The code predates removals; it means "not an event preprocessing acts on".)
 */
export interface IgnoredRecord {
  readonly reason: 'not_object_created';
  readonly detail: string;
}

export interface DecodedEvent {
  readonly objects: readonly ObjectCreated[];
  readonly removed: readonly ObjectRemoved[];
  readonly ignored: readonly IgnoredRecord[];
}

/** Decodes a key as it appears in an S3 event: `+` is a space, then percent-decoding (UTF-8). */
export function decodeEventKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch {
    throw new ValidationError(`object key ${JSON.stringify(encoded)} is not valid URL encoding`);
  }
}

/**
 * Encodes a key the way S3 writes it into events (for tests and the local pipeline): form
 * encoding, space → `+`, `/` kept.
 */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ValidationError(`event field ${field} must be a non-empty string`);
  }
  return value;
}

function optionalStr(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new ValidationError(`event field ${field} must be a string`);
  return value;
}

function optionalSize(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new ValidationError(`event field ${field} must be a whole number of bytes`);
  }
  return n;
}

function unquote(etag: string | undefined): string | undefined {
  return etag === undefined ? undefined : etag.replace(/^"(.*)"$/, '$1');
}

/** S3 puts the string "null" in versionId for unversioned buckets in some deliveries. */
function versionOf(value: unknown, field: string): string | undefined {
  const v = optionalStr(value, field);
  return v === 'null' ? undefined : v;
}

function fromEventBridge(event: Json): DecodedEvent {
  const type = event['detail-type'];
  if (type !== 'Object Created' && type !== 'Object Deleted') {
    return {
      objects: [],
      removed: [],
      ignored: [{ reason: 'not_object_created', detail: `detail-type ${String(type)}` }],
    };
  }
  const detail = event.detail;
  if (!isObject(detail)) throw new ValidationError('event field detail must be an object');
  const bucket = detail.bucket;
  const object = detail.object;
  if (!isObject(bucket)) throw new ValidationError('event field detail.bucket must be an object');
  if (!isObject(object)) throw new ValidationError('event field detail.object must be an object');
  if (type === 'Object Deleted') {
    const removed: ObjectRemoved = {
      bucket: str(bucket.name, 'detail.bucket.name'),
      key: decodeEventKey(str(object.key, 'detail.object.key')),
      versionId: versionOf(object['version-id'], 'detail.object.version-id'),
      deletionType: optionalStr(detail['deletion-type'], 'detail.deletion-type'),
      sequencer: optionalStr(object.sequencer, 'detail.object.sequencer'),
      source: 'eventbridge',
    };
    return { objects: [], removed: [withoutUndefined(removed)], ignored: [] };
  }
  const created: ObjectCreated = {
    bucket: str(bucket.name, 'detail.bucket.name'),
    key: decodeEventKey(str(object.key, 'detail.object.key')),
    size: optionalSize(object.size, 'detail.object.size'),
    versionId: versionOf(object['version-id'], 'detail.object.version-id'),
    etag: unquote(optionalStr(object.etag, 'detail.object.etag')),
    sequencer: optionalStr(object.sequencer, 'detail.object.sequencer'),
    source: 'eventbridge',
  };
  return { objects: [withoutUndefined(created)], removed: [], ignored: [] };
}

function fromNotification(records: unknown[]): DecodedEvent {
  const objects: ObjectCreated[] = [];
  const removed: ObjectRemoved[] = [];
  const ignored: IgnoredRecord[] = [];
  records.forEach((record, i) => {
    const at = `Records[${i}]`;
    if (!isObject(record)) throw new ValidationError(`event field ${at} must be an object`);
    const name = record.eventName;
    const created = typeof name === 'string' && name.startsWith('ObjectCreated:');
    const gone = typeof name === 'string' && name.startsWith('ObjectRemoved:');
    if (!created && !gone) {
      ignored.push({ reason: 'not_object_created', detail: `${at}.eventName ${String(name)}` });
      return;
    }
    const s3 = record.s3;
    if (!isObject(s3) || !isObject(s3.bucket) || !isObject(s3.object)) {
      throw new ValidationError(`event field ${at}.s3 must hold bucket and object`);
    }
    const object = s3.object;
    if (gone) {
      removed.push(
        withoutUndefined({
          bucket: str(s3.bucket.name, `${at}.s3.bucket.name`),
          key: decodeEventKey(str(object.key, `${at}.s3.object.key`)),
          versionId: versionOf(object.versionId, `${at}.s3.object.versionId`),
          deletionType: (name as string).slice('ObjectRemoved:'.length),
          sequencer: optionalStr(object.sequencer, `${at}.s3.object.sequencer`),
          source: 's3-notification' as const,
        }),
      );
      return;
    }
    objects.push(
      withoutUndefined({
        bucket: str(s3.bucket.name, `${at}.s3.bucket.name`),
        key: decodeEventKey(str(object.key, `${at}.s3.object.key`)),
        size: optionalSize(object.size, `${at}.s3.object.size`),
        versionId: versionOf(object.versionId, `${at}.s3.object.versionId`),
        etag: unquote(optionalStr(object.eTag, `${at}.s3.object.eTag`)),
        sequencer: optionalStr(object.sequencer, `${at}.s3.object.sequencer`),
        source: 's3-notification',
      }),
    );
  });
  return { objects, removed, ignored };
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Decodes either event shape; a ValidationError for anything else. */
export function decodeObjectEvent(event: unknown): DecodedEvent {
  if (!isObject(event)) throw new ValidationError('event must be a JSON object');
  if (Array.isArray(event.Records)) return fromNotification(event.Records);
  if (event.source === 'aws.s3' && 'detail' in event) return fromEventBridge(event);
  throw new ValidationError('event is neither an EventBridge S3 event nor an S3 notification (Records[])');
}

/**
 * The EventBridge "Object Created" event S3 sends for one object (key encoded as S3 encodes it):
 * what the local pipeline and tests deliver to the handler.
 */
export function objectCreatedEvent(object: {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly versionId?: string;
  readonly etag?: string;
  readonly region?: string;
}): Record<string, unknown> {
  return eventBridgeEnvelope(
    'Object Created',
    `local-${object.bucket}-${object.key}-${object.versionId ?? object.etag ?? 'unversioned'}`,
    object,
    {
      object: withoutUndefined({
        key: encodeEventKey(object.key),
        size: object.size,
        etag: object.etag?.replace(/^"(.*)"$/, '$1'),
        'version-id': object.versionId,
      }),
      reason: 'PutObject',
    },
  );
}

/** The EventBridge "Object Deleted" event S3 sends for one object (tests, the local pipeline). */
export function objectDeletedEvent(object: {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly deletionType?: 'Delete Marker Created' | 'Permanently Deleted';
  readonly region?: string;
}): Record<string, unknown> {
  return eventBridgeEnvelope(
    'Object Deleted',
    `local-delete-${object.bucket}-${object.key}-${object.versionId ?? 'unversioned'}`,
    object,
    {
      object: withoutUndefined({ key: encodeEventKey(object.key), 'version-id': object.versionId }),
      reason: 'DeleteObject',
      'deletion-type': object.deletionType ?? 'Delete Marker Created',
    },
  );
}

/** What every S3 EventBridge event around `detail` carries, fixed so replays are identical. */
function eventBridgeEnvelope(
  detailType: 'Object Created' | 'Object Deleted',
  id: string,
  object: { readonly bucket: string; readonly region?: string },
  detail: Record<string, unknown>,
): Record<string, unknown> {
  return {
    version: '0',
    id,
    'detail-type': detailType,
    source: 'aws.s3',
    account: '000000000000',
    time: '1970-01-01T00:00:00Z',
    region: object.region ?? 'eu-west-1',
    resources: [`arn:aws:s3:::${object.bucket}`],
    detail: {
      version: '0',
      bucket: { name: object.bucket },
      object: detail.object,
      'request-id': 'local',
      requester: '000000000000',
      ...Object.fromEntries(Object.entries(detail).filter(([key]) => key !== 'object')),
    },
  };
}
