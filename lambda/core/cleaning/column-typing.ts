/**
 * The typing pass: which extra columns (header columns the schema does not name) pandas would
 * read as numbers. pandas types a column from all its rows (`read_csv` infers a dtype per
 * column), so a column is numeric exactly when every non-missing cell of it parses as a finite
 * number (missing = empty or a pandas NA word; a column with no number at all but only missing
 * cells is numeric too: pandas reads it as float64 NaN; a file without a row has none). A streaming single pass cannot know
 * that before it has seen the last row, and the de-duplication of pass 1 compares numeric cells
 * as numbers (`-1.42E-06` equals `-0.00000142`), so this pass runs first, and only when the
 * header has extra columns.
 *
 * Only rows pass 1 keeps count (a ragged row, a quote error or a bad schema cell is quarantined,
 * so pandas' reference never sees it). A non-finite cell (`inf`, `1e999`) makes the column text:
 * the core refuses infinities, where pandas would read the column as float with an inf mean.
 *
 * Memory: one scanner and one flag per column. It stops reading as soon as every extra column
 * has shown a text cell; rows are read with the plain-row fast path while every candidate still
 * parses.
 */
import { CsvScanner, type PlainRowReader, ROW_OK, type ScannedRow } from '../csv-scanner';
import { type DatasetSchema, numericColumns } from '../dataset-schema';
import { parseDecimal } from '../parse-decimal';
import { type Binding, bindHeader } from './header-binding';
import { checkedBytes, plainBytes } from './input-bytes';
import { isMissingCell } from './missing-cells';
import { PlainRowParser, leftToScanner, nextRowStart } from './plain-row';
import { RowHasher } from './row-hash';
import type { PreprocessOptions } from './run-contract';

/**
 * Thrown by pass 1 when the header has extra columns and their types are not known yet: the
 * caller runs the typing pass and starts again (a file without extra columns is read twice, as
 * before, and an S3 object is not fetched a third time).
 */
export class ColumnsUntyped extends Error {}

/** What the typing pass found. */
export interface ColumnTypes {
  /** The extra columns pandas reads as numbers, in header order. */
  readonly numericExtras: readonly string[];
  /** Whether it read past the header (a pass over the bytes, whole or in part). */
  readonly read: boolean;
}

class TypingPass implements PlainRowReader {
  taken = 0;
  /** Per header column: 1 while an extra column may still be numeric. */
  candidate = new Uint8Array(0);
  candidates = 0;
  /** Rows that typed the columns (kept rows pass 1 would clean). */
  rows = 0;
  header: string[] | null = null;
  private binding: Binding | null = null;
  private plain: PlainRowParser | null = null;
  private schemaRole: Int32Array = new Int32Array(0);
  private values = new Float64Array(0);
  private readonly hasher = new RowHasher(0);

  constructor(
    private readonly schema: DatasetSchema,
    private readonly numeric: readonly string[],
    private readonly maxColumns: number | undefined,
  ) {}

  onRow(row: ScannedRow): void {
    if (this.header === null) {
      this.bind(row);
      return;
    }
    if (this.candidates === 0) return;
    if (row.flags !== ROW_OK || row.fieldCount !== this.candidate.length) return;
    const bytes = row.bytes;
    const role = this.schemaRole;
    // A row pass 1 quarantines for a schema cell does not type the extra columns.
    for (let k = 0; k < role.length; k++) {
      if (role[k] < 0) continue;
      const s = row.fieldStart[k];
      const e = row.fieldEnd[k];
      const v = parseDecimal(bytes, s, e);
      if (v !== v ? !isMissingCell(bytes, s, e) : v === Infinity || v === -Infinity) return;
    }
    this.rows++;
    let changed = false;
    for (let k = 0; k < this.candidate.length; k++) {
      if (this.candidate[k] === 0) continue;
      const s = row.fieldStart[k];
      const e = row.fieldEnd[k];
      const v = parseDecimal(bytes, s, e);
      if (v !== v ? isMissingCell(bytes, s, e) : v !== Infinity && v !== -Infinity) continue;
      this.candidate[k] = 0;
      this.candidates--;
      changed = true;
    }
    if (changed) this.rebind();
  }

  /** Plain rows whose candidate cells all parse (or are missing) type nothing: skipped in one walk. */
  readPlainRows(buf: Uint8Array, pos: number, n: number): number {
    this.taken = 0;
    const plain = this.plain;
    if (plain === null || this.candidates === 0) return pos;
    const limit = plain.lastLineEnd(buf, n, pos);
    let taken = 0;
    while (pos < limit) {
      if (leftToScanner(buf[pos])) break;
      const end = plain.parse(buf, pos, limit, this.values, 0, false);
      if (end < 0) break;
      pos = nextRowStart(buf, end);
      this.taken = ++taken;
      this.rows++;
    }
    return pos;
  }

  private bind(row: ScannedRow): void {
    const binding = bindHeader(row, this.schema, this.numeric, this.maxColumns);
    this.header = binding.header;
    this.schemaRole = binding.role;
    this.candidate = new Uint8Array(binding.header.length);
    const extras = new Set(binding.extras);
    binding.header.forEach((name, k) => {
      if (extras.has(name)) {
        this.candidate[k] = 1;
        this.candidates++;
      }
    });
    this.binding = binding;
    this.rebind();
  }

  /** The plain parser over the schema's numeric columns and the remaining candidates. */
  private rebind(): void {
    const b = this.binding!;
    const role = new Int32Array(b.role);
    let j = this.numeric.length;
    for (let k = 0; k < role.length; k++) if (this.candidate[k] === 1) role[k] = j++;
    this.values = new Float64Array(j);
    this.plain = new PlainRowParser({ ...b, role }, this.hasher, new Uint8Array(role.length));
  }
}

/** Runs the typing pass over `open()` (the same checks on the bytes as pass 1). */
export async function columnTypes(options: PreprocessOptions): Promise<ColumnTypes> {
  const numeric = numericColumns(options.schema);
  const typing = new TypingPass(options.schema, numeric, options.maxColumns);
  const scanner = new CsvScanner((row) => typing.onRow(row), {
    maxRowBytes: options.maxRowBytes,
    maxFields: options.maxColumns,
    plainRows: typing,
  });
  let read = false;
  let ended = true;
  for await (const chunk of checkedBytes(options.open, options.maxBytes ?? 1 << 30, { bytes: 0 })) {
    scanner.push(plainBytes(chunk));
    if (typing.header !== null) {
      if (typing.candidates === 0) {
        ended = false;
        break;
      }
      read = true;
    }
  }
  if (ended) scanner.finish();
  const header = typing.header;
  // Without a single row pandas reads every column as object (text), whatever its header.
  if (header === null || typing.rows === 0) return { numericExtras: [], read };
  return { numericExtras: header.filter((_, k) => typing.candidate[k] === 1), read };
}
