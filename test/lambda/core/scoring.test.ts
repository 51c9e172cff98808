import fc from 'fast-check';
import { decodePredictRequest } from '../../../lambda/core/predict-request';
import { artifactProblems } from '../../../lambda/core/model-artifact';
import { compileModel, InvalidModelError, predictRow, predictRows } from '../../../lambda/core/scoring';
import { artifactFixture } from '../model-fixture';

const model = compileModel(artifactFixture());
const options = { anomalyZ: 3 };
const score = (values: number[], category = 'A') =>
  predictRow(model, Float64Array.from(values), 0, category, options);

describe('compileModel', () => {
  test('builds the feature index and typed tables once per artifact', () => {
    expect(model.version).toBe('20240501T100000Z-abc123');
    expect(model.categoryKey).toBe('category');
    expect([...model.featureIndex]).toEqual([
      ['temperature', 0],
      ['pressure', 1],
      ['vibration', 2],
    ]);
    expect(Array.from(model.profiles.get('B')!.std)).toEqual([0, 0.5, NaN]);
    expect(Array.from(model.categoryMean('A')!)).toEqual([70, 5, 0.2]);
    expect(model.categoryMean('Z')).toBeUndefined();
  });

  test('rejects an invalid artifact listing every defect, each once', () => {
    const bad = { ...artifactFixture(), weights: [1, 2], bias: 'x', format: 'other' };
    expect(() => compileModel(bad)).toThrow(InvalidModelError);
    expect(artifactProblems(bad)).toEqual([
      'format: expected "aiaas-factory/linear-model@1"',
      'bias: must be a finite number',
    ]);
  });

  test('rejects non-objects, duplicate features and a feature named like the category', () => {
    expect(artifactProblems(null)).toEqual(['the artifact is not a JSON object']);
    expect(artifactProblems(artifactFixture({ features: ['a', 'a', 'b'] }))).toContain(
      'features: must be distinct',
    );
    expect(artifactProblems(artifactFixture({ features: ['category', 'a', 'b'] }))).toContain(
      'features: must not include the category column "category"',
    );
  });

  test.each(['bias', '__proto__', 'constructor', 'Torque [Nm]'])(
    'serves a feature named %j as a plain key of the records',
    (name) => {
      const odd = compileModel(artifactFixture({ features: [name, 'pressure', 'vibration'] }));
      const result = predictRow(odd, Float64Array.from([72, 5.5, 0.3]), 0, 'A', options);
      expect(Object.keys(result.contributions)).toEqual([name, 'pressure', 'vibration']);
      expect(Object.getPrototypeOf(result.contributions)).toBe(Object.prototype);
      expect(result.contributions[name]).toBe(36);
      expect(result.bias).toBe(10);
      expect(JSON.parse(JSON.stringify(result)).contributions[name]).toBe(36);
      expect(Object.keys(result.zScores!)).toEqual([name, 'pressure', 'vibration']);
    },
  );

  test('feature names with quotes, backslashes and line separators are plain keys of the records', () => {
    const names = ['a"b', "c\\d'); throw 1; ('", 'e\u2028f'];
    const odd = compileModel(artifactFixture({ features: names }));
    const result = predictRow(odd, Float64Array.from([1, 2, 3]), 0, 'A', options);
    expect(Object.keys(result.contributions)).toEqual(names);
    expect(Object.keys(result.zScores!)).toEqual(names);
    expect(result.contributions[names[1]]).toBe(-0.5);
  });

  test('without code generation the records are built key by key, with the same result', () => {
    const original = globalThis.Function;
    globalThis.Function = function () {
      throw new EvalError('Code generation from strings disallowed for this context');
    } as unknown as FunctionConstructor;
    let plain: ReturnType<typeof compileModel>;
    try {
      plain = compileModel(artifactFixture());
    } finally {
      globalThis.Function = original;
    }
    expect(String(plain!.contributionsRecord)).not.toContain('return {');
    expect(String(model.contributionsRecord)).toContain('return { "temperature": v[0]');
    const x = Float64Array.from([72, 5.5, 0.3]);
    expect(predictRow(plain!, x, 0, 'B', options)).toEqual(predictRow(model, x, 0, 'B', options));
    expect(Object.keys(predictRow(plain!, x, 0, 'A', options).contributions)).toEqual([
      'temperature',
      'pressure',
      'vibration',
    ]);
  });

  test('rejects a profile with the wrong length or a negative spread', () => {
    const profiles = { A: { count: 3, mean: [1, 2], std: [1, -1, 1] } };
    expect(artifactProblems(artifactFixture({ profiles }))).toEqual([
      'profiles.A.std[1]: must not be negative',
      'profiles.A.mean: has 2 entries, expected 3 (one per feature)',
    ]);
  });
});

