/**
 * The environment of the steps that only name the models bucket: evaluate, promote and
 * record-job. Written by the training stack (through `bindBucket`), read by the handlers.
 */
import { readServiceConfig, requiredString } from './vars';
import type { Env, ServiceConfig } from './vars';

export const MODELS_BUCKET_VARIABLE = 'MODELS_BUCKET';

/** A step that reads or writes the models bucket. */
export interface ModelsStepConfig extends ServiceConfig {
  /** MODELS_BUCKET (required): artifacts, the current pointer and the calibration records. */
  readonly modelsBucket: string;
}

/** POWERTOOLS_SERVICE_NAME defaults to the step's name. */
export function readModelsStepConfig(
  step: 'evaluate' | 'promote' | 'record-job',
  env: Env = process.env,
): ModelsStepConfig {
  return {
    modelsBucket: requiredString(env, MODELS_BUCKET_VARIABLE, 'the models bucket name'),
    ...readServiceConfig(env, step),
  };
}
