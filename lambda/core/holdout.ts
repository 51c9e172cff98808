/**
 * Deterministic holdout split by row hash. A row's place (train or holdout) depends only on its
 * canonical content — the text fields as parsed and the numeric values as doubles (so `1.5` and
 * `1.50` hash alike, as they dedupe alike) — never on file order, shard or worker count. The
 * same rows therefore split the same way in the CLI, the SageMaker hosts and the Batch shards.
 *
 * Hash: 32-bit FNV-1a over the UTF-16 code units of each text field (each followed by a 0x1f
 * separator) and the 8 little-endian bytes of each double (-0 as 0, every NaN as one NaN),
 * finished with MurmurHash3's fmix32 so the low-entropy tail of FNV spreads over [0, 2³²).
 */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);

function mixWord(h: number, w: number): number {
  h = Math.imul(h ^ (w & 0xff), FNV_PRIME);
  h = Math.imul(h ^ ((w >>> 8) & 0xff), FNV_PRIME);
  h = Math.imul(h ^ ((w >>> 16) & 0xff), FNV_PRIME);
  return Math.imul(h ^ (w >>> 24), FNV_PRIME);
}

/** FNV-1a (then fmix32) of a row's canonical content; an unsigned 32-bit integer. */
export function rowHash(texts: readonly string[], values: ArrayLike<number>): number {
  let h = FNV_OFFSET;
  for (const t of texts) {
    for (let i = 0; i < t.length; i++) {
      const c = t.charCodeAt(i);
      h = Math.imul(h ^ (c & 0xff), FNV_PRIME);
      h = Math.imul(h ^ (c >>> 8), FNV_PRIME);
    }
    h = Math.imul(h ^ 0x1f, FNV_PRIME);
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    scratch[0] = v === 0 ? 0 : Number.isNaN(v) ? NaN : v;
    h = mixWord(h, scratchWords[0]);
    h = mixWord(h, scratchWords[1]);
  }
  // fmix32
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
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
