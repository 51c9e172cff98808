/**
 * `factory query --data DIR [--data DIR ...] [--schema S.json] ("SQL" | --named NAME | --list) [--json]`
 *
 * SQL over preprocess output directories on the embedded engine (DuckDB), with the table names
 * and reading options of the curated tables (lambda/core/curated-tables.ts): `clean`, `train`,
 * `quarantine`, `group_stats`, `reports`. Several directories make one table each (by column
 * name), whose columns are the schema's under their SQL names, the names of the Glue tables Athena
 * reads (sqlColumnName: `Torque [Nm]` is `torque_nm`). The schema types the measurement columns
 * as numbers and the rest as text: `--schema`, or
 * the one preprocess recorded in the first DIR, or the default. `--named` runs one of the named
 * queries (lambda/core/named-queries.ts), `--list` lists them. `--athena-copy` reads Athena's
 * copy that preprocess writes beside the CSVs (DIR/athena/<table>.jsonl) through the Glue tables'
 * mapping instead.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  CURATED_CSV,
  CURATED_TABLES,
  curatedTable,
  sqlIdentifier,
  sqlString,
  tableOrigin,
  type RowOrigin,
  type TableColumn,
} from '../../lambda/core/curated-tables';
import { DEFAULT_DATASET_SCHEMA, type DatasetSchema } from '../../lambda/core/dataset-schema';
import { namedQueries } from '../../lambda/core/named-queries';
import { EXIT, fail, OK_OR_FAILURE_HELP, parseFlags, UsageError } from './command-line';
import { readSchemaFile, recordedSchema } from './schema-file';

export const QUERY_USAGE = `usage: factory query --data DIR [--data DIR ...] ("SQL" | --named NAME | --list) [options]
  --data DIR      a preprocess output directory (factory preprocess --out DIR); repeatable
  --schema FILE   the dataset schema (default: the one preprocess recorded in the first DIR)
  --named NAME    run a named query (--list shows them)
  --list          list the named queries and their SQL
  --json          one JSON object per row instead of a table
  --athena-copy   read Athena's copy (DIR/athena/<table>.jsonl) as the Glue tables do, instead
                  of the CSVs: the same rows, read the way Athena reads them
Tables: ${CURATED_TABLES.map((t) => `${t.name} (${t.file})`).join(', ')}.
Columns have their SQL names (as in Athena): Torque [Nm] is torque_nm; --list shows the
named queries, which use them.
${OK_OR_FAILURE_HELP}`;

export interface QueryResult {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
}

export interface CuratedDb {
  /** The tables that have at least one file. */
  readonly tables: readonly string[];
  run(sql: string): Promise<QueryResult>;
  close(): void;
}

export interface OpenOptions {
  /**
   * Read Athena's copy instead (`<DIR>/athena/<table>.jsonl`, lambda/core/athena-copy.ts) as the
   * Glue tables do: JSON Lines, each key read as its column's type, under the SQL name.
   * @default false
   */
  readonly athenaCopy?: boolean;
}

/** Where Athena's copy of a table sits in a preprocess output directory. */
export function athenaCopyFile(dir: string, table: { readonly name: string }): string {
  return join(dir, 'athena', `${table.name}.jsonl`);
}

/**
 * The origin `factory preprocess` recorded in a directory's report.json (`source`, `arrived`);
 * for a directory written before it did, the directory itself and an unknown time.
 */
export function dirOrigin(dir: string): RowOrigin {
  const file = join(dir, curatedTable('reports').file);
  let report: Partial<RowOrigin> = {};
  if (existsSync(file)) {
    try {
      report = JSON.parse(readFileSync(file, 'utf8')) as Partial<RowOrigin>;
    } catch (error) {
      throw new UsageError(`${file}: not a preprocess report (${(error as Error).message})`);
    }
  }
  return {
    source: typeof report.source === 'string' ? report.source : dir,
    arrived: typeof report.arrived === 'string' ? report.arrived : null,
  };
}

