/**
 * Pass 1: scans and parses every row, quarantines bad rows, and stages each kept row (its hash,
 * category, values, missing text cells) in a batch; flushKept then proposes duplicates for the
 * batch and adds its kept rows to the column statistics. Memory: the de-duplication table, one
 * status byte per row and the proposed pairs; never the rows.
 *
 * Plain rows are read by readPlainRows (the scanner tries it at every row start) with the fast
 * path of plain-row.ts, parsed straight into the batch; every other row comes through onRow and
 * the general path of general-row.ts. Both stage the same things.
 */
import type { PlainRowReader, ScannedRow } from '../csv-scanner';
import type { DatasetSchema } from '../dataset-schema';
import { ColumnStatistics } from './column-statistics';
import { ColumnsUntyped } from './column-typing';
import { Categories } from './categories';
import { DuplicateProposals } from './duplicate-proposals';
import { GeneralRowParser } from './general-row';
import { type Binding, bindHeader } from './header-binding';
import type { JsonLinesInput } from './json-lines';
import { PlainRowParser, leftToScanner, nextRowStart } from './plain-row';
import { REASON_BY_CODE } from './quarantine-reasons';
import type { RowHasher } from './row-hash';
import {
  RowStatus,
  STATUS_DUPLICATE,
  STATUS_EXTRA_GAPS,
  STATUS_INCOMPLETE,
  STATUS_ORIGINAL,
  STATUS_PLAIN,
  STATUS_QUARANTINED,
} from './row-status';
import { StagedRows } from './staged-rows';
import type { Unescaper } from './unescaper';

/** Rows whose length predicts the row count (with the size hint). */
const MEASURED_ROWS = 1024;

export class FirstPass implements PlainRowReader {
  /** Rows so far (the header is not one). */
  rows = 0;
  /** Rows read by the last readPlainRows call. */
  taken = 0;
  quarantined = 0;
  /** Physical lines of the quarantined rows. */
  quarantinedLines = 0;
  /** Quarantined rows per reason code. */
  readonly byReason = new Float64Array(REASON_BY_CODE.length);
  readonly status = new RowStatus();
  readonly duplicates = new DuplicateProposals();
  readonly categories: Categories;
  binding: Binding | null = null;
  /** Set with the binding. */
  stats!: ColumnStatistics;
  private plain!: PlainRowParser;
  private general!: GeneralRowParser;
  private batch!: StagedRows;
  /** Per header column: 1 when the row's text cell is missing (set by the parsers' hashing). */
  private textGap!: Uint8Array;
  private readonly values: Float64Array;
  private readonly d: number;
  private readonly hashMask: number;
  private firstRowsBytes = 0;

  constructor(
    private readonly schema: DatasetSchema,
    private readonly numeric: readonly string[],
    private readonly hasher: RowHasher,
    private readonly unescaper: Unescaper,
    /** Input size in bytes when known. */
    private readonly sizeHint: number | undefined,
    /** Row hashes masked to this many bits (a test hook), or undefined. */
    weakHashBits: number | undefined,
    /** The schema's numeric columns: the first schemaD of `numeric` (the rest: numeric extras). */
    private readonly schemaD: number,
    private readonly maxColumns: number | undefined,
    maxCategories: number | undefined,
    /** Whether the extra columns' types are known (false: a header with extras throws ColumnsUntyped). */
    private readonly typed: boolean,
    /** A JSON Lines input's records (their bad ones are quarantined by its verdict), or null for CSV. */
    private readonly records: JsonLinesInput | null = null,
  ) {
    this.categories = new Categories(maxCategories, schema.category);
    this.d = numeric.length;
    this.values = new Float64Array(this.d);
    this.hashMask = weakHashBits === undefined ? -1 : (1 << weakHashBits) - 1;
  }

  /** The scanner's callback: the header, then every row the fast path left. */
  onRow(row: ScannedRow): void {
    const b = this.binding;
    if (b === null) {
      this.bind(row);
      return;
    }
    const r = this.rows++;
    if (r < MEASURED_ROWS) this.firstRowsBytes += row.end - row.start + 1;
    if (r >= this.status.flags.length) this.growStatus(r);
    const verdict = this.records === null ? 0 : this.records.verdictOf(r);
    const reason = verdict !== 0 ? verdict : this.general.classify(row, this.values);
    if (reason !== 0) {
      this.status.flags[r] = STATUS_QUARANTINED;
      this.quarantined++;
      this.quarantinedLines += row.lastLine - row.line + 1;
      this.byReason[reason]++;
      return;
    }
    this.keep(row, r, this.values, 0, false);
  }

