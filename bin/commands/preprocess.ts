/**
 * `factory preprocess IN.csv --out DIR [--max-bytes N] [--schema schema.json] [--max-columns N] [--max-categories N] [--athena-copy]`
 *
 * Cleans one CSV (or JSON Lines file, by its `.jsonl` / `.ndjson` suffix) with the streaming core (lambda/core/preprocess.ts) and writes DIR/clean.csv,
 * DIR/train.csv, DIR/group_stats.csv, DIR/stats.json, DIR/report.json (with the input as `source`
 * and its modification time as `arrived`) and DIR/quarantine.csv, and
 * with `--athena-copy` Athena's copy of them, DIR/athena/<table>.jsonl (lambda/core/athena-copy.ts;
 * `factory query --athena-copy` reads it as the Glue tables do). The copy is opt-in here: on this
 * machine DuckDB reads the CSVs, and the copy costs about twice the cleaning's CPU; the cloud's
 * preprocess handler writes it whenever the query stack is deployed (ATHENA_COPY), for its Glue tables.
 * Outputs are written under temporary names and renamed at the end, so a file-level error leaves
 * no clean.csv behind (exit 1, one line on stderr).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { mkdir, open, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { fileSource } from '../../lambda/adapters/file-source';
import {
  athenaJsonLines,
  reportJsonLine,
  STREAMED_TABLES,
  withAthenaCopy,
  type StreamedTable,
} from '../../lambda/core/athena-copy';
import { curatedTable, type RowOrigin } from '../../lambda/core/curated-tables';
import { DEFAULT_DATASET_SCHEMA, type DatasetSchema } from '../../lambda/core/dataset-schema';
import { inputKind, type InputFormat } from '../../lambda/core/input-key';
import type { Delimiter } from '../../lambda/core/cleaning/delimited-input';
import {
  DEFAULT_MAX_CATEGORIES,
  DEFAULT_MAX_COLUMNS,
  PreprocessError,
  preprocessCsv,
  type PreprocessResult,
} from '../../lambda/core/preprocess';
import { EXIT, OK_OR_FAILURE_HELP, fail, parseFlags, UsageError } from './command-line';
import { delimiterOf } from './delimiter-flag';
import { athenaCopyFile } from './query';
import { readSchemaFile, SCHEMA_HELP } from './schema-file';

export const PREPROCESS_USAGE = `usage: factory preprocess IN.csv --out DIR [--max-bytes N] [--schema schema.json]
  --out DIR            output directory (clean.csv, train.csv, group_stats.csv, stats.json, report.json,
                       quarantine.csv)
  --athena-copy        also write Athena's copy of them, athena/<table>.jsonl, as the cloud's
                       preprocess step writes it for the Glue tables (factory query --athena-copy)
  --max-bytes N        reject inputs larger than N bytes, gzip inputs counted inflated (default 1 GiB)
  --schema FILE        dataset schema JSON (default: the built-in production-line schema; format below)
  --max-columns N      reject a header of more than N columns (default ${DEFAULT_MAX_COLUMNS})
  --max-categories N   reject more than N distinct categories (default ${DEFAULT_MAX_CATEGORIES})
  --delimiter D        the input's field delimiter: comma (default), tab, semicolon or pipe
                       (or the character); the outputs are comma-separated either way
IN.csv may be gzip-compressed (known by its bytes). IN.jsonl / IN.ndjson (.gz too) is read as
JSON Lines: one object per line, keys named as the schema's columns (others are not kept),
records that are not objects, have a wrong type, lack an id or have a bad timestamp quarantined.
Columns the schema does not name are kept;
those pandas would read as numbers are filled, de-duplicated and averaged as numbers too.
A file-level problem (no header, a missing column, over a limit, not UTF-8) writes no clean.csv.
${OK_OR_FAILURE_HELP}

${SCHEMA_HELP}`;

/**
 * Reads a local file in 4 MiB chunks with synchronous reads: from the page cache this is several
 * times faster than a read stream's thread-pool round trips, and the core is CPU-bound anyway.
 */
