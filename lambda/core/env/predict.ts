/** The predict handler's environment: written by the serving stack, read by the handler. */
import { finiteNumber, oneOf, optionalString, requiredString, serviceEnvironment, wholeNumber } from './vars';
import { DEFAULT_METRICS_NAMESPACE, type Env } from './vars';
import {
  EXTRA_FIELD_MODES,
  UNKNOWN_CATEGORY_MODES,
  type ExtraFields,
  type UnknownCategory,
} from '../predict-request';

export { EXTRA_FIELD_MODES, UNKNOWN_CATEGORY_MODES, type ExtraFields, type UnknownCategory };

export const PREDICT_BUCKETS = { models: 'MODELS_BUCKET' } as const;

export const FILL_MISSING_MODES = ['reject', 'mean'] as const;
export type FillMissing = (typeof FILL_MISSING_MODES)[number];

/**
 * The serving defaults, defined once: the deployable config (lib/config.ts) takes them as its
 * zod defaults, and the handler falls back to them for a variable that is not set.
 */
export const SERVING_DEFAULTS = {
  modelCacheSeconds: 60,
  maxRows: 1000,
  maxBodyBytes: 1024 * 1024,
  anomalyZ: 3,
  fillMissing: 'reject' as FillMissing,
  extraFields: 'ignore' as ExtraFields,
  unknownCategory: 'flag' as UnknownCategory,
};

export interface PredictConfig {
  /** MODELS_BUCKET (required): the bucket holding `models/current.json` and the artifacts. */
  readonly modelsBucket: string;
  /** MODEL_CACHE_SECONDS (default 60): how long a model is served before the pointer is revalidated. */
  readonly modelCacheSeconds: number;
  /** MAX_ROWS (default 1000): rows per request. */
  readonly maxRows: number;
  /** MAX_BODY_BYTES (default 1 MiB): request body size, after base64 decoding. */
  readonly maxBodyBytes: number;
  /** ANOMALY_Z (default 3): |z| above this flags a feature as an anomaly. */
  readonly anomalyZ: number;
  /** FILL_MISSING (default 'reject'): 'mean' fills missing features with training means. */
  readonly fillMissing: FillMissing;
  /** EXTRA_FIELDS (default 'ignore'): row keys that are not model inputs are ignored and listed, or 'reject'ed. */
  readonly extraFields: ExtraFields;
  /** UNKNOWN_CATEGORY (default 'flag'): a row of an unseen category is scored with categoryKnown false, or 'reject'ed. */
  readonly unknownCategory: UnknownCategory;
  /** METRICS_NAMESPACE (default AiaasFactory): CloudWatch namespace of the EMF metrics. */
  readonly metricsNamespace: string;
  /** POWERTOOLS_SERVICE_NAME (default 'predict'). */
  readonly serviceName: string;
}

export type PredictSettings = Omit<PredictConfig, 'modelsBucket' | 'serviceName'>;

export function predictEnvironment(settings: PredictSettings): Record<string, string> {
  return {
    MODEL_CACHE_SECONDS: String(settings.modelCacheSeconds),
    MAX_ROWS: String(settings.maxRows),
    MAX_BODY_BYTES: String(settings.maxBodyBytes),
    ANOMALY_Z: String(settings.anomalyZ),
    FILL_MISSING: settings.fillMissing,
    EXTRA_FIELDS: settings.extraFields,
    UNKNOWN_CATEGORY: settings.unknownCategory,
    ...serviceEnvironment(settings),
  };
}

/** Reads and checks the handler's environment once; throws ConfigError naming the variable. */
export function readPredictConfig(env: Env = process.env): PredictConfig {
  return {
    modelsBucket: requiredString(env, PREDICT_BUCKETS.models, 'the models bucket name'),
    modelCacheSeconds: wholeNumber(env, 'MODEL_CACHE_SECONDS', {
      min: 0,
      fallback: SERVING_DEFAULTS.modelCacheSeconds,
    }),
    maxRows: wholeNumber(env, 'MAX_ROWS', { min: 1, fallback: SERVING_DEFAULTS.maxRows }),
    maxBodyBytes: wholeNumber(env, 'MAX_BODY_BYTES', { min: 2, fallback: SERVING_DEFAULTS.maxBodyBytes }),
    anomalyZ: finiteNumber(env, 'ANOMALY_Z', {
      min: 0,
      exclusive: true,
      fallback: SERVING_DEFAULTS.anomalyZ,
    }),
    fillMissing: oneOf(env, 'FILL_MISSING', FILL_MISSING_MODES, SERVING_DEFAULTS.fillMissing),
    extraFields: oneOf(env, 'EXTRA_FIELDS', EXTRA_FIELD_MODES, SERVING_DEFAULTS.extraFields),
    unknownCategory: oneOf(env, 'UNKNOWN_CATEGORY', UNKNOWN_CATEGORY_MODES, SERVING_DEFAULTS.unknownCategory),
    metricsNamespace: optionalString(env, 'METRICS_NAMESPACE', DEFAULT_METRICS_NAMESPACE),
    serviceName: optionalString(env, 'POWERTOOLS_SERVICE_NAME', 'predict'),
  };
}