/** The origin as constant columns of a SELECT, under the table's origin keys (tableOrigin). */
function originSelect(columns: readonly TableColumn[], origin: RowOrigin): string {
  return columns
    .map((c) => {
      const value = origin[c.name as keyof RowOrigin];
      return `${value === null ? 'NULL::VARCHAR' : sqlString(value)} AS ${sqlIdentifier(c.source)}`;
    })
    .join(', ');
}

/** A DuckDB database in memory with a view per curated table over the directories' files. */
export async function openCuratedDb(
  given: readonly string[],
  schema: DatasetSchema,
  options: OpenOptions = {},
): Promise<CuratedDb> {
  // A directory given twice (`out`, `./out/`) is read once.
  const seen = new Set<string>();
  const dirs = given.filter((d) => !seen.has(resolve(d)) && seen.add(resolve(d)));
  for (const dir of dirs) {
    if (!existsSync(dir) || !statSync(dir).isDirectory())
      throw new UsageError(`--data ${dir}: not a directory`);
  }
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const db = await instance.connect();
  const tables: string[] = [];
  // Each directory's origin, read from its report once for every per-object table.
  const origins = new Map<string, RowOrigin>();
  const originOf = (dir: string) => origins.get(dir) ?? origins.set(dir, dirOrigin(dir)).get(dir)!;
  for (const table of CURATED_TABLES) {
    const fileOf = (d: string) => (options.athenaCopy ? athenaCopyFile(d, table) : join(d, table.file));
    const withFile = dirs.filter((d) => existsSync(fileOf(d)));
    const files = withFile.map(fileOf);
    if (files.length === 0) continue;
    const list = `[${files.map(sqlString).join(', ')}]`;
    const columns = table.columns(schema);
    const fileColumns = table.fileColumns(schema);
    let source: string;
    if (table.format === 'json' || options.athenaCopy) {
      // Keys not among the columns are ignored, as the OpenX JSON SerDe ignores them.
      source = `read_json(${list}, format = ${sqlString(options.athenaCopy ? 'newline_delimited' : 'auto')}, columns = {${columns
        .map((c) => `${sqlString(c.source)}: ${sqlString(c.type)}`)
        .join(', ')}})`;
    } else {
      const dialect =
        `header = ${CURATED_CSV.header}, delim = ${sqlString(CURATED_CSV.delimiter)}, ` +
        `quote = ${sqlString(CURATED_CSV.quote)}, escape = ${sqlString(CURATED_CSV.escape)}, ` +
        `nullstr = ${sqlString(CURATED_CSV.nullString)}, union_by_name = true`;
      const header = async (fileList: string) =>
        new Set(
          (
            await db.runAndReadAll(
              `DESCRIBE SELECT * FROM read_csv(${fileList}, ${dialect}, all_varchar = true)`,
            )
          )
            .getRows()
            .map((r) => String(r[0])),
        );
      // A per-object table is read file by file (below): the union of their headers is the list's.
      const headers: ReadonlySet<string>[] = [];
      for (const fileList of table.origin ? files.map((f) => `[${sqlString(f)}]`) : [list])
        headers.push(await header(fileList));
      const present = new Set(headers.flatMap((h) => [...h]));
      const missing = fileColumns.filter((c) => !present.has(c.source)).map((c) => c.source);
      if (missing.length > 0)
        throw new UsageError(`${table.file}: no column ${missing.map((m) => JSON.stringify(m)).join(', ')}`);
      // Types only for the columns the files have (DuckDB refuses a type for a missing column).
      const read = (fileList: string, names: ReadonlySet<string>) =>
        `read_csv(${fileList}, ${dialect}, types = {${fileColumns
          .filter((c) => names.has(c.source))
          .map((c) => `${sqlString(c.source)}: ${sqlString(c.type)}`)
          .join(', ')}})`;
      if (table.origin) {
        // Each directory's rows with its object's origin, from its report (curated-tables.ts):
        // one read per file, so no row depends on matching a file name DuckDB reports.
        const origin = tableOrigin(table, schema);
        const parts: string[] = [];
        for (const [i, file] of files.entries()) {
          const one = `[${sqlString(file)}]`;
          parts.push(
            `SELECT *, ${originSelect(origin, originOf(withFile[i]))} FROM ${read(one, headers[i])}`,
          );
        }
        source = `(${parts.join(' UNION ALL BY NAME ')})`;
      } else source = read(list, present);
    }
    // The table's columns under their SQL names (the Glue table's), extra columns left out as
    // Athena's table has none of them.
    const select = columns.map((c) => `${sqlIdentifier(c.source)} AS ${sqlIdentifier(c.name)}`).join(', ');
    source = `(SELECT ${select} FROM ${source})`;
    await db.run(`CREATE VIEW ${sqlIdentifier(table.name)} AS SELECT * FROM ${source}`);
    tables.push(table.name);
  }
  return {
    tables,
    async run(sql) {
      const reader = await db.runAndReadAll(sql);
      return { columns: reader.columnNames(), rows: reader.getRowsJS() as unknown[][] };
    },
    close() {
      db.closeSync();
      instance.closeSync();
    },
  };
}

