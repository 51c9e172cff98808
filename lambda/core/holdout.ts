/**
 * Deterministic holdout split by row hash. A row's place (train or holdout) depends only on its
 * canonical content — the text fields as parsed and the numeric values as doubles (so `1.5` and
 * `1.50` hash alike, as they dedupe alike) — never on file order, shard or worker count. The
 * same rows therefore split the same way in the CLI, the SageMaker hosts and the Batch shards.
 *
 * Hash: 32-bit FNV-1a over the UTF-8 bytes of each text field (each followed by a 0x1f
 * separator) and the 8 little-endian bytes of each double (-0 as 0, every NaN as one NaN),
 * finished with MurmurHash3's fmix32 so the low-entropy tail of FNV spreads over [0, 2³²).
 */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const SEPARATOR = 0x1f;

const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);
const utf8 = new TextEncoder();

function mixWord(h: number, w: number): number {
  h = Math.imul(h ^ (w & 0xff), FNV_PRIME);
  h = Math.imul(h ^ ((w >>> 8) & 0xff), FNV_PRIME);
  h = Math.imul(h ^ ((w >>> 16) & 0xff), FNV_PRIME);
  return Math.imul(h ^ (w >>> 24), FNV_PRIME);
}

/**
 * Incremental form for hot loops: feed text fields as UTF-8 byte ranges (no string per cell)
 * and numbers as doubles, then `digest()`. `rowHash` is the same hash over strings.
 */
export class RowHasher32 {
  private h = FNV_OFFSET;

  reset(): this {
    this.h = FNV_OFFSET;
    return this;
  }

  /** One text field: its UTF-8 bytes [start, end), then the separator. */
  bytes(b: Uint8Array, start: number, end: number): this {
    let h = this.h;
    for (let i = start; i < end; i++) h = Math.imul(h ^ b[i], FNV_PRIME);
    this.h = Math.imul(h ^ SEPARATOR, FNV_PRIME);
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
    return this;
  }

  /** The finished hash (fmix32), an unsigned 32-bit integer. */
  digest(): number {
    let h = this.h;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
  }
}

const shared = new RowHasher32();

/** FNV-1a (then fmix32) of a row's canonical content; an unsigned 32-bit integer. */
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
