/**
 * Pass 2's three outputs (clean.csv, train.csv, quarantine.csv) and their way to the sink. Kept
 * rows are copied as bytes where they need no fill: consecutive complete rows ending in LF as one
 * pending span, copied when a row that needs attention (or the end of the buffer) interrupts it.
 * Each flush hands the three buffers over and waits only for the previous flush's writes (keeping
 * the sink's calls in order), so writing overlaps scanning; settle() waits for the last.
 */
import type { ScannedRow } from '../csv-scanner';
import { ByteWriter } from './byte-writer';
import { quoteCsv } from './csv-text';
import type { PreprocessSink } from './run-contract';

const LF = 0x0a;
/** Buffered bytes in one output that make the next flush worth it. */
const FLUSH_BYTES = 1 << 18;

const enc = new TextEncoder();
const utf8 = new TextDecoder('utf-8');

function take(out: ByteWriter): Uint8Array | null {
  return out.len > 0 ? out.take() : null;
}

export class CleaningOutputs {
  readonly clean = new ByteWriter();
  readonly train = new ByteWriter();
  readonly quarantine = new ByteWriter();
  private runBytes: Uint8Array | null = null;
  private runStart = 0;
  private runEnd = -1;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly sink: PreprocessSink,
    headerBytes: Uint8Array,
  ) {
    this.clean.bytes(headerBytes, 0, headerBytes.length);
    this.clean.byte(LF);
    this.train.bytes(headerBytes, 0, headerBytes.length);
    this.train.byte(LF);
    const qHeader = enc.encode('line,last_line,reason,raw\n');
    this.quarantine.bytes(qHeader, 0, qHeader.length);
  }

  /** A complete kept row's bytes[s, e) (without its line end), to clean.csv and train.csv. */
  completeRow(bytes: Uint8Array, s: number, e: number): void {
    this.clean.bytes(bytes, s, e);
    this.clean.byte(LF);
    this.train.bytes(bytes, s, e);
    this.train.byte(LF);
  }

  /** Complete kept rows bytes[s, e), ending in LF: joins the pending span when they follow it. */
  span(bytes: Uint8Array, s: number, e: number): void {
    if (this.runEnd === s && this.runBytes === bytes) {
      this.runEnd = e;
      return;
    }
    this.flushRun();
    this.runBytes = bytes;
    this.runStart = s;
    this.runEnd = e;
  }

  /** Copies the pending span to clean.csv and train.csv. */
  flushRun(): void {
    if (this.runBytes !== null && this.runEnd > this.runStart) {
      this.clean.bytes(this.runBytes, this.runStart, this.runEnd);
      this.train.bytes(this.runBytes, this.runStart, this.runEnd);
    }
    this.runBytes = null;
    this.runStart = 0;
    this.runEnd = -1;
  }

  /**
   * A quarantined row: its first and last physical line (far apart when a stray quote swallowed
   * a block), its reason and its raw text, CSV-quoted.
   */
  quarantineRow(row: ScannedRow, reason: string): void {
    const raw = quoteCsv(utf8.decode(row.bytes.subarray(row.start, row.end)));
    const line = enc.encode(`${row.line},${row.lastLine},${reason},${raw}\n`);
    this.quarantine.bytes(line, 0, line.length);
  }

  /** Whether enough output waits in memory to flush. */
  get full(): boolean {
    return this.clean.len > FLUSH_BYTES || this.train.len > FLUSH_BYTES || this.quarantine.len > FLUSH_BYTES;
  }

  /** Hands the buffered output to the sink once the previous flush's writes are done. */
  async flush(): Promise<void> {
    const clean = take(this.clean);
    const train = take(this.train);
    const quarantine = take(this.quarantine);
    await this.writing;
    this.writing = this.write(clean, train, quarantine);
    this.writing.catch(() => undefined); // awaited later; never an unhandled rejection meanwhile
  }

  /** Waits for the last flush's writes (rejects when they failed). */
  settle(): Promise<void> {
    return this.writing;
  }

  private async write(
    clean: Uint8Array | null,
    train: Uint8Array | null,
    quarantine: Uint8Array | null,
  ): Promise<void> {
    if (clean !== null) await this.sink.clean(clean);
    if (train !== null) await this.sink.train(train);
    if (quarantine !== null) await this.sink.quarantine(quarantine);
  }
}