/** A value DuckDB returned as plain JSON data: a BIGINT as a number, or as text past 2^53. */
export const plainValue = (value: unknown): unknown =>
  typeof value === 'bigint' ? (Number.isSafeInteger(Number(value)) ? Number(value) : String(value)) : value;

/** The result as a table a person reads: a header, then one line per row. */
export function formatResult(result: QueryResult): string {
  const text = (v: unknown) => (v === null || v === undefined ? '' : String(plainValue(v)));
  const cells = [result.columns.map(String), ...result.rows.map((row) => row.map(text))];
  const widths = result.columns.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export async function run(argv: string[]): Promise<number> {
  let db: CuratedDb | undefined;
  try {
    const { values, positionals } = parseFlags({
      args: argv,
      allowPositionals: true,
      options: {
        data: { type: 'string', multiple: true },
        schema: { type: 'string' },
        named: { type: 'string' },
        list: { type: 'boolean' },
        json: { type: 'boolean' },
        'athena-copy': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      console.log(QUERY_USAGE);
      return EXIT.ok;
    }
    const dirs = values.data ?? [];
    const schema =
      (values.schema
        ? await readSchemaFile(values.schema)
        : dirs[0]
          ? await recordedSchema(dirs[0])
          : undefined) ?? DEFAULT_DATASET_SCHEMA;
    const queries = namedQueries(schema);
    if (values.list) {
      for (const n of queries) console.log(`${n.name}: ${n.description}\n  ${n.sql}`);
      return EXIT.ok;
    }
    if (dirs.length === 0) throw new UsageError('--data DIR is required');
    let sql: string;
    if (values.named !== undefined) {
      const named = queries.find((n) => n.name === values.named);
      if (!named)
        throw new UsageError(
          `--named ${values.named}: no such query; known: ${queries.map((n) => n.name).join(', ')}`,
        );
      if (positionals.length > 0) throw new UsageError('give either SQL or --named, not both');
      sql = named.sql;
    } else {
      if (positionals.length !== 1)
        throw new UsageError('expected one SQL statement (quote it), or --named NAME');
      sql = positionals[0];
    }
    db = await openCuratedDb(dirs, schema, { athenaCopy: values['athena-copy'] === true });
    let result: QueryResult;
    try {
      result = await db.run(sql);
    } catch (error) {
      // DuckDB's message names the problem (a table or column that does not exist, a syntax error).
      throw new UsageError(
        `${(error as Error).message.split('\n')[0]} (tables here: ${db.tables.join(', ')})`,
      );
    }
    if (values.json) {
      for (const row of result.rows) {
        console.log(
          JSON.stringify(Object.fromEntries(result.columns.map((c, i) => [c, plainValue(row[i])]))),
        );
      }
    } else {
      console.log(formatResult(result));
    }
    return EXIT.ok;
  } catch (error) {
    return fail('query', error);
  } finally {
    db?.close();
  }
}
