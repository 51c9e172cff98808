import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as preprocess } from '../../../bin/commands/preprocess';
import { run as train } from '../../../bin/commands/train';
import type { ModelArtifact } from '../../../lambda/core/model-artifact';
import { SyntheticDataset } from '../../../lambda/core/synthetic-data';

const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
let dir: string;
let log: jest.SpyInstance;
let err: jest.SpyInstance;
const read = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as ModelArtifact;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cli-train-'));
  const ds = new SyntheticDataset({ rows: 8000, files: 2, seed: 13 });
  writeFileSync(join(dir, 'a.csv'), Buffer.concat([...ds.fileChunks(0)]));
  writeFileSync(join(dir, 'b.csv'), Buffer.concat([...ds.fileChunks(1)]));
  log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  err = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  expect(await preprocess([join(dir, 'a.csv'), '--out', join(dir, 'pre-a')])).toBe(0);
});
afterAll(() => {
  log.mockRestore();
  err.mockRestore();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  log.mockClear();
  err.mockClear();
});

describe('factory train', () => {
  it('prints a one-line summary and writes the artifact', async () => {
    expect(await train([join(dir, 'a.csv'), '--out', join(dir, 'm.json')])).toBe(0);
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0][0]).toMatch(
      /^trained \d+ rows \(regression, least squares; fill none\): R² 0\.\d{4} RMSE [\d.]+ MAE [\d.]+ \(holdout \d+ rows\) \| bias /,
    );
    expect(read(join(dir, 'm.json')).lineage.inputs[0].sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives the same weights on a raw CSV as on its preprocess output', async () => {
    expect(await train([join(dir, 'a.csv'), '--out', join(dir, 'raw.json')])).toBe(0);
    expect(await train([join(dir, 'pre-a'), '--out', join(dir, 'pre.json')])).toBe(0);
    expect(read(join(dir, 'pre.json')).weights).toEqual(read(join(dir, 'raw.json')).weights);
    expect(read(join(dir, 'pre.json')).metrics).toEqual(read(join(dir, 'raw.json')).metrics);
  });

  it('fits from statistics partials alone with --task regression --holdout 0, equal to the rows within 1e-9 and saying so', async () => {
    expect(
      await train([
        join(dir, 'pre-a'),
        '--task',
        'regression',
        '--holdout',
        '0',
        '--json',
        '--out',
        join(dir, 'stats.json'),
      ]),
    ).toBe(0);
    expect(JSON.parse(log.mock.calls[0][0] as string).fromStats).toBe(true);
    expect(await train([join(dir, 'a.csv'), '--holdout', '0', '--out', join(dir, 'rows.json')])).toBe(0);
    const [a, b] = [read(join(dir, 'stats.json')), read(join(dir, 'rows.json'))];
    a.weights.forEach((w, j) => expect(relative(w, b.weights[j])).toBeLessThan(1e-9));
    expect(a.rows).toBe(b.rows);
    expect(a.warnings).toEqual([expect.stringMatching(/^fit from statistics partials alone/)]);
  });

  it('with --shards 2 over two files equals one shard within 1e-12', async () => {
    expect(await train([join(dir, 'a.csv'), join(dir, 'b.csv'), '--out', join(dir, 's1.json')])).toBe(0);
    expect(
      await train([join(dir, 'a.csv'), join(dir, 'b.csv'), '--shards', '2', '--out', join(dir, 's2.json')]),
    ).toBe(0);
    const [a, b] = [read(join(dir, 's1.json')), read(join(dir, 's2.json'))];
    a.weights.forEach((w, j) => expect(relative(b.weights[j], w)).toBeLessThan(1e-12));
  });

  it('equals scikit-learn on the de-duplicated complete rows of a generated file (--holdout 0, 1e-9)', async () => {
    expect(await train([join(dir, 'b.csv'), '--holdout', '0', '--out', join(dir, 'sk.json')])).toBe(0);
    const m = read(join(dir, 'sk.json'));
    const script = `
import sys, json, pandas as pd
from sklearn.linear_model import LinearRegression
f = ${JSON.stringify(m.features)}
d = pd.read_csv(sys.argv[1], dtype={'timestamp': str, 'line_id': str, 'category': str}).drop_duplicates().dropna(subset=f + ['quality'])
r = LinearRegression().fit(d[f].to_numpy(), d['quality'].to_numpy())
print(json.dumps({"w": list(map(float, r.coef_)), "b": float(r.intercept_)}))`;
    const ref = JSON.parse(
      execFileSync('/usr/bin/python3', ['-c', script, join(dir, 'b.csv')], { encoding: 'utf8' }),
    );
    m.weights.forEach((w, j) => expect(relative(w, ref.w[j])).toBeLessThan(1e-9));
    expect(relative(m.bias, ref.b)).toBeLessThan(1e-9);
  });

  it('exits 1 naming a missing input', async () => {
    expect(await train([join(dir, 'nope.csv'), '--out', join(dir, 'x.json')])).toBe(1);
    expect(err.mock.calls[0][0]).toMatch(/^factory train: .*nope\.csv: no such file or directory$/);
  });

  it('exits 1 on a bad option value', async () => {
    expect(await train([join(dir, 'a.csv'), '--out', join(dir, 'x.json'), '--holdout', '1'])).toBe(1);
    expect(err.mock.calls[0][0]).toMatch(
      /^factory train: --holdout must be a number in \[0, 1\), got "1" \(factory train --help\)$/,
    );
  });

  it('exits 1 on a CSV without the schema columns', async () => {
    writeFileSync(join(dir, 'bad.csv'), 'x,y\n1,2\n');
    expect(await train([join(dir, 'bad.csv'), '--out', join(dir, 'x.json')])).toBe(1);
    expect(err.mock.calls[0][0]).toMatch(
      /^factory train: missing_column: header lacks schema column\(s\): timestamp, line_id/,
    );
  });
});
