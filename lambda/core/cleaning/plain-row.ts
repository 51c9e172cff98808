/**
 * The plain-row fast path, the hot loop: most rows are one line with no quote and exactly the
 * header's field count. parse() reads such a row in one walk over its bytes (field ends, numbers
 * parsed in place, the row hash fed on the way) instead of the general scan, classify and a
 * second walk for the hash (general-row.ts). It must agree with the general path value for value
 * and bit for bit; test/lambda/core/cleaning/plain-row.test.ts holds the two equal.
 */
import { ScannedRow } from '../csv-scanner';
import { parseDecimal } from '../parse-decimal';
import { Byte, decimalValue } from '../plain-number';
import type { Binding } from './header-binding';
import { isMissingCell } from './missing-cells';
import type { RowHasher } from './row-hash';

/** Bytes that end an unquoted field, or (a quote) send the row to the general scanner. */
const FIELD_STOP = new Uint8Array(256);
FIELD_STOP[Byte.QUOTE] = 1;
FIELD_STOP[Byte.COMMA] = 1;
FIELD_STOP[Byte.LF] = 1;
FIELD_STOP[Byte.CR] = 1;

/**
 * Whether a row starting with byte `c0` is left to the scanner: blank lines (and rows starting
 * with a blank) are the scanner's to skip or read, in both passes alike (pass 2 relies on it).
 */
export function leftToScanner(c0: number): boolean {
  return c0 === Byte.LF || c0 === Byte.CR || c0 === Byte.SPACE || c0 === Byte.TAB;
}

/** Where the next row starts after a plain row's line end (LF or CRLF) at `end`. */
export function nextRowStart(buf: Uint8Array, end: number): number {
  return end + (buf[end] === Byte.CR ? 2 : 1);
}

