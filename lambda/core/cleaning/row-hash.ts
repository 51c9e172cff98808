/**
 * The row hash that proposes duplicates: 64 bits of a row's canonical values, fed field by field
 * in header order, so rows pandas calls equal (`1.5` and `1.50`, an empty cell and `NA`, a quoted
 * and an unquoted text) hash alike:
 * - a number: the two 32-bit words of its float64 bits, -0 as 0, every NaN one pattern (no kept
 *   number is a NaN otherwise: infinities are quarantined);
 * - a text: its unescaped bytes eight at a time, then the tail (up to 7 bytes) with the length's
 *   low byte, so "ab" + "c" differs from "a" + "bc";
 * - a missing text: one fixed pair of words.
 * Two 32-bit lanes take 64 bits a round (multiply-rotate, each lane added into the other, a
 * bijection of the state) and end with murmur3's fmix.
 *
 * The one copy of these steps: the plain-row fast path (plain-row.ts) and the general path
 * (general-row.ts) both call them, and the engine inlines them. A collision costs a restart,
 * never a wrong answer (duplicate-confirmation.ts).
 */
import { fmix } from '../row-hash-table';

/** Float64 scratch viewed as two 32-bit words, to hash a number's bits. */
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);

export class RowHasher {
  /**
   * The finished hash (after finish()). Kept as int32 (the table stores the same 32 bits):
   * unsigned values above 2^31 would turn these fields into heap numbers and deoptimise the code
   * that reads them.
   */
  hi = 0;
  lo = 0;
  private h1 = 0;
  private h2 = 0;

  constructor(private readonly seed: number) {}

  /** Starts a row. */
  start(): void {
    this.h1 = this.seed ^ 0x2545f491;
    this.h2 = Math.imul(this.seed, 0x85ebca6b) ^ 0x68e31da4;
  }

  /** A numeric cell's value (NaN: missing). */
  number(v: number): void {
    if (v !== v) {
      this.round(0, 0x7ff80000);
    } else {
      F64[0] = v === 0 ? 0 : v;
      this.round(U32[0], U32[1]);
    }
  }

  /** A missing text cell (empty or an NA word). */
  missingText(): void {
    this.round(0x6e756c6c, -1);
  }

  /** A text cell's unescaped bytes[s, e); `words` views the same bytes (for 4-byte reads). */
  text(bytes: Uint8Array, words: DataView, s: number, e: number): void {
    let i = s;
    for (; i + 8 <= e; i += 8) this.round(words.getInt32(i, true), words.getInt32(i + 4, true));
    let a = 0;
    let z = (e - s) << 24;
    for (let shift = 0; i < e; i++, shift += 8) {
      if (shift < 32) a |= bytes[i] << shift;
      else z |= bytes[i] << (shift - 32);
    }
    this.round(a, z);
  }

  /** Ends the row: the hash is in `hi` and `lo`. */
  finish(): void {
    let h1 = this.h1;
    let h2 = this.h2;
    h1 = (h1 + h2) | 0;
    h2 = (h2 + h1) | 0;
    h1 = fmix(h1);
    h2 = fmix(h2);
    h1 = (h1 + h2) | 0;
    h2 = (h2 + h1) | 0;
    this.hi = h1;
    this.lo = h2;
  }

  /** One round: 64 bits, as two 32-bit words. */
  private round(a: number, z: number): void {
    let h1 = this.h1 ^ Math.imul(a, 0xcc9e2d51);
    h1 = (Math.imul((h1 << 15) | (h1 >>> 17), 0x1b873593) + this.h2) | 0;
    let h2 = this.h2 ^ Math.imul(z, 0x85ebca77);
    h2 = (Math.imul((h2 << 13) | (h2 >>> 19), 0xc2b2ae3d) + h1) | 0;
    this.h1 = h1;
    this.h2 = h2;
  }
}
