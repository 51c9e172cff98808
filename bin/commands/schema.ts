/**
 * `factory schema FILE.csv [--target COL] [--category COL] [--rows N]`: reads the header and a
 * sample of rows and prints a dataset schema as JSON on stdout (the format of `--schema FILE` and
 * of cdk.json's `factory.dataset`), with one line per choice on stderr saying why.
 */
import { decodeSchema, encodeSchema } from '../../lambda/core/dataset-schema';
import { EXIT, OK_OR_FAILURE_HELP, fail, firstLine, parseFlags, UsageError } from './command-line';
import { SCHEMA_HELP } from './schema-file';
import { CATEGORY_MAX_DISTINCT, InferenceError, inferSchema } from './schema-inference';
import { delimiterOf } from './delimiter-flag';
import { readCsvSample, SampleError } from './schema-sample';

const DEFAULT_SAMPLE_ROWS = 10_000;

export const SCHEMA_USAGE = `usage: factory schema FILE.csv [--target COL] [--category COL] [--rows N] [--delimiter D]
Reads the header and the first rows of FILE.csv (gzip too) and prints a schema as JSON, for
--schema of preprocess, train and local, and for cdk.json's "factory": { "dataset": ... }:
  factory schema line.csv --target "Tool wear [min]" > schema.json
  --target COL    the numeric column to predict (default: the last numeric column)
  --category COL  the column to group by (default: the text column with the fewest distinct
                  values, 2 to ${CATEGORY_MAX_DISTINCT})
  --rows N        data rows to sample (default ${DEFAULT_SAMPLE_ROWS})
  --delimiter D   the file's field delimiter: comma (default), tab, semicolon or pipe, as
                  preprocess --delimiter and the config's preprocess.delimiter read it
Roles: a column whose every sampled cell is a number (or missing: empty, NA, NaN, ...) is
numeric and becomes a feature, except the target and a row counter (1, 2, 3, ...), which is an
id; a text column whose cells are all dates is the timestamp (optional); every other text
column is an id, kept as text. Column names are used exactly as the header spells them.
Why each column got its role is written to stderr, one line each.

${SCHEMA_HELP}
${OK_OR_FAILURE_HELP}`;

export async function run(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseFlags({
      args: argv,
      options: {
        target: { type: 'string' },
        category: { type: 'string' },
        rows: { type: 'string' },
        delimiter: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
    });
    if (values.help) {
      console.log(SCHEMA_USAGE);
      return EXIT.ok;
    }
    if (positionals.length !== 1)
      throw new UsageError(
        `give one CSV file, got ${positionals.length === 0 ? 'none' : positionals.length}`,
      );
    const rowsText = values.rows;
    const rows = rowsText === undefined ? DEFAULT_SAMPLE_ROWS : Number(rowsText);
    if (!/^\d+$/.test(rowsText ?? '1') || !Number.isSafeInteger(rows) || rows < 1)
      throw new UsageError(`--rows must be a whole number ≥ 1, got "${rowsText}"`);
    const delimiter = delimiterOf(values.delimiter) ?? ',';
    const path = positionals[0];
    let inferred;
    try {
      const sample = await readCsvSample(path, rows, delimiter);
      if (delimiter === ',') delimiterHint(sample.columns.map((c) => c.name));
      inferred = inferSchema(sample, { target: values.target, category: values.category });
    } catch (error) {
      if (error instanceof InferenceError || error instanceof SampleError)
        throw new Error(`${path}: ${error.message}`, { cause: error });
      if ((error as { code?: unknown }).code === 'row_too_long')
        throw new Error(`${path}: ${firstLine(error)}`, { cause: error });
      throw error;
    }
    // The printed schema is exactly what the readers accept: the one check, decodeSchema.
    const schema = decodeSchema(encodeSchema(inferred.schema));
    for (const note of inferred.notes) process.stderr.write(`factory schema: ${note}\n`);
    process.stdout.write(JSON.stringify(orderedSchema(schema), null, 2) + '\n');
    return EXIT.ok;
  } catch (error) {
    return fail('schema', error);
  }
}

/** Keys in the documented order; no timestamp key when there is none. */
function orderedSchema(s: ReturnType<typeof decodeSchema>) {
  return {
    ...(s.timestamp !== undefined ? { timestamp: s.timestamp } : {}),
    ids: s.ids,
    category: s.category,
    features: s.features,
    target: s.target,
  };
}

/** One header column holding tabs or semicolons: the file is not comma-separated. */
function delimiterHint(names: readonly string[]): void {
  if (names.length !== 1) return;
  const name = names[0];
  for (const [char, what] of [
    ['\t', 'tab'],
    [';', 'semicolon'],
    ['|', 'pipe'],
  ] as const) {
    if (name.includes(char))
      throw new SampleError(
        `the header is one column holding ${name.split(char).length - 1} ${what}s: the file looks ${what}-separated; read it with --delimiter ${what}`,
      );
  }
}
