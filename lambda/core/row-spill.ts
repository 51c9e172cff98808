/**
 * Where a shard keeps its training rows between the passes logistic regression needs (each
 * Newton iteration is one pass over the rows). Rows are packed [x₁..x_d, y] as doubles, so a
 * pass reads them back bit for bit without parsing the CSV again. The trainer image and the CLI
 * spill to a file (lambda/trainer/file-spill.ts: memory independent of rows); tests and small
 * runs keep them in memory.
 */
export interface RowSpill {
  /** Appends whole rows (length a multiple of the stride). */
  append(rows: Float64Array): void;
  /** Calls `f` with the rows in the order appended, in chunks of whole rows. */
  forEachChunk(f: (rows: Float64Array) => void): void;
  /** Rows held. */
  readonly rows: number;
  /** Keeps only the first `rows` rows (a restarted read cuts back to where it began). */
  truncate(rows: number): void;
  /** Releases what it holds (a file, memory). */
  dispose(): void;
}

export type RowSpillFactory = (stride: number) => RowSpill;

/** Rows in memory, in chunks as appended (the in-process default). */
export function memorySpill(stride: number): RowSpill {
  let chunks: Float64Array[] = [];
  let rows = 0;
  return {
    append(r) {
      chunks.push(Float64Array.from(r));
      rows += r.length / stride;
    },
    forEachChunk(f) {
      for (const c of chunks) f(c);
    },
    get rows() {
      return rows;
    },
    truncate(keep) {
      if (keep >= rows) return;
      let left = keep * stride;
      const kept: Float64Array[] = [];
      for (const c of chunks) {
        if (left <= 0) break;
        kept.push(c.length <= left ? c : c.slice(0, left));
        left -= c.length;
      }
      chunks = kept;
      rows = keep;
    },
    dispose() {
      chunks = [];
      rows = 0;
    },
  };
}
