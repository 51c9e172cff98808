import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../bin/commands/drift';
import { DEFAULT_DATASET_SCHEMA } from '../../../lambda/core/dataset-schema';
import type { ModelArtifact } from '../../../lambda/core/model-artifact';
import { SyntheticDataset } from '../../../lambda/core/synthetic-data';
import { syntheticModel } from '../../support/synthetic-model';
import { artifactFixture } from '../../lambda/model-fixture';

const schema = DEFAULT_DATASET_SCHEMA;
let dir: string;
let artifact: ModelArtifact;
let modelPath: string;

/** Rows of a synthetic file as objects: numbers for numeric cells, missing cells left out. */
function rowsOf(seed: number, rows: number): Record<string, string | number>[] {
  const ds = new SyntheticDataset({ rows, files: 1, seed });
  const lines = Buffer.concat([...ds.fileChunks(0)])
    .toString('utf8')
    .trim()
    .split('\n');
  const header = lines[0].split(',');
  return lines.slice(1).map((line) => {
    const cells = line.split(',');
    const row: Record<string, string | number> = {};
    header.forEach((name, k) => {
      if (cells[k] === '') return;
      row[name] =
        name === schema.category || name === 'timestamp' || name === 'line_id' ? cells[k] : Number(cells[k]);
    });
    return row;
  });
}

function shifted(rows: Record<string, string | number>[], feature: string, by: number) {
  return rows.map((r) =>
    typeof r[feature] === 'number' ? { ...r, [feature]: (r[feature] as number) + by } : r,
  );
}

const jsonl = (name: string, rows: object[]) => {
  const path = join(dir, name);
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return path;
};

const csv = (name: string, rows: Record<string, string | number>[]) => {
  const columns = [schema.category, ...schema.features];
  const path = join(dir, name);
  writeFileSync(
    path,
    [columns.join(','), ...rows.map((r) => columns.map((c) => r[c] ?? '').join(','))].join('\n') + '\n',
  );
  return path;
};

async function drift(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
  const error = jest.spyOn(console, 'error').mockImplementation((s: string) => void err.push(s));
  try {
    const code = await run(args);
    return { code, out, err };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drift-cli-'));
  artifact = await syntheticModel({ rows: 20000, seed: 7, task: 'regression' });
  modelPath = join(dir, 'model.json');
  writeFileSync(modelPath, JSON.stringify(artifact));
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('factory drift', () => {
  const heldOut = () => rowsOf(99, 3000);

  it('names no feature on held-out rows from the training distribution', async () => {
    const { code, out } = await drift([
      '--model',
      modelPath,
      '--input',
      jsonl('same.jsonl', heldOut()),
      '--json',
    ]);
    expect(code).toBe(0);
    const last = JSON.parse(out[out.length - 1]);
    expect(last.drifted).toEqual([]);
    expect(Object.keys(last.features)).toEqual(schema.features);
    for (const f of Object.values(last.features) as { psi: number; meanShift: number }[]) {
      expect(f.psi).toBeLessThan(0.05);
      expect(Math.abs(f.meanShift)).toBeLessThan(0.1);
    }
  });

  it.each(['vibration', 'tool_wear'])(
    'names %s and no other when it is shifted by 1.5 training SDs (JSON lines and CSV)',
    async (feature) => {
      const j = schema.features.indexOf(feature);
      const rows = shifted(heldOut(), feature, 1.5 * artifact.scaling.std[j]);
      for (const input of [jsonl(`${feature}.jsonl`, rows), csv(`${feature}.csv`, rows)]) {
        const { code, out } = await drift(['--model', modelPath, '--input', input, '--json']);
        expect(code).toBe(0);
        const last = JSON.parse(out[out.length - 1]);
        expect(last.drifted).toEqual([feature]);
        expect(last.features[feature].drifted).toBe(true);
        expect(last.features[feature].meanShift).toBeGreaterThan(1.4);
        expect(last.features[feature].meanShift).toBeLessThan(1.6);
        expect(last.features[feature].psi).toBeGreaterThan(0.2);
      }
    },
  );

  it('counts unknown categories, missing features and invalid rows instead of failing', async () => {
    const rows: object[] = heldOut().slice(0, 400);
    rows.push({ ...rows[0], [schema.category]: 'mystery' }, { ...rows[1], [schema.category]: 'mystery' });
    rows.push({ ...rows[2], temperature: 'hot' });
    const path = jsonl('bad.jsonl', rows);
    writeFileSync(path, '{"temperature": 1,\n', { flag: 'a' });
    const { code, out } = await drift(['--model', modelPath, '--input', path]);
    expect(code).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/^402 rows against model .*: 2 skipped as invalid, 2 of an unknown category/);
    expect(text).toMatch(/skipped: row 402: "temperature" must be a JSON number, got the string "hot"/);
    expect(text).toMatch(/skipped: row 403: invalid JSON/);
    // The synthetic file leaves 2% of feature cells empty: each is counted as missing, not binned.
    const missing = text
      .split('\n')
      .find((l) => l.startsWith('temperature'))!
      .trim()
      .split(/\s+/)[4];
    expect(Number(missing)).toBeGreaterThan(0);
  });

  it('refuses a model without training histograms with exit 2, saying why', async () => {
    const old = join(dir, 'old.json');
    writeFileSync(old, JSON.stringify(artifactFixture()));
    const { code, err } = await drift(['--model', old, '--input', jsonl('x.jsonl', [{}])]);
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/has no training histograms .*retrain it/);
  });

  it('refuses a bad threshold and a missing input with exit 1', async () => {
    expect((await drift(['--model', modelPath, '--input', 'x.jsonl', '--psi', '-1'])).code).toBe(1);
    const missing = await drift(['--model', modelPath, '--input', join(dir, 'nope.jsonl')]);
    expect(missing.code).toBe(1);
    expect(missing.err.join('\n')).toMatch(/cannot read .*nope\.jsonl: ENOENT/);
  });
});
