/**
 * Athena's copy of the curated outputs (curated-tables.ts says why it has one): each curated CSV
 * as JSON Lines, one object per row with the table's columns under the names preprocess wrote
 * (`"Torque [Nm]": 42.5`), the Glue table's OpenX JSON SerDe mapping them to its SQL names.
 * Numbers are JSON numbers (the same double preprocess parsed, printed shortest), an empty
 * numeric cell is null, text is a JSON string (a line break inside one is `\n`, so a record is
 * always one line), and the file's other columns are left out. The report becomes one line of
 * its counts. The tables kept per source object (quarantine, group_stats, reports) end each
 * record with the object's origin (`"source"`, `"arrived"`: curated-tables.ts ORIGIN_COLUMNS),
 * which the CSVs leave to the object's report.
 *
 * The preprocess handler (into the curated bucket, object-keys.ts: `athena/<table>/<base>/<token>.jsonl`)
 * and `factory preprocess` (`DIR/athena/<table>.jsonl`) write it as they write the CSVs, through
 * `withAthenaCopy`; test/lambda/core/athena-copy.test.ts reads the copy back with DuckDB through
 * the Glue tables' mapping and gets every named query's answer the CSV gives.
 */
import { parseDecimal } from './parse-decimal';
import { DEFAULT_DATASET_SCHEMA, type DatasetSchema } from './dataset-schema';
import {
  curatedTable,
  REPORT_COUNTS,
  tableOrigin,
  type CuratedTable,
  type RowOrigin,
  type TableColumn,
} from './curated-tables';
import { ByteWriter } from './cleaning/byte-writer';
import type { PreprocessSink } from './cleaning/run-contract';
import type { QualityReport } from './preprocess-report';

const enc = new TextEncoder();

/** Where `parseRecords` stopped: the records it read, and where the first one it did not read starts. */
interface Parsed {
  readonly records: string[][];
  readonly consumed: number;
}

/**
 * The records of `text` from `from`, RFC 4180 as the cleaning step writes it (`,`, `"` doubled
 * inside a quoted field, line breaks inside quotes kept, LF or CRLF between records). With `final`
 * false the text is a prefix of more to come: a record is read only once its line end is seen (a
 * CR at the very end waits, it may be a CRLF), and the rest is left unconsumed for the next chunk.
 * With `final` true the text is the whole rest: a last record without a line end counts, and a
 * quoted field still open is an error.
 */
