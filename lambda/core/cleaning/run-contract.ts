/** What one cleaning run reads, where it writes, and what it returns. */
import type { DatasetSchema } from '../dataset-schema';
import type { Delimiter } from './delimited-input';
import type { InputFormat } from '../input-key';
import type { StatsPartial } from '../stats-partial';
import type { QualityReport } from '../preprocess-report';

/**
 * Opens the input's bytes from the start; called once per pass (twice, more after a restart).
 * A source may reuse one buffer for every chunk: the core copies whatever it keeps before it
 * asks for the next chunk.
 */
export type ByteSource = () => AsyncIterable<Uint8Array>;

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
  /** Most header columns accepted (file-level `too_many_columns`). @default 4096 */
  readonly maxColumns?: number;
  /** Most distinct categories accepted (file-level `too_many_categories`). @default 10000 */
  readonly maxCategories?: number;
  /**
   * The input's field delimiter; other than `,` the bytes are read as comma-separated CSV
   * (delimited-input.ts), which the outputs are, and the size limit and `bytesIn` count.
   * @default ','
   */
  readonly delimiter?: Delimiter;
  /**
   * The input's format: CSV, or JSON Lines (json-lines.ts: each record read as the CSV row of the
   * schema's columns; `delimiter` does not apply). input-key.ts tells them by the key's suffix.
   * @default 'csv'
   */
  readonly format?: InputFormat;
  /** Test hook: the bounds of a JSON Lines run's replay of pass 1's rows (transcoded-replay.ts). */
  readonly replayBytesForTest?: { readonly memory: number; readonly file: number };
  /** Test hook: mask row hashes to this many bits on the first attempt to force collisions. */
  readonly weakHashBitsForTest?: number;
}

/** The core's data-quality report: one definition, with the stored report's (preprocess-report.ts). */
export type { QualityReport };

export interface PreprocessResult {
  readonly stats: StatsPartial;
  readonly report: QualityReport;
  /** group_stats.csv: `category,count,<numeric columns>`, one row per category, sorted. */
  readonly groupStatsCsv: string;
}
