/**
 * The cleaning core (DESIGN.md "Data contract"), exactly pandas':
 *
 *   data = pd.read_csv(f); data = data.drop_duplicates()
 *   data = data.fillna(data.mean(numeric_only=True)); data.groupby(category).mean(numeric_only=True)
 *
 * streamed in two passes over the bytes with bounded memory:
 *
 * Pass 1 scans and parses every row, quarantines bad rows, and looks each row's 64-bit hash of its
 * canonical parsed values up in a typed-array table (row-hash-table.ts). A hit proposes "row i
 * duplicates the earlier row j"; the pair is recorded (duplicates only, ~1% of rows here). Kept rows
 * feed the column sums, the per-category sums and the moments. Memory: the table (12 bytes a slot),
 * one status byte per row and the proposed pairs; never the rows.
 *
 * Pass 2 re-reads the bytes and writes the outputs. Every proposed duplicate is confirmed exactly:
 * the parsed values of each proposed original j are held from j until its last proposed duplicate,
 * and compared value by value. A mismatch (a true 64-bit collision between different rows:
 * probability about n²/2^65, ~7e-7 at 5M rows) makes the run reset the sink and start over with a
 * new hash seed, so the answer is always exact. Memory in pass 2: the values of originals still
 * awaiting a duplicate.
 *
 * Speed (bench/preprocess.ts; about 2x the first version's CPU throughput, same outputs): most
 * rows are "plain" (one line, no quotes, exact field count). The scanner hands them to
 * readPlainRows1/2, which read them in one walk per row, parsing numbers in place (parsePlain);
 * pass 1 marks them, so pass 2 copies runs of complete plain rows up to the next memchr'd line
 * end and re-parses only plain rows with gaps. Everything else takes the general scanner and
 * classify. Kept rows are staged in batches (keep/flushKept): hash-table probes of a batch are
 * touched first so their cache misses overlap, then inserted, then summed, with each category's
 * complete rows added to its moments four at a time (moments-rows.ts, bit-identical). Pass 2
 * writes to the sink while it scans on.
 *
 * Semantics beyond the one-liner (and where the pandas reference must be told the same):
 * - Columns come from the schema; numeric = features + target, every other column (schema text
 *   columns and extra columns) is text (the reference reads them with dtype=str).
 * - Missing = empty or one of pandas' default NA words (`NA`, `null`, `NaN`, ...), in any column.
 * - Rows pandas would reject or guess about are quarantined with a reason instead: a ragged row
 *   (pandas errors on too many fields and pads too few), text in a numeric column (pandas would
 *   turn the whole column into text), inf or overflow (`non_finite`), an unclosed quote and a
 *   stray quote (RFC 4180 violations pandas reads by guessing).
 */
import { isUtf8 } from 'node:buffer';
import { type DatasetSchema, numericColumns } from './dataset-schema';
import {
  CsvScanner,
  FIELD_ESCAPED,
  FIELD_PLAIN,
  type PlainRowReader,
  ROW_OK,
  ROW_STRAY_QUOTE,
  ROW_UNCLOSED_QUOTE,
  ScannedRow,
  fieldText,
} from './csv-scanner';
import { Moments } from './moments';
import { addRows, rowsScratch } from './moments-rows';
import { POW10, parseDecimal } from './parse-decimal';
import { PreprocessError } from './preprocess-error';
import { RowHashTable, fmix } from './row-hash-table';
import {
  type CategoryStats,
  type ColumnStats,
  KahanSum,
  STATS_PARTIAL_FORMAT,
  type StatsPartial,
  compareCodePoints,
} from './stats-partial';

export { PreprocessError, type PreprocessErrorCode } from './preprocess-error';

/**
 * Opens the input's bytes from the start; called once per pass (twice, more after a restart).
 * A source may reuse one buffer for every chunk: the core copies whatever it keeps before it
 * asks for the next chunk.
 */
export type ByteSource = () => AsyncIterable<Uint8Array>;

export type QuarantineReason = 'ragged_row' | 'non_numeric' | 'non_finite' | 'unclosed_quote' | 'stray_quote';
export const QUARANTINE_REASONS: readonly QuarantineReason[] = [
  'ragged_row',
  'non_numeric',
  'non_finite',
  'unclosed_quote',
  'stray_quote',
];

/**
 * Where pass 2 writes. Each call gets a fresh chunk (the sink may keep it). `reset` discards all
 * output so far: called before a restart after a confirmed hash collision (practically never).
 */
export interface PreprocessSink {
  clean(bytes: Uint8Array): void | Promise<void>;
  train(bytes: Uint8Array): void | Promise<void>;
  quarantine(bytes: Uint8Array): void | Promise<void>;
  reset(): void | Promise<void>;
}

export interface PreprocessOptions {
  readonly schema: DatasetSchema;
  readonly open: ByteSource;
  readonly sink: PreprocessSink;
  /** Reject inputs larger than this (file-level `too_large`). @default 1 GiB */
  readonly maxBytes?: number;
  /** Input size in bytes when known, to size the de-duplication table up front. */
  readonly sizeHint?: number;
  /** Longest row accepted. @default 1 MiB */
  readonly maxRowBytes?: number;
  /** Test hook: mask row hashes to this many bits on the first attempt to force collisions. */
  readonly weakHashBitsForTest?: number;
}

export interface QualityReport {
  readonly rowsIn: number;
  readonly rowsClean: number;
  readonly rowsComplete: number;
  readonly duplicates: number;
  readonly quarantined: number;
  readonly quarantineByReason: Readonly<Record<QuarantineReason, number>>;
  /** Clean rows per reason is not a thing; this is per column: missing cells among clean rows. */
  readonly missingCells: Readonly<Record<string, number>>;
  /** Numeric cells filled with the column mean in clean.csv. */
  readonly filledCells: number;
  readonly categories: number;
  readonly rowsWithoutCategory: number;
  /** Header columns not in the schema (kept as text). */
  readonly extraColumns: readonly string[];
  readonly bytesIn: number;
  readonly elapsedMs: number;
  /** Passes over the bytes (2; more after a hash collision restart). */
  readonly passes: number;
  /** Peak bytes of the de-duplication table. */
  readonly dedupeTableBytes: number;
}

export interface PreprocessResult {
  readonly stats: StatsPartial;
  readonly report: QualityReport;
  /** group_stats.csv: `category,count,<numeric columns>`, one row per category, sorted. */
  readonly groupStatsCsv: string;
}

const NA_WORDS = new Set([
  '',
  '#N/A',
  '#N/A N/A',
  '#NA',
  '-1.#IND',
  '-1.#QNAN',
  '-NaN',
  '-nan',
  '1.#IND',
  '1.#QNAN',
  '<NA>',
  'N/A',
  'NA',
  'NULL',
  'NaN',
  'n/a',
  'nan',
  'null',
]);
/** First bytes of the NA words, to skip the set lookup for most cells. */
const NA_FIRST = new Uint8Array(256);
for (const w of NA_WORDS) if (w.length > 0) NA_FIRST[w.charCodeAt(0)] = 1;

/** pandas' default NA words (and empty) mean "missing" in every column. */
export function isMissingCell(bytes: Uint8Array, s: number, e: number): boolean {
  const len = e - s;
  if (len === 0) return true;
  if (len > 8 || NA_FIRST[bytes[s]] !== 1) return false;
  let w = '';
  for (let i = s; i < e; i++) w += String.fromCharCode(bytes[i]);
  return NA_WORDS.has(w);
}

/** `inf`, `-Infinity`, ...: pandas reads these as infinite floats; they are quarantined as non_finite. */
function isInfinityWord(bytes: Uint8Array, s: number, e: number): boolean {
  if (e - s > 12) return false;
  let w = '';
  for (let i = s; i < e; i++) w += String.fromCharCode(bytes[i]);
  return /^\s*[+-]?inf(inity)?\s*$/i.test(w);
}

