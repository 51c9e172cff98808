/** The preprocess handler's environment: written by the preprocess stack, read by the handler. */
import { DELIMITER_NAMES, type Delimiter, type DelimiterName } from '../cleaning/delimited-input';
import { DEFAULT_MAX_CATEGORIES, DEFAULT_MAX_COLUMNS } from '../cleaning/limits';
import { encodeSchema, type DatasetSchema } from '../dataset-schema';
import {
  datasetSchema,
  oneOf,
  readServiceConfig,
  requiredString,
  serviceEnvironment,
  wholeNumber,
} from './vars';
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
  /** MAX_COLUMNS (default 4096): a header with more columns is refused. */
  readonly maxColumns: number;
  /** MAX_CATEGORIES (default 10000): a file with more distinct categories is refused. */
  readonly maxCategories: number;
  /** DELIMITER (default comma; tab, semicolon or pipe): the raw files' field delimiter. */
  readonly delimiter: Delimiter;
  /**
   * ATHENA_COPY (`true` or `false`, default true): write Athena's copy of the outputs
   * (athena-copy.ts) for the query stack's Glue tables; the stack sets it to `query.enabled`.
   * Off, no copy is written and an object's earlier copies go with its other stale outputs.
   */
  readonly athenaCopy: boolean;
}

export type PreprocessSettings = Pick<
  PreprocessConfig,
  'schema' | 'maxObjectBytes' | 'metricsNamespace' | 'athenaCopy'
> &
  Partial<Pick<PreprocessConfig, 'maxColumns' | 'maxCategories' | 'delimiter'>>;

const nameOf = (d: Delimiter) =>
  (Object.keys(DELIMITER_NAMES) as DelimiterName[]).find((n) => DELIMITER_NAMES[n] === d)!;

export function preprocessEnvironment(settings: PreprocessSettings): Record<string, string> {
  return {
    DATASET_SCHEMA: encodeSchema(settings.schema),
    MAX_OBJECT_BYTES: String(settings.maxObjectBytes),
    MAX_COLUMNS: String(settings.maxColumns ?? DEFAULT_MAX_COLUMNS),
    MAX_CATEGORIES: String(settings.maxCategories ?? DEFAULT_MAX_CATEGORIES),
    DELIMITER: nameOf(settings.delimiter ?? ','),
    ATHENA_COPY: String(settings.athenaCopy),
    ...serviceEnvironment(settings),
  };
}

export function readPreprocessConfig(env: Env = process.env): PreprocessConfig {
  return {
    curatedBucket: requiredString(env, PREPROCESS_BUCKETS.curated, 'the curated bucket name'),
    schema: datasetSchema(env, 'DATASET_SCHEMA'),
    maxObjectBytes: wholeNumber(env, 'MAX_OBJECT_BYTES', { min: 1 }),
    maxColumns: wholeNumber(env, 'MAX_COLUMNS', { min: 1, fallback: DEFAULT_MAX_COLUMNS }),
    maxCategories: wholeNumber(env, 'MAX_CATEGORIES', { min: 1, fallback: DEFAULT_MAX_CATEGORIES }),
    delimiter:
      DELIMITER_NAMES[oneOf(env, 'DELIMITER', Object.keys(DELIMITER_NAMES) as DelimiterName[], 'comma')],
    athenaCopy: oneOf(env, 'ATHENA_COPY', ['true', 'false'], 'true') === 'true',
    ...readServiceConfig(env, 'preprocess'),
  };
}
