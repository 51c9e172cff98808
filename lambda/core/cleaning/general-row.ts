/**
 * The general path: every row the CSV scanner hands over (quoted fields, any field count, any
 * line end). classify() decides whether the row is kept and parses its numbers; hash() feeds its
 * canonical values to the row hash. plain-row.ts reads the common rows in one walk instead, and
 * must agree with this file value for value and bit for bit; a property test holds the two
 * equal (test/lambda/core/cleaning/plain-row.test.ts).
 */
import { FIELD_ESCAPED, ROW_STRAY_QUOTE, ROW_UNCLOSED_QUOTE, type ScannedRow } from '../csv-scanner';
import { parseDecimal } from '../parse-decimal';
import type { Binding } from './header-binding';
import { isMissingCell } from './missing-cells';
import { REASON_CODE } from './quarantine-reasons';
import type { RowHasher } from './row-hash';
import type { Unescaper } from './unescaper';

/** `inf`, `-Infinity`, ...: pandas reads these as infinite floats; they are quarantined as non_finite. */
function isInfinityWord(bytes: Uint8Array, s: number, e: number): boolean {
  if (e - s > 12) return false;
  let w = '';
  for (let i = s; i < e; i++) w += String.fromCharCode(bytes[i]);
  return /^\s*[+-]?inf(inity)?\s*$/i.test(w);
}

export class GeneralRowParser {
  private viewed: Uint8Array | null = null;
  private view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(8));

  constructor(
    private readonly binding: Binding,
    private readonly hasher: RowHasher,
    /** Per header column: set to 1 by hash() when the row's text cell is missing. */
    private readonly textGap: Uint8Array,
    private readonly unescaper: Unescaper,
  ) {}

  /** Parses the row's numeric cells into `values` (NaN = missing); returns a reason code or 0. */
  classify(row: ScannedRow, values: Float64Array): number {
    if (row.flags & ROW_UNCLOSED_QUOTE) return REASON_CODE.unclosed_quote;
    if (row.flags & ROW_STRAY_QUOTE) return REASON_CODE.stray_quote;
    const role = this.binding.role;
    if (row.fieldCount !== role.length) return REASON_CODE.ragged_row;
    const bytes = row.bytes;
    for (let k = 0; k < role.length; k++) {
      const j = role[k];
      if (j < 0) continue;
      const s = row.fieldStart[k];
      const e = row.fieldEnd[k];
      let v = parseDecimal(bytes, s, e);
      if (v !== v) {
        if (!isMissingCell(bytes, s, e))
          return isInfinityWord(bytes, s, e) ? REASON_CODE.non_finite : REASON_CODE.non_numeric;
        v = NaN;
      } else if (v === Infinity || v === -Infinity) {
        return REASON_CODE.non_finite;
      }
      values[j] = v;
    }
    return 0;
  }

  /**
   * Hashes a kept row (values[base + j] holds its parsed cells) into the hasher's `hi`/`lo`, text
   * unescaped, and notes which text cells are missing in `textGap`.
   */
  hash(row: ScannedRow, values: Float64Array, base: number): void {
    const role = this.binding.role;
    const textGap = this.textGap;
    const hasher = this.hasher;
    hasher.start();
    for (let k = 0; k < role.length; k++) {
      const j = role[k];
      if (j >= 0) {
        hasher.number(values[base + j]);
        continue;
      }
      const bytes = row.bytes;
      const s = row.fieldStart[k];
      const e = row.fieldEnd[k];
      if (isMissingCell(bytes, s, e)) {
        textGap[k] = 1;
        hasher.missingText();
      } else {
        textGap[k] = 0;
        if (row.quoted[k] === FIELD_ESCAPED) {
          const unescaper = this.unescaper;
          const n = unescaper.unescape(bytes, s, e);
          hasher.text(unescaper.bytes, unescaper.words, 0, n);
        } else {
          hasher.text(bytes, this.wordsOf(bytes), s, e);
        }
      }
    }
    hasher.finish();
  }

  /** `bytes` viewed for 4-byte reads; the scanner hands over a new buffer at most once a chunk. */
  private wordsOf(bytes: Uint8Array): DataView {
    if (bytes !== this.viewed) {
      this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      this.viewed = bytes;
    }
    return this.view;
  }
}
