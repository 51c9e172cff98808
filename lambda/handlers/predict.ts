/**
 * The serving entry point behind API Gateway (REST API, Lambda proxy integration, event v1):
 *   POST /predict  { "rows": [ { "<category>": "...", "<feature>": number, ... } ] }
 *                  (other keys of a real row, ids, timestamp, target, are ignored and listed)
 *   GET  /model    the model card
 * Thin: decode the event, validate with the pure decoder, score with the pure core, answer.
 * Every failure is a JSON `{ message, ... }` with a 4xx/5xx status, never a stack trace.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { s3Client } from '../adapters/clients';
import { readPredictConfig, type PredictConfig } from '../core/env/predict';
import { lambdaEntry } from '../adapters/lambda-entry';
import { ModelCache, ModelUnavailableError } from '../adapters/model-cache';
import {
  FactoryError,
  errorResponse,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../core/errors';
import { DRIFT_LOG_KEY, requestDriftRecords } from '../core/drift';
import { modelCard } from '../core/model-card';
import { decodePredictRequest, type RequestProblem } from '../core/predict-request';
import { predictRows, type CompiledModel, type RowPrediction } from '../core/scoring';

export { readPredictConfig, type PredictConfig };

/** Where the handler gets its model: the S3 cache in Lambda, a fixed model in tests and benches. */
export interface ModelSource {
  get(): Promise<CompiledModel>;
}

export interface PredictDeps {
  readonly config: Pick<PredictConfig, 'maxRows' | 'maxBodyBytes' | 'anomalyZ' | 'fillMissing'> &
    Partial<Pick<PredictConfig, 'extraFields' | 'unknownCategory'>>;
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
  /**
   * Row keys that are not model inputs (ids, timestamp, target, anything else), each once over the
   * request (at most 100 listed); present only when there were some. They did not affect the answer.
   */
  readonly ignoredFields?: readonly string[];
}

/** Every non-2xx body. */
export interface ErrorResponse {
  readonly message: string;
  /** The house error code (lambda/core/errors.ts), or `method_not_allowed`. */
  readonly code: string;
  /** Finer cause: `invalid_request`, `invalid_json`, `invalid_utf8`, `empty_body`; `no_model`, `invalid_model`, `model_store_error`. */
  readonly reason?: string;
  /** 400 on POST /predict: every problem found (at most 10,000 listed; `errorCount` counts all). */
  readonly errors?: readonly RequestProblem[];
  readonly errorCount?: number;
  readonly requestId?: string;
}

export type BadRequestReason = 'invalid_request' | 'invalid_json' | 'invalid_utf8' | 'empty_body';

/** A 400 with a finer reason and, for a decoded body, every problem found. */
export class BadRequestError extends ValidationError {
  constructor(
    readonly reason: BadRequestReason,
    message: string,
    readonly problems?: readonly RequestProblem[],
    readonly problemCount?: number,
  ) {
    super(message);
  }
}

/** A known route asked with the wrong method (405). */
class MethodNotAllowedError extends Error {
  constructor(
    message: string,
    readonly allow: string,
  ) {
    super(message);
  }
}

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' } as const;

function respond(statusCode: number, body: unknown, headers?: Record<string, string>): APIGatewayProxyResult {
  return {
    statusCode,
    headers: headers ? { ...JSON_HEADERS, ...headers } : { ...JSON_HEADERS },
    body: JSON.stringify(body),
  };
}

