/**
 * Issue 13's exactness on files that are not the generator's: real-shaped exports (bracketed
 * names with units, no timestamp, extra text and numeric columns, `1E-06` numbers, duplicates)
 * trained as they are, against pandas' drop_duplicates + dropna + scikit-learn's LinearRegression.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DatasetSchema } from '../../../lambda/core/dataset-schema';
import { trainSources, type TrainingSource } from '../../../lambda/core/train';

const FIXTURES = join(__dirname, '..', '..', 'fixtures');
const meta = { codeVersion: 'test', capacity: { engine: 'local' as const, instances: 1, shards: 1 } };
const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

const source = (key: string, bytes: Uint8Array): TrainingSource => ({
  key,
  kind: 'raw',
  open: async function* () {
    yield bytes;
  },
});

/** pandas reads every column as it would (text columns of the schema as text), then sklearn fits. */
function sklearn(file: string, schema: DatasetSchema): { w: number[]; b: number; n: number } {
  const text = [...(schema.ids ?? []), schema.category, ...(schema.timestamp ? [schema.timestamp] : [])];
  const script = `
import sys, json, pandas as pd
from sklearn.linear_model import LinearRegression
f = ${JSON.stringify(schema.features)}; t = ${JSON.stringify(schema.target)}
d = pd.read_csv(sys.argv[1], dtype={c: str for c in ${JSON.stringify(text)}})
d = d.drop_duplicates().dropna(subset=f + [t])
m = LinearRegression().fit(d[f].to_numpy(), d[t].to_numpy())
print(json.dumps({"w": [float(v) for v in m.coef_], "b": float(m.intercept_), "n": len(d)}))
`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, file], { encoding: 'utf8' })) as {
    w: number[];
    b: number;
    n: number;
  };
}

describe.each([
  [
    'real-shaped/milling.csv',
    JSON.parse(readFileSync(join(FIXTURES, 'real-shaped', 'milling.schema.json'), 'utf8')) as DatasetSchema,
  ],
  [
    'csv/own-data/predictive-maintenance.csv',
    {
      ids: ['Product ID'],
      category: 'Type',
      features: ['Air temperature [K]', 'Rotational speed [rpm]', 'Torque [Nm]'],
      target: 'Tool wear [min]',
    },
  ],
] as const)('training on %s', (name, schema) => {
  it('equals pandas drop_duplicates + dropna + sklearn LinearRegression within 1e-9 relative', async () => {
    const file = join(FIXTURES, name);
    const { artifact } = await trainSources(
      [source(name, readFileSync(file))],
      { schema: schema as DatasetSchema, holdout: 0, fill: 'none', ridge: 0, task: 'regression' },
      meta,
    );
    const ref = sklearn(file, schema as DatasetSchema);
    expect(artifact.rows).toBe(ref.n);
    artifact.weights.forEach((w, j) => expect(relative(w, ref.w[j])).toBeLessThan(1e-9));
    expect(relative(artifact.bias, ref.b)).toBeLessThan(1e-9);
  });
});