/** Filled rows per addRows call, and their order (0, 1, 2, ...). */
const FILLED_BATCH = 256;
const FILLED_ORDER = Int32Array.from({ length: FILLED_BATCH }, (_, i) => i);

/** Input bytes scanned between two output flushes in pass 2. */
const OUTPUT_PIECE = 1 << 20;

const STATUS_QUARANTINED = 1;
const STATUS_DUPLICATE = 2;
/** An original that some later row was proposed to duplicate: keep its values in pass 2. */
const STATUS_ORIGINAL = 4;
/** Kept, with a numeric gap: pass 2 parses it to fill; complete kept rows are copied as bytes. */
const STATUS_INCOMPLETE = 8;
/** Read by the plain-row fast path: one line, no quotes, not starting with a blank byte. */
const STATUS_PLAIN = 16;

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
/** Bytes that end an unquoted field, or (a quote) send the row to the general scanner. */
const FIELD_STOP = new Uint8Array(256);
FIELD_STOP[QUOTE] = 1;
FIELD_STOP[COMMA] = 1;
FIELD_STOP[LF] = 1;
FIELD_STOP[CR] = 1;

const REASON_CODE: Record<QuarantineReason, number> = {
  ragged_row: 1,
  non_numeric: 2,
  non_finite: 3,
  unclosed_quote: 4,
  stray_quote: 5,
};
const REASON_BY_CODE: QuarantineReason[] = [
  'ragged_row',
  'ragged_row',
  'non_numeric',
  'non_finite',
  'unclosed_quote',
  'stray_quote',
];

class HashCollision extends Error {}

/** An original's canonical values, held in pass 2 until its last proposed duplicate. */
interface HeldRow {
  readonly values: Float64Array;
  /** Per text column: byte length of the unescaped text, -1 when missing. */
  readonly lengths: Int32Array;
  /** The text columns' unescaped bytes, concatenated. */
  readonly text: Uint8Array;
  waiting: number;
}

/** Column roles bound from the header. */
interface Binding {
  readonly header: string[];
  /** Per header column: numeric index (0..d-1) or -1 for text. */
  readonly role: Int32Array;
  /** Header index of the category column. */
  readonly categoryAt: number;
  readonly extras: string[];
  readonly headerBytes: Uint8Array;
}

const enc = new TextEncoder();

/** Grows a typed array to hold at least `n` elements. */
function ensure<T extends Uint8Array | Uint32Array>(a: T, n: number, make: (len: number) => T): T {
  if (n <= a.length) return a;
  let len = a.length * 2;
  while (len < n) len *= 2;
  const b = make(len);
  b.set(a);
  return b;
}

/** Append-only byte buffer for one output, flushed to the sink between input chunks. */
class ByteWriter {
  buf = new Uint8Array(1 << 16);
  len = 0;
  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
  bytes(src: Uint8Array, s: number, e: number): void {
    const n = e - s;
    this.reserve(n);
    if (n > 32) {
      this.buf.set(src.subarray(s, e), this.len);
    } else {
      // A loop beats subarray + set (a view allocated per copy) only for a few bytes.
      const buf = this.buf;
      let o = this.len;
      for (let i = s; i < e; i++) buf[o++] = src[i];
    }
    this.len += n;
  }
  byte(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b;
  }
  /** A copy of the bytes written so far (the sink may keep it); the buffer is reused. */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.len);
    this.len = 0;
    return out;
  }
}

/** CSV-quotes a text (always quoted). */
function quoteCsv(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}

/** A CSV field: quoted only when it must be. */
function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? quoteCsv(text) : text;
}

function formatNumber(v: number): string {
  return Number.isFinite(v) ? String(v) : '';
}

/** Reads the input once, checking size, NUL bytes and UTF-8 on the way (pass 1 only). */
async function* checkedBytes(open: ByteSource, maxBytes: number, counter: { bytes: number }) {
  let tail: Uint8Array | null = null;
  for await (const chunk of open()) {
    counter.bytes += chunk.length;
    if (counter.bytes > maxBytes) {
      throw new PreprocessError('too_large', `input is larger than the limit of ${maxBytes} bytes`);
    }
    if (Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).indexOf(0) !== -1) {
      throw new PreprocessError('nul_byte', 'input holds NUL bytes: not a text CSV (UTF-16 or binary?)');
    }
    tail = checkUtf8(tail, chunk);
    yield chunk;
  }
  if (tail !== null) throw new PreprocessError('invalid_utf8', 'input ends inside a UTF-8 sequence');
}

/** Validates `chunk` after the carried incomplete sequence `tail`; returns the new tail. */
function checkUtf8(tail: Uint8Array | null, chunk: Uint8Array): Uint8Array | null {
  let data = chunk;
  if (tail !== null) {
    data = new Uint8Array(tail.length + Math.min(chunk.length, 4));
    data.set(tail);
    data.set(chunk.subarray(0, 4), tail.length);
    // Validate the joined sequence on its own, then the rest of the chunk.
    const need = sequenceLength(tail[0]);
    const head = data.subarray(0, need);
    if (head.length < need) return head.slice();
    if (!isUtf8(head)) throw invalidUtf8();
    data = chunk.subarray(need - tail.length);
  }
  // Find an incomplete sequence at the end.
  let cut = data.length;
  for (let k = 1; k <= 3 && k <= data.length; k++) {
    const b = data[data.length - k];
    if ((b & 0xc0) === 0x80) continue;
    if (b >= 0xc0 && sequenceLength(b) > k) cut = data.length - k;
    break;
  }
  if (!isUtf8(data.subarray(0, cut))) throw invalidUtf8();
  return cut < data.length ? data.slice(cut) : null;
}

function sequenceLength(lead: number): number {
  if (lead >= 0xf0) return 4;
  if (lead >= 0xe0) return 3;
  if (lead >= 0xc0) return 2;
  return 1;
}

function invalidUtf8(): PreprocessError {
  return new PreprocessError('invalid_utf8', 'input is not UTF-8 text');
}

/**
 * Cleans one CSV: two passes over `open()`, outputs through `sink`, statistics and report
 * returned. Throws PreprocessError for file-level problems (before writing anything).
 */
export async function preprocessCsv(options: PreprocessOptions): Promise<PreprocessResult> {
  const started = Date.now();
  let passes = 0;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const run = new CleaningRun(options, attempt);
      const result = await run.execute();
      passes += 2;
      return { ...result, report: { ...result.report, elapsedMs: Date.now() - started, passes } };
    } catch (error) {
      if (!(error instanceof HashCollision)) throw error;
      passes += 2;
      await options.sink.reset();
    }
  }
  throw new PreprocessError('hash_collision', 'row hashes collided on three seeds');
}

class CleaningRun {
  private readonly schema: DatasetSchema;
  private readonly numeric: string[];
  private readonly d: number;
  private readonly maxBytes: number;
  private readonly seed: number;
  private readonly hashMask: number;
  private binding: Binding | null = null;