function parseRecords(text: string, from: number, final: boolean): Parsed {
  const records: string[][] = [];
  const n = text.length;
  let start = from;
  let i = from;
  let record: string[] = [];
  while (i < n) {
    // One field from i: quoted (quotes doubled inside) or plain up to `,` or a line end.
    let field: string;
    if (text[i] === '"') {
      field = '';
      let at = i + 1;
      for (;;) {
        const q = text.indexOf('"', at);
        // An open quote at the end of a chunk (or a doubled quote cut in two) waits for more.
        if (q < 0 || (!final && q + 1 >= n)) {
          if (final && q < 0) throw new Error('curated CSV ends inside a quoted field');
          return { records, consumed: start };
        }
        field += text.slice(at, q);
        if (text[q + 1] === '"') {
          field += '"';
          at = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
    } else {
      let e = i;
      while (e < n && text[e] !== ',' && text[e] !== '\n' && text[e] !== '\r') e++;
      field = text.slice(i, e);
      i = e;
    }
    record.push(field);
    if (i >= n) {
      if (!final) return { records, consumed: start };
      records.push(record);
      return { records, consumed: n };
    }
    const c = text[i];
    if (c === ',') {
      i++;
      // A record cut after its `,`: its last (empty or not) field is still to come.
      if (i >= n) {
        if (!final) return { records, consumed: start };
        record.push('');
        records.push(record);
        return { records, consumed: n };
      }
      continue;
    }
    // A line end (CRLF as one): the record is complete.
    if (c === '\r' && i + 1 >= n && !final) return { records, consumed: start };
    i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
    records.push(record);
    record = [];
    start = i;
  }
  return { records, consumed: start };
}

/**
 * The records of an RFC 4180 text as the cleaning step writes it (`,`, `"` doubled inside a
 * quoted field, line breaks inside quotes kept, LF or CRLF between records, an optional BOM).
 */
export function csvRecords(text: string): string[][] {
  return parseRecords(text, text.charCodeAt(0) === 0xfeff ? 1 : 0, true).records;
}

/** A cell as the JSON value its column's type reads; throws naming the cell when it is not one. */
function jsonValue(cell: string, type: 'DOUBLE' | 'VARCHAR' | 'BIGINT', where: () => string): unknown {
  if (type === 'VARCHAR') return cell;
  if (cell.trim() === '') return null;
  const bytes = enc.encode(cell);
  const value = parseDecimal(bytes, 0, bytes.length);
  if (!Number.isFinite(value) || (type === 'BIGINT' && !Number.isInteger(value)))
    throw new Error(
      `${where()}: ${JSON.stringify(cell)} is not a ${type === 'BIGINT' ? 'whole number' : 'number'}`,
    );
  return value;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const BACKSLASH = 0x5c;
const NULL_BYTES = enc.encode('null');
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The origin's keys (the table's: tableOrigin) and values, as they end a record. */
function originFields(columns: readonly TableColumn[], origin: RowOrigin): Record<string, string | null> {
  return Object.fromEntries(columns.map((c) => [c.source, origin[c.name as keyof RowOrigin]]));
}

/** The origin as the bytes before a record's closing `}`: `,"source":"...","arrived":"..."`. */
function originBytes(table: CuratedTable, schema: DatasetSchema, origin: RowOrigin | undefined): Uint8Array {
  if (!table.origin) return new Uint8Array(0);
  if (origin === undefined) throw new Error(`${table.file}: Athena's copy needs the source object's origin`);
  return enc.encode(`,${JSON.stringify(originFields(tableOrigin(table, schema), origin)).slice(1, -1)}`);
}

/** bytes[s, e) is a JSON number without exponent (`-?(0|[1-9][0-9]*)(.[0-9]+)?`), short enough to be finite. */
function plainJsonNumber(bytes: Uint8Array, s: number, e: number, integer: boolean): boolean {
  if (e - s > (integer ? 15 : 300)) return false;
  let i = s;
  if (bytes[i] === 0x2d) i++;
  if (i >= e) return false;
  if (bytes[i] === 0x30) i++;
  else {
    if (bytes[i] < 0x31 || bytes[i] > 0x39) return false;
    while (i < e && bytes[i] >= 0x30 && bytes[i] <= 0x39) i++;
  }
  if (i === e) return true;
  if (integer || bytes[i] !== 0x2e) return false;
  i++;
  if (i >= e) return false;
  while (i < e && bytes[i] >= 0x30 && bytes[i] <= 0x39) i++;
  return i === e;
}

/** bytes[s, e) needs no JSON escaping: no `"`, `\` or control character (UTF-8 is copied as is). */
function plainJsonString(bytes: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) {
    const b = bytes[i];
    if (b < 0x20 || b === QUOTE || b === BACKSLASH) return false;
  }
  return true;
}

/**
 * Athena's copy of one curated CSV, converted as the CSV is written: `push` takes the CSV's bytes
 * in chunks cut anywhere (inside a field, a UTF-8 sequence or a CRLF) and returns the JSON Lines
 * of the records completed so far, `end` the rest. Memory holds one chunk, its JSON Lines and the
 * one record cut at its end, never the whole file. Works on the bytes: a plain cell (a number in
 * JSON's syntax, text with nothing to escape) is copied into the line as it is, anything else
 * (a quoted field, `1e5`, ` 42`) is decoded and written by JSON.stringify, the same values either
 * way. Throws when the header lacks one of the table's columns or a cell does not read as its
 * column's type.
 */
export class AthenaCopyStream {
  private readonly columns: readonly TableColumn[];
  /** `{"key":` then `,"key":` ... per column, in order. */
  private readonly keyBytes: Uint8Array[];
  /** The origin's fields, the same at the end of every record (none for clean and train). */
  private readonly originBytes: Uint8Array;
  private carry: Uint8Array | null = null;
  private at: number[] | null = null;
  private row = 0;
  private started = false;
  private ended = false;
  private readonly out = new ByteWriter();
  // The current record's fields: start, end (exclusive) and whether quoted, by field index.
  private fs: number[] = [];
  private fe: number[] = [];
  private fq: boolean[] = [];

  constructor(
    private readonly table: CuratedTable,
    schema: DatasetSchema,
    /** The source object's origin: required for the tables kept per source object. */
    origin?: RowOrigin,
  ) {
    this.columns = table.fileColumns(schema);
    this.originBytes = originBytes(table, schema, origin);
    this.keyBytes = this.columns.map((c, j) =>
      enc.encode(`${j === 0 ? '{' : ','}${JSON.stringify(c.source)}:`),
    );
  }

  /** The JSON Lines of the records this chunk completes (possibly none). */
  push(bytes: Uint8Array): Uint8Array {
    return this.convert(bytes, false);
  }

  /** The JSON Lines of the last records; the stream takes nothing more. */
  end(): Uint8Array {
    return this.convert(new Uint8Array(0), true);
  }

  private convert(chunk: Uint8Array, final: boolean): Uint8Array {
    if (this.ended) throw new Error(`${this.table.file}: Athena copy already ended`);
    this.ended = final;
    let buf = chunk;
    if (this.carry !== null && this.carry.length > 0) {
      buf = new Uint8Array(this.carry.length + chunk.length);
      buf.set(this.carry);
      buf.set(chunk, this.carry.length);
    }
    this.carry = null;
    let from = 0;
    if (!this.started) {
      // A BOM (three bytes, perhaps cut) before the header is skipped, as csvRecords skips one.
      if (buf.length < 3 && !final && [0xef, 0xbb, 0xbf].slice(0, buf.length).every((b, i) => buf[i] === b)) {
        this.carry = buf.slice();
        return new Uint8Array(0);
      }
      this.started = true;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) from = 3;
    }
    const consumed = this.records(buf, from, final);
    if (consumed < buf.length) this.carry = buf.slice(consumed);
    return this.out.take();
  }

  /** Converts the records of buf from `from`; returns where the first one not complete starts. */
  private records(buf: Uint8Array, from: number, final: boolean): number {
    const n = buf.length;
    let start = from;
    let i = from;
    let k = 0;
    while (i < n) {
      // One field from i: quoted (quotes doubled inside) or plain up to `,` or a line end.
      let fs: number;
      let fe: number;
      let quoted = false;
      if (buf[i] === QUOTE) {
        quoted = true;
        let q = i + 1;
        for (;;) {
          q = buf.indexOf(QUOTE, q);
          if (q < 0 || (!final && q + 1 >= n)) {
            if (final && q < 0) throw new Error('curated CSV ends inside a quoted field');
            return start;
          }
          if (buf[q + 1] === QUOTE) q += 2;
          else break;
        }
        fs = i + 1;
        fe = q;
        i = q + 1;
      } else {
        let e = i;
        while (e < n) {
          const b = buf[e];
          if (b === COMMA || b === LF || b === CR) break;
          e++;
        }
        fs = i;
        fe = e;
        i = e;
      }
      this.fs[k] = fs;
      this.fe[k] = fe;
      this.fq[k] = quoted;
      k++;
      if (i >= n) {
        if (!final) return start;
        this.record(buf, k);
        return n;
      }
      const c = buf[i];
      if (c === COMMA) {
        i++;
        if (i >= n) {
          if (!final) return start;
          this.fs[k] = n;
          this.fe[k] = n;
          this.fq[k] = false;
          this.record(buf, k + 1);
          return n;
        }
        continue;
      }
      // A line end (CRLF as one; a CR at the very end waits, it may be a CRLF).
      if (c === CR && i + 1 >= n && !final) return start;
      i += c === CR && buf[i + 1] === LF ? 2 : 1;
      this.record(buf, k);
      k = 0;
      start = i;
    }
    return start;
  }

  /** A field's text: quoted ones unquoted (`""` is `"`). */
  private text(buf: Uint8Array, f: number): string {
    const t = utf8.decode(buf.subarray(this.fs[f], this.fe[f]));
    return this.fq[f] ? t.replace(/""/g, '"') : t;
  }

  /** The record of fields 0..count-1: the header (first), or one JSON line. */
  private record(buf: Uint8Array, count: number): void {
    if (this.at === null) {
      const names = Array.from({ length: count }, (_, f) => this.text(buf, f));
      this.at = this.columns.map((c) => {
        const k = names.indexOf(c.source);
        if (k < 0) throw new Error(`${this.table.file}: no column ${JSON.stringify(c.source)} in the header`);
        return k;
      });
      return;
    }
    this.row++;
    const out = this.out;
    for (let j = 0; j < this.columns.length; j++) {
      const key = this.keyBytes[j];
      out.bytes(key, 0, key.length);
      const f = this.at[j];
      const { type } = this.columns[j];
      if (f >= count) {
        // A short record: the cell is missing, read as empty.
        this.slow('', this.columns[j], out);
        continue;
      }
      const s = this.fs[f];
      const e = this.fe[f];
      if (!this.fq[f]) {
        if (type === 'VARCHAR') {
          if (plainJsonString(buf, s, e)) {
            out.byte(QUOTE);
            out.bytes(buf, s, e);
            out.byte(QUOTE);
            continue;
          }
        } else if (s === e) {
          out.bytes(NULL_BYTES, 0, NULL_BYTES.length);
          continue;
        } else if (plainJsonNumber(buf, s, e, type === 'BIGINT')) {
          out.bytes(buf, s, e);
          continue;
        }
      }
      this.slow(this.text(buf, f), this.columns[j], out);
    }
    out.bytes(this.originBytes, 0, this.originBytes.length);
    out.byte(0x7d); // }
    out.byte(LF);
  }

  /** A cell that is not plain: its value as JSON.stringify writes it. */
  private slow(cell: string, column: TableColumn, out: ByteWriter): void {
    const row = this.row;
    const value = jsonValue(cell, column.type, () => `${this.table.file} row ${row}, ${column.source}`);
    const bytes = enc.encode(JSON.stringify(value));
    out.bytes(bytes, 0, bytes.length);
  }
}

