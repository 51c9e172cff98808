/**
 * Reading a handler's environment: once, at cold start, failing fast with a ConfigError that names
 * the variable and what is wrong, so a misconfigured deployment fails on its first invocation
 * with a clear log line instead of half-working. Each handler's variables are declared once, in
 * the module beside this one that also writes them for the stack (`<handler>Environment`).
 */
import { decodeSchema, type DatasetSchema } from '../dataset-schema';
import { ConfigError } from '../errors';

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

/** One of a fixed set of words; required unless a fallback is given. */
export function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback?: T): T {
  const raw = env[name]?.trim();
  if (!raw) {
    if (fallback !== undefined) return fallback;
    throw new ConfigError(
      name,
      `${name} is not set: one of ${values.map((v) => `"${v}"`).join(', ')} is required`,
    );
  }
  if (!values.includes(raw as T)) {
    throw new ConfigError(
      name,
      `${name} must be ${values.map((v) => `"${v}"`).join(' or ')}, got ${JSON.stringify(raw)}`,
    );
  }
  return raw as T;
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

/** A finite number ≥ min (or > min when exclusive); required unless a fallback is given. */
export function finiteNumber(
  env: Env,
  name: string,
  options: { min: number; exclusive?: boolean; fallback?: number },
): number {
  const raw = env[name]?.trim();
  if (!raw) {
    if (options.fallback !== undefined) return options.fallback;
    throw new ConfigError(name, `${name} is not set: a number is required`);
  }
  const value = Number(raw);
  const ok = Number.isFinite(value) && (options.exclusive ? value > options.min : value >= options.min);
  if (!ok) {
    throw new ConfigError(
      name,
      `${name} must be a number ${options.exclusive ? '>' : '≥'} ${options.min}, got ${JSON.stringify(raw)}`,
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

/**
 * The variables a stack sets for every handler besides its own: the metrics namespace.
 * (POWERTOOLS_SERVICE_NAME is the house function's, set from the handler's name.)
 */
export function serviceEnvironment(settings: { readonly metricsNamespace: string }): Record<string, string> {
  return { METRICS_NAMESPACE: settings.metricsNamespace };
}
