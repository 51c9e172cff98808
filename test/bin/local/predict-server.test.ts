import type { APIGatewayProxyEvent } from 'aws-lambda';
import { serveProxyHandler, toProxyEvent, type LocalApi } from '../../../bin/local/predict-server';

const request = (method: string, url: string, headers: Record<string, string[]> = {}) => ({
  method,
  url,
  headersDistinct: headers,
});

describe('toProxyEvent', () => {
  it('builds the REST proxy v1 event: method, path as resource, headers, query and a text body', () => {
    const event = toProxyEvent(
      request('post', '/predict?debug=1&debug=2', { 'content-type': ['application/json'] }),
      Buffer.from('{"rows":[]}'),
      'req-7',
    );
    expect(event).toMatchObject({
      httpMethod: 'POST',
      path: '/predict',
      resource: '/predict',
      body: '{"rows":[]}',
      isBase64Encoded: false,
      headers: { 'content-type': 'application/json' },
      multiValueHeaders: { 'content-type': ['application/json'] },
      queryStringParameters: { debug: '2' },
      multiValueQueryStringParameters: { debug: ['1', '2'] },
      requestContext: { requestId: 'req-7', httpMethod: 'POST', resourcePath: '/predict', stage: 'local' },
    });
  });

  it('passes an empty body as null and no query as null, like API Gateway', () => {
    const event = toProxyEvent(request('GET', '/model'), Buffer.alloc(0));
    expect(event.body).toBeNull();
    expect(event.queryStringParameters).toBeNull();
    expect(event.multiValueQueryStringParameters).toBeNull();
  });

  it('base64-encodes a body that is not valid UTF-8, so the handler can still reject it as such', () => {
    const bytes = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    const event = toProxyEvent(request('POST', '/predict'), bytes);
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body!, 'base64')).toEqual(bytes);
  });
});

describe('serveProxyHandler', () => {
  let api: LocalApi;
  const seen: APIGatewayProxyEvent[] = [];

  beforeAll(async () => {
    api = await serveProxyHandler(async (event) => {
      seen.push(event);
      if (event.path === '/boom') throw new Error('adapter must not leak this');
      return {
        statusCode: 201,
        headers: { 'x-model-version': 'v1', 'content-type': 'application/json' },
        body: JSON.stringify({ echo: event.body }),
      };
    });
  });
  afterAll(() => api.close());

  it('answers over real HTTP with the handler status, headers and body', async () => {
    const res = await fetch(`${api.url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"rows":[1]}',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-model-version')).toBe('v1');
    expect(await res.json()).toEqual({ echo: '{"rows":[1]}' });
    expect(seen.at(-1)?.headers['content-type']).toBe('application/json');
  });

  it('answers 502 without details when the handler throws', async () => {
    const res = await fetch(`${api.url}/boom`);
    expect(res.status).toBe(502);
    expect(JSON.stringify(await res.json())).not.toContain('adapter must not leak this');
  });

  it('listens on loopback only', () => {
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