  // Pass 1 state.
  private rows = 0;
  private status = new Uint8Array(1 << 16);
  /** Per plain row, its line's length with the line end when below 256 (0: not known). */
  private lineLength = new Uint8Array(1 << 16);
  private pairs = new Uint32Array(1 << 12);
  private pairCount = 0;
  private table: RowHashTable;
  private hashHi = 0;
  private hashLo = 0;
  /** Per header column: 1 when the current row's text cell is missing (set by hashRow). */
  private textGap = new Uint8Array(0);
  private scratch = new Uint8Array(256);
  /** Header indexes of the text columns. */
  private textColumns = new Int32Array(0);
  // Rows staged by keep() for flushKept(): hash, row index, category, values, missing text cells.
  private staged = 0;
  /** Keeps the touch loop's loads alive. */
  touched = 0;
  private stagedHi = new Int32Array(0);
  private stagedLo = new Int32Array(0);
  private stagedRow = new Int32Array(0);
  private stagedFirst = new Int32Array(0);
  private stagedCategory = new Int32Array(0);
  private stagedValues = new Float64Array(0);
  private stagedTextGaps = new Uint8Array(0);
  // Complete staged rows queued per category (key = category + 1, 0 = none) for addRows.
  private queueHead = new Int32Array(0);
  private queueTail = new Int32Array(0);
  private queuedKeys = new Int32Array(0);
  private queuedKeyCount = 0;
  private queueNext = new Int32Array(0);
  private queueRows = new Int32Array(0);
  private readonly rowsScratch: Float64Array;
  // Filled rows of pass 2 waiting for addRows into filledMoments.
  private readonly filledValues: Float64Array;
  private filledCount = 0;
  private values: Float64Array;
  private duplicates = 0;
  private quarantined = 0;
  private readonly byReason = new Float64Array(6);
  private clean = 0;
  private complete = 0;
  /** Neumaier-compensated column sums over kept rows: sum + compensation (see kahanAdd). */
  private readonly colSum: Float64Array;
  private readonly colComp: Float64Array;
  private readonly colPresent: Float64Array;
  private textMissing: Float64Array = new Float64Array(0);
  // Categories: interned by bytes.
  private readonly catIndex = new Map<string, number>();
  private readonly catNames: string[] = [];
  private readonly catBytes: Uint8Array[] = [];
  private readonly catOfBytes: number[] = [];
  private catCount: number[] = [];
  private catSum: Float64Array[] = [];
  private catComp: Float64Array[] = [];
  private catMissing: Float64Array[] = [];
  private catMoments: Moments[] = [];
  private noCategory = 0;
  private readonly noCategoryMoments: Moments;
  private bytesIn = 0;
  private firstRowsBytes = 0;

  // Pass 2 state.
  private rows2 = 0;
  private pairAt = 0;
  private held = new Map<number, HeldRow>();
  private waitingFor: Map<number, number> | null = null;
  private filledMoments: Moments;
  private fillBytes: Uint8Array[] = [];
  private fill: Float64Array;
  private readonly gaps: Uint8Array;
  private readonly cleanOut = new ByteWriter();
  private readonly trainOut = new ByteWriter();
  private readonly quarantineOut = new ByteWriter();
  private filledCells = 0;
  private runBytes: Uint8Array | null = null;
  private runStart = 0;
  private runEnd = -1;

