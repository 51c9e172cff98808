/**
 * Reading a handler's environment: once, at cold start, failing fast with a ConfigError that names
 * the variable and what is wrong, so a misconfigured deployment fails on its first invocation
 * with a clear log line instead of half-working.
 */
import { decodeSchema, type DatasetSchema } from '../core/dataset-schema';
import { ConfigError } from '../core/errors';

export type Env = Readonly<Record<string, string | undefined>>;

/** A required non-empty string. */
export function requiredString(env: Env, name: string, what: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(name, `${name} is not set: ${what} is required`);
  return value;
}

/** An optional string with a default. */
export function optionalString(env: Env, name: string, fallback: string): string {
  const value = env[name]?.trim();
  return value ? value : fallback;
}

/** A whole number ≥ min; required unless a fallback is given. */
export function wholeNumber(env: Env, name: string, options: { min: number; fallback?: number }): number {
  const raw = env[name]?.trim();
  if (!raw) {
    if (options.fallback !== undefined) return options.fallback;
    throw new ConfigError(name, `${name} is not set: a whole number ≥ ${options.min} is required`);
  }
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < options.min) {
    throw new ConfigError(
      name,
      `${name} must be a whole number ≥ ${options.min}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

/** The dataset schema (JSON, see dataset-schema.ts `encodeSchema`). */
export function datasetSchema(env: Env, name = 'DATASET_SCHEMA'): DatasetSchema {
  const raw = requiredString(env, name, 'the dataset schema (JSON)');
  try {
    return decodeSchema(raw);
  } catch (error) {
    throw new ConfigError(name, `${name} is invalid: ${(error as Error).message}`);
  }
}

export const DEFAULT_METRICS_NAMESPACE = 'AiaasFactory';

/** What every handler's Logger and Metrics are named by. */
export interface ServiceConfig {
  /** POWERTOOLS_SERVICE_NAME (default: the handler's name): also the metrics' `service` dimension. */
  readonly serviceName: string;
  /** METRICS_NAMESPACE (default 'AiaasFactory'): CloudWatch namespace of the EMF metrics. */
  readonly metricsNamespace: string;
}

/** POWERTOOLS_SERVICE_NAME (default `defaultServiceName`) and METRICS_NAMESPACE; never throws. */
export function readServiceConfig(env: Env, defaultServiceName: string): ServiceConfig {
  return {
    serviceName: optionalString(env, 'POWERTOOLS_SERVICE_NAME', defaultServiceName),
    metricsNamespace: optionalString(env, 'METRICS_NAMESPACE', DEFAULT_METRICS_NAMESPACE),
  };
}

/** The preprocess handler's configuration (POWERTOOLS_SERVICE_NAME defaults to 'preprocess'). */
export interface PreprocessConfig extends ServiceConfig {
  /** CURATED_BUCKET (required): where every output goes; never the raw bucket. */
  readonly curatedBucket: string;
  /** DATASET_SCHEMA (required): the dataset schema as JSON. */
  readonly schema: DatasetSchema;
  /** MAX_OBJECT_BYTES (required): larger objects are rejected before download. */
  readonly maxObjectBytes: number;
}

export function readPreprocessConfig(env: Env = process.env): PreprocessConfig {
  return {
    curatedBucket: requiredString(env, 'CURATED_BUCKET', 'the curated bucket name'),
    schema: datasetSchema(env, 'DATASET_SCHEMA'),
    maxObjectBytes: wholeNumber(env, 'MAX_OBJECT_BYTES', { min: 1 }),
    ...readServiceConfig(env, 'preprocess'),
  };
}
