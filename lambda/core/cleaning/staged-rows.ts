/**
 * A batch of kept rows between pass 1's row loop and flushKept (first-pass.ts): everything the
 * row's bytes were needed for (hash, category, values, missing text cells), so the batch can be
 * de-duplicated and summed loop by loop, each loop over typed arrays.
 */
export class StagedRows {
  count = 0;
  readonly capacity: number;
  readonly hi: Int32Array;
  readonly lo: Int32Array;
  readonly row: Int32Array;
  /** After de-duplication: the earlier row a staged row was proposed to duplicate, or -1. */
  readonly first: Int32Array;
  /** Category index, -1 for none. */
  readonly category: Int32Array;
  /** Row i's numeric cells at [i * d, i * d + d), NaN = missing. */
  readonly values: Float64Array;
  /** Row i's missing text cells at [i * t, i * t + t), t = textColumns.length (1 = missing). */
  readonly textGaps: Uint8Array;
  /** After summing: 1 when a kept row has no gap in the schema's numeric columns. */
  readonly complete: Uint8Array;
  /** After summing: 1 when a kept row has no numeric gap at all (extra numeric columns too). */
  readonly gapFree: Uint8Array;

  constructor(
    d: number,
    readonly textColumns: Int32Array,
    headerLength: number,
  ) {
    // About 1 MiB of staged values at most, and a batch long enough for the touch loop to overlap.
    const capacity = Math.max(16, Math.min(512, Math.floor((1 << 20) / (headerLength + 1))));
    this.capacity = capacity;
    this.hi = new Int32Array(capacity);
    this.lo = new Int32Array(capacity);
    this.row = new Int32Array(capacity);
    this.first = new Int32Array(capacity);
    this.category = new Int32Array(capacity);
    this.values = new Float64Array(capacity * d);
    this.textGaps = new Uint8Array(capacity * textColumns.length);
    this.complete = new Uint8Array(capacity);
    this.gapFree = new Uint8Array(capacity);
  }
}