/** Any thrown value as a JSON error response; never a stack trace. */
export function errorResult(error: unknown, requestId?: string): APIGatewayProxyResult {
  if (error instanceof MethodNotAllowedError) {
    return respond(405, { message: error.message, code: 'method_not_allowed' }, { allow: error.allow });
  }
  const { status, code, message } = errorResponse(error);
  const body: ErrorResponse =
    error instanceof BadRequestError
      ? error.problems
        ? { message, code, reason: error.reason, errors: error.problems, errorCount: error.problemCount }
        : { message, code, reason: error.reason }
      : error instanceof ModelUnavailableError
        ? { message, code, reason: error.reason }
        : error instanceof FactoryError
          ? { message, code }
          : { message: 'internal error: the request could not be processed', code, requestId };
  return respond(status, body, error instanceof ModelUnavailableError ? { 'retry-after': '30' } : undefined);
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

function tooLarge(bytes: number, maxBytes: number, about = false): PayloadTooLargeError {
  return new PayloadTooLargeError(
    `the request body is ${about ? 'about ' : ''}${bytes} bytes, more than the limit of ${maxBytes}`,
    bytes,
    maxBytes,
  );
}

/** The body as text, enforcing the size limit in bytes (after base64 decoding) and UTF-8. */
export function bodyText(event: APIGatewayProxyEvent, maxBytes: number): string {
  const body = event.body;
  if (body === null || body === undefined || body === '') {
    throw new BadRequestError('empty_body', 'the request body is empty: send { "rows": [...] }');
  }
  if (event.isBase64Encoded) {
    // Base64 carries 3 bytes per 4 characters: reject before decoding what is clearly too big.
    const approx = Math.floor((body.length * 3) / 4);
    if (approx - 2 > maxBytes) throw tooLarge(approx, maxBytes, true);
    const bytes = Buffer.from(body, 'base64');
    if (bytes.length > maxBytes) throw tooLarge(bytes.length, maxBytes);
    try {
      return utf8.decode(bytes);
    } catch {
      throw new BadRequestError('invalid_utf8', 'the request body is not valid UTF-8');
    }
  }
  // A UTF-16 code unit is 1 to 3 UTF-8 bytes: only count bytes when the length leaves it open.
  if (body.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(body, 'utf8');
    if (bytes > maxBytes) throw tooLarge(bytes, maxBytes);
  }
  return body;
}

/** Builds the handler around its dependencies (tests and the bench inject them). */
export function createPredictHandler(deps: PredictDeps): PredictHandler {
  const { config, models, logger, metrics } = deps;

  async function predict(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
    const typeProblem = contentTypeProblem(header(event, 'content-type'));
    if (typeProblem) throw new UnsupportedMediaTypeError(typeProblem);
    const text = bodyText(event, config.maxBodyBytes);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new BadRequestError(
        'invalid_json',
        `the request body is not valid JSON: ${(error as Error).message.slice(0, 200)}`,
      );
    }
    const model = await models.get();
    const decoded = decodePredictRequest(parsed, model, config);
    if (decoded.problemCount > 0) {
      const n = decoded.problemCount;
      throw new BadRequestError(
        'invalid_request',
        `the request has ${n} problem${n === 1 ? '' : 's'}`,
        decoded.problems,
        n,
      );
    }
    const predictions = predictRows(model, decoded, config);
    let anomalies = 0;
    for (let i = 0; i < predictions.length; i++) anomalies += predictions[i].anomalies.length;
    metrics.addMetric('Predictions', MetricUnit.Count, predictions.length);
    metrics.addMetric('Anomalies', MetricUnit.Count, anomalies);
    // Drift counts ride in the request's log line (lambda/core/drift.ts): the drift step adds them
    // up with Logs Insights. A metric per feature × bin would cost more than the rest of serving.
    const drift = requestDriftRecords(model.artifact, decoded, (c) => model.profiles.has(c));
    logger.info('predicted', {
      rows: predictions.length,
      anomalies,
      modelVersion: model.version,
      ...(drift.length > 0 ? { [DRIFT_LOG_KEY]: drift[0] } : {}),
    });
    for (let k = 1; k < drift.length; k++)
      logger.info('drift counts (continued)', { [DRIFT_LOG_KEY]: drift[k] });
    const response: PredictResponse =
      decoded.ignoredFields.length > 0
        ? { modelVersion: model.version, predictions, ignoredFields: decoded.ignoredFields }
        : { modelVersion: model.version, predictions };
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
      if (method !== 'POST')
        throw new MethodNotAllowedError(`${method} /predict is not allowed: use POST`, 'POST');
      return predict(event);
    }
    if (path === '/model') {
      if (method !== 'GET')
        throw new MethodNotAllowedError(`${method} /model is not allowed: use GET`, 'GET');
      return card();
    }
    throw new NotFoundError(
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
        logger.error('model unavailable', { reason: error.reason, detail: error.message });
      } else if (error instanceof FactoryError || error instanceof MethodNotAllowedError) {
        const problems = error instanceof BadRequestError ? error.problemCount : undefined;
        logger.info('request rejected', {
          code: (error as FactoryError).code,
          detail: error.message,
          problems,
        });
      } else {
        logger.error('unexpected error', error as Error);
      }
      return errorResult(error, requestId);
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      logger.resetKeys();
    }
  };
}

/**
 * Lambda entry point (`handler` in the bundle). The environment is read on the first invocation
 * and the wiring kept for the life of the execution environment; a bad environment answers 500
 * with the variable named, and is logged, on every request until it is fixed.
 */
export const handler: PredictHandler = lambdaEntry({
  name: 'predict',
  readConfig: readPredictConfig,
  create: ({ config, logger, metrics }) =>
    createPredictHandler({
      config,
      models: new ModelCache({
        s3: s3Client(),
        bucket: config.modelsBucket,
        maxAgeSeconds: config.modelCacheSeconds,
        logger,
      }),
      logger,
      metrics,
    }),
  misconfigured: (error, event) => errorResult(error, event?.requestContext?.requestId),
});
