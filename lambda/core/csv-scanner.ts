/**
 * A streaming RFC 4180 scanner over byte chunks. It finds rows and field boundaries without
 * decoding text or allocating per field: each row is handed to the callback as offsets into a
 * byte buffer (valid only during the call). Rows may span chunks; the unfinished tail of a
 * chunk is carried (bounded by `maxRowBytes`).
 *
 * Accepted: UTF-8 BOM at the start, LF, CRLF and lone CR line ends, quoted fields holding
 * commas, quotes (`""`) and line ends. Blank lines (empty, or only spaces and tabs) are not
 * rows, as in pandas (`skip_blank_lines`). Rows that break RFC 4180 are still delimited and
 * reported with a flag so the caller can quarantine them: an unclosed quote at the end of the
 * input, or a stray quote (inside an unquoted field, or text after a closing quote).
 */
import { PreprocessError } from './preprocess-error';

/** The longest row the scanner accepts unless told otherwise. */
export const DEFAULT_MAX_ROW_BYTES = 1 << 20;

export const ROW_OK = 0;
export const ROW_STRAY_QUOTE = 1;
export const ROW_UNCLOSED_QUOTE = 2;

/** Field kinds in `ScannedRow.quoted`. */
export const FIELD_PLAIN = 0;
export const FIELD_QUOTED = 1;
/** Quoted and holding `""` escapes: unescape before use. */
export const FIELD_ESCAPED = 2;

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/** Bytes that end an unquoted field or need attention (1), everything else (0). */
const STOP = new Uint8Array(256);
STOP[QUOTE] = 1;
STOP[COMMA] = 1;
STOP[LF] = 1;
STOP[CR] = 1;

/** One row, as offsets into `bytes`; reused between callbacks. */
export class ScannedRow {
  bytes: Uint8Array = new Uint8Array(0);
  /** Row bytes [start, end), without the line end. */
  start = 0;
  end = 0;
  /** 1-based physical line of the row's first byte. */
  line = 0;
  /** 1-based physical line of its last byte (after line ends inside quoted fields). */
  lastLine = 0;
  fieldCount = 0;
  /** Field content [fieldStart, fieldEnd): inside the quotes for quoted fields. Only the first `capacity` fields are stored. */
  fieldStart: Int32Array;
  fieldEnd: Int32Array;
  quoted: Uint8Array;
  flags = ROW_OK;
  constructor(public capacity: number) {
    this.fieldStart = new Int32Array(capacity);
    this.fieldEnd = new Int32Array(capacity);
    this.quoted = new Uint8Array(capacity);
  }
  grow(capacity: number): void {
    const s = new Int32Array(capacity);
    const e = new Int32Array(capacity);
    const q = new Uint8Array(capacity);
    s.set(this.fieldStart);
    e.set(this.fieldEnd);
    q.set(this.quoted);
    this.fieldStart = s;
    this.fieldEnd = e;
    this.quoted = q;
    this.capacity = capacity;
  }
}

/**
 * A caller's own reader for the common rows, tried at every row start before the general scan.
 * It must only take rows it reads completely: whole rows, each one physical line ending in LF
 * (or CRLF) inside `buf`, none of them blank. The scanner counts them as rows and lines but does
 * not call `onRow` for them. Everything it leaves (quotes, lone CR, blank lines, the end of a
 * chunk, rows it cannot classify) goes through the general scan as usual.
 */
export interface PlainRowReader {
  /** Reads rows from buf[pos, n); returns the offset after the last row read (`pos` when none). */
  readPlainRows(buf: Uint8Array, pos: number, n: number): number;
  /** Rows read by the last call. */
  readonly taken: number;
}

export interface CsvScannerOptions {
  /** Longest row accepted (bytes); a longer one is a file-level `row_too_long` error. @default 1 MiB */
  readonly maxRowBytes?: number;
  /** Most fields stored per row (more are counted, not stored). @default 4096 */
  readonly maxFields?: number;
  /** A fast path for rows the caller can read itself. */
  readonly plainRows?: PlainRowReader;
}

export class CsvScanner {
  private carry: Uint8Array | null = null;
  private work = new Uint8Array(0);
  private started = false;
  private line = 1;
  private readonly row: ScannedRow;
  private readonly maxRowBytes: number;
  private readonly maxFields: number;
  private readonly plainRows: PlainRowReader | undefined;
  /** Rows found so far (handed to the callback or read by `plainRows`). */
  rows = 0;

  /** Physical lines scanned so far (after finish(): in the whole input, a last line without a line end too). */
  get lines(): number {
    return this.line - 1;
  }

