/**
 * The cleaning core, exactly pandas' reference on every column:
 *
 *   data = pd.read_csv(f); data = data.drop_duplicates()
 *   data = data.fillna(data.mean(numeric_only=True)); data.groupby(category).mean(numeric_only=True)
 *
 * A duplicate is a row whose parsed values all equal an earlier row's (`1.5` equals `1.50`); the
 * first is kept. A missing numeric cell gets its column's mean over the de-duplicated rows. Rows
 * in = clean + duplicates + quarantined: nothing is dropped silently.
 *
 * Streamed in two passes over the bytes with bounded memory (never the rows), one module per
 * step under cleaning/:
 * - pass 1 (first-pass.ts) scans and parses every row: plain rows on the fast path
 *   (plain-row.ts), the rest on the general path it agrees with (general-row.ts); bad rows are
 *   quarantined (quarantine-reasons.ts); each kept row's hash (row-hash.ts) proposes duplicates
 *   (duplicate-proposals.ts) and kept rows feed the column statistics (column-statistics.ts);
 * - pass 2 (second-pass.ts) re-reads the bytes, confirms every proposed duplicate exactly
 *   (duplicate-confirmation.ts: a true collision restarts the run with a new seed, so the answer
 *   is always exact), fills gaps with the means (mean-fill.ts) and writes the outputs
 *   (outputs.ts) while it scans on;
 * - cleaning-run.ts runs one attempt, run-result.ts builds its documents.
 * Throughput against pandas, DuckDB and plain reads: bench/preprocess.ts.
 *
 * Semantics beyond the one-liner (and where the pandas reference must be told the same):
 * - Columns come from the schema; numeric = features + target, every other column (schema text
 *   columns and extra columns) is text (the reference reads them with dtype=str).
 * - Missing = empty or one of pandas' default NA words (`NA`, `null`, `NaN`, ...), in any column.
 * - Rows pandas would reject or guess about are quarantined with a reason instead: a ragged row
 *   (pandas errors on too many fields and pads too few), text in a numeric column (pandas would
 *   turn the whole column into text), inf or overflow (`non_finite`), an unclosed quote and a
 *   stray quote (RFC 4180 violations pandas reads by guessing).
 * - A hostile file (too large, not UTF-8 text, no header, a bad header) is refused as a whole
 *   with a PreprocessError before anything is written.
 * - JSON Lines (`format: 'jsonl'`, the ingest stack's Firehose objects) are read by
 *   cleaning/json-lines.ts as the CSV rows of the schema's columns (pandas.read_json(lines=True,
 *   dtype=False, convert_dates=False) then the schema's typing), so everything above applies to
 *   them unchanged; their bad records are quarantined with their own reasons and lines.
 */
import type { DatasetSchema } from './dataset-schema';
import type { InputFormat } from './input-key';
import type { Delimiter } from './cleaning/delimited-input';
import { cleaningRun } from './cleaning/cleaning-run';
import { ColumnsUntyped, columnTypes } from './cleaning/column-typing';
import { commaSeparated } from './cleaning/delimited-input';
import { HashCollision } from './cleaning/duplicate-confirmation';
import type { PreprocessOptions, PreprocessResult, PreprocessSink } from './cleaning/run-contract';
import { PreprocessError } from './preprocess-error';

export { PreprocessError, type PreprocessErrorCode } from './preprocess-error';
export { DEFAULT_MAX_CATEGORIES, DEFAULT_MAX_COLUMNS } from './cleaning/limits';
export { DELIMITERS, type Delimiter } from './cleaning/delimited-input';
export { isMissingCell } from './cleaning/missing-cells';
export { QUARANTINE_REASONS, type QuarantineReason } from './cleaning/quarantine-reasons';
export type {
  ByteSource,
  PreprocessOptions,
  PreprocessResult,
  PreprocessSink,
  QualityReport,
} from './cleaning/run-contract';

/**
 * Cleans one CSV or JSON Lines input (`format`): two passes over `open()`, outputs through `sink`, statistics and report
 * returned. Throws PreprocessError for file-level problems (before writing anything).
 */
export async function preprocessCsv(given: PreprocessOptions): Promise<PreprocessResult> {
  const started = Date.now();
  // JSON Lines bytes are read by the run itself (json-lines.ts); the delimiter is CSV's.
  const options =
    given.format === 'jsonl' ? given : { ...given, open: commaSeparated(given.open, given.delimiter ?? ',') };
  let passes = 0;
  let numericExtras: readonly string[] | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const result = await cleaningRun(options, attempt, numericExtras);
      passes += 2;
      return { ...result, report: { ...result.report, elapsedMs: Date.now() - started, passes } };
    } catch (error) {
      if (error instanceof ColumnsUntyped && numericExtras === undefined) {
        // Extra columns: type them over the whole file first (column-typing.ts), then start again.
        const types = await columnTypes(options);
        numericExtras = types.numericExtras;
        if (types.read) passes += 1;
        attempt--;
        continue;
      }
      if (!(error instanceof HashCollision)) throw error;
      passes += 2;
      await options.sink.reset();
    }
  }
  throw new PreprocessError('hash_collision', 'row hashes collided on three seeds');
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
  options: {
    maxBytes?: number;
    chunkSize?: number;
    weakHashBitsForTest?: number;
    maxColumns?: number;
    maxCategories?: number;
    delimiter?: Delimiter;
    format?: InputFormat;
  } = {},
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
    maxColumns: options.maxColumns,
    maxCategories: options.maxCategories,
    delimiter: options.delimiter,
    format: options.format,
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
