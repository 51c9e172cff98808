/** The preprocess handler's environment: written by the preprocess stack, read by the handler. */
import { encodeSchema, type DatasetSchema } from '../dataset-schema';
import { datasetSchema, readServiceConfig, requiredString, serviceEnvironment, wholeNumber } from './vars';
import type { Env, ServiceConfig } from './vars';

/** The bucket variables, set by the house function's `bindBucket` with its grant. */
export const PREPROCESS_BUCKETS = { raw: 'RAW_BUCKET', curated: 'CURATED_BUCKET' } as const;

/** The preprocess handler's configuration (POWERTOOLS_SERVICE_NAME defaults to 'preprocess'). */
export interface PreprocessConfig extends ServiceConfig {
  /** CURATED_BUCKET (required): where every output goes; never the raw bucket. */
  readonly curatedBucket: string;
  /** DATASET_SCHEMA (required): the dataset schema as JSON. */
  readonly schema: DatasetSchema;
  /** MAX_OBJECT_BYTES (required): larger objects are rejected before download. */
  readonly maxObjectBytes: number;
}

export type PreprocessSettings = Pick<PreprocessConfig, 'schema' | 'maxObjectBytes' | 'metricsNamespace'>;

export function preprocessEnvironment(settings: PreprocessSettings): Record<string, string> {
  return {
    DATASET_SCHEMA: encodeSchema(settings.schema),
    MAX_OBJECT_BYTES: String(settings.maxObjectBytes),
    ...serviceEnvironment(settings),
  };
}

export function readPreprocessConfig(env: Env = process.env): PreprocessConfig {
  return {
    curatedBucket: requiredString(env, PREPROCESS_BUCKETS.curated, 'the curated bucket name'),
    schema: datasetSchema(env, 'DATASET_SCHEMA'),
    maxObjectBytes: wholeNumber(env, 'MAX_OBJECT_BYTES', { min: 1 }),
    ...readServiceConfig(env, 'preprocess'),
  };
}
