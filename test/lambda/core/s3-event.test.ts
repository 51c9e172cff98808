import fc from 'fast-check';
import { ValidationError } from '../../../lambda/core/errors';
import {
  decodeEventKey,
  decodeObjectEvent,
  encodeEventKey,
  objectCreatedEvent,
  objectDeletedEvent,
} from '../../../lambda/core/s3-event';

const eventBridge = (object: Record<string, unknown>, detailType = 'Object Created') => ({
  version: '0',
  'detail-type': detailType,
  source: 'aws.s3',
  detail: { version: '0', bucket: { name: 'raw' }, object, reason: 'PutObject' },
});

const notification = (...records: unknown[]) => ({ Records: records });
const record = (eventName: string, object: Record<string, unknown>) => ({
  eventSource: 'aws:s3',
  eventName,
  s3: { bucket: { name: 'raw' }, object },
});

describe('decodeEventKey', () => {
  it('turns + into a space and %2B into a plus, as S3 encodes keys', () => {
    expect(decodeEventKey('plant+a/line%2B1+2024.csv')).toBe('plant a/line+1 2024.csv');
  });

  it('decodes percent-encoded UTF-8', () => {
    expect(decodeEventKey('%E8%BD%A6%E9%97%B4/%C3%BC.csv')).toBe('车间/ü.csv');
  });

  it('rejects malformed percent encoding with a ValidationError', () => {
    expect(() => decodeEventKey('bad%E8.csv')).toThrow(ValidationError);
  });

  it('inverts encodeEventKey for every key', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 60 }),
        (key) => decodeEventKey(encodeEventKey(key)) === key,
      ),
    );
  });
});

describe('decodeObjectEvent', () => {
  it('decodes an EventBridge Object Created event', () => {
    const decoded = decodeObjectEvent(
      eventBridge({ key: 'a+b/c.csv', size: 123, etag: 'abc', 'version-id': 'v1', sequencer: '0A' }),
    );
    expect(decoded).toEqual({
      objects: [
        {
          bucket: 'raw',
          key: 'a b/c.csv',
          size: 123,
          etag: 'abc',
          versionId: 'v1',
          sequencer: '0A',
          source: 'eventbridge',
        },
      ],
      removed: [],
      ignored: [],
    });
  });

  it('leaves out the version of an unversioned object', () => {
    const [object] = decodeObjectEvent(eventBridge({ key: 'x.csv', size: 1 })).objects;
    expect(object).toEqual({ bucket: 'raw', key: 'x.csv', size: 1, source: 'eventbridge' });
  });

  it('ignores other EventBridge S3 detail types', () => {
    expect(decodeObjectEvent(eventBridge({ key: 'x.csv' }, 'Object Restore Completed'))).toEqual({
      objects: [],
      removed: [],
      ignored: [{ reason: 'not_object_created', detail: 'detail-type Object Restore Completed' }],
    });
  });

  it('decodes an EventBridge Object Deleted event as a removal', () => {
    const event = eventBridge({ key: 'a+b/c.csv', 'version-id': 'dm1', sequencer: '0B' }, 'Object Deleted');
    (event.detail as Record<string, unknown>)['deletion-type'] = 'Delete Marker Created';
    expect(decodeObjectEvent(event)).toEqual({
      objects: [],
      removed: [
        {
          bucket: 'raw',
          key: 'a b/c.csv',
          versionId: 'dm1',
          deletionType: 'Delete Marker Created',
          sequencer: '0B',
          source: 'eventbridge',
        },
      ],
      ignored: [],
    });
  });

  it('decodes every ObjectCreated and ObjectRemoved record of an S3 notification and ignores the rest', () => {
    const decoded = decodeObjectEvent(
      notification(
        record('ObjectCreated:Put', { key: 'one%2B.csv', size: 10, eTag: '"e1"', versionId: 'v1' }),
        record('ObjectRemoved:Delete', { key: 'gone.csv', versionId: 'v0' }),
        record('ObjectCreated:CompleteMultipartUpload', { key: 'two.csv', size: '20', versionId: 'null' }),
        record('ObjectTagging:Put', { key: 'three.csv' }),
      ),
    );
    expect(decoded.objects).toEqual([
      { bucket: 'raw', key: 'one+.csv', size: 10, etag: 'e1', versionId: 'v1', source: 's3-notification' },
      { bucket: 'raw', key: 'two.csv', size: 20, source: 's3-notification' },
    ]);
    expect(decoded.removed).toEqual([
      { bucket: 'raw', key: 'gone.csv', versionId: 'v0', deletionType: 'Delete', source: 's3-notification' },
    ]);
    expect(decoded.ignored).toEqual([
      { reason: 'not_object_created', detail: 'Records[3].eventName ObjectTagging:Put' },
    ]);
  });

  it.each([
    ['a string', 'hello', /JSON object/],
    ['an unknown shape', { hello: 1 }, /neither/],
    ['a missing key', eventBridge({ size: 1 }), /detail\.object\.key/],
    ['a negative size', eventBridge({ key: 'a.csv', size: -1 }), /detail\.object\.size/],
    ['a record without s3', notification({ eventName: 'ObjectCreated:Put' }), /Records\[0\]\.s3/],
    [
      'a missing bucket name',
      notification({ eventName: 'ObjectCreated:Put', s3: { bucket: {}, object: { key: 'a.csv' } } }),
      /Records\[0\]\.s3\.bucket\.name/,
    ],
  ])('rejects %s with a ValidationError naming the problem', (_name, event, message) => {
    expect(() => decodeObjectEvent(event)).toThrow(ValidationError);
    expect(() => decodeObjectEvent(event)).toThrow(message);
  });
});