  // Plain-row fast path (see readPlainRows1): one reused row whose fields are all unquoted.
  private plainRow = new ScannedRow(64);
  private taken = 0;
  private lineEnds: Buffer | null = null;
  private limitBuf: Uint8Array | null = null;
  private limitN = -1;
  private limit = -1;
  /** limitBuf viewed for 4-byte reads (parsePlain). */
  private words: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(8));

  constructor(
    private readonly options: PreprocessOptions,
    attempt: number,
  ) {
    this.schema = options.schema;
    this.numeric = numericColumns(options.schema);
    this.d = this.numeric.length;
    this.maxBytes = options.maxBytes ?? 1 << 30;
    this.seed = Math.imul(attempt + 1, 0x9e3779b9);
    const weak = attempt === 0 ? options.weakHashBitsForTest : undefined;
    this.hashMask = weak === undefined ? -1 : (1 << weak) - 1;
    this.table = new RowHashTable(1 << 12);
    this.values = new Float64Array(this.d);
    this.fill = new Float64Array(this.d);
    this.gaps = new Uint8Array(this.d);
    this.rowsScratch = rowsScratch(this.d);
    this.filledValues = new Float64Array(FILLED_BATCH * this.d);
    this.colSum = new Float64Array(this.d);
    this.colComp = new Float64Array(this.d);
    this.colPresent = new Float64Array(this.d);
    this.noCategoryMoments = new Moments(this.numeric);
    this.filledMoments = new Moments(this.numeric);
  }

  async execute(): Promise<Omit<PreprocessResult, 'report'> & { report: QualityReport }> {
    const counter = { bytes: 0 };
    const reader1: PlainRowReader = {
      readPlainRows: (buf, pos, n) => this.readPlainRows1(buf, pos, n),
      get taken() {
        return run.taken;
      },
    };
    const reader2: PlainRowReader = {
      readPlainRows: (buf, pos, n) => this.readPlainRows2(buf, pos, n),
      get taken() {
        return run.taken;
      },
    };
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the readers' getters need the run
    const run = this;
    const scanner1 = new CsvScanner((row) => this.pass1(row), {
      maxRowBytes: this.options.maxRowBytes,
      plainRows: reader1,
    });
    for await (const chunk of checkedBytes(this.options.open, this.maxBytes, counter))
      scanner1.push(plainBytes(chunk));
    scanner1.finish();
    this.bytesIn = counter.bytes;
    if (this.binding === null) throw new PreprocessError('empty_file', 'input has no header row');
    this.flushKept();
    this.finishPass1();

    const sink = this.options.sink;
    const binding = this.binding;
    this.cleanOut.bytes(binding.headerBytes, 0, binding.headerBytes.length);
    this.cleanOut.byte(0x0a);
    this.trainOut.bytes(binding.headerBytes, 0, binding.headerBytes.length);
    this.trainOut.byte(0x0a);
    const qHeader = enc.encode('line,reason,raw\n');
    this.quarantineOut.bytes(qHeader, 0, qHeader.length);
    this.binding = null; // pass 2 re-reads the header
    this.rows2 = 0;
    let bytes2 = 0;
    const scanner2 = new CsvScanner(
      (row) => this.pass2(row),
      { maxRowBytes: this.options.maxRowBytes, plainRows: reader2 },
      () => this.flushRun(),
    );
    // Output is handed to the sink while the next input chunk is processed: each flush takes the
    // three buffers and waits only for the previous flush's writes (keeping the sink's calls in
    // order), so writing overlaps scanning. Every exit waits for the last writes.
    let writing: Promise<void> = Promise.resolve();
    const write = async (
      clean: Uint8Array | null,
      train: Uint8Array | null,
      quarantine: Uint8Array | null,
    ) => {
      if (clean !== null) await sink.clean(clean);
      if (train !== null) await sink.train(train);
      if (quarantine !== null) await sink.quarantine(quarantine);
    };
    const flush = async () => {
      const take = (out: ByteWriter) => (out.len > 0 ? out.take() : null);
      const clean = take(this.cleanOut);
      const train = take(this.trainOut);
      const quarantine = take(this.quarantineOut);
      await writing;
      writing = write(clean, train, quarantine);
      writing.catch(() => undefined); // awaited later; never an unhandled rejection meanwhile
    };
    try {
      for await (const chunk of this.options.open()) {
        bytes2 += chunk.length;
        if (bytes2 > this.bytesIn)
          throw new PreprocessError('source_changed', 'second read is longer than the first');
        // In pieces of about 1 MiB, each flushed on its own: few output bytes wait in memory.
        const bytes = plainBytes(chunk);
        for (let at = 0; at < bytes.length; at += OUTPUT_PIECE) {
          scanner2.push(bytes.subarray(at, at + OUTPUT_PIECE));
          if (
            this.cleanOut.len > 1 << 18 ||
            this.trainOut.len > 1 << 18 ||
            this.quarantineOut.len > 1 << 18
          ) {
            await flush();
          }
        }
      }
      scanner2.finish();
      if (bytes2 !== this.bytesIn || this.rows2 !== this.rows) {
        throw new PreprocessError('source_changed', 'second read differs from the first');
      }
      await flush();
      await writing;
      this.flushFilled();
    } catch (error) {
      await writing.catch(() => undefined);
      throw error;
    }
    return this.results();
  }

  private bind(row: ScannedRow): void {
    if (row.flags !== ROW_OK) {
      throw new PreprocessError('bad_header', `header row (line ${row.line}) has a quote error`);
    }
    const header: string[] = [];
    for (let k = 0; k < row.fieldCount; k++) header.push(fieldText(row, k));
    const dup = header.find((c, i) => header.indexOf(c) !== i);
    if (dup !== undefined)
      throw new PreprocessError('bad_header', `column "${dup}" is named twice in the header`);
    const role = new Int32Array(header.length).fill(-1);
    const needed = [this.schema.timestamp, ...this.schema.ids, this.schema.category, ...this.numeric];
    const missing = needed.filter((c) => !header.includes(c));
    if (missing.length > 0) {
      throw new PreprocessError('missing_column', `header lacks schema column(s): ${missing.join(', ')}`);
    }
    this.numeric.forEach((name, j) => {
      role[header.indexOf(name)] = j;
    });
    const known = new Set(needed);
    this.binding = {
      header,
      role,
      categoryAt: header.indexOf(this.schema.category),
      extras: header.filter((c) => !known.has(c)),
      headerBytes: row.bytes.slice(row.start, row.end),
    };
    if (this.textMissing.length === 0) this.textMissing = new Float64Array(header.length);
    if (this.textGap.length < header.length) this.textGap = new Uint8Array(header.length);
    if (this.stagedRow.length === 0) {
      const texts: number[] = [];
      role.forEach((j, k) => {
        if (j < 0) texts.push(k);
      });
      this.textColumns = Int32Array.from(texts);
      const batch = Math.max(16, Math.min(512, Math.floor((1 << 20) / (header.length + 1))));
      this.stagedHi = new Int32Array(batch);
      this.stagedLo = new Int32Array(batch);
      this.stagedRow = new Int32Array(batch);
      this.stagedFirst = new Int32Array(batch);
      this.stagedCategory = new Int32Array(batch);
      this.stagedValues = new Float64Array(batch * this.d);
      this.stagedTextGaps = new Uint8Array(batch * texts.length);
      this.queueNext = new Int32Array(batch);
      this.queueRows = new Int32Array(batch);
    }
    if (this.plainRow.capacity < header.length) this.plainRow = new ScannedRow(header.length);
  }

  /** Parses the row's numeric cells into `values` (NaN = missing); returns a reason code or 0. */
  private classify(row: ScannedRow, b: Binding): number {
    if (row.flags & ROW_UNCLOSED_QUOTE) return REASON_CODE.unclosed_quote;
    if (row.flags & ROW_STRAY_QUOTE) return REASON_CODE.stray_quote;
    const role = b.role;
    if (row.fieldCount !== role.length) return REASON_CODE.ragged_row;
    const bytes = row.bytes;
    const values = this.values;
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
   * Hashes the row's canonical values (numbers by their float64 bits with -0 as 0 and every NaN
   * alike, text unescaped, missing text alike) into `hashHi`/`hashLo`, and notes which text cells
   * are missing in `textGap`. Two 32-bit lanes take 64 bits a step (multiply-rotate, each lane
   * added into the other, a bijection of the state) and end with murmur3's fmix; locals only,
   * because this runs for every row.
   */
  private hashRow(row: ScannedRow, b: Binding, values: Float64Array, base: number): void {
    const role = b.role;
    const textGap = this.textGap;
    let h1 = this.seed ^ 0x2545f491;
    let h2 = Math.imul(this.seed, 0x85ebca6b) ^ 0x68e31da4;
    for (let k = 0; k < role.length; k++) {
      const j = role[k];
      let a: number;
      let z: number;
      if (j >= 0) {
        const v = values[base + j];
        if (v !== v) {
          // A NaN bit pattern: no kept number has one (infinities are quarantined).
          a = 0;
          z = 0x7ff80000;
        } else {
          F64[0] = v === 0 ? 0 : v;
          a = U32[0];
          z = U32[1];
        }
      } else {
        let bytes = row.bytes;
        let s = row.fieldStart[k];
        let e = row.fieldEnd[k];
        if (isMissingCell(bytes, s, e)) {
          textGap[k] = 1;
          a = 0x6e756c6c;
          z = -1;
        } else {
          textGap[k] = 0;
          if (row.quoted[k] === FIELD_ESCAPED) {
            e = this.unescape(bytes, s, e);
            s = 0;
            bytes = this.scratch;
          }
          let i = s;
          for (; i + 8 <= e; i += 8) {
            a = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
            z = bytes[i + 4] | (bytes[i + 5] << 8) | (bytes[i + 6] << 16) | (bytes[i + 7] << 24);
            h1 ^= Math.imul(a, 0xcc9e2d51);
            h1 = (Math.imul((h1 << 15) | (h1 >>> 17), 0x1b873593) + h2) | 0;
            h2 ^= Math.imul(z, 0x85ebca77);
            h2 = (Math.imul((h2 << 13) | (h2 >>> 19), 0xc2b2ae3d) + h1) | 0;
          }
          // The tail (up to 7 bytes) and the length's low byte (lengths with the same number of
          // 8-byte blocks differ there), so "ab" + "c" differs from "a" + "bc".
          a = 0;
          z = (e - s) << 24;
          for (let shift = 0; i < e; i++, shift += 8) {
            if (shift < 32) a |= bytes[i] << shift;
            else z |= bytes[i] << (shift - 32);
          }
        }
      }
      h1 ^= Math.imul(a, 0xcc9e2d51);
      h1 = (Math.imul((h1 << 15) | (h1 >>> 17), 0x1b873593) + h2) | 0;
      h2 ^= Math.imul(z, 0x85ebca77);
      h2 = (Math.imul((h2 << 13) | (h2 >>> 19), 0xc2b2ae3d) + h1) | 0;
    }
    h1 = (h1 + h2) | 0;
    h2 = (h2 + h1) | 0;
    h1 = fmix(h1);
    h2 = fmix(h2);
    h1 = (h1 + h2) | 0;
    h2 = (h2 + h1) | 0;
    // Kept as int32 (the table stores the same 32 bits): unsigned values above 2^31 would turn
    // these fields into heap numbers and deoptimise the code that reads them.
    this.hashHi = h1;
    this.hashLo = h2;
  }

  /** Copies bytes[s, e) into `scratch` without the second quote of each `""`; returns the length. */
  private unescape(bytes: Uint8Array, s: number, e: number): number {
    if (this.scratch.length < e - s) this.scratch = new Uint8Array(Math.max(e - s, this.scratch.length * 2));
    const out = this.scratch;
    let n = 0;
    for (let i = s; i < e; i++) {
      const c = bytes[i];
      if (c === QUOTE) i++;
      out[n++] = c;
    }
    return n;
  }

  private category(row: ScannedRow, b: Binding): number {
    const k = b.categoryAt;
    const s = row.fieldStart[k];
    const e = row.fieldEnd[k];
    if (isMissingCell(row.bytes, s, e)) return -1;
    const bytes = row.bytes;
    if (row.quoted[k] !== FIELD_ESCAPED) {
      // Few categories: compare bytes with each known one before building a string.
      const known = this.catBytes;
      const len = e - s;
      for (let c = 0; c < known.length; c++) {
        const kb = known[c];
        if (kb.length !== len) continue;
        let i = 0;
        while (i < len && kb[i] === bytes[s + i]) i++;
        if (i === len) return this.catOfBytes[c];
      }
    }
    const name = row.quoted[k] === FIELD_ESCAPED ? fieldText(row, k) : latin1OrUtf8(row.bytes, s, e);
    let c = this.catIndex.get(name);
    if (c === undefined) {
      c = this.catNames.length;
      this.catIndex.set(name, c);
      this.catNames.push(name);
      this.catCount.push(0);
      this.catSum.push(new Float64Array(this.d));
      this.catComp.push(new Float64Array(this.d));
      this.catMissing.push(new Float64Array(this.d));
      this.catMoments.push(new Moments(this.numeric));
    }
    if (row.quoted[k] !== FIELD_ESCAPED && this.catBytes.length < 32) {
      this.catBytes.push(bytes.slice(s, e));
      this.catOfBytes.push(c);
    }
    return c;
  }

  private pass1(row: ScannedRow): void {
    const b = this.binding;
    if (b === null) {
      this.bind(row);
      return;
    }
    const r = this.rows++;
    if (r < 1024) this.firstRowsBytes += row.end - row.start + 1;
    if (r >= this.status.length) this.growStatus(r);
    const reason = this.classify(row, b);
    if (reason !== 0) {
      this.status[r] = STATUS_QUARANTINED;
      this.quarantined++;
      this.byReason[reason]++;
      return;
    }
    this.keep(row, b, r, this.values, 0, false);
  }

  /**
   * Makes room for row r's status. The first growth jumps to the row count the size hint
   * predicts (from the first rows' length), so the array is not regrown (and the hot loops not
   * deoptimised by the field change) again and again.
   */
  private growStatus(r: number): void {
    const hint = this.options.sizeHint ?? 0;
    const perRow = Math.max(16, this.firstRowsBytes / Math.min(r, 1024));
    const predicted = hint > 0 && r >= 1024 ? Math.min(Math.ceil((hint / perRow) * 1.05), 1 << 28) : 0;
    if (predicted > r) {
      const status = new Uint8Array(predicted);
      status.set(this.status);
      this.status = status;
    } else {
      this.status = ensure(this.status, r + 1, (n) => new Uint8Array(n));
    }
    const lineLength = new Uint8Array(this.status.length);
    lineLength.set(this.lineLength);
    this.lineLength = lineLength;
  }

  /**
   * Pass 1 fast path, called by the scanner at every row start: reads consecutive plain rows
   * (see parsePlain) and keeps them exactly as pass1 would, without the general scan, a second
   * walk over the numeric bytes or a callback per row. Stops at the first row it cannot read.
   */
  private readPlainRows1(buf: Uint8Array, pos: number, n: number): number {
    const b = this.binding;
    const first = this.rows;
    // `taken` is stored in the loop, not after it: the code after the loop runs once per chunk,
    // too rarely to have feedback when the loop is compiled on the stack, so any property
    // access there deoptimises the function at the end of every chunk until it is recompiled.
    this.taken = 0;
    if (b !== null) {
      const row = this.plainRow;
      row.bytes = buf;
      const limit = this.lastLineEnd(buf, n, pos);
      while (pos < limit) {
        const c0 = buf[pos];
        // Blank lines (and rows starting with a blank) go to the scanner; pass 2 relies on this.
        if (c0 === LF || c0 === CR || c0 === SPACE || c0 === TAB) break;
        // Parsed straight into the next staging slot (keep() stages the row there).
        const end = this.parsePlain(buf, pos, limit, this.stagedValues, this.staged * this.d, true);
        if (end < 0) break;
        const r = this.rows++;
        if (r < 1024) this.firstRowsBytes += end - pos + 1;
        if (r >= this.status.length) this.growStatus(r);
        row.start = pos;
        row.end = end;
        this.status[r] |= STATUS_PLAIN;
        this.keep(row, b, r, this.stagedValues, this.staged * this.d, true);
        const next = end + (buf[end] === CR ? 2 : 1);
        if (next - pos < 256) this.lineLength[r] = next - pos;
        pos = next;
        this.taken = r + 1 - first;
      }
    }
    return pos;
  }

  /**
   * The offset of the last LF in buf[0, n), or -1: plain rows end at or before it, and it stops
   * every loop in parsePlain, which therefore needs no bounds checks. Remembered per buffer,
   * since the readers are called at every row start the general scanner reaches; sources may
   * refill one buffer, so a remembered offset is used only while it still holds an LF (an
   * earlier LF than the last one is a valid sentinel too: rows after it go to the scanner).
   */
  private lastLineEnd(buf: Uint8Array, n: number, pos: number): number {
    const known = this.limit;
    if (buf === this.limitBuf && n === this.limitN && known > pos && buf[known] === LF) return known;
    if (buf !== this.limitBuf) this.words = new DataView(buf.buffer, buf.byteOffset, buf.length);
    let limit = n - 1;
    while (limit >= 0 && buf[limit] !== LF) limit--;
    this.limitBuf = buf;
    this.limitN = n;
    this.limit = limit;
    return limit;
  }

  /**
   * Reads the plain row at `pos` into `plainRow` (field offsets) and values[base + j] (numbers
   * parsed, NaN = missing). A plain row has exactly the header's field count, no quote byte, and ends in
   * LF or CRLF at or before `limit`, which must be an LF in `buf` (see lastLineEnd); its numeric
   * cells parse and are finite. Returns the offset of its line end, or -1 for anything else (the
   * general scanner and classify then decide).
   *
   * Hand-written because it is the hot loop: one walk over the bytes finds the field ends and
   * parses `-?digits[.digits]` cells of at most 9 digits in place. That is parseDecimal's fast
   * path (same integer mantissa, same power of ten, one IEEE division), so the value is the same
   * double; every other numeric cell (spaces, exponents, `+`, NA words, longer digit runs) goes
   * to parseDecimal itself.
   */
  private parsePlain(
    buf: Uint8Array,
    pos: number,
    limit: number,
    values: Float64Array,
    base: number,
    hash: boolean,
  ): number {
    const role = this.binding!.role;
    const nf = role.length;
    const fieldStart = this.plainRow.fieldStart;
    const fieldEnd = this.plainRow.fieldEnd;
    const view = this.words;
    const textGap = this.textGap;
    // With `hash`, the row hash and text gaps are computed on the way (see hashRow: the same
    // steps in the same order, so the same bits), not in a second walk over the fields.
    let h1 = this.seed ^ 0x2545f491;
    let h2 = Math.imul(this.seed, 0x85ebca6b) ^ 0x68e31da4;
    let i = pos;
    for (let k = 0; k < nf; k++) {
      const s = i;
      const j = role[k];
      if (j >= 0) {
        let negative = false;
        if (buf[i] === 0x2d) {
          negative = true;
          i++;
        }
        // Int32 arithmetic (it wraps past 9 digits; such cells take the general path below).
        // No bounds checks: every loop stops at the LF at `limit` (see readPlainRows1).
        let mantissa = 0;
        const intStart = i;
        let d = buf[i] - 0x30;
        while (d >>> 0 <= 9) {
          mantissa = (Math.imul(mantissa, 10) + d) | 0;
          d = buf[++i] - 0x30;
        }
        let digits = i - intStart;
        let fraction = 0;
        if (d === 0x2e - 0x30) {
          const fractionStart = ++i;
          d = buf[i] - 0x30;
          while (d >>> 0 <= 9) {
            mantissa = (Math.imul(mantissa, 10) + d) | 0;
            d = buf[++i] - 0x30;
          }
          fraction = i - fractionStart;
          digits += fraction;
        }
        const c = d + 0x30;
        if (digits > 0 && digits <= 9 && (c === COMMA || c === LF || c === CR)) {
          const v = fraction === 0 ? mantissa : mantissa / POW10[fraction];
          values[base + j] = negative ? -v : v;
        } else if (i === s && (c === COMMA || c === LF || c === CR)) {
          values[base + j] = NaN; // an empty cell: missing
        } else {
          while (FIELD_STOP[buf[i]] === 0) i++;
          if (buf[i] === QUOTE) return -1;
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
        if (hash) {
          const v = values[base + j];
          let a: number;
          let z: number;
          if (v !== v) {
            a = 0;
            z = 0x7ff80000;
          } else {
            F64[0] = v === 0 ? 0 : v;
            a = U32[0];
            z = U32[1];
          }
          h1 ^= Math.imul(a, 0xcc9e2d51);
          h1 = (Math.imul((h1 << 15) | (h1 >>> 17), 0x1b873593) + h2) | 0;
          h2 ^= Math.imul(z, 0x85ebca77);
          h2 = (Math.imul((h2 << 13) | (h2 >>> 19), 0xc2b2ae3d) + h1) | 0;
        }
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
          let a: number;
          let z: number;
          if (isMissingCell(buf, s, i)) {
            textGap[k] = 1;
            a = 0x6e756c6c;
            z = -1;
          } else {
            textGap[k] = 0;
            let t = s;
            for (; t + 8 <= i; t += 8) {
              a = view.getInt32(t, true);
              z = view.getInt32(t + 4, true);
              h1 ^= Math.imul(a, 0xcc9e2d51);
              h1 = (Math.imul((h1 << 15) | (h1 >>> 17), 0x1b873593) + h2) | 0;
              h2 ^= Math.imul(z, 0x85ebca77);
              h2 = (Math.imul((h2 << 13) | (h2 >>> 19), 0xc2b2ae3d) + h1) | 0;
            }
            a = 0;
            z = (i - s) << 24;
            for (let shift = 0; t < i; t++, shift += 8) {
              if (shift < 32) a |= buf[t] << shift;
              else z |= buf[t] << (shift - 32);
            }
          }
          h1 ^= Math.imul(a, 0xcc9e2d51);
          h1 = (Math.imul((h1 << 15) | (h1 >>> 17), 0x1b873593) + h2) | 0;
          h2 ^= Math.imul(z, 0x85ebca77);
          h2 = (Math.imul((h2 << 13) | (h2 >>> 19), 0xc2b2ae3d) + h1) | 0;
        }
      }
      fieldStart[k] = s;
      fieldEnd[k] = i;
      const c = buf[i];
      if (k < nf - 1) {
        if (c !== COMMA) return -1;
        i++;
      } else if (c === LF || (c === CR && i < limit && buf[i + 1] === LF)) {
        if (hash) {
          h1 = (h1 + h2) | 0;
          h2 = (h2 + h1) | 0;
          h1 = fmix(h1);
          h2 = fmix(h2);
          h1 = (h1 + h2) | 0;
          h2 = (h2 + h1) | 0;
          this.hashHi = h1;
          this.hashLo = h2;
        }
        return i;
      }
    }
    return -1;
  }

  /**
   * Stages row `r` (classify accepted it; `values` holds its cells) for flushKept: its hash, its
   * category, its missing text cells and its values, everything the row's bytes are needed for.
   */
  private keep(
    row: ScannedRow,
    b: Binding,
    r: number,
    values: Float64Array,
    base: number,
    hashed: boolean,
  ): void {
    if (!hashed) this.hashRow(row, b, values, base);
    const i = this.staged++;
    let hi = this.hashHi;
    let lo = this.hashLo;
    if (this.hashMask !== -1) {
      hi = 0;
      lo &= this.hashMask;
    }
    this.stagedHi[i] = hi;
    this.stagedLo[i] = lo;
    this.stagedRow[i] = r;
    this.stagedCategory[i] = this.category(row, b);
    const d = this.d;
    const stagedValues = this.stagedValues;
    if (values !== stagedValues) for (let j = 0; j < d; j++) stagedValues[i * d + j] = values[base + j];
    const texts = this.textColumns;
    const gaps = this.stagedTextGaps;
    for (let t = 0; t < texts.length; t++) gaps[i * texts.length + t] = this.textGap[texts[t]];
    if (this.staged === this.stagedRow.length) this.flushKept();
  }

  /**
   * Keeps the staged rows, in row order: proposes duplicates with the hash table, then adds each
   * kept row to the sums, counts and moments. The table lookups of a batch run in one tight loop
   * of independent probes, so their cache misses (the table is tens of MB) overlap instead of
   * each stalling a row's whole processing.
   */
  private flushKept(): void {
    if (this.queueHead.length < this.catNames.length + 1) {
      const size = Math.max(this.catNames.length + 1, this.queueHead.length * 2);
      this.queueHead = new Int32Array(size).fill(-1);
      this.queueTail = new Int32Array(size);
      this.queuedKeys = new Int32Array(size);
    }
    const count = this.staged;
    this.staged = 0;
    const stagedRow = this.stagedRow;
    const firstOf = this.stagedFirst;
    const status = this.status;
    let touched = 0;
    for (let i = 0; i < count; i++) touched |= this.table.touch(this.stagedHi[i], this.stagedLo[i]);
    this.touched = touched;
    for (let i = 0; i < count; i++) {
      const r = stagedRow[i];
      if (r === 1024 && this.options.sizeHint) {
        // Size the table once from the measured row length, so it does not grow (and copy) later.
        const perRow = Math.max(16, this.firstRowsBytes / 1024);
        const table = new RowHashTable(Math.min(Math.ceil((this.options.sizeHint / perRow) * 1.05), 1 << 26));
        table.absorb(this.table);
        this.table = table;
      }
      const first = this.table.insertOrGet(this.stagedHi[i], this.stagedLo[i], r);
      firstOf[i] = first;
      if (first >= 0) {
        status[r] |= STATUS_DUPLICATE;
        status[first] |= STATUS_ORIGINAL;
      }
    }
    const d = this.d;
    const stagedValues = this.stagedValues;
    const texts = this.textColumns;
    const gaps = this.stagedTextGaps;
    for (let i = 0; i < count; i++) {
      const r = stagedRow[i];
      const first = firstOf[i];
      if (first >= 0) {
        this.duplicates++;
        if (this.pairCount * 2 + 2 > this.pairs.length) {
          this.pairs = ensure(this.pairs, this.pairCount * 2 + 2, (n) => new Uint32Array(n));
        }
        this.pairs[this.pairCount * 2] = r;
        this.pairs[this.pairCount * 2 + 1] = first;
        this.pairCount++;
        continue;
      }
      this.clean++;
      const at = i * d;
      const c = this.stagedCategory[i];
      let complete = true;
      if (c >= 0) {
        this.catCount[c]++;
        const sum = this.catSum[c];
        const comp = this.catComp[c];
        const missing = this.catMissing[c];
        for (let j = 0; j < d; j++) {
          const v = stagedValues[at + j];
          if (v === v) {
            kahanAdd(this.colSum, this.colComp, j, v);
            this.colPresent[j]++;
            kahanAdd(sum, comp, j, v);
          } else {
            complete = false;
            missing[j]++;
          }
        }
      } else {
        this.noCategory++;
        for (let j = 0; j < d; j++) {
          const v = stagedValues[at + j];
          if (v === v) {
            kahanAdd(this.colSum, this.colComp, j, v);
            this.colPresent[j]++;
          } else {
            complete = false;
          }
        }
      }
      if (complete) {
        this.complete++;
        // Queued per category; each category's rows go to its moments below, in row order.
        const key = c + 1;
        if (this.queueHead[key] < 0) {
          this.queueHead[key] = i;
          this.queuedKeys[this.queuedKeyCount++] = key;
        } else {
          this.queueNext[this.queueTail[key]] = i;
        }
        this.queueTail[key] = i;
        this.queueNext[i] = -1;
      } else {
        status[r] |= STATUS_INCOMPLETE;
      }
      for (let t = 0; t < texts.length; t++) this.textMissing[texts[t]] += gaps[i * texts.length + t];
    }
    const rows = this.queueRows;
    for (let q = 0; q < this.queuedKeyCount; q++) {
      const key = this.queuedKeys[q];
      let count = 0;
      for (let i = this.queueHead[key]; i >= 0; i = this.queueNext[i]) rows[count++] = i;
      this.queueHead[key] = -1;
      addRows(
        key === 0 ? this.noCategoryMoments : this.catMoments[key - 1],
        stagedValues,
        rows,
        count,
        this.rowsScratch,
      );
    }
    this.queuedKeyCount = 0;
  }

  private finishPass1(): void {
    for (let j = 0; j < this.d; j++) {
      this.fill[j] = (this.colSum[j] + this.colComp[j]) / this.colPresent[j];
      this.fillBytes.push(enc.encode(formatNumber(this.fill[j])));
    }
    const waiting = new Map<number, number>();
    for (let p = 0; p < this.pairCount; p++) {
      const j = this.pairs[p * 2 + 1];
      waiting.set(j, (waiting.get(j) ?? 0) + 1);
    }
    this.waitingFor = waiting;
  }

  /**
   * The row's canonical values for exact duplicate confirmation (values holds its parsed cells):
   * numbers with -0 as 0, text cells unescaped as UTF-8 bytes (which equal exactly when the text
   * does), missing text as length -1.
   */
  private canonical(row: ScannedRow, waiting: number): HeldRow {
    // Plain loops and one allocation for the text: Float64Array.from with a map function and
    // Buffer.concat cost microseconds per call, and every original (about 1% of rows) comes here.
    const d = this.d;
    const values = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      const v = this.values[j];
      values[j] = v === 0 ? 0 : v;
    }
    const texts = this.textColumns;
    const lengths = new Int32Array(texts.length);
    let total = 0;
    for (let t = 0; t < texts.length; t++) {
      const k = texts[t];
      const s = row.fieldStart[k];
      const e = row.fieldEnd[k];
      if (isMissingCell(row.bytes, s, e)) lengths[t] = -1;
      else total += lengths[t] = row.quoted[k] === FIELD_ESCAPED ? this.unescape(row.bytes, s, e) : e - s;
    }
    const text = new Uint8Array(total);
    let at = 0;
    for (let t = 0; t < texts.length; t++) {
      const length = lengths[t];
      if (length < 0) continue;
      const k = texts[t];
      const s = row.fieldStart[k];
      const e = row.fieldEnd[k];
      if (row.quoted[k] === FIELD_ESCAPED) {
        this.unescape(row.bytes, s, e);
        for (let i = 0; i < length; i++) text[at + i] = this.scratch[i];
      } else {
        const bytes = row.bytes;
        for (let i = 0; i < length; i++) text[at + i] = bytes[s + i];
      }
      at += length;
    }
    return { values, lengths, text, waiting };
  }

  /** Whether the row's canonical values (values holds its parsed cells) equal `held`'s. */
  private sameAs(row: ScannedRow, held: HeldRow): boolean {
    const values = this.values;
    for (let j = 0; j < this.d; j++) {
      const x = values[j];
      const y = held.values[j];
      if (!(x === y || (x !== x && y !== y))) return false;
    }
    const texts = this.textColumns;
    let at = 0;
    for (let t = 0; t < texts.length; t++) {
      const k = texts[t];
      let bytes = row.bytes;
      let s = row.fieldStart[k];
      let e = row.fieldEnd[k];
      const length = held.lengths[t];
      if (isMissingCell(bytes, s, e)) {
        if (length !== -1) return false;
        continue;
      }
      if (row.quoted[k] === FIELD_ESCAPED) {
        e = this.unescape(bytes, s, e);
        s = 0;
        bytes = this.scratch;
      }
      if (e - s !== length) return false;
      const text = held.text;
      for (let i = 0; i < length; i++) if (bytes[s + i] !== text[at + i]) return false;
      at += length;
    }
    return true;
  }

  /** Copies the pending span of unchanged complete rows to clean.csv and train.csv. */
  private flushRun(): void {
    if (this.runBytes !== null && this.runEnd > this.runStart) {
      this.cleanOut.bytes(this.runBytes, this.runStart, this.runEnd);
      this.trainOut.bytes(this.runBytes, this.runStart, this.runEnd);
    }
    this.runBytes = null;
    this.runStart = 0;
    this.runEnd = -1;
  }

  private pass2(row: ScannedRow): void {
    if (this.binding === null) {
      this.bind(row);
      return;
    }
    const b = this.binding;
    const r = this.rows2++;
    const st = this.status[r];
    if (st & STATUS_QUARANTINED) {
      this.flushRun();
      const reason = REASON_BY_CODE[this.classify(row, b)];
      const raw = quoteCsv(utf8.decode(row.bytes.subarray(row.start, row.end)));
      const line = enc.encode(`${row.line},${reason},${raw}\n`);
      this.quarantineOut.bytes(line, 0, line.length);
      return;
    }
    const bytes = row.bytes;
    if ((st & (STATUS_DUPLICATE | STATUS_ORIGINAL | STATUS_INCOMPLETE)) === 0) {
      // Complete and not involved in a proposed duplicate: copy the bytes (its values went into
      // the moments in pass 1, and filledMoments merges those with the filled rows below).
      // Consecutive such rows ending in LF are copied as one span.
      if (bytes[row.end] === 0x0a && row.end < bytes.length) {
        if (this.runEnd === row.start && this.runBytes === bytes) {
          this.runEnd = row.end + 1;
          return;
        }
        this.flushRun();
        this.runBytes = bytes;
        this.runStart = row.start;
        this.runEnd = row.end + 1;
        return;
      }
      this.flushRun();
      this.cleanOut.bytes(bytes, row.start, row.end);
      this.cleanOut.byte(0x0a);
      this.trainOut.bytes(bytes, row.start, row.end);
      this.trainOut.byte(0x0a);
      return;
    }
    this.flushRun();
    this.classify(row, b);
    this.keepInPass2(row, b, r, st);
  }

  /**
   * Pass 2 fast path: complete plain rows are copied as one span up to the next row that needs
   * attention, found with Buffer#indexOf (memchr) since pass 1 proved they hold no quote; plain
   * rows with gaps are re-read with parsePlain and filled. Duplicates and originals go through
   * the scanner and pass2 (their values are compared exactly).
   */
  private readPlainRows2(buf: Uint8Array, pos: number, n: number): number {
    const first = this.rows2;
    this.taken = 0; // and rows2 and taken stored in the loop: see readPlainRows1
    if (this.binding !== null) {
      const b = this.binding;
      const status = this.status;
      const lineLength = this.lineLength;
      const total = this.rows;
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
        const c0 = buf[pos];
        if (c0 === LF || c0 === CR || c0 === SPACE || c0 === TAB) break;
        if (st === STATUS_PLAIN) {
          // The line end is where pass 1 found it: no search, unless the line was long.
          const length = lineLength[r];
          const lf = length !== 0 ? pos + length - 1 : lineEnds.indexOf(LF, pos);
          if (lf < 0 || lf >= n) break;
          if (buf[lf] !== LF)
            throw new PreprocessError('source_changed', 'second read differs from the first');
          if (buf[lf - 1] === CR) {
            this.flushRun();
            this.cleanOut.bytes(buf, pos, lf - 1);
            this.cleanOut.byte(LF);
            this.trainOut.bytes(buf, pos, lf - 1);
            this.trainOut.byte(LF);
          } else if (this.runEnd === pos && this.runBytes === buf) {
            this.runEnd = lf + 1;
          } else {
            this.flushRun();
            this.runBytes = buf;
            this.runStart = pos;
            this.runEnd = lf + 1;
          }
          pos = lf + 1;
        } else {
          // Gaps to fill, or a proposed duplicate or original: parse again, then as pass2 would.
          const row = this.plainRow;
          const limit = this.lastLineEnd(buf, n, pos);
          if (pos >= limit) break;
          const end = this.parsePlain(buf, pos, limit, this.values, 0, false);
          if (end < 0) break;
          this.flushRun();
          row.bytes = buf;
          row.start = pos;
          row.end = end;
          if (st === (STATUS_PLAIN | STATUS_INCOMPLETE)) this.writeFilled(row, b);
          else this.keepInPass2(row, b, r, st);
          pos = end + (buf[end] === CR ? 2 : 1);
        }
        r++;
        this.rows2 = r;
        this.taken = r - first;
      }
    }
    return pos;
  }

  /** Pass 2 for a row classify has just parsed again. */
  private keepInPass2(row: ScannedRow, b: Binding, r: number, st: number): void {
    const bytes = row.bytes;
    if (st & STATUS_DUPLICATE) {
      const p = this.pairAt++;
      const first = this.pairs[p * 2 + 1];
      const held = this.held.get(first)!;
      if (!this.sameAs(row, held)) throw new HashCollision();
      if (--held.waiting === 0) this.held.delete(first);
      return;
    }
    if (st & STATUS_ORIGINAL) {
      this.held.set(r, this.canonical(row, this.waitingFor!.get(r)!));
    }
    if ((st & STATUS_INCOMPLETE) === 0) {
      this.cleanOut.bytes(bytes, row.start, row.end);
      this.cleanOut.byte(0x0a);
      this.trainOut.bytes(bytes, row.start, row.end);
      this.trainOut.byte(0x0a);
      return;
    }
    this.writeFilled(row, b);
  }

  private flushFilled(): void {
    addRows(this.filledMoments, this.filledValues, FILLED_ORDER, this.filledCount, this.rowsScratch);
    this.filledCount = 0;
  }

  /** Writes an incomplete kept row to clean.csv with its gaps filled (values holds its parsed cells). */
  private writeFilled(row: ScannedRow, b: Binding): void {
    const bytes = row.bytes;
    const values = this.values;
    const d = this.d;
    const gaps = this.gaps;
    for (let j = 0; j < d; j++) {
      if (values[j] !== values[j]) {
        gaps[j] = 1;
        values[j] = this.fill[j];
      } else {
        gaps[j] = 0;
      }
    }
    // Batched for addRows (same bits as filledMoments.add row by row).
    const at = this.filledCount++ * d;
    for (let j = 0; j < d; j++) this.filledValues[at + j] = values[j];
    if (this.filledCount === FILLED_BATCH) this.flushFilled();
    // A kept row's bytes are its fields (quoted ones with their quotes) joined by commas, so the
    // row is copied in spans around the gaps, each gap (with any quotes) replaced by the fill.
    const out = this.cleanOut;
    const role = b.role;
    let from = row.start;
    for (let k = 0; k < role.length; k++) {
      const j = role[k];
      if (j >= 0 && gaps[j] === 1) {
        const quoted = row.quoted[k] === FIELD_PLAIN ? 0 : 1;
        out.bytes(bytes, from, row.fieldStart[k] - quoted);
        const f = this.fillBytes[j];
        out.bytes(f, 0, f.length);
        from = row.fieldEnd[k] + quoted;
        this.filledCells++;
      }
    }
    out.bytes(bytes, from, row.end);
    out.byte(0x0a);
  }

  private results(): PreprocessResult {
    const b = this.binding!;
    const d = this.d;
    const numeric: ColumnStats[] = this.numeric.map((name, j) => {
      const sum = this.colSum[j] + this.colComp[j];
      const present = this.colPresent[j];
      return { name, present, missing: this.clean - present, sum, mean: jsonNumber(sum / present) };
    });
    const order = this.catNames
      .map((_, i) => i)
      .sort((x, y) => compareCodePoints(this.catNames[x], this.catNames[y]));
    const categories: Record<string, CategoryStats> = {};
    const groupLines = [['category', 'count', ...this.numeric].map(csvField).join(',')];
    for (const c of order) {
      const count = this.catCount[c];
      const filledSum = Array.from({ length: d }, (_, j) => {
        const sum = new KahanSum();
        sum.add(this.catSum[c][j] + this.catComp[c][j]);
        sum.add(this.catMissing[c][j] * this.fill[j]);
        return this.catMissing[c][j] > 0 && Number.isNaN(this.fill[j]) ? NaN : sum.value();
      });
      const mean = filledSum.map((s) => s / count);
      categories[this.catNames[c]] = {
        count,
        filledSum: filledSum.map(jsonNumber),
        mean: mean.map(jsonNumber),
        moments: this.catMoments[c].toJSON(),
      };
      groupLines.push([csvField(this.catNames[c]), String(count), ...mean.map(formatNumber)].join(','));
    }
    const moments = Moments.mergeAll(this.numeric, [...this.catMoments, this.noCategoryMoments]);
    const missingCells: Record<string, number> = {};
    b.header.forEach((name, k) => {
      const j = b.role[k];
      missingCells[name] = j >= 0 ? this.clean - this.colPresent[j] : this.textMissing[k];
    });
    const quarantineByReason = Object.fromEntries(
      QUARANTINE_REASONS.map((r) => [r, this.byReason[REASON_CODE[r]]]),
    ) as Record<QuarantineReason, number>;
    const stats: StatsPartial = {
      format: STATS_PARTIAL_FORMAT,
      columns: [...this.numeric],
      features: [...this.schema.features],
      target: this.schema.target,
      category: this.schema.category,
      rowsIn: this.rows,
      rowsClean: this.clean,
      rowsComplete: this.complete,
      duplicates: this.duplicates,
      quarantined: this.quarantined,
      rowsWithoutCategory: this.noCategory,
      bytesIn: this.bytesIn,
      numeric,
      moments: moments.toJSON(),
      filledMoments: Moments.mergeAll(this.numeric, [moments, this.filledMoments]).toJSON(),
      categories,
    };
    const report: QualityReport = {
      rowsIn: this.rows,
      rowsClean: this.clean,
      rowsComplete: this.complete,
      duplicates: this.duplicates,
      quarantined: this.quarantined,
      quarantineByReason,
      missingCells,
      filledCells: this.filledCells,
      categories: this.catNames.length,
      rowsWithoutCategory: this.noCategory,
      extraColumns: b.extras,
      bytesIn: this.bytesIn,
      elapsedMs: 0,
      passes: 2,
      dedupeTableBytes: this.table.bytes,
    };
    return { stats, report, groupStatsCsv: groupLines.join('\n') + '\n' };
  }
}

