/**
 * The mean fill of pass 2, pandas' `data.fillna(data.mean(numeric_only=True))` after
 * drop_duplicates: each missing numeric cell of a kept row becomes its column's mean over the
 * kept rows (column-statistics.ts), written as the shortest text of that double. The filled rows
 * also go into `moments`, which merged with the complete rows' moments describes clean.csv.
 * Extra numeric columns (after the schema's first `schemaD`) are filled alike; the moments cover
 * the schema's columns, and a row whose gaps are all in extra columns is already among the
 * complete rows' moments.
 */
import type { ScannedRow } from '../csv-scanner';
import { FIELD_PLAIN } from '../csv-scanner';
import { Moments } from '../moments';
import { addRows, rowsScratch } from '../moments-rows';
import type { ByteWriter } from './byte-writer';
import { formatNumber } from './csv-text';

/** Filled rows per addRows call, and their order (0, 1, 2, ...). */
const FILLED_BATCH = 256;
const FILLED_ORDER = Int32Array.from({ length: FILLED_BATCH }, (_, i) => i);

const enc = new TextEncoder();

export class MeanFill {
  /** Moments of the filled rows with a gap in the schema's columns. */
  readonly moments: Moments;
  /** Cells filled so far. */
  cells = 0;
  /** Per numeric column: the fill as CSV text. */
  private readonly text: Uint8Array[];
  private readonly gaps: Uint8Array;
  private readonly batch: Float64Array;
  private batched = 0;
  private readonly rowsScratch: Float64Array;

  constructor(
    numeric: readonly string[],
    /** Per numeric column: its mean over the kept rows (NaN when it has none). */
    readonly values: Float64Array,
    private readonly schemaD: number = numeric.length,
  ) {
    this.moments = new Moments(numeric.slice(0, schemaD));
    this.text = Array.from(values, (v) => enc.encode(formatNumber(v)));
    this.gaps = new Uint8Array(numeric.length);
    this.batch = new Float64Array(FILLED_BATCH * schemaD);
    this.rowsScratch = rowsScratch(schemaD);
  }

  /**
   * Writes a kept row with numeric gaps to `out`, each gap filled; `values` holds its parsed
   * cells (NaN = missing) and is filled in place.
   */
  write(row: ScannedRow, role: Int32Array, values: Float64Array, out: ByteWriter): void {
    const bytes = row.bytes;
    const d = values.length;
    const gaps = this.gaps;
    const schemaD = this.schemaD;
    let schemaGap = false;
    for (let j = 0; j < d; j++) {
      if (values[j] !== values[j]) {
        gaps[j] = 1;
        values[j] = this.values[j];
        if (j < schemaD) schemaGap = true;
      } else {
        gaps[j] = 0;
      }
    }
    if (schemaGap) {
      // Batched for addRows (same bits as moments.add row by row).
      const at = this.batched++ * schemaD;
      for (let j = 0; j < schemaD; j++) this.batch[at + j] = values[j];
      if (this.batched === FILLED_BATCH) this.flush();
    }
    // A kept row's bytes are its fields (quoted ones with their quotes) joined by commas, so the
    // row is copied in spans around the gaps, each gap (with any quotes) replaced by the fill.
    let from = row.start;
    for (let k = 0; k < role.length; k++) {
      const j = role[k];
      if (j >= 0 && gaps[j] === 1) {
        const quoted = row.quoted[k] === FIELD_PLAIN ? 0 : 1;
        out.bytes(bytes, from, row.fieldStart[k] - quoted);
        const f = this.text[j];
        out.bytes(f, 0, f.length);
        from = row.fieldEnd[k] + quoted;
        this.cells++;
      }
    }
    out.bytes(bytes, from, row.end);
    out.byte(0x0a);
  }

  /** Adds the batched filled rows to `moments`; called once more after the last row. */
  flush(): void {
    addRows(this.moments, this.batch, FILLED_ORDER, this.batched, this.rowsScratch);
    this.batched = 0;
  }
}