describe('objectCreatedEvent', () => {
  it('builds an EventBridge event that decodes back to the object', () => {
    const event = objectCreatedEvent({
      bucket: 'raw',
      key: 'a b/c+d.csv',
      size: 5,
      versionId: 'v1',
      etag: '"e"',
    });
    expect(decodeObjectEvent(event).objects).toEqual([
      { bucket: 'raw', key: 'a b/c+d.csv', size: 5, versionId: 'v1', etag: 'e', source: 'eventbridge' },
    ]);
  });
});

describe('objectDeletedEvent', () => {
  it('builds an EventBridge Object Deleted event that decodes back to the removal', () => {
    const event = objectDeletedEvent({ bucket: 'raw', key: 'a b/c+d.csv', versionId: 'dm' });
    expect(decodeObjectEvent(event)).toEqual({
      objects: [],
      removed: [
        {
          bucket: 'raw',
          key: 'a b/c+d.csv',
          versionId: 'dm',
          deletionType: 'Delete Marker Created',
          source: 'eventbridge',
        },
      ],
      ignored: [],
    });
  });
});

describe('decodeObjectEvent on arbitrary input', () => {
  const field = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant(undefined), fc.object());
  const nearEvent = fc.oneof(
    fc.anything(),
    fc.record({
      source: fc.constant('aws.s3'),
      'detail-type': fc.constantFrom('Object Created', 'Object Deleted', 'x'),
      detail: fc.oneof(
        fc.anything(),
        fc.record({
          bucket: fc.oneof(field, fc.record({ name: field })),
          object: fc.oneof(field, fc.record({ key: field, size: field, etag: field, 'version-id': field })),
        }),
      ),
    }),
    fc.record({
      Records: fc.array(
        fc.oneof(
          fc.anything(),
          fc.record({
            eventName: fc.constantFrom('ObjectCreated:Put', 'ObjectRemoved:Delete'),
            s3: fc.oneof(
              field,
              fc.record({
                bucket: fc.record({ name: field }),
                object: fc.record({ key: field, size: field, versionId: field }),
              }),
            ),
          }),
        ),
      ),
    }),
  );

  it('either decodes or throws a ValidationError, never anything else', () => {
    fc.assert(
      fc.property(nearEvent, (event) => {
        try {
          const decoded = decodeObjectEvent(event);
          return [...decoded.objects, ...decoded.removed].every(
            (o) => typeof o.key === 'string' && typeof o.bucket === 'string',
          );
        } catch (error) {
          return error instanceof ValidationError;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