export async function* readChunks(path: string, chunkBytes = 1 << 22): AsyncGenerator<Uint8Array> {
  const fd = openSync(path, 'r');
  // One buffer for the whole file: the core copies what it keeps before asking for the next
  // chunk (test: "byte sources that reuse one buffer"), and a fresh 4 MiB buffer per read kept
  // 5M-row runs above 256 MB of RSS.
  const chunk = new Uint8Array(chunkBytes);
  try {
    for (;;) {
      const n = readSync(fd, chunk, 0, chunkBytes, null);
      if (n === 0) return;
      yield n === chunkBytes ? chunk : chunk.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

const STREAMS = STREAMED_TABLES;

/** Runs the core on a local file, writing the six outputs into `out`. Used by this command and the local pipeline. */
export async function preprocessFile(
  input: string,
  out: string,
  options: {
    maxBytes?: number;
    schemaPath?: string;
    schema?: DatasetSchema;
    maxColumns?: number;
    maxCategories?: number;
    delimiter?: Delimiter;
    /** The input's format; by default its name's suffix decides (input-key.ts), CSV when none. */
    format?: InputFormat;
    /** Also write Athena's copy under DIR/athena/ (default: no). */
    athenaCopy?: boolean;
    /** Where the rows came from (default: the input as given, arrived at its modification time). */
    origin?: RowOrigin;
  } = {},
): Promise<PreprocessResult> {
  // A bad schema file is named as the problem, not the CSV.
  const schema =
    options.schema ??
    (options.schemaPath ? await readSchemaFile(options.schemaPath) : DEFAULT_DATASET_SCHEMA);
  const maxBytes = options.maxBytes ?? 1 << 30;
  const inputStat = await stat(input);
  const size = inputStat.size;
  const origin: RowOrigin = options.origin ?? { source: input, arrived: inputStat.mtime.toISOString() };
  if (size > maxBytes)
    throw new PreprocessError('too_large', `${input} is ${size} bytes, over the limit of ${maxBytes}`);
  const copy = options.athenaCopy === true;
  await mkdir(copy ? join(out, 'athena') : out, { recursive: true });
  const tmp = (name: string) => join(out, `.${name}.csv.partial`);
  const tmpCopy = (name: string) => join(out, 'athena', `.${name}.jsonl.partial`);
  type Handles = Record<StreamedTable | `athena-${StreamedTable}`, FileHandle>;
  let handles: Handles | null = null;
  const openAll = async () => {
    const opened = {} as Record<string, FileHandle>;
    for (const name of STREAMS) {
      opened[name] = await open(tmp(name), 'w');
      if (copy) opened[`athena-${name}`] = await open(tmpCopy(name), 'w');
    }
    handles = opened as Handles;
    return handles;
  };
  const closeAll = async () => {
    if (handles) await Promise.all(Object.values(handles).map((h) => h.close()));
    handles = null;
  };
  let files: Handles | null = null;
  const writer = (name: keyof Handles) => async (bytes: Uint8Array) => {
    files ??= await openAll();
    await files[name].write(bytes);
  };
  const removeAll = () =>
    Promise.all(
      STREAMS.flatMap((name) => [rm(tmp(name), { force: true }), rm(tmpCopy(name), { force: true })]),
    );
  const source = await fileSource(input, { plain: () => readChunks(input) });
  try {
    const csvSink = {
      clean: writer('clean'),
      train: writer('train'),
      quarantine: writer('quarantine'),
      reset: async () => {
        await closeAll();
        files = null;
      },
      end: async () => {},
    };
    // Athena's copy is converted from the very chunks written, beside them (athena-copy.ts).
    const sink = copy
      ? withAthenaCopy(csvSink, schema, origin, (table, lines) => writer(`athena-${table}`)(lines))
      : csvSink;
    const result = await preprocessCsv({
      schema,
      maxBytes,
      maxColumns: options.maxColumns,
      maxCategories: options.maxCategories,
      delimiter: options.delimiter,
      format: options.format ?? inputKind(input)?.format ?? 'csv',
      sizeHint: source.gzip ? undefined : size,
      open: source.open,
      sink,
    });
    await sink.end();
    await closeAll();
    await writeFile(join(out, 'group_stats.csv'), result.groupStatsCsv);
    await writeFile(join(out, 'stats.json'), JSON.stringify(result.stats, null, 2) + '\n');
    // The status and origin beside the counts: the reports table's `status`, `source` and `arrived`,
    // and the local engine's origin for this directory's quarantine and group_stats rows.
    await writeFile(
      join(out, 'report.json'),
      JSON.stringify({ ...result.report, status: 'processed', ...origin }, null, 2) + '\n',
    );
    if (copy) {
      const groupStats = curatedTable('group_stats');
      await writeFile(
        athenaCopyFile(out, groupStats),
        athenaJsonLines(groupStats, schema, result.groupStatsCsv, origin),
      );
      await writeFile(athenaCopyFile(out, curatedTable('reports')), reportJsonLine(result.report, origin));
    }
    for (const name of STREAMS) {
      await rename(tmp(name), join(out, `${name}.csv`));
      if (copy) await rename(tmpCopy(name), athenaCopyFile(out, curatedTable(name)));
    }
    return result;
  } catch (error) {
    await closeAll();
    await removeAll();
    throw error;
  }
}

/** A flag's positive whole number, or undefined when absent. */
function positiveWhole(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value < 1)
    throw new UsageError(`${flag} must be a positive whole number, got "${text}"`);
  return value;
}

export async function run(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseFlags({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        'max-bytes': { type: 'string' },
        schema: { type: 'string' },
        'max-columns': { type: 'string' },
        'max-categories': { type: 'string' },
        delimiter: { type: 'string' },
        'athena-copy': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      console.log(PREPROCESS_USAGE);
      return EXIT.ok;
    }
    if (positionals.length !== 1 || !values.out) throw new UsageError('need one input file and --out DIR');
    const maxText = values['max-bytes'];
    const maxBytes = maxText === undefined ? undefined : Number(maxText);
    if (
      maxBytes !== undefined &&
      !(/^\s*\d/.test(maxText!) && Number.isSafeInteger(maxBytes) && maxBytes > 0)
    )
      throw new UsageError(`--max-bytes must be a positive whole number, got "${maxText}"`);
    const maxColumns = positiveWhole(values['max-columns'], '--max-columns');
    const maxCategories = positiveWhole(values['max-categories'], '--max-categories');
    const delimiter = delimiterOf(values.delimiter);
    const schema = values.schema === undefined ? undefined : await readSchemaFile(values.schema);
    const [input] = positionals;
    // Read errors from the chunk reader carry no path: a directory or a missing file is named here.
    if (!(await stat(input)).isFile()) throw new Error(`${input}: not a file`);
    let r: PreprocessResult['report'];
    try {
      r = (
        await preprocessFile(input, values.out, {
          maxBytes,
          schema,
          maxColumns,
          maxCategories,
          delimiter,
          athenaCopy: values['athena-copy'] === true,
        })
      ).report;
    } catch (error) {
      // A file-level problem with the input's content: name the input (and, for columns the
      // header lacks under the built-in schema, how to give one).
      if (error instanceof PreprocessError) {
        const from =
          error.code === 'missing_column' && values.schema === undefined
            ? ' (the built-in schema: pass --schema FILE, which `factory schema IN.csv` writes)'
            : '';
        throw new Error(`${input}: ${error.message}${from}`, { cause: error });
      }
      throw error;
    }
    const mbps = r.bytesIn / 1e6 / Math.max(r.elapsedMs / 1000, 1e-9);
    console.log(
      `preprocess: ${r.rowsIn} rows in → ${r.rowsClean} clean (${r.rowsComplete} complete), ` +
        `${r.duplicates} duplicates, ${r.quarantined} quarantined, ${r.categories} categories; ` +
        `${(r.bytesIn / 1e6).toFixed(1)} MB in ${(r.elapsedMs / 1000).toFixed(2)} s (${mbps.toFixed(0)} MB/s) → ${values.out}`,
    );
    return EXIT.ok;
  } catch (error) {
    return fail('preprocess', error);
  }
}
