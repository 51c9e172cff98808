import { DEFAULT_DATASET_SCHEMA } from '../../lambda/core/dataset-schema';
import type { ModelArtifact } from '../../lambda/core/model-artifact';
import { SyntheticDataset } from '../../lambda/core/synthetic-data';
import { trainSources } from '../../lambda/core/train';

/**
 * A model the trainer's own code fits on one synthetic file of the default schema (holdout 0.2,
 * complete rows): what the registry, promote and rollback tests promote. A heavy `ridge` gives a
 * worse holdout RMSE on the same rows.
 */
export async function syntheticModel(options: {
  readonly rows: number;
  readonly seed: number;
  /** @default the time of the call */
  readonly trainedAt?: string | Date;
  /** @default 0 */
  readonly ridge?: number;
  /** @default 'auto' (the trainer chooses from the target) */
  readonly task?: 'regression' | 'classification';
}): Promise<ModelArtifact> {
  const bytes = Buffer.concat([
    ...new SyntheticDataset({ rows: options.rows, seed: options.seed }).fileChunks(0),
  ]);
  const { artifact } = await trainSources(
    [
      {
        key: 'a.csv',
        kind: 'raw',
        open: async function* () {
          yield bytes;
        },
      },
    ],
    {
      schema: DEFAULT_DATASET_SCHEMA,
      holdout: 0.2,
      fill: 'none',
      ridge: options.ridge ?? 0,
      ...(options.task !== undefined ? { task: options.task } : {}),
    },
    {
      codeVersion: 'test',
      capacity: { engine: 'local', instances: 1, shards: 1 },
      ...(options.trainedAt !== undefined ? { trainedAt: new Date(options.trainedAt) } : {}),
    },
  );
  return artifact;
}
