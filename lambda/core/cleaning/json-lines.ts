/**
 * JSON Lines input (the ingest stack's Firehose objects, a line PC's `PutRecordBatch` records,
 * `factory preprocess x.jsonl[.gz]`), read as
 *
 *   pandas.read_json(f, lines=True, dtype=False, convert_dates=False)
 *
 * followed by the dataset schema's typing, and rewritten on the way in as the CSV rows the cleaning
 * run already reads (as delimited-input.ts does for other delimiters): one header row of the
 * schema's columns, then one CSV row per record, so the second pass, the de-duplication, the mean
 * fill, the statistics and the outputs are the CSV path's, not a copy.
 *
 * Lines and records:
 * - A line ends at LF (Firehose's record separator, ingest-layout.ts RECORD_SEPARATOR). Each line is
 *   stripped of Python's whitespace and skipped when nothing is left, as pandas does
 *   (`JsonReader._combine_lines`: `line.strip()`, empty lines dropped); a CRLF line end goes with it.
 * - A record is one line: a JSON object. Keys map to the schema's columns by name, in any order;
 *   keys the schema does not name are not kept (the schema decides the columns; device metadata
 *   does not become a column). A missing key or `null` is a missing cell, like an empty CSV cell.
 *
 * The schema's typing (what pandas with dtype=False would leave as objects, typed per column):
 * - numeric columns (features, target): a JSON number, or a string holding a number as the CSV
 *   path reads one (parse-decimal.ts; `"2.5"` → 2.5); a string that is empty or one of pandas' NA
 *   words (missing-cells.ts) is missing;
 * - text columns (ids, category): a string as it is (`"007"` stays `007`: pandas' default dtype
 *   inference would make it 7), or a whole number up to 2^53 as its digits; NA words are missing,
 *   as in a CSV cell;
 * - the timestamp column: a string holding an ISO 8601 date or date-time (checked for a real
 *   calendar date and time of day), kept as text (convert_dates=False: not converted).
 * - the schema's id columns are required (the ingest topic rule adds the line id under
 *   `ingest.lineField`): absent, null, empty or an NA word is `missing_key`.
 *
 * A record that breaks these is quarantined with its line and reason (quarantine-reasons.ts) and
 * the others kept: `not_json` (the line is not JSON), `not_object` (JSON, but not an object),
 * `wrong_type` (a boolean, an object or array, a fraction in a text column), `missing_key`,
 * `bad_timestamp`, and the CSV path's `non_numeric` / `non_finite` for a feature or target string
 * that is not a number, `inf`, or a number past the double range. The quarantined row's `raw` is
 * the record's JSON text (stripped; a lone CR inside it becomes a space), and `line` its line in
 * the JSON Lines object.
 *
 * How a bad record reaches the quarantine: its row is emitted as one quoted CSV field holding its
 * text (never read by the plain fast path: the header has at least three columns), and its reason
 * is noted by row index; first-pass.ts and second-pass.ts ask `verdictOf(row)` before classifying.
 *
 * A UTF-8 BOM at the start is skipped, as for CSV.
 *
 * Limits: the size limit, NUL bytes and invalid UTF-8 (with its line) are checked on the JSON
 * Lines bytes before they are read here (input-bytes.ts); one record longer than the row limit is
 * the file-level `row_too_long`. `bytesIn` counts the JSON Lines bytes and `linesIn` its lines.
 *
 * Speed: most records are read by json-record-fast.ts straight from their bytes (no JSON.parse, no
 * number printed back); it hands every record it is not sure of to the general path here
 * (JSON.parse and typedCell), which decides. Pass 2 replays pass 1's rows (transcoded-replay.ts)
 * instead of reading the records again.
 *
 * Numbers are read correctly rounded (JSON.parse), as pandas' `precise_float=True` reads them; its
 * default fast parser can be one unit in the last place off.
 */
import { DEFAULT_MAX_ROW_BYTES, ScannedRow } from '../csv-scanner';
import { schemaColumns, type DatasetSchema } from '../dataset-schema';
import { parseDecimal } from '../parse-decimal';
import { PreprocessError } from '../preprocess-error';
import { ByteWriter } from './byte-writer';
import { csvField, quoteCsv } from './csv-text';
import { COLUMN_KIND, type ColumnKind, FastRecordReader, realDateTime } from './json-record-fast';
import { isMissingCell, isMissingText } from './missing-cells';
import { REASON_CODE } from './quarantine-reasons';

