import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv/dist/2020';
import fc from 'fast-check';
import { DEFAULT_DATASET_SCHEMA } from '../../../lambda/core/dataset-schema';
import { artifactProblems, modelArtifactJsonSchema } from '../../../lambda/core/model-artifact';
import { preprocessBytes } from '../../../lambda/core/preprocess';
import { SyntheticDataset } from '../../../lambda/core/synthetic-data';
import {
  CsvTrainingReader,
  TrainingInputError,
  TrainingShard,
  decodeHoldout,
  encodeHoldout,
  trainSources,
  type TrainOptions,
  type TrainingSource,
} from '../../../lambda/core/train';

const schema = DEFAULT_DATASET_SCHEMA;
const meta = { codeVersion: 'test', capacity: { engine: 'local' as const, instances: 1, shards: 1 } };
const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

function dataset(rows: number, files: number, seed = 5) {
  const ds = new SyntheticDataset({ rows, files, seed });
  const texts = Array.from({ length: files }, (_, k) => Buffer.concat([...ds.fileChunks(k)]));
  return { texts, truth: ds.truth() };
}

const source = (key: string, bytes: Uint8Array, kind: 'raw' | 'curated' = 'raw'): TrainingSource => ({
  key,
  kind,
  open: async function* () {
    for (let i = 0; i < bytes.length; i += 65536) yield bytes.subarray(i, i + 65536);
  },
});

const small = dataset(6000, 4);
const options: TrainOptions = { schema, holdout: 0.2, fill: 'none', ridge: 0 };

