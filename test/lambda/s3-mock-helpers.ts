import { GetObjectCommand, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import type { AwsStub } from 'aws-sdk-client-mock';

/** A GetObject answer with a body the SDK's `transformToString` can read. */
export function objectOutput(value: unknown, etag: string): GetObjectCommandOutput {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return {
    $metadata: { httpStatusCode: 200 },
    ETag: etag,
    Body: { transformToString: async () => text } as unknown as GetObjectCommandOutput['Body'],
  };
}

/** The error the SDK raises for a conditional GET answered 304 Not Modified. */
export function notModified(): Error {
  return Object.assign(new Error('NotModified'), {
    name: 'NotModified',
    $fault: 'client',
    $metadata: { httpStatusCode: 304 },
  });
}

export function noSuchKey(): Error {
  return Object.assign(new Error('The specified key does not exist.'), {
    name: 'NoSuchKey',
    $fault: 'client',
    $metadata: { httpStatusCode: 404 },
  });
}

export function accessDenied(): Error {
  return Object.assign(new Error('Access Denied'), {
    name: 'AccessDenied',
    $fault: 'client',
    $metadata: { httpStatusCode: 403 },
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the stub's input/output types vary by client
type S3Stub = AwsStub<any, any, any>;

/**
 * Serves `models/current.json` and artifacts from a mutable in-memory store, answering 304 when
 * If-None-Match equals the stored ETag, as S3 does.
 */
export function serveModels(s3: S3Stub, store: Map<string, { body: unknown; etag: string }>): void {
  s3.on(GetObjectCommand).callsFake(async (input: { Key: string; IfNoneMatch?: string }) => {
    const entry = store.get(input.Key);
    if (!entry) throw noSuchKey();
    if (input.IfNoneMatch !== undefined && input.IfNoneMatch === entry.etag) throw notModified();
    return objectOutput(entry.body, entry.etag);
  });
}