describe('predictRow', () => {
  test('the prediction is wᵀx + b, the contributions wᵢxᵢ and the bias beside them', () => {
    const result = score([72, 5.5, 0.3]);
    expect(result.prediction).toBe(0.5 * 72 + -0.25 * 5.5 + 2 * 0.3 + 10);
    expect(result.contributions).toEqual({ temperature: 36, pressure: -1.375, vibration: 0.6 });
    expect(result.bias).toBe(10);
    expect(result.modelVersion).toBe(model.version);
  });

  test('contributions added in the listed order, then the bias, equal the prediction exactly', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 3, maxLength: 3 }),
        (x) => {
          const result = score(x);
          const sum = Object.values(result.contributions).reduce((a, b) => a + b, 0) + result.bias;
          expect(sum).toBe(result.prediction);
          expect(result.prediction).toBe(0.5 * x[0] + -0.25 * x[1] + 2 * x[2] + 10);
          // and the same holds after a JSON round trip, which is what a client sees
          const parsed = JSON.parse(JSON.stringify(result)) as typeof result;
          expect(Object.values(parsed.contributions).reduce((a, b) => a + b, 0) + parsed.bias).toBe(
            parsed.prediction,
          );
        },
      ),
    );
  });

  test('z-scores are against the row category profile and |z| above the threshold is an anomaly', () => {
    const result = score([77, 5, 0.1]);
    expect(result.zScores).toEqual({ temperature: 3.5, pressure: 0, vibration: (0.1 - 0.2) / 0.05 });
    expect(result.anomalies).toEqual(['temperature']);
    expect(score([63, 5, 0.2]).anomalies).toEqual(['temperature']);
    expect(score([76, 5, 0.2]).anomalies).toEqual([]); // z = 3 exactly is not above 3
  });

  test('the anomaly threshold comes from the options', () => {
    const result = predictRow(model, Float64Array.from([72.5, 5, 0.2]), 0, 'A', { anomalyZ: 1 });
    expect(result.anomalies).toEqual(['temperature']);
  });

  test('a zero-spread profile gives z 0 at the mean, and null plus an anomaly elsewhere; unknown spread gives null', () => {
    expect(score([80, 6, 0.9], 'B').zScores).toEqual({ temperature: 0, pressure: 0, vibration: null });
    const off = score([81, 6, 0.9], 'B');
    expect(off.zScores).toEqual({ temperature: null, pressure: 0, vibration: null });
    expect(off.anomalies).toEqual(['temperature']);
  });

  test('an unknown category still predicts, with no z-scores and a note saying why', () => {
    const result = score([72, 5.5, 0.3], 'Z');
    expect(result.prediction).toBe(score([72, 5.5, 0.3]).prediction);
    expect(result.zScores).toBeNull();
    expect(result.anomalies).toEqual([]);
    expect(result.categoryKnown).toBe(false);
    expect(result.note).toBe('category "Z" has no training profile: no z-scores or anomaly flags');
  });

  test('a filled row lists the filled features and their source', () => {
    const result = predictRow(
      model,
      Float64Array.from([70, 5, 0.2]),
      0,
      'A',
      options,
      [1, 2],
      'category-mean',
    );
    expect(result.filled).toEqual(['pressure', 'vibration']);
    expect(result.fillSource).toBe('category-mean');
  });
});

describe('predictRows', () => {
  test('scores every decoded row in order', () => {
    const decoded = decodePredictRequest(
      {
        rows: [
          { category: 'A', temperature: 70, pressure: 5, vibration: 0.2 },
          { category: 'B', temperature: 80, pressure: 6, vibration: 0.3 },
        ],
      },
      model,
      { maxRows: 10, fillMissing: 'reject' },
    );
    const results = predictRows(model, decoded, options);
    expect(results.map((r) => r.prediction)).toEqual([35 - 1.25 + 0.4 + 10, 40 - 1.5 + 0.6 + 10]);
    expect(results.map((r) => r.anomalies)).toEqual([[], []]);
  });
});
