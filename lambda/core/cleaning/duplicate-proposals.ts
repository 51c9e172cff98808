/**
 * Pass 1 of the de-duplication: each kept row's 64-bit hash (row-hash.ts) is looked up in a
 * typed-array table (row-hash-table.ts); a hit proposes "row i duplicates the earlier row j".
 * Only the proposed pairs are kept (duplicates are about 1% of rows here); pass 2 confirms each
 * one exactly (duplicate-confirmation.ts).
 */
import { RowHashTable } from '../row-hash-table';

export class DuplicateProposals {
  /** Proposed pairs, in row order: [duplicate, original, duplicate, original, ...]. */
  pairs = new Uint32Array(1 << 12);
  /** Proposed pairs so far: the duplicates, once pass 2 has confirmed them. */
  count = 0;
  /** Keeps the touch loop's loads alive. */
  touched = 0;
  private table = new RowHashTable(1 << 12);

  /** Peak bytes of the table. */
  get tableBytes(): number {
    return this.table.bytes;
  }

  /**
   * Reads the table slots of a batch of hashes in one tight loop of independent loads, so their
   * cache misses (the table is tens of MB) overlap before propose() needs them.
   */
  touch(hi: Int32Array, lo: Int32Array, count: number): void {
    const table = this.table;
    let touched = 0;
    for (let i = 0; i < count; i++) touched |= table.touch(hi[i], lo[i]);
    this.touched = touched;
  }

  /** Row r's hash: -1 when it is new, or the earlier row with the same hash. */
  propose(hi: number, lo: number, r: number): number {
    return this.table.insertOrGet(hi, lo, r);
  }

  /** Sizes the table once for the expected rows, so it does not grow (and copy) later. */
  expect(rows: number): void {
    const table = new RowHashTable(rows);
    table.absorb(this.table);
    this.table = table;
  }

  /** Records that row r was proposed to duplicate `original`. */
  record(r: number, original: number): void {
    const at = this.count * 2;
    if (at + 2 > this.pairs.length) {
      const pairs = new Uint32Array(this.pairs.length * 2);
      pairs.set(this.pairs);
      this.pairs = pairs;
    }
    this.pairs[at] = r;
    this.pairs[at + 1] = original;
    this.count++;
  }

  /** Per proposed original: how many later rows were proposed to duplicate it. */
  waitingCounts(): Map<number, number> {
    const waiting = new Map<number, number>();
    for (let p = 0; p < this.count; p++) {
      const j = this.pairs[p * 2 + 1];
      waiting.set(j, (waiting.get(j) ?? 0) + 1);
    }
    return waiting;
  }
}
