/**
 * A local file as the cleaning core's byte source (read once per pass), gunzipped on the way when
 * its first bytes are gzip's magic number: Firehose and many line PCs write gzip, and the name or
 * the Content-Encoding may not say so. The decompressed bytes are what the core counts against
 * its size limit, so a small object that inflates past it is refused (`too_large`) without being
 * inflated whole; a damaged stream is a file-level `bad_gzip`.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { isGzipMagic } from '../core/input-key';
import { PreprocessError } from '../core/preprocess-error';
import type { ByteSource } from '../core/preprocess';

export interface FileSource {
  readonly open: ByteSource;
  /** The file is gzip (by its bytes). */
  readonly gzip: boolean;
}

async function startsWithGzipMagic(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = new Uint8Array(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return isGzipMagic(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

async function* gunzipped(path: string, chunkBytes: number): AsyncGenerator<Uint8Array> {
  const file = createReadStream(path, { highWaterMark: chunkBytes });
  const gunzip = createGunzip({ chunkSize: 1 << 16 });
  file.on('error', (error) => gunzip.destroy(error));
  file.pipe(gunzip);
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (
      code.startsWith('Z_') ||
      code.startsWith('ERR_ZLIB') ||
      /unexpected end|incorrect header/i.test(String(error))
    ) {
      throw new PreprocessError('bad_gzip', `not a valid gzip stream (${(error as Error).message})`);
    }
    throw error;
  } finally {
    file.destroy();
    gunzip.destroy();
  }
}

/**
 * The byte source of a local file: plain reads, or gunzipped when the file is gzip.
 * `plain` overrides how a plain file is read (the CLI's synchronous reader).
 */
export async function fileSource(
  path: string,
  options: { chunkBytes?: number; plain?: ByteSource } = {},
): Promise<FileSource> {
  const chunkBytes = options.chunkBytes ?? 1 << 20;
  if (await startsWithGzipMagic(path)) return { gzip: true, open: () => gunzipped(path, chunkBytes) };
  return {
    gzip: false,
    open: options.plain ?? (() => createReadStream(path, { highWaterMark: chunkBytes })),
  };
}
