import fc from 'fast-check';
import {
  decodePredictRequest,
  decodeRows,
  MAX_LISTED_IGNORED_FIELDS,
  type DecodeOptions,
} from '../../../lambda/core/predict-request';
import { compileModel } from '../../../lambda/core/scoring';
import { artifactFixture } from '../model-fixture';

const model = compileModel(artifactFixture());
const reject: DecodeOptions = { maxRows: 1000, fillMissing: 'reject' };
const fill: DecodeOptions = { maxRows: 1000, fillMissing: 'mean' };
const strict: DecodeOptions = { ...reject, extraFields: 'reject' };
const row = (extra: Record<string, unknown> = {}) => ({
  category: 'A',
  temperature: 71,
  pressure: 5.2,
  vibration: 0.21,
  ...extra,
});
const codes = (body: unknown, options = reject) =>
  decodePredictRequest(body, model, options).problems.map((p) => [p.row, p.field, p.code]);

describe('decodePredictRequest', () => {
  test('decodes valid rows into a row-major matrix in model feature order', () => {
    const decoded = decodePredictRequest(
      { rows: [row(), { vibration: 0.3, pressure: 6, category: 'B', temperature: 80 }] },
      model,
      reject,
    );
    expect(decoded.problemCount).toBe(0);
    expect(decoded.count).toBe(2);
    expect(Array.from(decoded.x)).toEqual([71, 5.2, 0.21, 80, 6, 0.3]);
    expect(decoded.categories).toEqual(['A', 'B']);
    expect(decoded.filled).toEqual([undefined, undefined]);
  });

  test('a body that is not an object is one body_not_object problem', () => {
    for (const body of [null, 3, 'rows', [row()], true]) {
      expect(codes(body)).toEqual([[undefined, undefined, 'body_not_object']]);
    }
  });

  test('a missing or non-array rows field is reported on the rows field', () => {
    expect(codes({})).toEqual([[undefined, 'rows', 'rows_missing']]);
    expect(codes({ rows: { a: 1 } })).toEqual([[undefined, 'rows', 'rows_not_array']]);
  });

  test('an empty rows array is a no_rows problem', () => {
    expect(codes({ rows: [] })).toEqual([[undefined, 'rows', 'no_rows']]);
  });

  test('unknown top-level fields are reported alongside the row problems', () => {
    expect(codes({ rows: [row({ colour: 1 })], model: 'x' }, strict)).toEqual([
      [undefined, 'model', 'unknown_field'],
      [0, 'colour', 'extra_field'],
    ]);
  });

  test('too many rows is reported once and every row is still checked', () => {
    const decoded = decodePredictRequest({ rows: [row(), row({ speed: 1 }), row()] }, model, {
      ...strict,
      maxRows: 2,
    });
    expect(decoded.problems.map((p) => [p.row, p.field, p.code])).toEqual([
      [undefined, 'rows', 'too_many_rows'],
      [1, 'speed', 'extra_field'],
    ]);
    expect(decoded.problems[0].message).toBe('3 rows is more than the limit of 2 per request');
  });

  test('a row that is not an object is a row_not_object problem with its index', () => {
    expect(codes({ rows: [row(), 5, null, []] })).toEqual([
      [1, undefined, 'row_not_object'],
      [2, undefined, 'row_not_object'],
      [3, undefined, 'row_not_object'],
    ]);
  });

  test('keys that are not model inputs are ignored by default and listed once over the request', () => {
    const real = (i: number) =>
      row({ UDI: i, 'Product ID': `M${i}`, 'Machine failure': 0, 'Air temperature [K]': 300 });
    const decoded = decodePredictRequest({ rows: [real(1), real(2), row({ speed: 3 })] }, model, reject);
    expect(decoded.problemCount).toBe(0);
    expect(decoded.ignoredFields).toEqual([
      'UDI',
      'Product ID',
      'Machine failure',
      'Air temperature [K]',
      'speed',
    ]);
    expect(decoded.ignoredFieldCount).toBe(5);
    expect(Array.from(decoded.x.subarray(0, 3))).toEqual([71, 5.2, 0.21]);
  });

  test('ignored names are listed up to the cap and all counted', () => {
    const extra = Object.fromEntries(Array.from({ length: 150 }, (_, k) => [`x${k}`, k]));
    const decoded = decodePredictRequest({ rows: [row(extra)] }, model, reject);
    expect(decoded.ignoredFields).toHaveLength(MAX_LISTED_IGNORED_FIELDS);
    expect(decoded.ignoredFieldCount).toBe(150);
  });

  test('with extraFields reject, a row with extra keys is one problem naming each key once, without the feature list', () => {
    const body = { rows: [row({ UDI: 1, 'Product ID': 'M1', TWF: 0, HDF: 0, PWF: 0, OSF: 0, RNF: 0 })] };
    const decoded = decodePredictRequest(body, model, strict);
    expect(decoded.problems).toEqual([
      {
        row: 0,
        field: 'UDI',
        fields: ['UDI', 'Product ID', 'TWF', 'HDF', 'PWF', 'OSF', 'RNF'],
        code: 'extra_field',
        message:
          'row 0: 7 fields not in the model: "UDI", "Product ID", "TWF", "HDF", "PWF" and 2 more (this service rejects fields that are not model inputs; GET /model lists them)',
      },
    ]);
    expect(decoded.ignoredFields).toEqual([]);
  });

  test('a __proto__ key from JSON is an extra field, not a prototype change', () => {
    const body = JSON.parse(
      '{"rows":[{"category":"A","temperature":1,"pressure":2,"vibration":3,"__proto__":{"x":1}}]}',
    );
    expect(codes(body, strict)).toEqual([[0, '__proto__', 'extra_field']]);
    expect(decodePredictRequest(body, model, reject).ignoredFields).toEqual(['__proto__']);
  });

  test('an unknown category is decoded by default and, with unknownCategory reject, is a problem', () => {
    expect(codes({ rows: [row({ category: 'Z' })] })).toEqual([]);
    const decoded = decodePredictRequest({ rows: [row(), row({ category: 'Z' })] }, model, {
      ...reject,
      unknownCategory: 'reject',
    });
    expect(decoded.problems).toEqual([
      {
        row: 1,
        field: 'category',
        code: 'unknown_category',
        message:
          'row 1: "category" the string "Z" has no training profile (this service rejects unknown categories)',
      },
    ]);
    expect(Array.from(decoded.rowInvalid)).toEqual([0, 1]);
  });

  test('an unknown category is reported beside the other problems of its row, and a non-string category only once', () => {
    const options: DecodeOptions = { ...reject, unknownCategory: 'reject' };
    expect(
      codes({ rows: [row({ category: 'Z', temperature: 'x' }), row({ category: 7 })] }, options),
    ).toEqual([
      [0, 'temperature', 'not_a_number'],
      [0, 'category', 'unknown_category'],
      [1, 'category', 'category_not_string'],
    ]);
  });

  test('a row whose w·x overflows a double is an overflow problem naming the feature', () => {
    // The fixture's weights are 0.5, -0.25 and 2: 1.7e308 × 2 is past the largest double, and
    // 8.5e307 + 1e308 sum past it.
    const decoded = decodePredictRequest(
      { rows: [row(), row({ vibration: 1.7e308 }), row({ temperature: 1.7e308, vibration: 5e307 })] },
      model,
      reject,
    );
    expect(decoded.problems.map((p) => [p.row, p.field, p.code])).toEqual([
      [1, 'vibration', 'overflow'],
      [2, 'vibration', 'overflow'],
    ]);
    expect(decoded.problems[0].message).toBe(
      'row 1: no finite prediction: "vibration" = 1.7e+308 times its weight 2 overflows a double',
    );
    expect(decoded.problems[1].message).toBe(
      'row 2: no finite prediction: the terms w·x sum past the largest double (the largest, "vibration", is 5e+307 × 2)',
    );
    expect(Array.from(decoded.rowInvalid)).toEqual([0, 1, 1]);
  });

  test('missing features and null values are rejected by default, each with row and field', () => {
    expect(codes({ rows: [{ category: 'A', temperature: 1 }, row({ pressure: null })] })).toEqual([
      [0, 'pressure', 'missing_feature'],
      [0, 'vibration', 'missing_feature'],
      [1, 'pressure', 'missing_feature'],
    ]);
    const decoded = decodePredictRequest({ rows: [row({ pressure: null })] }, model, reject);
    expect(decoded.problems[0].message).toMatch(/^row 0: "pressure" is null/);
  });

  test('a missing category and a non-string category are reported', () => {
    const { category: _omit, ...noCategory } = row();
    expect(codes({ rows: [noCategory, row({ category: 7 })] })).toEqual([
      [0, 'category', 'missing_category'],
      [1, 'category', 'category_not_string'],
    ]);
  });

  test('strings, booleans, arrays and objects are not numbers', () => {
    expect(
      codes({
        rows: [row({ temperature: '71', pressure: true, vibration: [1] }), row({ vibration: { v: 1 } })],
      }),
    ).toEqual([
      [0, 'temperature', 'not_a_number'],
      [0, 'pressure', 'not_a_number'],
      [0, 'vibration', 'not_a_number'],
      [1, 'vibration', 'not_a_number'],
    ]);
  });

  test('NaN and Infinity as strings, and 1e999 parsed to Infinity, are not_finite', () => {
    const body = JSON.parse(
      '{"rows":[{"category":"A","temperature":1e999,"pressure":-1e999,"vibration":"NaN"},' +
        '{"category":"A","temperature":"Infinity","pressure":"-inf","vibration":0}]}',
    );
    expect(codes(body)).toEqual([
      [0, 'temperature', 'not_finite'],
      [0, 'pressure', 'not_finite'],
      [0, 'vibration', 'not_finite'],
      [1, 'temperature', 'not_finite'],
      [1, 'pressure', 'not_finite'],
    ]);
    const decoded = decodePredictRequest(body, model, reject);
    expect(decoded.problems[0].message).toBe(
      'row 0: "temperature" must be a finite number, got Infinity (a number too large for a double, like 1e999, parses as Infinity)',
    );
  });

  test('every problem of every row is collected, not only the first', () => {
    const decoded = decodePredictRequest(
      { rows: [{ category: 1, temperature: 'x', speed: 2 }, row(), { pressure: NaN }] },
      model,
      strict,
    );
    expect(decoded.problems.map((p) => [p.row, p.field, p.code])).toEqual([
      [0, 'category', 'category_not_string'],
      [0, 'temperature', 'not_a_number'],
      [0, 'speed', 'extra_field'],
      [0, 'pressure', 'missing_feature'],
      [0, 'vibration', 'missing_feature'],
      [2, 'pressure', 'not_finite'],
      [2, 'category', 'missing_category'],
      [2, 'temperature', 'missing_feature'],
      [2, 'vibration', 'missing_feature'],
    ]);
    expect(Array.from(decoded.rowInvalid)).toEqual([1, 0, 1]);
  });

  test('problems beyond the listing cap are counted but not listed', () => {
    const decoded = decodePredictRequest({ rows: [{}, {}, {}] }, model, { ...reject, maxListedProblems: 5 });
    expect(decoded.problemCount).toBe(12);
    expect(decoded.problems).toHaveLength(5);
  });

  test('with fill = mean a known category is filled from its profile mean and says so', () => {
    const decoded = decodePredictRequest(
      { rows: [{ category: 'B', temperature: 81, vibration: null }] },
      model,
      fill,
    );
    expect(decoded.problemCount).toBe(0);
    expect(Array.from(decoded.x)).toEqual([81, 6, 0.3]);
    expect(decoded.filled[0]).toEqual([1, 2]);
    expect(decoded.fillSource[0]).toBe('category-mean');
  });

  test('with fill = mean an unknown category is filled from the global training mean', () => {
    const decoded = decodePredictRequest({ rows: [{ category: 'Z', pressure: 6 }] }, model, fill);
    expect(Array.from(decoded.x)).toEqual([75, 6, 0.25]);
    expect(decoded.fillSource[0]).toBe('global-mean');
  });

  test('with fill = mean non-numbers are still rejected', () => {
    expect(codes({ rows: [row({ pressure: 'high' })] }, fill)).toEqual([[0, 'pressure', 'not_a_number']]);
  });

  test('decodeRows flags invalid rows and fully decodes the valid ones', () => {
    const decoded = decodeRows([row({ temperature: 'x' }), row({ temperature: 72 })], model, reject);
    expect(Array.from(decoded.rowInvalid)).toEqual([1, 0]);
    expect(Array.from(decoded.x.subarray(3, 6))).toEqual([72, 5.2, 0.21]);
  });

  test('arbitrary JSON values never make the decoder throw, and rows are valid exactly when no problem names them', () => {
    const key = fc.oneof(
      fc.constantFrom('category', 'temperature', 'pressure', 'vibration', '__proto__', 'rows'),
      fc.string(),
    );
    const value = fc.oneof(
      fc.double(),
      fc.string(),
      fc.constantFrom(null, true, 'NaN', 'A', 'B', Infinity, -Infinity, NaN),
      fc.jsonValue(),
    );
    const rowArb = fc.oneof(fc.dictionary(key, value), fc.jsonValue());
    const body = fc.oneof(
      fc.jsonValue(),
      fc.record({ rows: fc.array(rowArb, { maxLength: 8 }) }),
      fc.dictionary(fc.constantFrom('rows', 'x'), fc.array(rowArb, { maxLength: 4 })),
    );
    fc.assert(
      fc.property(body, fc.constantFrom(reject, fill, { ...reject, maxRows: 2 }), (b, options) => {
        const decoded = decodePredictRequest(b, model, options);
        expect(decoded.problemCount).toBe(decoded.problems.length);
        for (let i = 0; i < decoded.count; i++) {
          const named = decoded.problems.some((p) => p.row === i);
          expect(decoded.rowInvalid[i] === 1).toBe(named);
        }
        if (decoded.problemCount === 0) {
          expect(decoded.x.length).toBe(decoded.count * 3);
          expect(decoded.x.every(Number.isFinite)).toBe(true);
        }
        for (const p of decoded.problems) expect(p.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });
});
