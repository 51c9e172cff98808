/**
 * Pass 2 of the de-duplication: every proposed duplicate (duplicate-proposals.ts) is confirmed
 * exactly. The canonical values of each proposed original are held from the original until its
 * last proposed duplicate, and compared value by value: numbers with -0 as 0 and NaN equal to
 * NaN, text unescaped as UTF-8 bytes (which are equal exactly when the texts are), a missing text
 * equal only to a missing text. A mismatch is a true 64-bit collision between different rows
 * (probability about n²/2^65, ~7e-7 at 5M rows): HashCollision makes the run start over with a
 * new hash seed, so the answer is always exact. Memory: the originals still awaiting a duplicate.
 */
import { FIELD_ESCAPED, type ScannedRow } from '../csv-scanner';
import type { DuplicateProposals } from './duplicate-proposals';
import { isMissingCell } from './missing-cells';
import type { Unescaper } from './unescaper';

/** A proposed duplicate is not one: the run restarts with another seed. */
export class HashCollision extends Error {}

/** An original's canonical values, held until its last proposed duplicate. */
interface HeldRow {
  readonly values: Float64Array;
  /** Per text column: byte length of the unescaped text, -1 when missing. */
  readonly lengths: Int32Array;
  /** The text columns' unescaped bytes, concatenated. */
  readonly text: Uint8Array;
  waiting: number;
}

export class DuplicateConfirmation {
  private pairAt = 0;
  private readonly held = new Map<number, HeldRow>();
  private readonly waitingFor: Map<number, number>;

  constructor(
    private readonly proposals: DuplicateProposals,
    /** Header indexes of the text columns. */
    private readonly textColumns: Int32Array,
    private readonly unescaper: Unescaper,
  ) {
    this.waitingFor = proposals.waitingCounts();
  }

  /** Row r is a proposed original: holds its canonical values (`values`: its parsed cells). */
  hold(r: number, row: ScannedRow, values: Float64Array): void {
    this.held.set(r, this.canonical(row, values, this.waitingFor.get(r)!));
  }

  /** The next proposed duplicate (`values`: its parsed cells): throws HashCollision unless it is one. */
  confirm(row: ScannedRow, values: Float64Array): void {
    const p = this.pairAt++;
    const first = this.proposals.pairs[p * 2 + 1];
    const held = this.held.get(first)!;
    if (!this.sameAs(row, values, held)) throw new HashCollision();
    if (--held.waiting === 0) this.held.delete(first);
  }

  private canonical(row: ScannedRow, parsed: Float64Array, waiting: number): HeldRow {
    // Plain loops and one allocation for the text: Float64Array.from with a map function and
    // Buffer.concat cost microseconds per call, and every original (about 1% of rows) comes here.
    const d = parsed.length;
    const values = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      const v = parsed[j];
      values[j] = v === 0 ? 0 : v;
    }
    const texts = this.textColumns;
    const unescaper = this.unescaper;
    const lengths = new Int32Array(texts.length);
    let total = 0;
    for (let t = 0; t < texts.length; t++) {
      const k = texts[t];
      const s = row.fieldStart[k];
      const e = row.fieldEnd[k];
      if (isMissingCell(row.bytes, s, e)) lengths[t] = -1;
      else
        total += lengths[t] = row.quoted[k] === FIELD_ESCAPED ? unescaper.unescape(row.bytes, s, e) : e - s;
    }
    const text = new Uint8Array(total);
    let at = 0;
    for (let t = 0; t < texts.length; t++) {
      const length = lengths[t];
      if (length < 0) continue;
      const k = texts[t];
      const s = row.fieldStart[k];
      const e = row.fieldEnd[k];
      if (row.quoted[k] === FIELD_ESCAPED) {
        unescaper.unescape(row.bytes, s, e);
        const scratch = unescaper.bytes;
        for (let i = 0; i < length; i++) text[at + i] = scratch[i];
      } else {
        const bytes = row.bytes;
        for (let i = 0; i < length; i++) text[at + i] = bytes[s + i];
      }
      at += length;
    }
    return { values, lengths, text, waiting };
  }

  private sameAs(row: ScannedRow, values: Float64Array, held: HeldRow): boolean {
    for (let j = 0; j < values.length; j++) {
      const x = values[j];
      const y = held.values[j];
      if (!(x === y || (x !== x && y !== y))) return false;
    }
    const texts = this.textColumns;
    let at = 0;
    for (let t = 0; t < texts.length; t++) {
      const k = texts[t];
      let bytes = row.bytes;
      let s = row.fieldStart[k];
      let e = row.fieldEnd[k];
      const length = held.lengths[t];
      if (isMissingCell(bytes, s, e)) {
        if (length !== -1) return false;
        continue;
      }
      if (row.quoted[k] === FIELD_ESCAPED) {
        e = this.unescaper.unescape(bytes, s, e);
        s = 0;
        bytes = this.unescaper.bytes;
      }
      if (e - s !== length) return false;
      const text = held.text;
      for (let i = 0; i < length; i++) if (bytes[s + i] !== text[at + i]) return false;
      at += length;
    }
    return true;
  }
}
