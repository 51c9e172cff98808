/**
 * Pass 2: re-reads the bytes and writes the outputs from what pass 1 learnt (row-status.ts).
 * Quarantined rows go to quarantine.csv with their reason; complete kept rows are copied as
 * bytes (their values went into the moments in pass 1); kept rows with gaps are parsed again
 * and written filled (mean-fill.ts); proposed duplicates and their originals are parsed again
 * and confirmed exactly (duplicate-confirmation.ts).
 *
 * Plain rows are read by readPlainRows: complete ones are copied as one span up to the next
 * row that needs attention, found with Buffer#indexOf (memchr) or the line length pass 1 noted,
 * since pass 1 proved they hold no quote; plain rows with gaps are re-read with the fast path
 * and filled. Everything else comes through onRow.
 */
import type { PlainRowReader, ScannedRow } from '../csv-scanner';
import type { DatasetSchema } from '../dataset-schema';
import { PreprocessError } from '../preprocess-error';
import type { DuplicateConfirmation } from './duplicate-confirmation';
import { GeneralRowParser } from './general-row';
import { type Binding, bindHeader } from './header-binding';
import type { MeanFill } from './mean-fill';
import type { CleaningOutputs } from './outputs';
import type { JsonLinesInput } from './json-lines';
import { PlainRowParser, leftToScanner, nextRowStart } from './plain-row';
import { REASON_BY_CODE } from './quarantine-reasons';
import type { RowHasher } from './row-hash';
import {
  type RowStatus,
  STATUS_DUPLICATE,
  STATUS_EXTRA_GAPS,
  STATUS_INCOMPLETE,
  STATUS_ORIGINAL,
  STATUS_PLAIN,
  STATUS_QUARANTINED,
} from './row-status';
import type { Unescaper } from './unescaper';

const LF = 0x0a;
const CR = 0x0d;

export class SecondPass implements PlainRowReader {
  /** Rows so far (the header is not one). */
  rows = 0;
  /** Rows read by the last readPlainRows call. */
  taken = 0;
  binding: Binding | null = null;
  private plain!: PlainRowParser;
  private general!: GeneralRowParser;
  private readonly values: Float64Array;
  private lineEnds: Buffer | null = null;

  constructor(
    private readonly schema: DatasetSchema,
    private readonly numeric: readonly string[],
    /** Pass 1's findings and row count. */
    private readonly status: RowStatus,
    private readonly total: number,
    private readonly hasher: RowHasher,
    private readonly unescaper: Unescaper,
    private readonly duplicates: DuplicateConfirmation,
    private readonly fill: MeanFill,
    private readonly out: CleaningOutputs,
    private readonly maxColumns: number | undefined,
    /** A JSON Lines input's records (the quarantine shows a bad record's text and line), or null. */
    private readonly records: JsonLinesInput | null = null,
  ) {
    this.values = new Float64Array(numeric.length);
  }

  /** The scanner's callback: the header (read again), then every row the fast path left. */
  onRow(row: ScannedRow): void {
    if (this.binding === null) {
      this.bind(row);
      return;
    }
    const out = this.out;
    const r = this.rows++;
    const st = this.status.flags[r];
    if (st & STATUS_QUARANTINED) {
      out.flushRun();
      const records = this.records;
      if (records === null) out.quarantineRow(row, REASON_BY_CODE[this.general.classify(row, this.values)]);
      else {
        const verdict = records.verdictOf(r);
        const code = verdict !== 0 ? verdict : this.general.classify(row, this.values);
        out.quarantineRow(records.quarantined(row, r), REASON_BY_CODE[code]);
      }
      return;
    }
    const bytes = row.bytes;
    if ((st & (STATUS_DUPLICATE | STATUS_ORIGINAL | STATUS_INCOMPLETE)) === 0) {
      // Complete and not involved in a proposed duplicate: copy the bytes, consecutive such
      // rows ending in LF as one span.
      if (bytes[row.end] === LF && row.end < bytes.length) {
        out.span(bytes, row.start, row.end + 1);
        return;
      }
      out.flushRun();
      out.completeRow(bytes, row.start, row.end);
      return;
    }
    out.flushRun();
    this.general.classify(row, this.values);
    this.write(row, r, st);
    this.trainRow(row, st);
  }

