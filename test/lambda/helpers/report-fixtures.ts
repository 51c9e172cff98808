/**
 * Trained models for the model-report tests: a regression and a pass/fail classification, each
 * fitted by the real trainer core (TrainingShard → solveMerged → artifactFromResult) on rows
 * made here, with column names and category values a browser must show as text.
 */
import type { DatasetSchema } from '../../../lambda/core/dataset-schema';
import type { ModelReportInput } from '../../../lambda/core/model-report';
import {
  TrainingShard,
  artifactFromResult,
  solveMerged,
  type TrainOptions,
} from '../../../lambda/core/train';
import { gaussian, mulberry32 } from './linear-data';

/** Hostile names: a report must render each as the text it is. */
export const HOSTILE_FEATURES = ['Torque [Nm]', '<script>alert("x")</script>', 'speed & "feed"'];
export const HOSTILE_CATEGORIES = ['L01', '<img src=x onerror=alert(1)>', "line 'B' & co"];

const meta = (plannedSeconds: number) => ({
  codeVersion: 'report-test',
  capacity: {
    engine: 'sagemaker' as const,
    instances: 2,
    instanceType: 'ml.m5.large',
    shards: 2,
    plannedSeconds,
  },
});

async function fitted(
  rows: number,
  seed: number,
  options: TrainOptions,
  y: (x: number[], noise: () => number, uniform: () => number) => number,
): Promise<ModelReportInput> {
  const normal = gaussian(mulberry32(seed));
  const uniform = mulberry32(seed + 1);
  const shard = new TrainingShard(options, '00000');
  for (let i = 0; i < rows; i++) {
    const c = i % HOSTILE_CATEGORIES.length;
    const x = [20 + 4 * normal() + c, 3 + normal(), 100 + 10 * normal()];
    shard.addRow(
      Float64Array.from([...x, y(x, normal, uniform)]),
      (i * 2654435761) >>> 0,
      HOSTILE_CATEGORIES[c],
    );
  }
  shard.inputs.push({ key: 'curated/train/<part>-0.csv', version: 'v1', etag: '"abc"' });
  const result = await solveMerged(shard);
  return {
    artifact: artifactFromResult(result, options, meta(12.5)),
    evaluation: result.evaluation,
    timing: { measuredSeconds: 9.75, measured: 'the test says so' },
  };
}

const schemaOf = (target: string): DatasetSchema => ({
  ids: [],
  category: 'line <id>',
  features: HOSTILE_FEATURES,
  target,
});

/** A regression on 6000 rows, holdout 0.25 (about 1500 held out: more than the 1000-point sample). */
export function regressionInput(): Promise<ModelReportInput> {
  return fitted(
    6000,
    7,
    { schema: schemaOf('quality [%]'), holdout: 0.25, fill: 'none', ridge: 0 },
    (x, noise) => 5 + 0.8 * x[0] - 1.5 * x[1] + 0.02 * x[2] + 0.5 * noise(),
  );
}

/** A pass/fail target (0/1) on 3000 rows, holdout 0.2. */
export function classificationInput(): Promise<ModelReportInput> {
  return fitted(
    3000,
    11,
    { schema: schemaOf('fail <bool>'), holdout: 0.2, fill: 'none', ridge: 0, task: 'classification' },
    (x, _noise, uniform) =>
      uniform() < 1 / (1 + Math.exp(-(-1 + 0.6 * (x[0] - 21) - 0.8 * (x[1] - 3)))) ? 1 : 0,
  );
}