/**
 * A plain Uint8Array view of a chunk. Sources often yield Buffers (S3 streams, fs); one element
 * type and one subarray() in the hot loops keeps them monomorphic and avoids Buffer#subarray.
 */
function plainBytes(chunk: Uint8Array): Uint8Array {
  return chunk.constructor === Uint8Array
    ? chunk
    : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Float64 scratch viewed as two 32-bit words, to hash a number's bits. */
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);

/** KahanSum.add (Neumaier) on sum[j] / comp[j], without an object per column; the same arithmetic, so the same bits. */
function kahanAdd(sum: Float64Array, comp: Float64Array, j: number, x: number): void {
  const s = sum[j];
  const t = s + x;
  if (Math.abs(s) >= Math.abs(x)) comp[j] += s - t + x;
  else comp[j] += x - t + s;
  sum[j] = t;
}

function jsonNumber(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

const utf8 = new TextDecoder('utf-8');

function latin1OrUtf8(bytes: Uint8Array, s: number, e: number): string {
  let ascii = '';
  for (let i = s; i < e; i++) {
    const c = bytes[i];
    if (c >= 0x80) return utf8.decode(bytes.subarray(s, e));
    ascii += String.fromCharCode(c);
  }
  return ascii;
}

/** Everything one in-memory run produces: for tests, small files and the Lambda's small objects. */
export interface PreprocessOutputs extends PreprocessResult {
  readonly clean: Uint8Array;
  readonly train: Uint8Array;
  readonly quarantine: Uint8Array;
}

/** Cleans bytes held in memory (chunked to exercise the streaming path). */
export async function preprocessBytes(
  input: Uint8Array,
  schema: DatasetSchema,
  options: { maxBytes?: number; chunkSize?: number; weakHashBitsForTest?: number } = {},
): Promise<PreprocessOutputs> {
  const chunkSize = options.chunkSize ?? 1 << 20;
  let parts: Record<'clean' | 'train' | 'quarantine', Uint8Array[]> = {
    clean: [],
    train: [],
    quarantine: [],
  };
  const sink: PreprocessSink = {
    clean: (b) => void parts.clean.push(b),
    train: (b) => void parts.train.push(b),
    quarantine: (b) => void parts.quarantine.push(b),
    reset: () => {
      parts = { clean: [], train: [], quarantine: [] };
    },
  };
  const result = await preprocessCsv({
    schema,
    sink,
    sizeHint: input.length,
    maxBytes: options.maxBytes,
    weakHashBitsForTest: options.weakHashBitsForTest,
    open: async function* () {
      for (let i = 0; i < input.length; i += chunkSize) yield input.subarray(i, i + chunkSize);
    },
  });
  return {
    ...result,
    clean: Buffer.concat(parts.clean),
    train: Buffer.concat(parts.train),
    quarantine: Buffer.concat(parts.quarantine),
  };
}
