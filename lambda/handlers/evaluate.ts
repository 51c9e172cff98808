/**
 * The training state machine's evaluate step: is the candidate better than the served model?
 *
 * Input:  { candidate: "s3://bucket/key" | { bucket, key } }   (the trainer's model.json)
 * Output: { better, reason, candidate: { location, version, metrics },
 *           current: { version, key, metrics } | null }
 *
 * Better = there is no current model, or the candidate's holdout RMSE is lower. A candidate that is
 * not a complete artifact is an InvalidCandidate error (the state machine's catch sends it to the
 * failure state); it is never compared.
 *
 * Metrics (EMF, namespace METRICS_NAMESPACE, dimension `service`), one set per candidate compared:
 * CandidateRmse and CandidateR2 (None: the candidate's holdout figures) and CandidateBetter
 * (Count: 1 when better, else 0). An invalid candidate publishes none.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { readModelsStepConfig, type ModelsStepConfig } from '../core/env/models-steps';
import type { Env } from '../core/env/vars';
import { getArtifact, parseLocation, readPointer, type ObjectLocation } from '../adapters/model-store';
import { stepHandler, type StepDeps } from '../adapters/step-handler';
import { artifactProblems, type ModelMetrics } from '../core/model-artifact';

export interface EvaluateEvent {
  readonly candidate: unknown;
}

export interface EvaluateOutput {
  readonly better: boolean;
  readonly reason: string;
  readonly candidate: {
    readonly location: ObjectLocation;
    readonly version: string;
    readonly metrics: ModelMetrics;
  };
  readonly current: { readonly version: string; readonly key: string; readonly metrics: ModelMetrics } | null;
}

/** POWERTOOLS_SERVICE_NAME defaults to 'evaluate'. */
/** MODELS_BUCKET (required): holds models/current.json. */
export type EvaluateConfig = ModelsStepConfig;

/** The candidate is missing, malformed or not a complete artifact; `name` is the state machine's error type. */
export class InvalidCandidateError extends Error {
  readonly code = 'invalid_candidate';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidCandidate';
  }
}

/** Where the candidate is; a missing or malformed location is an InvalidCandidateError. */
export function candidateLocation(value: unknown): ObjectLocation {
  try {
    return parseLocation(value);
  } catch (error) {
    throw new InvalidCandidateError((error as Error).message);
  }
}

export function readEvaluateConfig(env: Env = process.env): EvaluateConfig {
  return readModelsStepConfig('evaluate', env);
}

export type EvaluateDeps = StepDeps<EvaluateConfig>;

/**
 * Candidate better than current? By the task's metric: lower holdout log-loss for
 * classification, lower holdout RMSE for regression; no current model, or one of the other task
 * (the target changed meaning), means yes.
 */
export function compareMetrics(
  candidate: ModelMetrics,
  current: ModelMetrics | null,
): { better: boolean; reason: string } {
  if (!current) return { better: true, reason: 'no current model' };
  const ours = candidate.classification;
  const theirs = current.classification;
  if ((ours === undefined) !== (theirs === undefined)) {
    return {
      better: true,
      reason: `the task changed (current ${theirs ? 'classification' : 'regression'}, candidate ${ours ? 'classification' : 'regression'})`,
    };
  }
  if (ours && theirs) {
    if (!Number.isFinite(theirs.logLoss))
      return { better: true, reason: 'the current model has no usable log-loss' };
    return ours.logLoss < theirs.logLoss
      ? { better: true, reason: `log-loss ${ours.logLoss} < current ${theirs.logLoss}` }
      : { better: false, reason: `log-loss ${ours.logLoss} ≥ current ${theirs.logLoss}` };
  }
  if (!(typeof current.rmse === 'number' && Number.isFinite(current.rmse))) {
    return { better: true, reason: 'the current model has no usable RMSE' };
  }
  return candidate.rmse < current.rmse
    ? { better: true, reason: `RMSE ${candidate.rmse} < current ${current.rmse}` }
    : { better: false, reason: `RMSE ${candidate.rmse} ≥ current ${current.rmse}` };
}

export async function runEvaluate(event: EvaluateEvent, deps: EvaluateDeps): Promise<EvaluateOutput> {
  const { s3, config, logger, metrics } = deps;
  const location = candidateLocation(event?.candidate);
  let candidate;
  try {
    candidate = await getArtifact(s3, location.bucket, location.key);
  } catch (error) {
    throw new InvalidCandidateError(
      `cannot read candidate s3://${location.bucket}/${location.key}: ${(error as Error).message}`,
    );
  }
  const problems = artifactProblems(candidate);
  if (problems.length > 0) {
    throw new InvalidCandidateError(
      `candidate s3://${location.bucket}/${location.key} is not a complete artifact: ${problems.join('; ')}`,
    );
  }
  const pointer = await readPointer(s3, config.modelsBucket);
  const current = pointer ? { version: pointer.version, key: pointer.key, metrics: pointer.metrics } : null;
  const verdict = compareMetrics(candidate.metrics, current?.metrics ?? null);
  const output: EvaluateOutput = {
    ...verdict,
    candidate: { location, version: candidate.version, metrics: candidate.metrics },
    current,
  };
  logger.info('candidate evaluated', { ...output });
  metrics.addMetric('CandidateRmse', MetricUnit.NoUnit, candidate.metrics.rmse);
  metrics.addMetric('CandidateR2', MetricUnit.NoUnit, candidate.metrics.r2);
  if (candidate.metrics.classification)
    metrics.addMetric('CandidateLogLoss', MetricUnit.NoUnit, candidate.metrics.classification.logLoss);
  metrics.addMetric('CandidateBetter', MetricUnit.Count, verdict.better ? 1 : 0);
  metrics.publishStoredMetrics();
  return output;
}

export const handler = stepHandler('evaluate', readEvaluateConfig, runEvaluate);