  constructor(
    private readonly onRow: (row: ScannedRow) => void,
    options: CsvScannerOptions = {},
    /** Called after the rows of one buffer, before its bytes are released (for batched copies). */
    private readonly onBufferEnd?: () => void,
  ) {
    this.maxRowBytes = options.maxRowBytes ?? DEFAULT_MAX_ROW_BYTES;
    this.maxFields = options.maxFields ?? 4096;
    this.plainRows = options.plainRows;
    this.row = new ScannedRow(64);
  }

  push(chunk: Uint8Array): void {
    this.scan(chunk, false);
  }

  /** Ends the input: emits the last row (which may lack a line end or have an unclosed quote). */
  finish(): void {
    this.scan(new Uint8Array(0), true);
  }

  private scan(chunk: Uint8Array, final: boolean): void {
    if (!this.started) {
      const first = this.carry === null ? chunk : concat(this.carry, chunk);
      this.carry = null;
      if (first.length < 3 && !final) {
        this.carry = first.slice();
        return;
      }
      this.started = true;
      const bom = first.length >= 3 && first[0] === 0xef && first[1] === 0xbb && first[2] === 0xbf;
      chunk = bom ? first.subarray(3) : first;
    }
    let pos = 0;
    if (this.carry !== null) {
      // The carry is the start of one unfinished row. Join it with just enough of the chunk to
      // finish that row (doubling the piece if needed) in the reused work buffer, instead of
      // copying the whole chunk behind it; the rest is scanned in place.
      let carry = this.carry;
      this.carry = null;
      let piece = Math.min(chunk.length, Math.max(1 << 12, carry.length));
      for (;;) {
        const need = carry.length + piece;
        if (this.work.length < need) this.work = new Uint8Array(Math.max(need, this.work.length * 2));
        this.work.set(carry);
        this.work.set(chunk.subarray(0, piece), carry.length);
        const joined = this.work.subarray(0, need);
        const whole = piece === chunk.length;
        const at = this.scanRows(joined, 0, whole && final, carry.length);
        this.onBufferEnd?.();
        if (at >= carry.length) {
          pos = at - carry.length;
          break;
        }
        if (whole) {
          this.keep(joined, at);
          return;
        }
        carry = carry.subarray(at);
        piece = Math.min(chunk.length, piece * 2);
      }
    }
    const at = this.scanRows(chunk, pos, final, chunk.length);
    this.onBufferEnd?.();
    this.keep(chunk, at);
  }

  /**
   * Scans rows of `buf` from `pos` while they start before `stop`; returns where scanning
   * stopped: at or after `stop`, or at the start of a row that `buf` does not finish.
   */
  private scanRows(buf: Uint8Array, pos: number, final: boolean, stop: number): number {
    const n = buf.length;
    const plain = this.plainRows;
    while (pos < stop) {
      if (plain !== undefined) {
        const after = plain.readPlainRows(buf, pos, n);
        if (after !== pos) {
          this.rows += plain.taken;
          this.line += plain.taken;
          pos = after;
          continue;
        }
      }
      const next = this.scanRow(buf, pos, final);
      if (next < 0) break;
      pos = next;
    }
    return pos;
  }

  /** Carries buf[pos..) (the start of an unfinished row) to the next chunk. */
  private keep(buf: Uint8Array, pos: number): void {
    if (pos >= buf.length) return;
    if (buf.length - pos > this.maxRowBytes) throw this.rowTooLong(buf, pos);
    this.carry = buf.slice(pos);
  }

  /**
   * The error for an unfinished row past maxRowBytes: an open quote (the row swallows lines) or
   * one field that long (a blob, a pasted log): told apart so the message does not send the user
   * looking for a quote that is not there. Walks the row once, on this error path only.
   */
  private rowTooLong(buf: Uint8Array, pos: number): PreprocessError {
    let field = 1;
    let fieldStart = pos;
    let inQuote = false;
    let quoteLine = this.line;
    let line = this.line;
    for (let i = pos; i < buf.length; i++) {
      const c = buf[i];
      if (inQuote) {
        if (c === QUOTE) inQuote = false;
        else if (c === LF) line++;
      } else if (c === QUOTE) {
        inQuote = true;
        quoteLine = line;
      } else if (c === COMMA) {
        field++;
        fieldStart = i + 1;
      }
    }
    const limit = this.maxRowBytes;
    if (inQuote) {
      return new PreprocessError(
        'row_too_long',
        `row at line ${this.line}: the quote opened on line ${quoteLine} is still open after ` +
          `${buf.length - pos} bytes, over the row limit of ${limit} bytes (an unclosed quote?)`,
      );
    }
    return new PreprocessError(
      'row_too_long',
      `row at line ${this.line}: field ${field} is ${buf.length - fieldStart} bytes and not ended, ` +
        `over the row limit of ${limit} bytes`,
    );
  }

