import fc from 'fast-check';
import { decodePredictRequest, decodeRows, type DecodeOptions } from '../../../lambda/core/predict-request';
import { compileModel } from '../../../lambda/core/scoring';
import { artifactFixture } from '../model-fixture';

const model = compileModel(artifactFixture());
const reject: DecodeOptions = { maxRows: 1000, fillMissing: 'reject' };
const fill: DecodeOptions = { maxRows: 1000, fillMissing: 'mean' };
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
    expect(codes({ rows: [row({ colour: 1 })], model: 'x' })).toEqual([
      [undefined, 'model', 'unknown_field'],
      [0, 'colour', 'unknown_feature'],
    ]);
  });

  test('too many rows is reported once and every row is still checked', () => {
    const decoded = decodePredictRequest({ rows: [row(), row({ speed: 1 }), row()] }, model, {
      ...reject,
      maxRows: 2,
    });
    expect(decoded.problems.map((p) => [p.row, p.field, p.code])).toEqual([
      [undefined, 'rows', 'too_many_rows'],
      [1, 'speed', 'unknown_feature'],
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

  test('unknown features are listed with the model feature names in the message', () => {
    const decoded = decodePredictRequest({ rows: [row({ speed: 3, __proto__x: 1 })] }, model, reject);
    expect(decoded.problems.map((p) => p.field)).toEqual(['speed', '__proto__x']);
    expect(decoded.problems[0].message).toBe(
      'row 0: unknown feature "speed"; the model\'s features are temperature, pressure, vibration',
    );
  });

  test('a __proto__ key from JSON is an unknown feature, not a prototype change', () => {
    const body = JSON.parse(
      '{"rows":[{"category":"A","temperature":1,"pressure":2,"vibration":3,"__proto__":{"x":1}}]}',
    );
    expect(codes(body)).toEqual([[0, '__proto__', 'unknown_feature']]);
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
      reject,
    );
    expect(decoded.problems.map((p) => [p.row, p.field, p.code])).toEqual([
      [0, 'category', 'category_not_string'],
      [0, 'temperature', 'not_a_number'],
      [0, 'speed', 'unknown_feature'],
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