const LF = 0x0a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const utf8 = new TextDecoder('utf-8');
const enc = new TextEncoder();

/** What Python's str.strip() removes (str.isspace), which pandas applies to every line. */
const PYTHON_SPACE =
  '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const STRIP = new RegExp(`^[${PYTHON_SPACE}]+|[${PYTHON_SPACE}]+$`, 'g');

/** ISO 8601 date, or date and time with optional fraction and offset (`2026-03-01T08:00:00Z`). */
const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):?(\d{2}))?)?$/;

/** Whether `text` is an ISO 8601 date or date-time naming a real day and time of day. */
export function isIsoTimestamp(text: string): boolean {
  const m = ISO_TIMESTAMP.exec(text);
  if (m === null) return false;
  const n = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  return realDateTime(Number(m[1]), Number(m[2]), Number(m[3]), n(m[4]), n(m[5]), n(m[6]), n(m[7]), n(m[8]));
}

const Kind = COLUMN_KIND;

const INFINITY_WORD = /^\s*[+-]?inf(inity)?\s*$/i;

/**
 * One JSON Lines object read as CSV, once per pass. Verdicts (the reason of each bad record, by
 * row index) are noted as the rows are emitted, so they are known before the scanner reaches them;
 * both passes emit the same rows and verdicts.
 */
export class JsonLinesInput {
  /** Lines of the input (after a read: all of them, a last line without LF too). */
  lines = 0;
  private records = 0;
  private readonly verdicts = new Map<number, { code: number; line: number }>();
  private readonly header: string;
  private readonly columns: readonly { readonly name: string; readonly kind: ColumnKind }[];
  private readonly fast: FastRecordReader;

  constructor(
    schema: DatasetSchema,
    /** Longest record accepted (the scanner's row limit). */
    private readonly maxRowBytes = DEFAULT_MAX_ROW_BYTES,
    /** Test hook: false reads every record with the general path (JSON.parse), to compare the two. */
    private readonly fastPath = true,
  ) {
    const ids = new Set(schema.ids);
    const numeric = new Set([...schema.features, schema.target]);
    this.columns = schemaColumns(schema).map((name) => ({
      name,
      kind:
        name === schema.timestamp
          ? Kind.timestamp
          : ids.has(name)
            ? Kind.id
            : numeric.has(name)
              ? Kind.numeric
              : Kind.text,
    }));
    this.fast = new FastRecordReader(this.columns);
    this.header = this.columns.map((c) => csvField(c.name)).join(',') + '\n';
  }

  /** The reason code of row `r` (0-based, the header not counted) when its record is bad, else 0. */
  verdictOf(r: number): number {
    return this.verdicts.get(r)?.code ?? 0;
  }

  /**
   * A quarantined row as the quarantine output shows it: the record's own text and line. `row` is
   * the emitted row (one quoted field for a bad record).
   */
  quarantined(row: ScannedRow, r: number): ScannedRow {
    const verdict = this.verdicts.get(r);
    const s = row.fieldStart[0];
    const e = row.fieldEnd[0];
    const text = verdict ? utf8.decode(row.bytes.subarray(s, e)).replace(/""/g, '"') : '';
    const bytes = verdict ? enc.encode(text) : row.bytes.subarray(row.start, row.end);
    const shown = new ScannedRow(1);
    shown.bytes = bytes;
    shown.start = 0;
    shown.end = bytes.length;
    // Rows the CSV path quarantines on its own cannot come from emitted rows; if one did, its
    // line is the emitted one less the header.
    shown.line = verdict?.line ?? row.line - 1;
    shown.lastLine = verdict?.line ?? row.lastLine - 1;
    return shown;
  }

