/**
 * What Lambda hands a handler besides its event, and the REST API's proxy event (v1), for the
 * places that call handlers outside Lambda: the local pipeline and predict server, the
 * benchmarks and the tests. One definition each, so none of them drifts from the shape Lambda
 * and API Gateway deliver.
 */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';

export interface LocalContextOptions {
  readonly functionName: string;
  readonly requestId: string;
  /** @default 1024 */
  readonly memoryMiB?: number;
  /** @default 30000 */
  readonly remainingMs?: number;
  /** @default 'eu-west-1' */
  readonly region?: string;
}

export function lambdaContext(options: LocalContextOptions): Context {
  const region = options.region ?? 'eu-west-1';
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: options.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${options.functionName}`,
    memoryLimitInMB: String(options.memoryMiB ?? 1024),
    awsRequestId: options.requestId,
    logGroupName: `/aws/lambda/${options.functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => options.remainingMs ?? 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** An API Gateway REST proxy event (v1) with a JSON content type, as the Lambda integration delivers it. */
export function apiGatewayEvent(
  method: string,
  path: string,
  body: string | null = null,
  overrides: Partial<APIGatewayProxyEvent> = {},
): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    path,
    resource: path,
    body,
    headers: { 'Content-Type': 'application/json' },
    multiValueHeaders: {},
    isBase64Encoded: false,
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: { requestId: 'req-1' } as APIGatewayProxyEvent['requestContext'],
    ...overrides,
  };
}
