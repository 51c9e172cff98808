/**
 * The de-duplication index: an open-addressing hash table of 64-bit row hashes in one
 * Uint32Array (12 bytes a slot: hash high, hash low, first row index + 1), load ≤ 0.7, so about
 * 17-34 bytes per distinct row. The table only proposes duplicates: the caller confirms every
 * proposal exactly on the second pass (see preprocess.ts), so a hash collision can cost a
 * restart but never a wrong answer.
 */
export class RowHashTable {
  private slots: Uint32Array;
  private mask: number;
  size = 0;

  constructor(expectedRows = 1 << 15) {
    let cap = 1 << 12;
    while (cap * 0.7 < expectedRows) cap *= 2;
    this.slots = new Uint32Array(cap * 3);
    this.mask = cap - 1;
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.slots.byteLength;
  }

  /** Inserts (hi, lo) for `row` and returns -1, or returns the earlier row holding the same hash. */
  insertOrGet(hi: number, lo: number, row: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let p = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    for (;;) {
      const b = p * 3;
      const stored = slots[b + 2];
      if (stored === 0) break;
      if (slots[b] === hi >>> 0 && slots[b + 1] === lo >>> 0) return stored - 1;
      p = (p + 1) & mask;
    }
    const b = p * 3;
    slots[b] = hi;
    slots[b + 1] = lo;
    slots[b + 2] = row + 1;
    if (++this.size > (mask + 1) * 0.7) this.grow();
    return -1;
  }

  /** Inserts every entry of a smaller table (used once to re-size up front). */
  absorb(other: RowHashTable): void {
    const old = other.slots;
    for (let b = 0; b < old.length; b += 3) {
      if (old[b + 2] !== 0) this.insertOrGet(old[b], old[b + 1], old[b + 2] - 1);
    }
  }

  private grow(): void {
    const old = this.slots;
    const cap = (this.mask + 1) * 2;
    const slots = new Uint32Array(cap * 3);
    const mask = cap - 1;
    for (let b = 0; b < old.length; b += 3) {
      if (old[b + 2] === 0) continue;
      const hi = old[b];
      const lo = old[b + 1];
      let p = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
      while (slots[p * 3 + 2] !== 0) p = (p + 1) & mask;
      slots[p * 3] = hi;
      slots[p * 3 + 1] = lo;
      slots[p * 3 + 2] = old[b + 2];
    }
    this.slots = slots;
    this.mask = mask;
  }
}

/**
 * A 64-bit row hash built from 32-bit words in two multiply-rotate lanes with different constants,
 * cross-mixed and finalised with murmur3's fmix (as murmur3's x86_128 does). Reset per row; `seed` changes on restart.
 */
export class RowHasher {
  h1 = 0;
  h2 = 0;
  private readonly f64 = new Float64Array(1);
  private readonly u32 = new Uint32Array(this.f64.buffer);

  reset(seed: number): void {
    this.h1 = seed ^ 0x2545f491;
    this.h2 = Math.imul(seed, 0x85ebca6b) ^ 0x68e31da4;
  }

  word(k: number): void {
    // Two cheap multiply-rotate lanes with different constants; fmix in finish() spreads the bits.
    let h1 = this.h1 ^ k;
    h1 = Math.imul((h1 << 13) | (h1 >>> 19), 0x9e3779b1);
    let h2 = this.h2 ^ Math.imul(k, 0x85ebca77);
    h2 = Math.imul((h2 << 17) | (h2 >>> 15), 0xc2b2ae3d) + h1;
    this.h1 = h1;
    this.h2 = h2 | 0;
  }

  /** A parsed number; -0 hashes as 0 and every NaN (missing) alike, as pandas' float hashing does. */
  number(v: number): void {
    if (v !== v) {
      this.word(0x7ff80000);
      this.word(0x4d495353);
      return;
    }
    this.f64[0] = v === 0 ? 0 : v;
    this.word(this.u32[0]);
    this.word(this.u32[1]);
  }

  /** A missing text cell (empty or a pandas NA word). */
  missingText(): void {
    this.word(0x6e756c6c);
    this.word(-1);
  }

  /** Text bytes [s, e); `escaped` skips the second quote of each `""`. Length is hashed too. */
  text(bytes: Uint8Array, s: number, e: number, escaped: boolean): void {
    let n = 0;
    if (!escaped) {
      let i = s;
      for (; i + 4 <= e; i += 4)
        this.word(bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
      let w = 0;
      for (let k = 0; i < e; i++, k += 8) w |= bytes[i] << k;
      if (e - s > 0 && (e - s) % 4 !== 0) this.word(w);
      this.word(e - s);
      return;
    }
    let w = 0;
    for (let i = s; i < e; i++) {
      const c = bytes[i];
      if (c === 0x22) i++;
      w |= c << ((n & 3) << 3);
      if ((n & 3) === 3) {
        this.word(w);
        w = 0;
      }
      n++;
    }
    if ((n & 3) !== 0) this.word(w);
    this.word(n);
  }

  finish(): void {
    let h1 = this.h1;
    let h2 = this.h2;
    h1 = (h1 + h2) | 0;
    h2 = (h2 + h1) | 0;
    h1 = fmix(h1);
    h2 = fmix(h2);
    h1 = (h1 + h2) | 0;
    h2 = (h2 + h1) | 0;
    this.h1 = h1 >>> 0;
    this.h2 = h2 >>> 0;
  }
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}