const dec = new TextDecoder();

/**
 * One curated CSV (its header row first) as the JSON Lines of Athena's copy of `table`: the
 * whole-text form of AthenaCopyStream (group_stats.csv, which the core returns as text).
 */
export function athenaJsonLines(
  table: CuratedTable,
  schema: DatasetSchema,
  csv: string,
  origin?: RowOrigin,
): string {
  // The decoder drops a leading BOM, as csvRecords skips one.
  const stream = new AthenaCopyStream(table, schema, origin);
  return dec.decode(stream.push(enc.encode(csv))) + dec.decode(stream.end());
}

/** The report's counts and the object's origin as the one line of Athena's copy of `reports`. */
export function reportJsonLine(
  report: Pick<QualityReport, (typeof REPORT_COUNTS)[number]>,
  origin: RowOrigin,
): string {
  const counts = Object.fromEntries(REPORT_COUNTS.map((k) => [k, report[k]]));
  return reportLine({ ...counts, status: 'processed', rejection: null }, origin);
}

/**
 * A rejected object (a file-level refusal: too large, not UTF-8, no header the schema reads...)
 * as the one line of Athena's copy of `reports`: no counts, its reason code, its origin.
 */
export function rejectionJsonLine(reason: string, origin: RowOrigin): string {
  const counts = Object.fromEntries(REPORT_COUNTS.map((k) => [k, null]));
  return reportLine({ ...counts, status: 'rejected', rejection: reason }, origin);
}

