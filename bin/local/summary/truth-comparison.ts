import type { ModelArtifact } from '../../../lambda/core/model-artifact';
import type { SyntheticTruth } from '../../../lambda/core/synthetic-data';
import type { LocalPipelineSummary, WeightRow } from '../pipeline-summary';

function weightRow(name: string, truthValue: number, fitted: number, se: number | undefined): WeightRow {
  return {
    name,
    truth: truthValue,
    fitted,
    standardError: se ?? null,
    absZ: se ? Math.abs(fitted - truthValue) / se : null,
  };
}

/** The fitted weights and bias against the generator's true ones, each with its |z|. */
export function truthComparison(
  artifact: ModelArtifact,
  truth: SyntheticTruth,
): LocalPipelineSummary['truth'] {
  return {
    weights: artifact.features.map((f, j) =>
      weightRow(f, truth.weights[f], artifact.weights[j], artifact.standardErrors?.[j]),
    ),
    bias: weightRow('bias', truth.bias, artifact.bias, artifact.biasStandardError),
    noiseStd: truth.noiseStd,
  };
}