  /** `chunks` (checked JSON Lines bytes) as CSV bytes: the header, then a row per record. */
  async *csv(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    this.lines = 0;
    this.records = 0;
    const out = new ByteWriter();
    let carry: Uint8Array | null = null;
    yield enc.encode(this.header);
    for await (const given of chunks) {
      const chunk = Buffer.from(given.buffer, given.byteOffset, given.byteLength);
      const last = chunk.lastIndexOf(LF);
      if (last === -1) {
        // No line ends here: the line goes on (copied: the source may reuse its buffer).
        carry = carry === null ? given.slice() : joined(carry, given);
        this.checkLength(carry.length);
        continue;
      }
      let pos = 0;
      if (carry !== null) {
        const lf = chunk.indexOf(LF);
        const line = joined(carry, given.subarray(0, lf));
        this.line(line, 0, line.length, out);
        pos = lf + 1;
      }
      while (pos <= last) {
        const lf = chunk.indexOf(LF, pos);
        this.line(chunk, pos, lf, out);
        pos = lf + 1;
      }
      carry = pos < chunk.length ? given.slice(pos) : null;
      if (carry !== null) this.checkLength(carry.length);
      yield out.take();
    }
    if (carry !== null && carry.length > 0) {
      this.line(carry, 0, carry.length, out);
      yield out.take();
    }
  }

  /** Line b[s, e) (no LF) as its CSV row into `out`: the fast path, else the general one. */
  private line(b: Uint8Array, s: number, e: number, out: ByteWriter): void {
    if (e - s > this.maxRowBytes) this.checkLength(e - s);
    const line = ++this.lines;
    if (this.fastPath && e > s && b[s] === LBRACE && b[e - 1] === RBRACE && this.fast.row(b, s, e, out)) {
      this.records++;
      return;
    }
    const row = enc.encode(this.row(utf8.decode(b.subarray(s, e)), line));
    out.bytes(row, 0, row.length);
  }

  /** `bytes`: the length of the line after the last one read. */
  private checkLength(bytes: number): void {
    if (bytes > this.maxRowBytes)
      throw new PreprocessError(
        'row_too_long',
        `record at line ${this.lines + 1} is over the row limit of ${this.maxRowBytes} bytes`,
      );
  }

  /** Line `line` as its CSV row (with LF), or an empty line when it is blank: the general path. */
  private row(text0: string, line: number): string {
    // A UTF-8 BOM before the first record is not part of it (as the CSV scanner reads one; pandas
    // would fail the whole file on it).
    const decoded = line === 1 && text0.charCodeAt(0) === 0xfeff ? text0.slice(1) : text0;
    // Most records start with `{` and end with `}`: nothing to strip, no regex.
    const text =
      decoded.length > 0 && decoded.charCodeAt(0) === 0x7b && decoded.charCodeAt(decoded.length - 1) === 0x7d
        ? decoded
        : decoded.replace(STRIP, '');
    if (text.length === 0) return '\n';
    const r = this.records++;
    const bad = (code: number): string => {
      this.verdicts.set(r, { code, line });
      return quoteCsv(text.replace(/\r/g, ' ')) + '\n';
    };
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return bad(REASON_CODE.not_json);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      return bad(REASON_CODE.not_object);
    const record = value as Record<string, unknown>;
    const cells: string[] = [];
    for (const { name, kind } of this.columns) {
      const v = Object.prototype.hasOwnProperty.call(record, name) ? record[name] : null;
      const cell = typedCell(v, kind);
      if (typeof cell === 'number') return bad(cell);
      cells.push(cell);
    }
    return cells.join(',') + '\n';
  }
}

/** A value typed for its column: the CSV cell, or the reason code of a bad value. */
function typedCell(v: unknown, kind: ColumnKind): string | number {
  if (v === null || v === undefined) return kind === Kind.id ? REASON_CODE.missing_key : '';
  if (kind === Kind.numeric) {
    if (typeof v === 'number') return Number.isFinite(v) ? String(v) : REASON_CODE.non_finite;
    if (typeof v !== 'string') return REASON_CODE.wrong_type;
    const bytes = enc.encode(v);
    const x = parseDecimal(bytes, 0, bytes.length);
    if (x !== x) {
      if (isMissingCell(bytes, 0, bytes.length)) return '';
      return INFINITY_WORD.test(v) ? REASON_CODE.non_finite : REASON_CODE.non_numeric;
    }
    return Number.isFinite(x) ? String(x) : REASON_CODE.non_finite;
  }
  if (kind === Kind.timestamp) {
    if (typeof v !== 'string') return REASON_CODE.bad_timestamp;
    if (isMissingText(v)) return '';
    return isIsoTimestamp(v) ? v : REASON_CODE.bad_timestamp;
  }
  let text: string;
  if (typeof v === 'string') text = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) text = String(v);
  else return REASON_CODE.wrong_type;
  if (isMissingText(text)) return kind === Kind.id ? REASON_CODE.missing_key : '';
  return csvField(text);
}

function joined(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
