/** The drift step's environment: written by the monitoring stack, read by the handler. */
import { DRIFT_DEFAULTS } from '../drift';
import { finiteNumber, readServiceConfig, requiredString, serviceEnvironment, wholeNumber } from './vars';
import type { Env, ServiceConfig } from './vars';

export const DRIFT_VARIABLES = {
  modelsBucket: 'MODELS_BUCKET',
  logGroup: 'PREDICT_LOG_GROUP',
} as const;

export interface DriftConfig extends ServiceConfig {
  /** MODELS_BUCKET (required): the current pointer and artifacts to read, the reports to write. */
  readonly modelsBucket: string;
  /** PREDICT_LOG_GROUP (required): the predict function's log group, whose drift counts are added up. */
  readonly logGroupName: string;
  /** DRIFT_WINDOW_HOURS (default 24): the window each run adds up, ending at the run. */
  readonly windowHours: number;
  /** DRIFT_PSI (default 0.2): a feature drifted at PSI ≥ this. */
  readonly psi: number;
  /** DRIFT_MEAN_SHIFT_SD (default 0.5): ... or at |mean shift| ≥ this many training SDs. */
  readonly meanShiftSd: number;
}

export type DriftSettings = Pick<DriftConfig, 'windowHours' | 'psi' | 'meanShiftSd' | 'metricsNamespace'>;

export function driftEnvironment(settings: DriftSettings): Record<string, string> {
  return {
    DRIFT_WINDOW_HOURS: String(settings.windowHours),
    DRIFT_PSI: String(settings.psi),
    DRIFT_MEAN_SHIFT_SD: String(settings.meanShiftSd),
    ...serviceEnvironment(settings),
  };
}

/** Reads and checks the handler's environment once; throws ConfigError naming the variable. */
export function readDriftConfig(env: Env = process.env): DriftConfig {
  return {
    modelsBucket: requiredString(env, DRIFT_VARIABLES.modelsBucket, 'the models bucket name'),
    logGroupName: requiredString(env, DRIFT_VARIABLES.logGroup, "the predict function's log group name"),
    windowHours: wholeNumber(env, 'DRIFT_WINDOW_HOURS', { min: 1, fallback: DRIFT_DEFAULTS.windowHours }),
    psi: finiteNumber(env, 'DRIFT_PSI', { min: 0, exclusive: true, fallback: DRIFT_DEFAULTS.psi }),
    meanShiftSd: finiteNumber(env, 'DRIFT_MEAN_SHIFT_SD', {
      min: 0,
      exclusive: true,
      fallback: DRIFT_DEFAULTS.meanShiftSd,
    }),
    ...readServiceConfig(env, 'drift'),
  };
}
