/**
 * Pass 1's CSV rows of a JSON Lines input (json-lines.ts), kept for pass 2 so each record is
 * read once, not once per pass: in memory up to `memoryBytes`, then appended to a temporary file
 * (os.tmpdir(): /tmp on Lambda) up to `fileBytes`. Past that, or when the file cannot be written
 * (a full /tmp), nothing is kept and pass 2 reads and transcodes the input again, as it would
 * without a replay: memory and disk stay bounded whatever the object's size.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Rows held in memory before the file is used. */
export const REPLAY_MEMORY_BYTES = 32 << 20;
/** Rows written to the file at most (Lambda's /tmp is 512 MiB unless configured larger). */
export const REPLAY_FILE_BYTES = 256 << 20;
/** Bytes read from the file at once in pass 2. */
const READ_PIECE = 1 << 20;

export class TranscodedReplay {
  private chunks: Uint8Array[] = [];
  private held = 0;
  private dir: string | null = null;
  private fd: number | null = null;
  private written = 0;
  /** False once something was not kept: pass 2 must read the input again. */
  complete = true;

  constructor(
    private readonly memoryBytes = REPLAY_MEMORY_BYTES,
    private readonly fileBytes = REPLAY_FILE_BYTES,
  ) {}

  /** Keeps `chunk` (not reused by the caller) after the ones before it. */
  keep(chunk: Uint8Array): void {
    if (!this.complete) return;
    if (this.fd === null && this.held + chunk.length <= this.memoryBytes) {
      this.chunks.push(chunk);
      this.held += chunk.length;
      return;
    }
    if (this.written + chunk.length > this.fileBytes) {
      this.abandon();
      return;
    }
    try {
      if (this.fd === null) {
        this.dir = mkdtempSync(join(tmpdir(), 'jsonl-rows-'));
        this.fd = openSync(join(this.dir, 'rows.csv'), 'w+');
      }
      for (let at = 0; at < chunk.length;)
        at += writeSync(this.fd, chunk, at, chunk.length - at, this.written + at);
      this.written += chunk.length;
    } catch {
      this.abandon();
    }
  }

  /** The kept rows, in order (only when `complete`). */
  *replay(): Generator<Uint8Array> {
    if (!this.complete) throw new Error('transcoded-replay: rows were not all kept');
    yield* this.chunks;
    for (let at = 0; at < this.written;) {
      const piece = new Uint8Array(Math.min(READ_PIECE, this.written - at));
      let n = 0;
      while (n < piece.length) {
        const got = readSync(this.fd!, piece, n, piece.length - n, at + n);
        if (got === 0) throw new Error('transcoded-replay: the rows file is shorter than written');
        n += got;
      }
      at += n;
      yield piece;
    }
  }

  /** Releases the memory and removes the file. */
  dispose(): void {
    this.chunks = [];
    this.held = 0;
    if (this.fd !== null) closeSync(this.fd);
    if (this.dir !== null) rmSync(this.dir, { recursive: true, force: true });
    this.fd = null;
    this.dir = null;
    this.written = 0;
  }

  private abandon(): void {
    this.dispose();
    this.complete = false;
  }
}