describe('trainSources', () => {
  it('gives bit-identical weights on a raw CSV and on its preprocess train output', async () => {
    const raw = await trainSources([source('a.csv', small.texts[0])], options, meta);
    const cleaned = await preprocessBytes(small.texts[0], schema);
    const curated = await trainSources([source('a.csv', cleaned.train, 'curated')], options, meta);
    expect(curated.artifact.weights).toEqual(raw.artifact.weights);
    expect(curated.artifact.metrics).toEqual(raw.artifact.metrics);
    // raw input takes its profiles from preprocess statistics over the same rows
    expect(raw.artifact.data!.withoutCategory).toBe(curated.artifact.data!.withoutCategory);
    expect(Object.keys(raw.artifact.profiles)).toEqual(Object.keys(curated.artifact.profiles));
    for (const [name, p] of Object.entries(raw.artifact.profiles)) {
      const q = curated.artifact.profiles[name];
      expect(p.count).toBe(q.count);
      p.mean.forEach((m, j) => expect(relative(m, q.mean[j])).toBeLessThan(1e-12));
      p.std.forEach((s, j) => expect(relative(s, q.std[j])).toBeLessThan(1e-12));
    }
  });

  it('with fill mean trains on the mean-filled clean rows', async () => {
    const opts: TrainOptions = { ...options, fill: 'mean' };
    const raw = await trainSources([source('a.csv', small.texts[0])], opts, meta);
    const cleaned = await preprocessBytes(small.texts[0], schema);
    const curated = await trainSources([source('a.csv', cleaned.clean, 'curated')], opts, meta);
    expect(curated.artifact.weights).toEqual(raw.artifact.weights);
    expect(raw.artifact.rows + raw.artifact.metrics.rows).toBe(cleaned.stats.rowsClean);
  });

  it('accounts for every row: used + duplicates + quarantined + incomplete = rows in', async () => {
    const { artifact } = await trainSources([source('a.csv', small.texts[1])], options, meta);
    const d = artifact.data!;
    expect(d.used + d.duplicates + d.quarantined + d.incomplete).toBe(d.rowsIn);
    expect(artifact.rows + artifact.metrics.rows).toBe(d.used);
  });

  it('gives the same weights from any number of shards as from one (1e-12 relative)', async () => {
    const sources = small.texts.map((t, i) => source(`part-${i}.csv`, t));
    const one = await trainSources(sources, options, meta);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 4 }), async (shards) => {
        const many = await trainSources(sources, options, { ...meta, shards });
        many.artifact.weights.forEach((w, j) =>
          expect(relative(w, one.artifact.weights[j])).toBeLessThan(1e-12),
        );
        expect(many.artifact.metrics.rows).toBe(one.artifact.metrics.rows);
        expect(relative(many.artifact.metrics.rmse, one.artifact.metrics.rmse)).toBeLessThan(1e-12);
      }),
      { numRuns: 4 },
    );
  });

  it('splits the holdout by row content, not by file or shard', async () => {
    const a = await trainSources([source('x.csv', small.texts[2])], options, meta);
    const b = await trainSources([source('y.csv', small.texts[2])], options, { ...meta, shards: 3 });
    expect(b.artifact.metrics).toEqual(a.artifact.metrics);
  });

  it('writes an artifact valid against the JSON schema and artifactProblems', async () => {
    const { artifact } = await trainSources([source('a.csv', small.texts[0])], options, meta);
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(modelArtifactJsonSchema());
    expect(validate(JSON.parse(JSON.stringify(artifact)))).toBe(true);
    expect(validate.errors ?? []).toEqual([]);
    expect(artifactProblems(JSON.parse(JSON.stringify(artifact)))).toEqual([]);
    expect(artifact.version).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{12}$/);
    expect(Object.keys(artifact.profiles)).toEqual(['bracket', 'gear', 'housing', 'shaft']);
  });

  it('names the same content hash in the version when retrained on the same data', async () => {
    const trainedAt = new Date('2024-05-01T12:00:00Z');
    const a = await trainSources([source('a.csv', small.texts[0])], options, { ...meta, trainedAt });
    const b = await trainSources([source('a.csv', small.texts[0])], options, { ...meta, trainedAt });
    expect(a.artifact.version).toBe(b.artifact.version);
    expect(a.artifact.version.startsWith('20240501T120000Z-')).toBe(true);
  });

  it('measures in-sample from the moments with holdout 0 (MAE null)', async () => {
    const { artifact } = await trainSources(
      [source('a.csv', small.texts[0])],
      { ...options, holdout: 0 },
      meta,
    );
    expect(artifact.metrics.on).toBe('train');
    expect(artifact.metrics.mae).toBeNull();
    expect(artifact.metrics.rows).toBe(artifact.rows);
  });

  it('with holdout 0 fits a raw CSV from preprocess statistics, equal to reading its train rows (1e-12)', async () => {
    const opts: TrainOptions = { ...options, holdout: 0 };
    const raw = (await trainSources([source('a.csv', small.texts[3])], opts, meta)).artifact;
    const cleaned = await preprocessBytes(small.texts[3], schema);
    const rows = (await trainSources([source('a.csv', cleaned.train, 'curated')], opts, meta)).artifact;
    expect(raw.rows).toBe(rows.rows);
    expect(raw.data!.used).toBe(rows.data!.used);
    expect(raw.data!.withoutCategory).toBe(rows.data!.withoutCategory);
    expect(raw.data!.rowsIn).toBe(cleaned.stats.rowsIn);
    expect(raw.data!.incomplete).toBe(cleaned.stats.rowsClean - cleaned.stats.rowsComplete);
    [...raw.weights, raw.bias, raw.metrics.rmse, raw.metrics.r2].forEach((v, j) =>
      expect(relative(v, [...rows.weights, rows.bias, rows.metrics.rmse, rows.metrics.r2][j])).toBeLessThan(
        1e-12,
      ),
    );
    expect(Object.keys(raw.profiles)).toEqual(Object.keys(rows.profiles));
    for (const [name, p] of Object.entries(raw.profiles)) {
      const q = rows.profiles[name];
      expect(p.count).toBe(q.count);
      p.mean.forEach((m, j) => expect(relative(m, q.mean[j])).toBeLessThan(1e-12));
      p.std.forEach((s, j) => expect(relative(s, q.std[j])).toBeLessThan(1e-12));
    }
  });

  it('equals pandas drop_duplicates + dropna + sklearn LinearRegression within 1e-9 relative (holdout 0)', async () => {
    const { artifact } = await trainSources(
      [source('a.csv', small.texts[3])],
      { ...options, holdout: 0 },
      meta,
    );
    const dir = mkdtempSync(join(tmpdir(), 'train-sk-'));
    try {
      const file = join(dir, 'a.csv');
      writeFileSync(file, small.texts[3]);
      const script = `
import sys, json, pandas as pd
from sklearn.linear_model import LinearRegression
f = ${JSON.stringify(schema.features)}; t = ${JSON.stringify(schema.target)}
d = pd.read_csv(sys.argv[1], dtype={c: str for c in ['timestamp', 'line_id', 'category']}, keep_default_na=True)
d = d.drop_duplicates().dropna(subset=f + [t])
m = LinearRegression().fit(d[f].to_numpy(), d[t].to_numpy())
print(json.dumps({"w": [float(v) for v in m.coef_], "b": float(m.intercept_), "n": len(d)}))
`;
      const ref = JSON.parse(
        execFileSync('/usr/bin/python3', ['-c', script, file], { encoding: 'utf8' }),
      ) as {
        w: number[];
        b: number;
        n: number;
      };
      expect(artifact.rows).toBe(ref.n);
      artifact.weights.forEach((w, j) => expect(relative(w, ref.w[j])).toBeLessThan(1e-9));
      expect(relative(artifact.bias, ref.b)).toBeLessThan(1e-9);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('puts every default weight within 3 standard errors of the truth at 200k rows, and fill mean far outside', () => {
    // Runs under tsx in a child process: jest's transform slows the hot loops about 15×.
    const out = execFileSync(
      join(__dirname, '../../../node_modules/.bin/tsx'),
      [join(__dirname, '../helpers/train-truth.ts'), '200000', '7'],
      { encoding: 'utf8' },
    );
    const z = JSON.parse(out) as { none: number[]; mean: number[] };
    expect(z.none).toHaveLength(10);
    expect(Math.max(...z.none)).toBeLessThan(3);
    expect(Math.max(...z.mean)).toBeGreaterThan(10);
  });

  it("takes curated train rows' profiles from their statistics partial, equal to the rows' own (1e-12)", async () => {
    const cleaned = await preprocessBytes(small.texts[2], schema);
    const rows = source('a.csv', cleaned.train, 'curated');
    const plain = (await trainSources([rows], options, meta)).artifact;
    const withStats = (await trainSources([{ ...rows, stats: cleaned.stats }], options, meta)).artifact;
    expect(withStats.weights).toEqual(plain.weights);
    expect(withStats.metrics).toEqual(plain.metrics);
    expect(withStats.data).toEqual(plain.data);
    expect(Object.keys(withStats.profiles)).toEqual(Object.keys(plain.profiles));
    for (const [name, p] of Object.entries(withStats.profiles)) {
      const q = plain.profiles[name];
      expect(p.count).toBe(q.count);
      p.mean.forEach((m, j) => expect(relative(m, q.mean[j])).toBeLessThan(1e-12));
      p.std.forEach((v, j) => expect(relative(v, q.std[j])).toBeLessThan(1e-12));
    }
    const other = await preprocessBytes(small.texts[1], schema);
    await expect(trainSources([{ ...rows, stats: other.stats }], options, meta)).rejects.toThrow(
      /a\.csv: read \d+ complete rows, but its statistics partial counts \d+; preprocess it again/,
    );
  });

  it('rejects curated input that lacks a schema column, naming it', async () => {
    const bad = new TextEncoder().encode('timestamp,line_id,category,temperature\n1,2,3,4\n');
    await expect(trainSources([source('bad.csv', bad, 'curated')], options, meta)).rejects.toThrow(
      /bad\.csv: header lacks schema column\(s\): pressure/,
    );
  });

  it('rejects input with no usable rows with a TrainingInputError', async () => {
    const header = new TextEncoder().encode(
      'timestamp,line_id,category,temperature,pressure,vibration,speed,humidity,torque,current,voltage,feed_rate,tool_wear,quality\n',
    );
    await expect(trainSources([source('empty.csv', header, 'curated')], options, meta)).rejects.toThrow(
      TrainingInputError,
    );
  });
});

describe('training partials', () => {
  it('round-trip through JSON and raw doubles', async () => {
    const shard = new TrainingShard(options, '00001');
    const { trainObject } = await import('../../../lambda/core/train');
    await trainObject(source('a.csv', small.texts[0]), shard);
    const { json, holdout } = shard.toPartial();
    const back = TrainingShard.fromPartial(
      JSON.parse(JSON.stringify(json)),
      decodeHoldout(encodeHoldout(holdout)),
      options,
    );
    expect(back.toPartial().json).toEqual(json);
    expect(Array.from(back.holdoutValues())).toEqual(Array.from(holdout));
  });
});

describe('CsvTrainingReader', () => {
  const HEADER =
    'timestamp,line_id,category,temperature,pressure,vibration,speed,humidity,torque,current,voltage,feed_rate,tool_wear,quality';
  /** Numeric cells the plain-row path reads itself, and ones it leaves to the general scan. */
  const cell = fc.oneof(
    fc.integer({ min: -99999, max: 99999 }).map(String),
    fc
      .tuple(fc.integer({ min: -9999999, max: 9999999 }), fc.integer({ min: 1, max: 12 }))
      .map(([m, k]) => (m / 10 ** k).toFixed(k)),
    fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map(String),
    fc.constantFrom(
      '-0.0',
      '0.000',
      '007.50',
      '1e2',
      '+3',
      ' 4.5',
      '0.1000000000000000055',
      '123456789012345.6',
      '-0',
      '999999999999999',
      '-99999999999999.9',
      '0.000000000000001',
      '9999999999999999',
      '1.',
      '.5',
    ),
  );
  const row = fc.record({
    stamp: fc.constantFrom('2024-01-01T00:00:01Z', 'a,b', 'x"y', 'ü'),
    category: fc.constantFrom('gear', 'shaft', 'ß', ''),
    cells: fc.array(cell, { minLength: 11, maxLength: 11 }),
  });
  const quote = (t: string) => `"${t.replace(/"/g, '""')}"`;
  const read = (lines: string[], shard: TrainingShard, chunk: number) => {
    const bytes = new TextEncoder().encode([HEADER, ...lines].join('\n') + '\n');
    const reader = new CsvTrainingReader(schema, shard, 'x.csv');
    for (let i = 0; i < bytes.length; i += chunk) reader.push(bytes.subarray(i, i + chunk));
    reader.finish();
    return shard.toPartial();
  };

  it('reads plain rows (its fast path) exactly as the general scan reads the same rows quoted', () => {
    const opts: TrainOptions = { ...options, holdout: 0.5 };
    fc.assert(
      fc.property(
        fc.array(row, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 7, max: 300 }),
        (rows, chunk) => {
          const text = (q: (t: string) => string) =>
            rows.map((r) =>
              [/[",]/.test(r.stamp) ? quote(r.stamp) : q(r.stamp), 'L01', r.category, ...r.cells].join(','),
            );
          const plain = read(
            text((t) => t),
            new TrainingShard(opts),
            chunk,
          );
          const general = read(text(quote), new TrainingShard(opts), 1 << 16);
          expect(plain.json).toEqual(general.json);
          expect(Array.from(plain.holdout)).toEqual(Array.from(general.holdout));
        },
      ),
      { numRuns: 200 },
    );
  });
});
