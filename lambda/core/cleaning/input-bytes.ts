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
    const at = counter.bytes;
    counter.bytes += chunk.length;
    if (counter.bytes > maxBytes) {
      throw new PreprocessError('too_large', `input is larger than the limit of ${maxBytes} bytes`);
    }
    if (Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).indexOf(0) !== -1) {
      throw new PreprocessError('nul_byte', 'input holds NUL bytes: not a text CSV (UTF-16 or binary?)');
    }
    const checked = checkUtf8(tail, chunk);
    if (typeof checked === 'number') throw await invalidUtf8(open, at - (tail?.length ?? 0) + checked);
    tail = checked;
    yield chunk;
  }
  if (tail !== null)
    throw await invalidUtf8(open, counter.bytes - tail.length, 'the input ends inside a character');
}

/**
 * Validates `chunk` after the carried incomplete sequence `tail`; returns the new tail, or the
 * offset of the first invalid byte counted from the start of `tail` (or of `chunk` without one).
 */
function checkUtf8(tail: Uint8Array | null, chunk: Uint8Array): Uint8Array | null | number {
  let data = chunk;
  let skipped = 0;
  if (tail !== null) {
    data = new Uint8Array(tail.length + Math.min(chunk.length, 4));
    data.set(tail);
    data.set(chunk.subarray(0, 4), tail.length);
    // Validate the joined sequence on its own, then the rest of the chunk.
    const need = sequenceLength(tail[0]);
    const head = data.subarray(0, need);
    if (head.length < need) {
      // Still short, but what is there must be continuation bytes: the chunk is yielded now, and
      // an ASCII byte (a line end) in it would let the scanner finish a row around a bad byte.
      for (let i = 1; i < head.length; i++) if ((head[i] & 0xc0) !== 0x80) return firstInvalid(head);
      return head.slice();
    }
    if (!isUtf8(head)) return firstInvalid(head);
    skipped = need;
    data = chunk.subarray(need - tail.length);
  }
  // Find an incomplete sequence at the end.
  let cut = data.length;
  for (let k = 1; k <= 3 && k <= data.length; k++) {
    const b = data[data.length - k];
    if ((b & 0xc0) === 0x80) continue;
    // 0xf8-0xff start no sequence: left in, for isUtf8 to refuse now.
    if (b >= 0xc0 && b < 0xf8 && sequenceLength(b) > k) cut = data.length - k;
    break;
  }
  if (!isUtf8(data.subarray(0, cut))) return skipped + firstInvalid(data.subarray(0, cut));
  return cut < data.length ? data.slice(cut) : null;
}

function sequenceLength(lead: number): number {
  if (lead >= 0xf0) return 4;
  if (lead >= 0xe0) return 3;
  if (lead >= 0xc0) return 2;
  return 1;
}

/** The offset of the first byte that starts no valid UTF-8 sequence (the error path only). */
function firstInvalid(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const n = sequenceLength(bytes[i]);
    const lead = bytes[i];
    if ((lead & 0xc0) === 0x80 || lead >= 0xf8) return i;
    if (i + n > bytes.length || !isUtf8(bytes.subarray(i, i + n))) return i;
    i += n;
  }
  return bytes.length;
}

/**
 * The invalid_utf8 error naming the line and byte: the line is counted by reading the input
 * again up to the offset (a failure is rare, and counting line ends on the way would cost every
 * valid file a pass over its bytes).
 */
async function invalidUtf8(
  open: ByteSource,
  offset: number,
  what = 'a byte that is not UTF-8',
): Promise<PreprocessError> {
  let line = 1;
  let lineStart = 0;
  let at = 0;
  for await (const chunk of open()) {
    const end = Math.min(chunk.length, offset - at);
    for (let i = 0; i < end; i++) {
      if (chunk[i] === 0x0a) {
        line++;
        lineStart = at + i + 1;
      }
    }
    at += chunk.length;
    if (at >= offset) break;
  }
  return new PreprocessError(
    'invalid_utf8',
    `line ${line}, byte ${offset - lineStart + 1} of the line (byte offset ${offset} in the file): ${what}; ` +
      'not UTF-8 text (Latin-1 or Windows-1252? save it as UTF-8)',
  );
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
