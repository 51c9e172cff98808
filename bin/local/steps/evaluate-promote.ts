import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { MODELS_BUCKET_VARIABLE, readModelsStepConfig } from '../../../lambda/core/env/models-steps';
import type { ModelArtifact } from '../../../lambda/core/model-artifact';
import type { EvaluateOutput } from '../../../lambda/handlers/evaluate';
import type { PromoteOutput } from '../../../lambda/handlers/promote';
import type { HandlerDeps } from '../handler-deps';
import type { RunClock } from '../run-clock';

export interface PromotedModel {
  readonly evaluation: EvaluateOutput;
  readonly promotion: PromoteOutput;
  /** The artifact at the promotion's key (the serving model). */
  readonly artifact: ModelArtifact;
}

/** The evaluate and promote handlers on the candidate, then the artifact they leave at the promoted key. */
export async function evaluateAndPromote(
  clock: RunClock,
  s3: S3Client,
  deps: HandlerDeps,
  options: { readonly modelsBucket: string; readonly candidate: string },
): Promise<PromotedModel> {
  const { modelsBucket, candidate } = options;
  const { runEvaluate } = await import('../../../lambda/handlers/evaluate');
  const { runPromote } = await import('../../../lambda/handlers/promote');
  const modelsEnv = { [MODELS_BUCKET_VARIABLE]: modelsBucket };
  const evaluation: EvaluateOutput = await clock.step('evaluate', () =>
    runEvaluate({ candidate }, deps(readModelsStepConfig('evaluate', modelsEnv))),
  );
  const promotion: PromoteOutput = await clock.step('promote', () =>
    runPromote(evaluation, deps(readModelsStepConfig('promote', modelsEnv))),
  );
  clock.say(
    `evaluate: ${evaluation.better ? 'better' : 'not better'} (${evaluation.reason}); ` +
      `promote: ${promotion.promoted ? 'promoted' : 'kept'} → s3://${modelsBucket}/${promotion.key}`,
  );
  const artifactRes = await s3.send(new GetObjectCommand({ Bucket: modelsBucket, Key: promotion.key }));
  const artifact = JSON.parse(await artifactRes.Body!.transformToString('utf-8')) as ModelArtifact;
  return { evaluation, promotion, artifact };
}
