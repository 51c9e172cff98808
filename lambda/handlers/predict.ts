/**
 * The serving entry point behind API Gateway (REST API, Lambda proxy integration, event v1):
 *   POST /predict  { "rows": [ { "<category>": "...", "<feature>": number, ... } ] }
 *   GET  /model    the model card
 * Thin: decode the event, validate with the pure decoder, score with the pure core, answer.
 * Every failure is a JSON `{ message, ... }` with a 4xx/5xx status, never a stack trace.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { s3Client } from '../adapters/clients';
import { ModelCache, ModelUnavailableError } from '../adapters/model-cache';
import { modelCard } from '../core/model-card';
import { decodePredictRequest, type RequestProblem } from '../core/predict-request';
import { predictRows, type CompiledModel, type RowPrediction } from '../core/scoring';

/** Configuration error: names the environment variable and what is wrong with it. */
export class ConfigError extends Error {
  readonly code = 'config_error';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

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
  readonly fillMissing: 'reject' | 'mean';
  /** METRICS_NAMESPACE (default AiaasFactory): CloudWatch namespace of the EMF metrics. */
  readonly metricsNamespace: string;
}

export const PREDICT_DEFAULTS = {
  modelCacheSeconds: 60,
  maxRows: 1000,
  maxBodyBytes: 1024 * 1024,
  anomalyZ: 3,
  fillMissing: 'reject',
  metricsNamespace: 'AiaasFactory',
} as const;