  /** Scans one row starting at `pos`; returns the offset after its line end, or -1 if the buffer ends first. */
  private scanRow(buf: Uint8Array, pos: number, final: boolean): number {
    const n = buf.length;
    const row = this.row;
    let cap = row.capacity;
    let fieldStart = row.fieldStart;
    let fieldEnd = row.fieldEnd;
    let quoted = row.quoted;
    let i = pos;
    let f = 0;
    let flags = ROW_OK;
    let innerLines = 0;
    for (;;) {
      if (f >= cap && cap < this.maxFields) {
        row.grow(Math.min(cap * 2, this.maxFields));
        cap = row.capacity;
        fieldStart = row.fieldStart;
        fieldEnd = row.fieldEnd;
        quoted = row.quoted;
      }
      if (i < n && buf[i] === QUOTE) {
        i++;
        const s = i;
        let kind = FIELD_QUOTED;
        for (;;) {
          while (i < n) {
            const c = buf[i];
            if (c === QUOTE) break;
            if (c === LF) innerLines++;
            else if (c === CR && (i + 1 < n ? buf[i + 1] !== LF : final)) innerLines++;
            i++;
          }
          if (i >= n) {
            if (!final) return -1;
            flags |= ROW_UNCLOSED_QUOTE;
            break;
          }
          if (i + 1 < n) {
            if (buf[i + 1] === QUOTE) {
              kind = FIELD_ESCAPED;
              i += 2;
              continue;
            }
          } else if (!final) {
            return -1;
          }
          break;
        }
        if (f < cap) {
          fieldStart[f] = s;
          fieldEnd[f] = i;
          quoted[f] = kind;
        }
        if (flags & ROW_UNCLOSED_QUOTE) {
          f++;
          break;
        }
        i++; // closing quote
        if (i < n) {
          const c = buf[i];
          if (c === COMMA) {
            i++;
            f++;
            continue;
          }
          if (c !== LF && c !== CR) {
            // Text after the closing quote: keep delimiting the row, flag it.
            flags |= ROW_STRAY_QUOTE;
            while (i < n && buf[i] !== COMMA && buf[i] !== LF && buf[i] !== CR) i++;
            if (i >= n && !final) return -1;
            if (i < n && buf[i] === COMMA) {
              i++;
              f++;
              continue;
            }
          }
        } else if (!final) {
          return -1;
        }
        f++;
        break;
      }
      const s = i;
      while (i < n) {
        const c = buf[i];
        if (STOP[c] === 1) {
          if (c !== QUOTE) break;
          flags |= ROW_STRAY_QUOTE;
        }
        i++;
      }
      if (i >= n && !final) return -1;
      if (f < cap) {
        fieldStart[f] = s;
        fieldEnd[f] = i;
        quoted[f] = FIELD_PLAIN;
      }
      f++;
      if (i < n && buf[i] === COMMA) {
        i++;
        continue;
      }
      break;
    }
    const rowEnd = i;
    if (i < n) {
      if (buf[i] === CR) {
        if (i + 1 < n) i += buf[i + 1] === LF ? 2 : 1;
        else if (final) i += 1;
        else return -1;
      } else if (buf[i] === LF) {
        i += 1;
      }
    }
    const line = this.line;
    // A row cut by the end of the input inside a quote may end in a line end it holds itself:
    // that line end closes its last line, so no further line starts.
    if (i === rowEnd && rowEnd > pos && (buf[rowEnd - 1] === LF || buf[rowEnd - 1] === CR)) innerLines--;
    this.line += 1 + innerLines;
    if (f === 1 && flags === ROW_OK && quoted[0] === FIELD_PLAIN) {
      let blank = true;
      for (let k = pos; k < rowEnd; k++) {
        const c = buf[k];
        if (c !== 0x20 && c !== 0x09) {
          blank = false;
          break;
        }
      }
      if (blank) return i;
    }
    row.bytes = buf;
    row.start = pos;
    row.end = rowEnd;
    row.line = line;
    row.lastLine = line + innerLines;
    row.fieldCount = f;
    row.flags = flags;
    this.rows++;
    this.onRow(row);
    return i;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * The text of field `k` of `row` (quotes removed, `""` unescaped), decoded as UTF-8. A field
 * past the stored ones (more than `maxFields` in the row) has no offsets: asking for it is an
 * error, never the text between offsets nobody set (it was a 40 KB "column name").
 */
export function fieldText(row: ScannedRow, k: number): string {
  if (k >= row.capacity) {
    throw new PreprocessError(
      'too_many_columns',
      `row at line ${row.line} has ${row.fieldCount} fields; only the first ${row.capacity} are read (maxFields)`,
    );
  }
  const s = row.fieldStart[k];
  const e = row.fieldEnd[k];
  const text = utf8.decode(row.bytes.subarray(s, e));
  return row.quoted[k] === FIELD_ESCAPED ? text.replace(/""/g, '"') : text;
}

const utf8 = new TextDecoder('utf-8');
