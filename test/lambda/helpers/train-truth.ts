/**
 * Generates `rows` synthetic rows (seeded, known truth), trains with fill none and fill mean,
 * and prints each weight's |z| = |w - truth| / SE as JSON. Run with tsx from tests (jest's
 * transform makes the hot loops an order of magnitude slower) and from bench/train.ts.
 *   tsx test/lambda/helpers/train-truth.ts ROWS SEED
 */
import { DEFAULT_DATASET_SCHEMA } from '../../../lambda/core/dataset-schema';
import { SyntheticDataset } from '../../../lambda/core/synthetic-data';
import { trainSources } from '../../../lambda/core/train';

export async function truthZ(rows: number, seed: number): Promise<Record<'none' | 'mean', number[]>> {
  const ds = new SyntheticDataset({ rows, seed });
  const chunks = [...ds.fileChunks(0)];
  const truth = ds.truth();
  const out = { none: [] as number[], mean: [] as number[] };
  for (const fill of ['none', 'mean'] as const) {
    const { artifact } = await trainSources(
      [
        {
          key: 'synthetic.csv',
          kind: 'raw',
          open: async function* () {
            yield* chunks;
          },
        },
      ],
      { schema: DEFAULT_DATASET_SCHEMA, holdout: 0.2, fill, ridge: 0 },
      { codeVersion: 'truth-check', capacity: { engine: 'local', instances: 1, shards: 1 } },
    );
    out[fill] = artifact.features.map(
      (f, j) => Math.abs(artifact.weights[j] - truth.weights[f]) / artifact.standardErrors![j],
    );
  }
  return out;
}

if (require.main === module) {
  const [rows, seed] = process.argv.slice(2).map(Number);
  truthZ(rows, seed).then((z) => console.log(JSON.stringify(z)));
}
