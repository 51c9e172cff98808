/**
 * The input as pass 1 reads it: refused as a file when it is too large or not UTF-8 text (NUL
 * bytes, invalid or cut UTF-8), before anything is written.
 */
import { isUtf8 } from 'node:buffer';
import { PreprocessError } from '../preprocess-error';
import type { ByteSource } from './run-contract';

/** Reads the input once, checking size, NUL bytes and UTF-8 on the way (pass 1 only). */
export async function* checkedBytes(open: ByteSource, maxBytes: number, counter: { bytes: number }) {
  let tail: Uint8Array | null = null;
  for await (const chunk of open()) {
    counter.bytes += chunk.length;
    if (counter.bytes > maxBytes) {
      throw new PreprocessError('too_large', `input is larger than the limit of ${maxBytes} bytes`);
    }
    if (Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).indexOf(0) !== -1) {
      throw new PreprocessError('nul_byte', 'input holds NUL bytes: not a text CSV (UTF-16 or binary?)');
    }
    tail = checkUtf8(tail, chunk);
    yield chunk;
  }
  if (tail !== null) throw new PreprocessError('invalid_utf8', 'input ends inside a UTF-8 sequence');
}

/** Validates `chunk` after the carried incomplete sequence `tail`; returns the new tail. */
function checkUtf8(tail: Uint8Array | null, chunk: Uint8Array): Uint8Array | null {
  let data = chunk;
  if (tail !== null) {
    data = new Uint8Array(tail.length + Math.min(chunk.length, 4));
    data.set(tail);
    data.set(chunk.subarray(0, 4), tail.length);
    // Validate the joined sequence on its own, then the rest of the chunk.
    const need = sequenceLength(tail[0]);
    const head = data.subarray(0, need);
    if (head.length < need) return head.slice();
    if (!isUtf8(head)) throw invalidUtf8();
    data = chunk.subarray(need - tail.length);
  }
  // Find an incomplete sequence at the end.
  let cut = data.length;
  for (let k = 1; k <= 3 && k <= data.length; k++) {
    const b = data[data.length - k];
    if ((b & 0xc0) === 0x80) continue;
    if (b >= 0xc0 && sequenceLength(b) > k) cut = data.length - k;
    break;
  }
  if (!isUtf8(data.subarray(0, cut))) throw invalidUtf8();
  return cut < data.length ? data.slice(cut) : null;
}

function sequenceLength(lead: number): number {
  if (lead >= 0xf0) return 4;
  if (lead >= 0xe0) return 3;
  if (lead >= 0xc0) return 2;
  return 1;
}

function invalidUtf8(): PreprocessError {
  return new PreprocessError('invalid_utf8', 'input is not UTF-8 text');
}

/**
 * A plain Uint8Array view of a chunk. Sources often yield Buffers (S3 streams, fs); one element
 * type and one subarray() in the hot loops keeps them monomorphic and avoids Buffer#subarray.
 */
export function plainBytes(chunk: Uint8Array): Uint8Array {
  return chunk.constructor === Uint8Array
    ? chunk
    : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