function reportLine(fields: Record<string, unknown>, origin: RowOrigin): string {
  // The report's keys are fixed (REPORT_COUNTS), so its origin keys do not depend on a schema.
  const keys = tableOrigin(curatedTable('reports'), DEFAULT_DATASET_SCHEMA);
  return `${JSON.stringify({ ...fields, ...originFields(keys, origin) })}\n`;
}

/** The sink's streamed outputs, each the CSV of the curated table of the same name. */
export const STREAMED_TABLES = ['clean', 'train', 'quarantine'] as const;
export type StreamedTable = (typeof STREAMED_TABLES)[number];

/** A sink that also writes Athena's copy; `end` writes the copies' last records. */
export interface AthenaCopySink extends PreprocessSink {
  end(): Promise<void>;
}

/**
 * `sink` with Athena's copy of each streamed output beside it: every chunk goes to `sink`
 * unchanged (the CSV bytes stay exactly what the core wrote) and is converted as it passes, its
 * JSON Lines handed to `copy` with the table. `end` hands each copy its rest, and is called
 * once per table even when that is empty, so every copy exists once the run ends (an empty
 * object is a table with no rows). A restart (`reset`) starts the copies over too.
 */
export function withAthenaCopy(
  sink: PreprocessSink,
  schema: DatasetSchema,
  origin: RowOrigin,
  copy: (table: StreamedTable, jsonLines: Uint8Array) => void | Promise<void>,
): AthenaCopySink {
  const fresh = () =>
    Object.fromEntries(
      STREAMED_TABLES.map((t) => [t, new AthenaCopyStream(curatedTable(t), schema, origin)]),
    ) as Record<StreamedTable, AthenaCopyStream>;
  let streams = fresh();
  const through = (table: StreamedTable) => async (bytes: Uint8Array) => {
    // Converted before the sink sees the chunk: a sink may keep (and a source reuse) the buffer.
    const lines = streams[table].push(bytes);
    await sink[table](bytes);
    if (lines.length > 0) await copy(table, lines);
  };
  return {
    clean: through('clean'),
    train: through('train'),
    quarantine: through('quarantine'),
    reset: async () => {
      streams = fresh();
      await sink.reset();
    },
    end: async () => {
      for (const table of STREAMED_TABLES) await copy(table, streams[table].end());
    },
  };
}
