/**
 * The predict handler on a local HTTP port: each request becomes the API Gateway REST proxy
 * (v1) event the Lambda integration would deliver, and the handler's result becomes the response.
 * Only what the API in front of the real function does for a request is emulated: no IAM signing,
 * no request validator, no throttling (those live in the serving stack, not in the handler).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { lambdaContext } from './lambda-context';

export type ProxyHandler = (event: APIGatewayProxyEvent, context?: Context) => Promise<APIGatewayProxyResult>;

/** API Gateway's request payload limit. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

export interface LocalApi {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** An HTTP request (already read) as the proxy event API Gateway builds for it. */
export function toProxyEvent(
  req: Pick<IncomingMessage, 'method' | 'url' | 'headersDistinct'>,
  body: Buffer,
  requestId: string = randomUUID(),
  sourceIp = '127.0.0.1',
): APIGatewayProxyEvent {
  const url = new URL(req.url ?? '/', 'http://local');
  const method = (req.method ?? 'GET').toUpperCase();
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (!values || values.length === 0) continue;
    headers[name] = values[values.length - 1];
    multiValueHeaders[name] = [...values];
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    (multiQuery[name] ??= []).push(value);
  }
  // API Gateway passes text bodies as strings and anything else base64-encoded; the handler
  // accepts both, and only base64 keeps invalid UTF-8 detectable.
  let text: string | null = null;
  let isBase64Encoded = false;
  if (body.length > 0) {
    try {
      text = utf8.decode(body);
    } catch {
      text = body.toString('base64');
      isBase64Encoded = true;
    }
  }
  const hasQuery = Object.keys(query).length > 0;
  return {
    httpMethod: method,
    path: url.pathname,
    // The serving API declares literal resources (/predict, /model); any other path would be a
    // 403/404 at API Gateway, which the handler's own 404 stands in for.
    resource: url.pathname,
    body: text,
    isBase64Encoded,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: method,
      identity: { sourceIp } as APIGatewayProxyEvent['requestContext']['identity'],
      path: `/local${url.pathname}`,
      stage: 'local',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: url.pathname,
    },
  };
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) over = true;
      else parts.push(chunk);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(parts)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, result: APIGatewayProxyResult): void {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
  for (const [k, v] of Object.entries(result.multiValueHeaders ?? {})) headers[k] = v.map(String);
  const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body ?? '');
  headers['content-length'] = String(body.length);
  res.writeHead(result.statusCode, headers);
  res.end(body);
}

/** Serves `handler` on 127.0.0.1:`port` (0: any free port). */
export async function serveProxyHandler(
  handler: ProxyHandler,
  options: { port?: number; host?: string } = {},
): Promise<LocalApi> {
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer((req, res) => {
    void (async () => {
      const requestId = randomUUID();
      try {
        const body = await readBody(req, MAX_REQUEST_BYTES);
        if (body === null) {
          send(res, {
            statusCode: 413,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ message: `request body over ${MAX_REQUEST_BYTES} bytes` }),
          });
          return;
        }
        const event = toProxyEvent(req, body, requestId, req.socket.remoteAddress ?? host);
        send(
          res,
          await handler(
            event,
            lambdaContext({ functionName: 'predict-local', requestId, remainingMs: 29_000 }),
          ),
        );
      } catch {
        // The handler answers every error itself; reaching here means the adapter failed.
        send(res, {
          statusCode: 502,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ message: 'internal server error', requestId }),
        });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
