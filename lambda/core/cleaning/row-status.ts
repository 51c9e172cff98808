/**
 * What pass 1 learnt about each row, one byte a row (never the rows themselves), for pass 2 to
 * act on without classifying or hashing again.
 */
export const STATUS_QUARANTINED = 1;
export const STATUS_DUPLICATE = 2;
/** An original that some later row was proposed to duplicate: pass 2 holds its values. */
export const STATUS_ORIGINAL = 4;
/** Kept, with a numeric gap: pass 2 parses it to fill; complete kept rows are copied as bytes. */
export const STATUS_INCOMPLETE = 8;
/** Read by the plain-row fast path: one line, no quotes, not starting with a blank byte. */
export const STATUS_PLAIN = 16;
/**
 * With STATUS_INCOMPLETE: the gaps are in extra numeric columns only, so the row is complete for
 * the trainer (train.csv gets its bytes) and filled for clean.csv.
 */
export const STATUS_EXTRA_GAPS = 32;

export class RowStatus {
  /** Per row, its STATUS_ bits. */
  flags = new Uint8Array(1 << 16);
  /** Per plain row, its line's length with the line end when below 256 (0: not known). */
  lineLength = new Uint8Array(1 << 16);

  /**
   * Makes room for row r. The first growth jumps to `predictedRows` (from the size hint and the
   * first rows' length) when that is more, so the arrays are not regrown (and the hot loops not
   * deoptimised by the field change) again and again.
   */
  grow(r: number, predictedRows: number): void {
    if (predictedRows > r) {
      const flags = new Uint8Array(predictedRows);
      flags.set(this.flags);
      this.flags = flags;
    } else {
      let len = this.flags.length * 2;
      while (len < r + 1) len *= 2;
      const flags = new Uint8Array(len);
      flags.set(this.flags);
      this.flags = flags;
    }
    const lineLength = new Uint8Array(this.flags.length);
    lineLength.set(this.lineLength);
    this.lineLength = lineLength;
  }
}
