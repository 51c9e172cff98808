/**
 * One attempt at cleaning one input: pass 1 over the checked bytes (first-pass.ts), then the fill
 * means and the duplicate confirmation it makes possible, then pass 2 writing the outputs
 * (second-pass.ts), then the documents (run-result.ts). Throws HashCollision when a proposed
 * duplicate is not one (the caller restarts with the next attempt's seed) and PreprocessError
 * for file-level problems.
 */
import { CsvScanner, DEFAULT_MAX_ROW_BYTES } from '../csv-scanner';
import { numericColumns } from '../dataset-schema';
import { PreprocessError } from '../preprocess-error';
import { DuplicateConfirmation } from './duplicate-confirmation';
import { FirstPass } from './first-pass';
import { JsonLinesInput } from './json-lines';
import { checkedBytes, plainBytes } from './input-bytes';
import { MeanFill } from './mean-fill';
import { CleaningOutputs } from './outputs';
import { RowHasher } from './row-hash';
import type { PreprocessOptions, PreprocessResult } from './run-contract';
import { runResult } from './run-result';
import { SecondPass } from './second-pass';
import { TranscodedReplay } from './transcoded-replay';
import { Unescaper } from './unescaper';

/** Input bytes scanned between two output flushes in pass 2. */
const OUTPUT_PIECE = 1 << 20;

export async function cleaningRun(
  options: PreprocessOptions,
  attempt: number,
  /** The extra columns pandas reads as numbers (column-typing.ts), or undefined when not known yet. */
  numericExtras: readonly string[] | undefined,
): Promise<PreprocessResult> {
  // JSON Lines: pass 1's rows kept for pass 2 (transcoded-replay.ts), so each record is read once.
  const bounds = options.replayBytesForTest;
  const replay = options.format === 'jsonl' ? new TranscodedReplay(bounds?.memory, bounds?.file) : null;
  try {
    return await bothPasses(options, attempt, numericExtras, replay);
  } finally {
    replay?.dispose();
  }
}

async function bothPasses(
  options: PreprocessOptions,
  attempt: number,
  numericExtras: readonly string[] | undefined,
  replay: TranscodedReplay | null,
): Promise<PreprocessResult> {
  const { schema, sink, maxColumns } = options;
  const schemaD = numericColumns(schema).length;
  const numeric = [...numericColumns(schema), ...(numericExtras ?? [])];
  const maxBytes = options.maxBytes ?? 1 << 30;
  const hasher = new RowHasher(Math.imul(attempt + 1, 0x9e3779b9));
  const unescaper = new Unescaper();
  const weak = attempt === 0 ? options.weakHashBitsForTest : undefined;
  // JSON Lines: checked as they are, then read as CSV rows (json-lines.ts); their emitted rows may
  // be up to twice a record (quotes doubled), so the scanner allows that.
  const records = options.format === 'jsonl' ? new JsonLinesInput(schema, options.maxRowBytes) : null;
  const maxRowBytes =
    records === null ? options.maxRowBytes : 2 * (options.maxRowBytes ?? DEFAULT_MAX_ROW_BYTES) + 2;
  const asRows = (bytes: AsyncIterable<Uint8Array>) => (records === null ? bytes : records.csv(bytes));

  const pass1 = new FirstPass(
    schema,
    numeric,
    hasher,
    unescaper,
    options.sizeHint,
    weak,
    schemaD,
    maxColumns,
    options.maxCategories,
    numericExtras !== undefined,
    records,
  );
  const counter = { bytes: 0 };
  const scanner1 = new CsvScanner((row) => pass1.onRow(row), {
    maxRowBytes,
    maxFields: maxColumns,
    plainRows: pass1,
  });
  for await (const chunk of asRows(checkedBytes(options.open, maxBytes, counter))) {
    replay?.keep(chunk);
    scanner1.push(plainBytes(chunk));
  }
  scanner1.finish();
  const bytesIn = counter.bytes;
  const linesIn = records === null ? scanner1.lines : records.lines;
  const binding = pass1.binding;
  if (binding === null) throw new PreprocessError('empty_file', 'input has no header row');
  pass1.finish();

  const fill = new MeanFill(numeric, pass1.stats.means(), schemaD);
  const confirmation = new DuplicateConfirmation(pass1.duplicates, binding.textColumns, unescaper);
  const out = new CleaningOutputs(sink, binding.headerBytes);
  const pass2 = new SecondPass(
    schema,
    numeric,
    pass1.status,
    pass1.rows,
    hasher,
    unescaper,
    confirmation,
    fill,
    out,
    maxColumns,
    records,
  );
  const scanner2 = new CsvScanner(
    (row) => pass2.onRow(row),
    { maxRowBytes, maxFields: maxColumns, plainRows: pass2 },
    () => out.flushRun(),
  );
  let bytes2 = 0;
  async function* read2() {
    for await (const chunk of options.open()) {
      bytes2 += chunk.length;
      if (bytes2 > bytesIn)
        throw new PreprocessError('source_changed', 'second read is longer than the first');
      yield chunk;
    }
  }
  try {
    // A JSON Lines input's rows as pass 1 transcoded them, when all were kept: nothing to re-read.
    const rows2 = replay?.complete ? replay.replay() : asRows(read2());
    for await (const chunk of rows2) {
      // In pieces of about 1 MiB, each flushed on its own: few output bytes wait in memory.
      const bytes = plainBytes(chunk);
      for (let at = 0; at < bytes.length; at += OUTPUT_PIECE) {
        scanner2.push(bytes.subarray(at, at + OUTPUT_PIECE));
        if (out.full) await out.flush();
      }
    }
    scanner2.finish();
    if ((bytes2 !== bytesIn && !replay?.complete) || pass2.rows !== pass1.rows) {
      throw new PreprocessError('source_changed', 'second read differs from the first');
    }
    await out.flush();
    await out.settle();
    fill.flush();
  } catch (error) {
    await out.settle().catch(() => undefined);
    throw error;
  }
  return runResult({
    schema,
    numeric,
    schemaD,
    linesIn,
    quarantinedLines: pass1.quarantinedLines,
    binding: pass2.binding!,
    rowsIn: pass1.rows,
    duplicates: pass1.duplicates.count,
    quarantined: pass1.quarantined,
    byReason: pass1.byReason,
    categoryNames: pass1.categories.names,
    stats: pass1.stats,
    fill,
    bytesIn,
    dedupeTableBytes: pass1.duplicates.tableBytes,
  });
}