  /**
   * The fast path, called by the scanner at every row start: reads consecutive plain rows and
   * keeps them exactly as onRow would, without the general scan, a second walk over the numeric
   * bytes or a callback per row. Stops at the first row it cannot read.
   */
  readPlainRows(buf: Uint8Array, pos: number, n: number): number {
    const first = this.rows;
    // `taken` is stored in the loop, not after it: the code after the loop runs once per chunk,
    // too rarely to have feedback when the loop is compiled on the stack, so any property
    // access there deoptimises the function at the end of every chunk until it is recompiled.
    this.taken = 0;
    if (this.binding !== null) {
      const plain = this.plain;
      const row = plain.row;
      const batch = this.batch;
      const d = this.d;
      row.bytes = buf;
      const limit = plain.lastLineEnd(buf, n, pos);
      while (pos < limit) {
        if (leftToScanner(buf[pos])) break;
        // Parsed straight into the next staging slot (keep() stages the row there).
        const end = plain.parse(buf, pos, limit, batch.values, batch.count * d, true);
        if (end < 0) break;
        const r = this.rows++;
        if (r < MEASURED_ROWS) this.firstRowsBytes += end - pos + 1;
        if (r >= this.status.flags.length) this.growStatus(r);
        row.start = pos;
        row.end = end;
        this.status.flags[r] |= STATUS_PLAIN;
        this.keep(row, r, batch.values, batch.count * d, true);
        const next = nextRowStart(buf, end);
        if (next - pos < 256) this.status.lineLength[r] = next - pos;
        pos = next;
        this.taken = r + 1 - first;
      }
    }
    return pos;
  }

  /** Ends the pass: the last batch. */
  finish(): void {
    if (this.binding !== null) this.flushKept();
  }

  private bind(row: ScannedRow): void {
    const binding = bindHeader(row, this.schema, this.numeric, this.maxColumns);
    if (!this.typed && binding.extras.length > 0) throw new ColumnsUntyped();
    const width = binding.header.length;
    this.textGap = new Uint8Array(width);
    this.plain = new PlainRowParser(binding, this.hasher, this.textGap);
    this.general = new GeneralRowParser(binding, this.hasher, this.textGap, this.unescaper);
    this.batch = new StagedRows(this.d, binding.textColumns, width);
    this.stats = new ColumnStatistics(this.numeric, this.schemaD, width, this.batch.capacity);
    this.binding = binding;
  }

  /** Room for row r's status; the first growth predicts the row count from the size hint. */
  private growStatus(r: number): void {
    const hint = this.sizeHint ?? 0;
    const perRow = Math.max(16, this.firstRowsBytes / Math.min(r, MEASURED_ROWS));
    const predicted =
      hint > 0 && r >= MEASURED_ROWS ? Math.min(Math.ceil((hint / perRow) * 1.05), 1 << 28) : 0;
    this.status.grow(r, predicted);
  }

  /**
   * Stages row `r` (classify or parse accepted it; values[base + j] holds its cells) for
   * flushKept: its hash, its category, its missing text cells and its values.
   */
  private keep(row: ScannedRow, r: number, values: Float64Array, base: number, hashed: boolean): void {
    if (!hashed) this.general.hash(row, values, base);
    const batch = this.batch;
    const i = batch.count++;
    let hi = this.hasher.hi;
    let lo = this.hasher.lo;
    if (this.hashMask !== -1) {
      hi = 0;
      lo &= this.hashMask;
    }
    batch.hi[i] = hi;
    batch.lo[i] = lo;
    batch.row[i] = r;
    batch.category[i] = this.categories.of(row, this.binding!.categoryAt);
    const d = this.d;
    const staged = batch.values;
    if (values !== staged) for (let j = 0; j < d; j++) staged[i * d + j] = values[base + j];
    const texts = batch.textColumns;
    const gaps = batch.textGaps;
    for (let t = 0; t < texts.length; t++) gaps[i * texts.length + t] = this.textGap[texts[t]];
    if (batch.count === batch.capacity) this.flushKept();
  }

  /**
   * Keeps the staged rows, in row order: proposes duplicates (the batch's table slots touched
   * first, so their cache misses overlap instead of each stalling a row), then adds each kept
   * row to the column statistics.
   */
  private flushKept(): void {
    const batch = this.batch;
    const count = batch.count;
    const status = this.status.flags;
    const duplicates = this.duplicates;
    duplicates.touch(batch.hi, batch.lo, count);
    for (let i = 0; i < count; i++) {
      const r = batch.row[i];
      if (r === MEASURED_ROWS && this.sizeHint) {
        const perRow = Math.max(16, this.firstRowsBytes / MEASURED_ROWS);
        duplicates.expect(Math.min(Math.ceil((this.sizeHint / perRow) * 1.05), 1 << 26));
      }
      const first = duplicates.propose(batch.hi[i], batch.lo[i], r);
      batch.first[i] = first;
      if (first >= 0) {
        status[r] |= STATUS_DUPLICATE;
        status[first] |= STATUS_ORIGINAL;
        duplicates.record(r, first);
      }
    }
    this.stats.add(batch, this.categories.count);
    for (let i = 0; i < count; i++) {
      if (batch.first[i] < 0 && batch.gapFree[i] === 0)
        status[batch.row[i]] |=
          batch.complete[i] === 0 ? STATUS_INCOMPLETE : STATUS_INCOMPLETE | STATUS_EXTRA_GAPS;
    }
    batch.count = 0;
  }
}