  /** The fast path, called by the scanner at every row start; stops at the first row it leaves. */
  readPlainRows(buf: Uint8Array, pos: number, n: number): number {
    const first = this.rows;
    this.taken = 0; // and rows and taken stored in the loop: see FirstPass.readPlainRows
    if (this.binding !== null) {
      const out = this.out;
      const status = this.status.flags;
      const lineLength = this.status.lineLength;
      const total = this.total;
      let lineEnds = this.lineEnds;
      if (
        lineEnds === null ||
        lineEnds.buffer !== buf.buffer ||
        lineEnds.byteOffset !== buf.byteOffset ||
        lineEnds.length !== n
      ) {
        lineEnds = this.lineEnds = Buffer.from(buf.buffer, buf.byteOffset, n);
      }
      let r = first;
      while (pos < n && r < total) {
        const st = status[r];
        if ((st & STATUS_PLAIN) === 0) break;
        if (leftToScanner(buf[pos])) break;
        if (st === STATUS_PLAIN) {
          // The line end is where pass 1 found it: no search, unless the line was long.
          const length = lineLength[r];
          const lf = length !== 0 ? pos + length - 1 : lineEnds.indexOf(LF, pos);
          if (lf < 0 || lf >= n) break;
          if (buf[lf] !== LF)
            throw new PreprocessError('source_changed', 'second read differs from the first');
          if (buf[lf - 1] === CR) {
            out.flushRun();
            out.completeRow(buf, pos, lf - 1);
          } else {
            out.span(buf, pos, lf + 1);
          }
          pos = lf + 1;
        } else {
          // Gaps to fill, or a proposed duplicate or original: parse again, then as onRow would.
          const plain = this.plain;
          const row = plain.row;
          const limit = plain.lastLineEnd(buf, n, pos);
          if (pos >= limit) break;
          const end = plain.parse(buf, pos, limit, this.values, 0, false);
          if (end < 0) break;
          out.flushRun();
          row.bytes = buf;
          row.start = pos;
          row.end = end;
          if (st === (STATUS_PLAIN | STATUS_INCOMPLETE))
            this.fill.write(row, this.binding.role, this.values, out.clean);
          else {
            this.write(row, r, st);
            this.trainRow(row, st);
          }
          pos = nextRowStart(buf, end);
        }
        r++;
        this.rows = r;
        this.taken = r - first;
      }
    }
    return pos;
  }

  private bind(row: ScannedRow): void {
    const binding = bindHeader(row, this.schema, this.numeric, this.maxColumns);
    // Pass 2 hashes nothing: the text gaps the parsers note go unread.
    const textGap = new Uint8Array(binding.header.length);
    this.plain = new PlainRowParser(binding, this.hasher, textGap);
    this.general = new GeneralRowParser(binding, this.hasher, textGap, this.unescaper);
    this.binding = binding;
  }

  /** A kept row or proposed duplicate parsed again (`values`: its cells), as its status says. */
  private write(row: ScannedRow, r: number, st: number): void {
    if (st & STATUS_DUPLICATE) {
      this.duplicates.confirm(row, this.values);
      return;
    }
    if (st & STATUS_ORIGINAL) this.duplicates.hold(r, row, this.values);
    if ((st & STATUS_INCOMPLETE) === 0) {
      this.out.completeRow(row.bytes, row.start, row.end);
      return;
    }
    this.fill.write(row, this.binding!.role, this.values, this.out.clean);
  }

  /** A kept row whose gaps are in extra numeric columns only: its bytes to train.csv too. */
  private trainRow(row: ScannedRow, st: number): void {
    if ((st & (STATUS_EXTRA_GAPS | STATUS_DUPLICATE)) !== STATUS_EXTRA_GAPS) return;
    this.out.train.bytes(row.bytes, row.start, row.end);
    this.out.train.byte(LF);
  }
}
