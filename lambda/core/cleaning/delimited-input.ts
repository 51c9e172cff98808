/**
 * Tab-, semicolon- or pipe-separated input (`preprocess.delimiter`, `--delimiter`), rewritten on
 * the way in as the comma-separated CSV the scanner and every curated output use: each
 * delimiter outside quotes becomes a comma, and an unquoted field holding a comma is quoted (its
 * quotes doubled), so `42,8` in a semicolon file stays one field. Quoted fields, line ends and
 * quotes in unquoted fields are copied as they are, so physical lines stay the same and a stray
 * quote is still quarantined as one. The curated outputs of such a file are comma-separated.
 *
 * Streaming: only the current unquoted field is held (bounded by the scanner's row limit, which
 * it reaches first), never the file. What the core counts in bytes (the size limit, `bytesIn`,
 * the byte of an invalid UTF-8 sequence within its line) is of the comma-separated form, a quote
 * pair longer for each field that held a comma; lines are the file's own.
 */
import type { ByteSource } from './run-contract';

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/** The delimiters a file may use, by the names the CLI and config accept. */
export const DELIMITERS = { ',': 0x2c, '\t': 0x09, ';': 0x3b, '|': 0x7c } as const;
export type Delimiter = keyof typeof DELIMITERS;

/** Each delimiter by name: environment variables and CLI flags spell them so (a tab trims away). */
export const DELIMITER_NAMES = { comma: ',', tab: '\t', semicolon: ';', pipe: '|' } as const satisfies Record<
  string,
  Delimiter
>;
export type DelimiterName = keyof typeof DELIMITER_NAMES;

class Transcoder {
  private out = new Uint8Array(1 << 16);
  private n = 0;
  /** The unquoted field being read (held until its end decides whether to quote it). */
  private field = new Uint8Array(256);
  private fieldLength = 0;
  private fieldHasComma = false;
  private inField = false;
  private inQuotes = false;

  /** Bytes that end a plain span of an unquoted field. */
  private readonly stop = new Uint8Array(256);

  constructor(private readonly delimiter: number) {
    for (const c of [delimiter, LF, CR, QUOTE, COMMA]) this.stop[c] = 1;
  }

  push(chunk: Uint8Array): Uint8Array {
    this.n = 0;
    this.reserve(chunk.length + 16);
    const d = this.delimiter;
    const stop = this.stop;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (this.inQuotes) {
        // A quote ends the quoted part; `""` ends it and starts it again, both copied.
        this.emit(c);
        if (c === QUOTE) this.inQuotes = false;
        continue;
      }
      if (this.inField) {
        if (c === d || c === LF || c === CR) {
          this.endField();
        } else {
          this.hold(c);
          continue;
        }
      } else if (c === QUOTE) {
        this.emit(c);
        this.inQuotes = true;
        continue;
      } else if (c !== d && c !== LF && c !== CR) {
        // Most fields: no comma or quote, ended in this chunk: copied as one span.
        let j = i + 1;
        while (j < chunk.length && stop[chunk[j]] === 0) j++;
        if (j < chunk.length && (chunk[j] === d || chunk[j] === LF || chunk[j] === CR) && c !== COMMA) {
          this.span(chunk, i, j);
          i = j - 1;
          continue;
        }
        this.inField = true;
        this.hold(c);
        continue;
      }
      this.emit(c === d ? COMMA : c);
    }
    // One buffer for every chunk: the core copies what it keeps before it asks for the next.
    return this.out.subarray(0, this.n);
  }

  /** The end of the input: the last field. */
  finish(): Uint8Array {
    this.n = 0;
    if (this.inField) this.endField();
    return this.out.slice(0, this.n);
  }

  private span(chunk: Uint8Array, s: number, e: number): void {
    this.reserve(e - s);
    // A loop, not set(subarray()): fields are a few bytes, and a view per field costs more.
    const out = this.out;
    let n = this.n;
    for (let k = s; k < e; k++) out[n++] = chunk[k];
    this.n = n;
  }

  private hold(c: number): void {
    if (c === QUOTE && !this.fieldHasComma) {
      // A stray quote: copied as it is, so the scanner still flags the row.
      this.flushField(false);
      this.emit(c);
      return;
    }
    if (c === COMMA) this.fieldHasComma = true;
    if (this.fieldLength === this.field.length) {
      const bigger = new Uint8Array(this.field.length * 2);
      bigger.set(this.field);
      this.field = bigger;
    }
    this.field[this.fieldLength++] = c;
  }

  private endField(): void {
    this.flushField(this.fieldHasComma);
    this.inField = false;
    this.fieldHasComma = false;
  }

  private flushField(quote: boolean): void {
    this.reserve(this.fieldLength * 2 + 2);
    if (quote) this.emit(QUOTE);
    for (let k = 0; k < this.fieldLength; k++) {
      const c = this.field[k];
      if (quote && c === QUOTE) this.emit(QUOTE);
      this.emit(c);
    }
    if (quote) this.emit(QUOTE);
    this.fieldLength = 0;
  }

  private emit(c: number): void {
    if (this.n === this.out.length) this.reserve(this.out.length);
    this.out[this.n++] = c;
  }

  private reserve(more: number): void {
    if (this.n + more <= this.out.length) return;
    const bigger = new Uint8Array(Math.max(this.out.length * 2, this.n + more));
    bigger.set(this.out.subarray(0, this.n));
    this.out = bigger;
  }
}

/** `open` read as `delimiter`-separated, as comma-separated bytes; `,` is `open` itself. */
export function commaSeparated(open: ByteSource, delimiter: Delimiter): ByteSource {
  if (delimiter === ',') return open;
  return async function* () {
    const t = new Transcoder(DELIMITERS[delimiter]);
    for await (const chunk of open()) {
      const out = t.push(chunk);
      if (out.length > 0) yield out;
    }
    const last = t.finish();
    if (last.length > 0) yield last;
  };
}