function numberVar(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  check: { integer?: boolean; min: number },
): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || (check.integer && !Number.isInteger(value)) || value < check.min) {
    const kind = check.integer ? 'an integer' : 'a number';
    throw new ConfigError(name, `${name} must be ${kind} ≥ ${check.min}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Reads and checks the handler's environment; throws ConfigError naming the variable. */
export function readPredictConfig(env: Record<string, string | undefined> = process.env): PredictConfig {
  const modelsBucket = env.MODELS_BUCKET?.trim();
  if (!modelsBucket)
    throw new ConfigError('MODELS_BUCKET', 'MODELS_BUCKET is not set: the models bucket name is required');
  const fill = (env.FILL_MISSING ?? '').trim();
  if (fill !== '' && fill !== 'reject' && fill !== 'mean') {
    throw new ConfigError(
      'FILL_MISSING',
      `FILL_MISSING must be "mean" or "reject", got ${JSON.stringify(fill)}`,
    );
  }
  return {
    modelsBucket,
    modelCacheSeconds: numberVar(env, 'MODEL_CACHE_SECONDS', PREDICT_DEFAULTS.modelCacheSeconds, { min: 0 }),
    maxRows: numberVar(env, 'MAX_ROWS', PREDICT_DEFAULTS.maxRows, { integer: true, min: 1 }),
    maxBodyBytes: numberVar(env, 'MAX_BODY_BYTES', PREDICT_DEFAULTS.maxBodyBytes, { integer: true, min: 2 }),
    anomalyZ: numberVar(env, 'ANOMALY_Z', PREDICT_DEFAULTS.anomalyZ, { min: 0 }),
    fillMissing: fill === 'mean' ? 'mean' : 'reject',
    metricsNamespace: env.METRICS_NAMESPACE?.trim() || PREDICT_DEFAULTS.metricsNamespace,
  };
}

/** Where the handler gets its model: the S3 cache in Lambda, a fixed model in tests and benches. */
export interface ModelSource {
  get(): Promise<CompiledModel>;
}

export interface PredictDeps {
  readonly config: Omit<PredictConfig, 'modelsBucket' | 'modelCacheSeconds' | 'metricsNamespace'>;
  readonly models: ModelSource;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export type PredictHandler = (
  event: APIGatewayProxyEvent,
  context?: Context,
) => Promise<APIGatewayProxyResult>;

/** A 200 body of POST /predict. */
export interface PredictResponse {
  readonly modelVersion: string;
  readonly predictions: readonly RowPrediction[];
}

/** Every non-2xx body. */
export interface ErrorResponse {
  readonly message: string;
  readonly code: string;
  /** 400 on POST /predict: every problem found (at most 10,000 listed; `errorCount` counts all). */
  readonly errors?: readonly RequestProblem[];
  readonly errorCount?: number;
  readonly requestId?: string;
}

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' } as const;

function respond(statusCode: number, body: unknown, headers?: Record<string, string>): APIGatewayProxyResult {
  return {
    statusCode,
    headers: headers ? { ...JSON_HEADERS, ...headers } : { ...JSON_HEADERS },
    body: JSON.stringify(body),
  };
}

function fail(
  statusCode: number,
  code: string,
  message: string,
  extra?: Partial<ErrorResponse>,
  headers?: Record<string, string>,
): APIGatewayProxyResult {
  return respond(statusCode, { message, code, ...extra }, headers);
}

function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const headers = event.headers;
  if (headers) {
    for (const key in headers) {
      if (key.length === name.length && key.toLowerCase() === name) return headers[key] ?? undefined;
    }
  }
  const multi = event.multiValueHeaders;
  if (multi) {
    for (const key in multi) {
      if (key.length === name.length && key.toLowerCase() === name) return multi[key]?.[0];
    }
  }
  return undefined;
}

/** The route path: the API resource when it is a literal path, otherwise the request path. */
function routeOf(event: APIGatewayProxyEvent): string {
  const resource =
    typeof event.resource === 'string' && !event.resource.includes('{') ? event.resource : undefined;
  const path = resource ?? (typeof event.path === 'string' ? event.path : '');
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/** Checks `Content-Type: application/json` (optionally `; charset=utf-8`); returns a problem or undefined. */
export function contentTypeProblem(value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === '')
    return 'the request has no Content-Type: send application/json';
  const [mediaType, ...params] = value.split(';');
  if (mediaType.trim().toLowerCase() !== 'application/json') {
    return `Content-Type must be application/json, got ${JSON.stringify(value.slice(0, 100))}`;
  }
  for (const param of params) {
    const [name, raw] = param.split('=');
    const charset = raw?.trim().replace(/^"|"$/g, '').toLowerCase();
    if (name.trim().toLowerCase() === 'charset' && charset !== 'utf-8' && charset !== 'utf8') {
      return `only the utf-8 charset is accepted, got ${JSON.stringify(raw?.trim().slice(0, 40))}`;
    }
  }
  return undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

type BodyText = { ok: true; text: string } | { ok: false; result: APIGatewayProxyResult };

/** The body as text, enforcing the size limit in bytes (after base64 decoding) and UTF-8. */
function bodyText(event: APIGatewayProxyEvent, maxBytes: number): BodyText {
  const body = event.body;
  if (body === null || body === undefined || body === '') {
    return {
      ok: false,
      result: fail(400, 'empty_body', 'the request body is empty: send { "rows": [...] }'),
    };
  }
  const tooLarge = (bytes: number | string): BodyText => ({
    ok: false,
    result: fail(
      413,
      'body_too_large',
      `the request body is ${bytes} bytes, more than the limit of ${maxBytes}`,
    ),
  });
  if (event.isBase64Encoded) {
    // Base64 carries 3 bytes per 4 characters: reject before decoding what is clearly too big.
    if (Math.floor((body.length * 3) / 4) - 2 > maxBytes)
      return tooLarge(`about ${Math.floor((body.length * 3) / 4)}`);
    const bytes = Buffer.from(body, 'base64');
    if (bytes.length > maxBytes) return tooLarge(bytes.length);
    try {
      return { ok: true, text: utf8.decode(bytes) };
    } catch {
      return { ok: false, result: fail(400, 'invalid_utf8', 'the request body is not valid UTF-8') };
    }
  }
  // A UTF-16 code unit is 1 to 3 UTF-8 bytes: only count bytes when the length leaves it open.
  if (body.length > maxBytes) return tooLarge(Buffer.byteLength(body, 'utf8'));
  if (body.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(body, 'utf8');
    if (bytes > maxBytes) return tooLarge(bytes);
  }
  return { ok: true, text: body };
}

function unavailable(error: ModelUnavailableError): APIGatewayProxyResult {
  return fail(503, error.code, error.message, undefined, { 'retry-after': '30' });
}

/** Builds the handler around its dependencies (tests and the bench inject them). */
export function createPredictHandler(deps: PredictDeps): PredictHandler {
  const { config, models, logger, metrics } = deps;

  async function predict(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
    const typeProblem = contentTypeProblem(header(event, 'content-type'));
    if (typeProblem) return fail(415, 'unsupported_media_type', typeProblem);
    const body = bodyText(event, config.maxBodyBytes);
    if (!body.ok) return body.result;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.text);
    } catch (error) {
      return fail(
        400,
        'invalid_json',
        `the request body is not valid JSON: ${(error as Error).message.slice(0, 200)}`,
      );
    }
    const model = await models.get();
    const decoded = decodePredictRequest(parsed, model, config);
    if (decoded.problemCount > 0) {
      const n = decoded.problemCount;
      logger.info('request rejected', {
        problems: n,
        firstProblem: decoded.problems[0]?.code,
        rows: decoded.count,
      });
      return fail(400, 'invalid_request', `the request has ${n} problem${n === 1 ? '' : 's'}`, {
        errors: decoded.problems,
        errorCount: n,
      });
    }
    const predictions = predictRows(model, decoded, config);
    let anomalies = 0;
    for (let i = 0; i < predictions.length; i++) anomalies += predictions[i].anomalies.length;
    metrics.addMetric('Predictions', MetricUnit.Count, predictions.length);
    metrics.addMetric('Anomalies', MetricUnit.Count, anomalies);
    logger.info('predicted', { rows: predictions.length, anomalies, modelVersion: model.version });
    const response: PredictResponse = { modelVersion: model.version, predictions };
    return respond(200, response, { 'x-model-version': model.version });
  }

  async function card(): Promise<APIGatewayProxyResult> {
    const model = await models.get();
    return respond(200, modelCard(model.artifact), { 'x-model-version': model.version });
  }

  async function route(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
    const path = routeOf(event);
    const method = typeof event.httpMethod === 'string' ? event.httpMethod.toUpperCase() : '';
    if (path === '/predict') {
      return method === 'POST'
        ? predict(event)
        : fail(405, 'method_not_allowed', `${method} /predict is not allowed: use POST`, undefined, {
            allow: 'POST',
          });
    }
    if (path === '/model') {
      return method === 'GET'
        ? card()
        : fail(405, 'method_not_allowed', `${method} /model is not allowed: use GET`, undefined, {
            allow: 'GET',
          });
    }
    return fail(
      404,
      'not_found',
      `no route ${method} ${JSON.stringify(path.slice(0, 200))}: use POST /predict or GET /model`,
    );
  }

  return async (event, context) => {
    const requestId = event?.requestContext?.requestId;
    if (context) logger.addContext(context);
    logger.appendKeys({ apiRequestId: requestId });
    try {
      return await route(event);
    } catch (error) {
      if (error instanceof ModelUnavailableError) {
        logger.error('model unavailable', { code: error.code, reason: error.message });
        return unavailable(error);
      }
      logger.error('unexpected error', error as Error);
      return fail(500, 'internal_error', 'internal error: the request could not be processed', { requestId });
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      logger.resetKeys();
    }
  };
}

/** The production wiring: env read once, SDK client and model cache created once per environment. */
export function createDefaultPredictHandler(
  env: Record<string, string | undefined> = process.env,
): PredictHandler {
  const config = readPredictConfig(env);
  const serviceName = env.POWERTOOLS_SERVICE_NAME || 'predict';
  const logger = new Logger({ serviceName });
  const metrics = new Metrics({ namespace: config.metricsNamespace, serviceName });
  const models = new ModelCache({
    s3: s3Client(),
    bucket: config.modelsBucket,
    maxAgeSeconds: config.modelCacheSeconds,
    logger,
  });
  return createPredictHandler({ config, models, logger, metrics });
}

let instance: PredictHandler | undefined;
let bootLogger: Logger | undefined;

/** Lambda entry point (`handler` in the bundle). */
export const handler: PredictHandler = async (event, context) => {
  if (!instance) {
    try {
      instance = createDefaultPredictHandler();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      (bootLogger ??= new Logger({ serviceName: 'predict' })).error('predict handler misconfigured', {
        reason: message,
        variable: error instanceof ConfigError ? error.variable : undefined,
      });
      return fail(500, 'config_error', `the predict service is misconfigured: ${message}`);
    }
  }
  return instance(event, context);
};
