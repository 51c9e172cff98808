/**
 * Deterministic holdout split by row hash. A row's place (train or holdout) depends only on its
 * canonical content — the text fields as parsed and the numeric values as doubles (so `1.5` and
 * `1.50` hash alike, as they dedupe alike) — never on file order, shard or worker count. The
 * same rows therefore split the same way in the CLI, the SageMaker hosts and the Batch shards.
 *
 * Hash: MurmurHash3's 32-bit block mix over a stream of little-endian 32-bit words — per text
 * field its UTF-8 byte length, then its bytes four at a time (the last word zero-padded); per
 * numeric value the two words of its double (-0 as 0, every NaN as one NaN) — finished with the
 * word count and fmix32. The length prefix keeps field boundaries apart ("ab","c" vs "a","bc").
 * Word at a time rather than byte at a time (FNV-1a, format @1) because the hash is a serial
 * chain per row: about a quarter of the chain steps for the same rows.
 */
const SEED = 0x9747b28c;
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);
const utf8 = new TextEncoder();

/** MurmurHash3's finalizer (fmix32): every input bit avalanches; an unsigned 32-bit integer. */
export function fmix32(hash: number): number {
  let h = hash;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mixWord(h: number, w: number): number {
  let k = Math.imul(w, C1);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, C2);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/**
 * Incremental form for hot loops: feed text fields as UTF-8 byte ranges (no string per cell)
 * and numbers as doubles, then `digest()`. `rowHash` is the same hash over strings.
 */
export class RowHasher32 {
  private h = SEED;
  private words = 0;

  reset(): this {
    this.h = SEED;
    this.words = 0;
    return this;
  }

  /** One text field: its UTF-8 bytes [start, end). */
  bytes(b: Uint8Array, start: number, end: number): this {
    let h = mixWord(this.h, end - start);
    let i = start;
    for (; i + 4 <= end; i += 4) h = mixWord(h, b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24));
    let words = 1 + ((end - start) >>> 2);
    if (i < end) {
      let w = b[i];
      if (i + 1 < end) w |= b[i + 1] << 8;
      if (i + 2 < end) w |= b[i + 2] << 16;
      h = mixWord(h, w);
      words++;
    }
    this.h = h;
    this.words += words;
    return this;
  }

  text(t: string): this {
    const b = utf8.encode(t);
    return this.bytes(b, 0, b.length);
  }

  /** One numeric value: -0 as 0, every NaN as the one canonical NaN. */
  number(v: number): this {
    scratch[0] = v === 0 ? 0 : Number.isNaN(v) ? NaN : v;
    this.h = mixWord(mixWord(this.h, scratchWords[0]), scratchWords[1]);
    this.words += 2;
    return this;
  }

  /** The finished hash (word count, then fmix32), an unsigned 32-bit integer. */
  digest(): number {
    return fmix32(this.h ^ this.words);
  }
}

const shared = new RowHasher32();

/** MurmurHash3 blocks (then fmix32) over a row's canonical content; an unsigned 32-bit integer. */
export function rowHash(texts: readonly string[], values: ArrayLike<number>): number {
  shared.reset();
  for (const t of texts) shared.text(t);
  for (let i = 0; i < values.length; i++) shared.number(values[i]);
  return shared.digest();
}

/** The hash as a fraction in [0, 1). */
export function hashFraction(hash: number): number {
  return (hash >>> 0) / 4294967296;
}

/** Validates a holdout fraction: a finite number in [0, 1). */
export function checkHoldoutFraction(fraction: number): number {
  if (!(fraction >= 0 && fraction < 1))
    throw new RangeError(`holdout fraction must be in [0, 1), got ${fraction}`);
  return fraction;
}

/** True when the row belongs to the holdout set for this fraction. */
export function isHoldout(texts: readonly string[], values: ArrayLike<number>, fraction: number): boolean {
  return fraction > 0 && hashFraction(rowHash(texts, values)) < fraction;
}
