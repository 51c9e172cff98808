import fc from 'fast-check';
import { DEFAULT_DATASET_SCHEMA } from '../../../lambda/core/dataset-schema';
import {
  DRIFT_FIELDS_PER_RECORD,
  DriftSample,
  addLogRecord,
  addServedRow,
  binOf,
  driftLogRecords,
  driftQuery,
  driftReport,
  emptyCounts,
  psi,
  quantileEdges,
} from '../../../lambda/core/drift';
import { artifactProblems, parseArtifact } from '../../../lambda/core/model-artifact';
import { SyntheticDataset } from '../../../lambda/core/synthetic-data';
import { trainSources, type TrainOptions, type TrainingSource } from '../../../lambda/core/train';
import { artifactFixture } from '../model-fixture';

const rowsArb = fc.array(
  fc.tuple(
    fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    fc.double({ noNaN: true, min: -1e6, max: 1e6 }),
    fc.integer({ min: -3, max: 3 }),
  ),
  { maxLength: 300 },
);

describe('DriftSample (bottom-k by row hash)', () => {
  it('merged from any split of the rows, in any order, equals the one-pass sample', () => {
    fc.assert(
      fc.property(
        rowsArb,
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 300, maxLength: 300 }),
        (rows, cut) => {
          const one = new DriftSample(2, 50);
          const parts = [0, 1, 2, 3].map(() => new DriftSample(2, 50));
          rows.forEach(([hash, a, b], i) => {
            one.add([a, b], hash);
            parts[cut[i]].add([a, b], hash);
          });
          const merged = new DriftSample(2, 50);
          for (const p of [parts[2], parts[0], parts[3], parts[1]]) merged.merge(p);
          expect(merged.toJSON()).toEqual(one.toJSON());
          expect(DriftSample.fromJSON(one.toJSON(), 2, 50).toJSON()).toEqual(one.toJSON());
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps every row when there are fewer than k', () => {
    const s = new DriftSample(1, 10);
    for (let i = 0; i < 7; i++) s.add([i], i * 7919);
    expect(s.size).toBe(7);
    expect([...s.values(0)].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
});

describe('bins', () => {
  it('puts the edges at the deciles, each bin a tenth of the rows', () => {
    const sorted = Float64Array.from({ length: 1000 }, (_, i) => i);
    const edges = quantileEdges(sorted);
    expect(edges).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900]);
    expect(binOf(edges, -5)).toBe(0);
    expect(binOf(edges, 99.9)).toBe(0);
    expect(binOf(edges, 100)).toBe(1);
    expect(binOf(edges, 950)).toBe(9);
    expect(binOf(edges, 1e9)).toBe(9);
  });

  it('collapses equal deciles of a feature with few values into fewer bins, none empty', () => {
    const sorted = Float64Array.from([0, 0, 0, 0, 0, 0, 1, 1, 2, 2]);
    const edges = quantileEdges(sorted);
    expect(edges).toEqual([1, 2]);
  });
});

describe('psi', () => {
  it('is 0 for the same shares and the textbook sum for others', () => {
    expect(psi([10, 20, 70], [1, 2, 7])).toBeCloseTo(0, 12);
    const e = [0.5, 0.5];
    const a = [0.8, 0.2];
    const expected = (0.8 - 0.5) * Math.log(0.8 / 0.5) + (0.2 - 0.5) * Math.log(0.2 / 0.5);
    expect(psi(e, a)).toBeCloseTo(expected, 12);
  });

  it('floors an empty served bin instead of returning Infinity', () => {
    expect(Number.isFinite(psi([50, 50], [100, 0]))).toBe(true);
  });
});

const histograms = {
  format: 'aiaas-factory/drift-histograms@1' as const,
  sampleRows: 40,
  features: [
    { edges: [1, 2, 3], counts: [10, 10, 10, 10] },
    { edges: [0.5], counts: [20, 20] },
  ],
};

describe('log records', () => {
  it('round-trip through addLogRecord, counting missing features and unknown categories', () => {
    const served = emptyCounts(histograms);
    addServedRow(served, histograms, [0.5, 1], 0, true);
    addServedRow(served, histograms, [2.5, NaN], 0, false);
    addServedRow(served, histograms, [9, 0.1], 0, true, [1]);
    const records = driftLogRecords('v1', served);
    expect(records).toEqual([
      { v: 'v1', n: 3, u: 1, c0b0: 1, c0b2: 1, c0b3: 1, s0: 12, c1b1: 1, s1: 1, m1: 2 },
    ]);
    const back = emptyCounts(histograms);
    for (const r of records) addLogRecord(back, r);
    expect(back).toEqual(served);
  });

  it(`splits a wide request over records of at most ${DRIFT_FIELDS_PER_RECORD} fields, rows counted once`, () => {
    const wide = {
      ...histograms,
      features: Array.from({ length: 40 }, () => ({
        edges: [1, 2, 3, 4, 5, 6, 7, 8, 9],
        counts: Array(10).fill(4),
      })),
    };
    const served = emptyCounts(wide);
    for (let r = 0; r < 20; r++) addServedRow(served, wide, Array(40).fill(r / 2), 0, true);
    const records = driftLogRecords('v1', served);
    expect(records.length).toBeGreaterThan(1);
    for (const r of records) expect(Object.keys(r).length).toBeLessThanOrEqual(DRIFT_FIELDS_PER_RECORD);
    const back = emptyCounts(wide);
    for (const r of records) addLogRecord(back, r);
    expect(back).toEqual(served);
  });

  it('are summed by a query naming every field for the version', () => {
    const q = driftQuery(histograms, 'v1');
    expect(q).toBe(
      'filter drift.v = "v1" | stats sum(drift.n) as n, sum(drift.u) as u, sum(drift.c0b0) as c0b0, sum(drift.c0b1) as c0b1, sum(drift.c0b2) as c0b2, sum(drift.c0b3) as c0b3, sum(drift.s0) as s0, sum(drift.m0) as m0, sum(drift.c1b0) as c1b0, sum(drift.c1b1) as c1b1, sum(drift.s1) as s1, sum(drift.m1) as m1',
    );
    expect(() => driftQuery(histograms, 'v1" | x')).toThrow(/not key-safe/);
  });
});

describe('driftReport', () => {
  const artifact = artifactFixture({
    features: ['temperature', 'pressure'],
    weights: [1, 1],
    standardErrors: [0.1, 0.1],
    scaling: { mean: [2, 0.5], std: [1, 0.25] },
    profiles: {},
    drift: histograms,
  });

  it('judges nothing on fewer than the minimum rows', () => {
    const served = emptyCounts(histograms);
    for (let i = 0; i < 10; i++) addServedRow(served, histograms, [9, 9], 0, true);
    const r = driftReport(artifact, served, { psi: 0.2, meanShiftSd: 0.5 });
    expect(r.drifted).toEqual([]);
    expect(r.features.temperature.note).toMatch(/fewer than the 200/);
  });

  it('names a feature past either threshold', () => {
    const served = emptyCounts(histograms);
    for (let i = 0; i < 400; i++) addServedRow(served, histograms, [(i % 4) + 0.5, i % 2 ? 1 : 0], 0, true);
    const r = driftReport(artifact, served, { psi: 0.2, meanShiftSd: 0.5 });
    expect(r.features.temperature.psi).toBeCloseTo(0, 12);
    expect(r.features.temperature.meanShift).toBeCloseTo(0, 12);
    expect(r.drifted).toEqual([]);
    const shifted = emptyCounts(histograms);
    for (let i = 0; i < 400; i++)
      addServedRow(shifted, histograms, [(i % 4) + 0.5, i % 2 ? 1.2 : 0.2], 0, true);
    const s = driftReport(artifact, shifted, { psi: 10, meanShiftSd: 0.5 });
    expect(s.features.pressure.meanShift).toBeCloseTo(0.8, 12);
    expect(s.drifted).toEqual(['pressure']);
  });

  it('refuses a model without histograms, naming why', () => {
    const old = artifactFixture();
    expect(() => driftReport(old, emptyCounts(histograms), { psi: 0.2, meanShiftSd: 0.5 })).toThrow(
      /has no training histograms/,
    );
  });
});

describe('training histograms in the artifact', () => {
  const ds = new SyntheticDataset({ rows: 9000, files: 3, seed: 11 });
  const texts = Array.from({ length: 3 }, (_, k) => Buffer.concat([...ds.fileChunks(k)]));
  const source = (key: string, bytes: Uint8Array): TrainingSource => ({
    key,
    kind: 'raw',
    open: async function* () {
      yield bytes;
    },
  });
  const options: TrainOptions = {
    schema: DEFAULT_DATASET_SCHEMA,
    holdout: 0.2,
    fill: 'none',
    ridge: 0,
    task: 'regression',
  };
  const meta = { codeVersion: 'test', capacity: { engine: 'local' as const, instances: 1, shards: 1 } };

  it('are the same from three shards as from one, and decile-shaped', async () => {
    const sources = texts.map((t, i) => source(`part-${i}.csv`, t));
    const one = (await trainSources(sources, options, meta)).artifact;
    const three = (await trainSources(sources, options, { ...meta, shards: 3 })).artifact;
    expect(three.drift).toEqual(one.drift);
    expect(artifactProblems(one)).toEqual([]);
    const h = one.drift!;
    expect(h.features).toHaveLength(DEFAULT_DATASET_SCHEMA.features.length);
    expect(h.sampleRows).toBe(4096);
    const temperature = h.features[0];
    expect(temperature.counts).toHaveLength(10);
    for (const c of temperature.counts) expect(Math.abs(c / h.sampleRows - 0.1)).toBeLessThan(0.01);
  });

  it('an artifact without them (trained before) still loads', () => {
    expect(parseArtifact(artifactFixture()).drift).toBeUndefined();
  });
});
