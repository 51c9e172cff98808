import fc from 'fast-check';
import {
  DEFAULT_DATASET_SCHEMA,
  decodeSchema,
  encodeSchema,
  schemaColumns,
  textColumns,
  type DatasetSchema,
} from '../../../lambda/core/dataset-schema';

/** Any non-empty text a CSV header cell can hold: spaces, brackets, commas, quotes, non-ASCII. */
const columnName = fc.oneof(
  fc.string({ minLength: 1, maxLength: 24, unit: 'grapheme' }),
  fc.constantFrom(
    'Torque [Nm]',
    'Rotational speed [rpm]',
    'Air temperature [K]',
    'a,b',
    'say "hi"',
    ' padded ',
  ),
);

const schemaArb: fc.Arbitrary<DatasetSchema> = fc
  .uniqueArray(columnName, { minLength: 4, maxLength: 10 })
  .chain((names) =>
    fc
      .record({
        hasTimestamp: fc.boolean(),
        idCount: fc.integer({ min: 0, max: names.length - 3 }),
      })
      .map(({ hasTimestamp, idCount }) => {
        const [category, target, ...rest] = names;
        const timestamp = hasTimestamp && rest.length > 1 ? rest.pop() : undefined;
        const ids = rest.splice(0, Math.min(idCount, rest.length - 1));
        return { ...(timestamp === undefined ? {} : { timestamp }), ids, category, features: rest, target };
      }),
  );

describe('dataset schema', () => {
  it('round-trips any column names a CSV header can hold through the environment encoding', () => {
    fc.assert(
      fc.property(schemaArb, (schema) => {
        expect(decodeSchema(encodeSchema(schema))).toEqual(schema);
      }),
    );
  });

  it('accepts names with spaces, brackets and units', () => {
    const schema = decodeSchema(
      JSON.stringify({
        ids: ['Product ID'],
        category: 'Type',
        features: ['Air temperature [K]', 'Rotational speed [rpm]', 'Torque [Nm]'],
        target: 'Machine failure',
      }),
    );
    expect(schemaColumns(schema)).toEqual([
      'Product ID',
      'Type',
      'Air temperature [K]',
      'Rotational speed [rpm]',
      'Torque [Nm]',
      'Machine failure',
    ]);
  });

  it('treats timestamp and ids as optional', () => {
    const schema = decodeSchema('{"category":"c","features":["x"],"target":"y"}');
    expect(schema).toEqual({ ids: [], category: 'c', features: ['x'], target: 'y' });
    expect(textColumns(schema)).toEqual(['c']);
    expect(
      decodeSchema('{"timestamp":null,"ids":null,"category":"c","features":["x"],"target":"y"}'),
    ).toEqual(schema);
  });

  it('lists the timestamp first among the text columns when there is one', () => {
    expect(textColumns(DEFAULT_DATASET_SCHEMA)).toEqual(['timestamp', 'line_id', 'category']);
  });

  it.each([
    ['not JSON', '{', /not valid JSON/],
    ['a list', '[]', /must be a JSON object/],
    [
      'an unknown key',
      '{"category":"c","features":["x"],"target":"y","feature":["z"]}',
      /unknown key "feature"/,
    ],
    ['an empty timestamp', '{"timestamp":"","category":"c","features":["x"],"target":"y"}', /"timestamp"/],
    ['no category', '{"features":["x"],"target":"y"}', /"category" must be a non-empty string/],
    ['no features', '{"category":"c","features":[],"target":"y"}', /"features" must not be empty/],
    [
      'an id that is not text',
      '{"ids":[1],"category":"c","features":["x"],"target":"y"}',
      /"ids" must be a list/,
    ],
    ['a column named twice', '{"category":"x","features":["x"],"target":"y"}', /column "x" is named twice/],
  ])('refuses %s', (_, text, message) => {
    expect(() => decodeSchema(text)).toThrow(message);
  });
});