export class PlainRowParser {
  /** The row parse() read last, as field offsets (all unquoted); reused. */
  readonly row: ScannedRow;
  private limitBuf: Uint8Array | null = null;
  private limitN = -1;
  private limit = -1;
  /** limitBuf viewed for 4-byte reads. */
  private words: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(8));

  constructor(
    private readonly binding: Binding,
    private readonly hasher: RowHasher,
    /** Per header column: set to 1 by parse(..., hash) when the row's text cell is missing. */
    private readonly textGap: Uint8Array,
  ) {
    this.row = new ScannedRow(Math.max(64, binding.role.length));
  }

  /**
   * The offset of the last LF in buf[0, n), or -1: plain rows end at or before it, and it stops
   * every loop in parse(), which therefore needs no bounds checks. Remembered per buffer, since
   * the readers are called at every row start the general scanner reaches; sources may refill
   * one buffer, so a remembered offset is used only while it still holds an LF (an earlier LF
   * than the last one is a valid sentinel too: rows after it go to the scanner).
   */
  lastLineEnd(buf: Uint8Array, n: number, pos: number): number {
    const known = this.limit;
    if (buf === this.limitBuf && n === this.limitN && known > pos && buf[known] === Byte.LF) return known;
    if (buf !== this.limitBuf) this.words = new DataView(buf.buffer, buf.byteOffset, buf.length);
    let limit = n - 1;
    while (limit >= 0 && buf[limit] !== Byte.LF) limit--;
    this.limitBuf = buf;
    this.limitN = n;
    this.limit = limit;
    return limit;
  }

  /**
   * Reads the plain row at `pos` into `row` (field offsets) and values[base + j] (numbers parsed,
   * NaN = missing); with `hash`, also the row hash (as GeneralRowParser.hash computes it: the
   * same steps in the same order, so the same bits) and the text gaps. A plain row has exactly
   * the header's field count, no quote byte, and ends in LF or CRLF at or before `limit`, which
   * must be an LF in `buf` (see lastLineEnd); its numeric cells parse and are finite. Returns the
   * offset of its line end, or -1 for anything else (the general scanner and classify then
   * decide).
   *
   * Hand-written because it is the hot loop: one walk over the bytes finds the field ends and
   * parses `-?digits[.digits]` cells of at most 9 digits in place. That is parseDecimal's fast
   * path (same integer mantissa, then the same decimalValue step of plain-number.ts), so the
   * value is the same double; every other numeric cell (spaces, exponents, `+`, NA words, longer
   * digit runs) goes to parseDecimal itself.
   */
  parse(
    buf: Uint8Array,
    pos: number,
    limit: number,
    values: Float64Array,
    base: number,
    hash: boolean,
  ): number {
    const role = this.binding.role;
    const nf = role.length;
    const fieldStart = this.row.fieldStart;
    const fieldEnd = this.row.fieldEnd;
    const view = this.words;
    const textGap = this.textGap;
    const hasher = this.hasher;
    if (hash) hasher.start();
    let i = pos;
    for (let k = 0; k < nf; k++) {
      const s = i;
      const j = role[k];
      if (j >= 0) {
        let negative = false;
        if (buf[i] === Byte.MINUS) {
          negative = true;
          i++;
        }
        // Int32 arithmetic (it wraps past 9 digits; such cells take the general path below).
        // No bounds checks: every loop stops at the LF at `limit`.
        let mantissa = 0;
        const intStart = i;
        let d = buf[i] - Byte.DIGIT_0;
        while (d >>> 0 <= 9) {
          mantissa = (Math.imul(mantissa, 10) + d) | 0;
          d = buf[++i] - Byte.DIGIT_0;
        }
        let digits = i - intStart;
        let fraction = 0;
        if (d === Byte.DOT - Byte.DIGIT_0) {
          const fractionStart = ++i;
          d = buf[i] - Byte.DIGIT_0;
          while (d >>> 0 <= 9) {
            mantissa = (Math.imul(mantissa, 10) + d) | 0;
            d = buf[++i] - Byte.DIGIT_0;
          }
          fraction = i - fractionStart;
          digits += fraction;
        }
        const c = d + Byte.DIGIT_0;
        if (digits > 0 && digits <= 9 && (c === Byte.COMMA || c === Byte.LF || c === Byte.CR)) {
          values[base + j] = decimalValue(mantissa, fraction, negative);
        } else if (i === s && (c === Byte.COMMA || c === Byte.LF || c === Byte.CR)) {
          values[base + j] = NaN; // an empty cell: missing
        } else {
          while (FIELD_STOP[buf[i]] === 0) i++;
          if (buf[i] === Byte.QUOTE) return -1;
          const v = parseDecimal(buf, s, i);
          if (v !== v) {
            if (!isMissingCell(buf, s, i)) return -1;
            values[base + j] = NaN;
          } else if (v === Infinity || v === -Infinity) {
            return -1;
          } else {
            values[base + j] = v;
          }
        }
        if (hash) hasher.number(values[base + j]);
      } else {
        // Four bytes a step while none of them is below ',' (every FIELD_STOP byte is: LF, CR,
        // '"', ','): (w - 0x2d2d2d2d) & ~w & 0x80808080 is non-zero exactly when one is.
        // Timestamps and other long text cells pass in a few steps.
        while (i + 3 <= limit) {
          const w = view.getInt32(i, true);
          if (((w - 0x2d2d2d2d) | 0) & ~w & -0x7f7f7f80) break;
          i += 4;
        }
        while (FIELD_STOP[buf[i]] === 0) i++;
        if (hash) {
          if (isMissingCell(buf, s, i)) {
            textGap[k] = 1;
            hasher.missingText();
          } else {
            textGap[k] = 0;
            hasher.text(buf, view, s, i);
          }
        }
      }
      fieldStart[k] = s;
      fieldEnd[k] = i;
      const c = buf[i];
      if (k < nf - 1) {
        if (c !== Byte.COMMA) return -1;
        i++;
      } else if (c === Byte.LF || (c === Byte.CR && i < limit && buf[i + 1] === Byte.LF)) {
        if (hash) hasher.finish();
        return i;
      }
    }
    return -1;
  }
}
