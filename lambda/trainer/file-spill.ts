/**
 * A row spill in a temporary file (lambda/core/row-spill.ts): the training rows logistic
 * regression passes over again each iteration, as raw little-endian doubles, so memory stays
 * independent of the rows and a pass reads at disk (page cache) speed without parsing CSV.
 */
import { closeSync, ftruncateSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RowSpill, RowSpillFactory } from '../core/row-spill';

/** Rows read back per chunk. */
const CHUNK_ROWS = 8192;

export function fileSpill(stride: number, dir = tmpdir()): RowSpill {
  const folder = mkdtempSync(join(dir, 'factory-rows-'));
  const path = join(folder, 'rows.f64');
  let fd = openSync(path, 'w+');
  let rows = 0;
  const chunk = new Float64Array(CHUNK_ROWS * stride);
  const bytes = new Uint8Array(chunk.buffer);
  return {
    append(r) {
      const view = new Uint8Array(r.buffer, r.byteOffset, r.byteLength);
      let done = 0;
      while (done < view.length)
        done += writeSync(fd, view, done, view.length - done, rows * stride * 8 + done);
      rows += r.length / stride;
    },
    forEachChunk(f) {
      const total = rows * stride * 8;
      for (let at = 0; at < total;) {
        const want = Math.min(bytes.length, total - at);
        let got = 0;
        while (got < want) {
          const n = readSync(fd, bytes, got, want - got, at + got);
          if (n === 0) throw new Error(`${path}: spill file shorter than its ${rows} rows`);
          got += n;
        }
        f(chunk.subarray(0, want / 8));
        at += want;
      }
    },
    get rows() {
      return rows;
    },
    truncate(keep) {
      if (keep >= rows) return;
      ftruncateSync(fd, keep * stride * 8);
      rows = keep;
    },
    dispose() {
      if (fd >= 0) closeSync(fd);
      fd = -1;
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** A factory for TrainingShard / trainSources. */
export const fileSpills: RowSpillFactory = (stride) => fileSpill(stride);
