/**
 * The de-duplication index: an open-addressing hash table of 64-bit row hashes in one
 * Uint32Array (12 bytes a slot: hash high, hash low, first row index + 1), load ≤ 0.7, so about
 * 17-34 bytes per distinct row. The table only proposes duplicates: the caller confirms every
 * proposal exactly on the second pass (see cleaning/duplicate-confirmation.ts), so a hash collision can cost a
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

  /**
   * Reads the slot where (hi, lo) would start probing and returns its contents. Called ahead of
   * insertOrGet for a batch of rows so the cache misses overlap (JavaScript has no prefetch).
   */
  touch(hi: number, lo: number): number {
    const b = ((lo ^ Math.imul(hi, 0x9e3779b1)) & this.mask) * 3;
    // Both ends: a 12-byte slot can straddle two cache lines.
    return this.slots[b] | this.slots[b + 2];
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

/** murmur3's 32-bit finaliser. */
export function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}
