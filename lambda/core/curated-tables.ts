/**
 * The curated outputs as SQL tables: one home for their names, their columns (SQL name, the
 * column or key preprocess writes, type) and how their files are read, for the local engine
 * (`factory query`, DuckDB) and for the Glue tables Athena reads (lib/stacks/query-stack.ts).
 *
 * What preprocess writes (cleaning/): CSV with a header row in the input's own column order
 * (pandas keeps it), `,` between fields, `"` quotes doubled inside a quoted field, an empty field
 * for a missing cell; the report is one pretty-printed JSON object per source object.
 *
 * Why Athena gets a format of its own (JSON Lines under `athena/<table>/`, OpenX JSON SerDe)
 * instead of reading those files, from the Athena user guide:
 * - "Open CSV SerDe for processing CSV" (https://docs.aws.amazon.com/athena/latest/ug/csv-serde.html):
 *   it "does not support embedded line breaks in CSV files" (a quarantined row's raw text spans
 *   lines when a stray quote swallowed a block; a quoted text cell may hold a line break), and in
 *   a numeric column it "does not recognize empty or null values" (a column with no values at all
 *   is written empty). LazySimpleSerDe ("LazySimpleSerDe for CSV, TSV, and custom-delimited
 *   files") does not read quoted fields at all.
 * - Both CSV SerDes map columns by position, but a user's file keeps its own column order and
 *   extra columns (`UDI`, `Product ID` before the schema's): a table declared from the schema
 *   would read the wrong column. A JSON SerDe maps by key, so order and extra keys do not matter.
 * - "OpenX JSON SerDe" (https://docs.aws.amazon.com/athena/latest/ug/openx-json-serde.html):
 *   "each JSON document [must be] on a single line of text" (the stored report is pretty-printed,
 *   so it cannot be read as it is); with `case.insensitive` false every key that is not all lower
 *   case is mapped from its column with a `mapping.<column>` property, which lets `Torque [Nm]`
 *   be read into `torque_nm`.
 * - A table's location is a folder and Athena reads every object under it: `quarantine/` holds
 *   CSV rows and JSON rejections, `stats/` JSON partials and the group CSVs, so each table needs
 *   a folder of its own.
 *
 * Column names: "Name databases, tables, and columns"
 * (https://docs.aws.amazon.com/athena/latest/ug/tables-databases-columns-names.html): Glue names
 * "should be in lower case", at most 255 bytes, and Athena lower-cases names in queries, so
 * `sqlColumnName` maps every written name to lower-case letters, digits and `_` (`Torque [Nm]`
 * → `torque_nm`, `rowsIn` → `rows_in`), the same names in DuckDB's views and in the Glue tables.
 * Accents are dropped (`Température` → `temperature`); a name with no such letter at all (`温度`)
 * becomes `column`, `column_2`, ...
 *
 * Origin: the tables kept per source object (quarantine, group_stats, reports) also say which
 * object each row came from and when it arrived (ORIGIN_COLUMNS), so a quarantined line number
 * means something once every object's rows are one table, and reasons can be counted over time.
 * The curated files do not repeat them on every row: the object's report holds them (the stored
 * report's `input.key` / `input.lastModified`; `factory preprocess`'s report.json `source` /
 * `arrived`), Athena's copy writes them into each of its records, and the local engine adds them
 * to each directory's rows from its report.
 */
import { numericColumns, textColumns, type DatasetSchema } from './dataset-schema';

export type SqlType = 'DOUBLE' | 'VARCHAR' | 'BIGINT';

/** One column of a curated table. */
export interface TableColumn {
  /** The SQL name: lower case, letters, digits and `_` (sqlColumnName). */
  readonly name: string;
  /** The column (CSV header) or key (JSON) preprocess writes. */
  readonly source: string;
  readonly type: SqlType;
}

interface CuratedTableSpec {
  /** The SQL name: lower case, as Glue stores table names. */
  readonly name: string;
  /** The file of a preprocess output directory (`factory preprocess --out DIR`). */
  readonly file: string;
  readonly format: 'csv' | 'json';
  /** The columns the file itself holds, in order. */
  readonly fileColumns: (schema: DatasetSchema) => readonly TableColumn[];
  /** Whether each row also carries its object's origin (ORIGIN_COLUMNS, after the file's). */
  readonly origin: boolean;
  /** What a Glue table description says it holds. */
  readonly description: string;
}

export interface CuratedTable extends CuratedTableSpec {
  /** The columns, in order: what both engines expose (the file's, then the origin's). */
  readonly columns: (schema: DatasetSchema) => readonly TableColumn[];
}

/**
 * Where one source object came from: its key in the raw bucket (locally, the input file as
 * given) and when it arrived, ISO-8601 UTC (S3's `LastModified` of the version processed, which
 * for a Firehose object is its delivery; locally, the file's modification time), or null when
 * that is not known.
 */
export interface RowOrigin {
  readonly source: string;
  readonly arrived: string | null;
}

/** The origin's columns: these SQL names in every engine (named queries use them). */
export const ORIGIN_COLUMNS: readonly TableColumn[] = [
  { name: 'source', source: 'source', type: 'VARCHAR' },
  { name: 'arrived', source: 'arrived', type: 'VARCHAR' },
];
const ORIGIN_NAMES = ORIGIN_COLUMNS.map((c) => c.name);

/**
 * The origin's columns of a table whose file holds `fileColumns`: SQL names `source` and
 * `arrived` (a file column of that SQL name gets `_2`: `named`), under a key no written name
 * takes, ignoring case (DuckDB's names ignore it): `source`, else `source_2`, ... . So a
 * measurement a factory happens to call `Source` keeps its name, and the copy's records never
 * hold one key twice.
 */
function originColumns(fileColumns: readonly TableColumn[]): TableColumn[] {
  const taken = new Set(fileColumns.map((c) => c.source.toLowerCase()));
  return ORIGIN_COLUMNS.map((c) => {
    let key = c.source;
    for (let n = 2; taken.has(key.toLowerCase()); n++) key = `${c.source}_${n}`;
    taken.add(key.toLowerCase());
    return { ...c, source: key };
  });
}

/** A table's origin columns (none for clean and train): the last of its `columns`. */
export function tableOrigin(table: CuratedTable, schema: DatasetSchema): readonly TableColumn[] {
  return table.origin ? originColumns(table.fileColumns(schema)) : [];
}

/** The longest Glue / Athena name, in bytes ("Name databases, tables, and columns"). */
export const MAX_SQL_NAME_BYTES = 255;

/**
 * A written column name as an SQL name Glue and Athena accept unchanged: camelCase split at its
 * humps, lower case, every run of anything but a-z and 0-9 one `_`, none at either end
 * (`Torque [Nm]` → `torque_nm`, `Rotational speed [rpm]` → `rotational_speed_rpm`).
 */
export function sqlColumnName(source: string): string {
  const name = source
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, MAX_SQL_NAME_BYTES - 4);
  return name === '' ? 'column' : name;
}

/**
 * SQL names for written names, in order; a name two columns would share (or one of `reserved`,
 * the origin's) gets `_2`, `_3`, ...
 */
function named(
  sources: readonly (readonly [string, SqlType])[],
  reserved: readonly string[] = [],
): TableColumn[] {
  const taken = new Set<string>(reserved);
  return sources.map(([source, type]) => {
    const base = sqlColumnName(source);
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
    taken.add(name);
    return { name, source, type };
  });
}

/** Schema columns typed as preprocess writes them: measurements as numbers, the rest as text. */
function schemaColumns(schema: DatasetSchema): TableColumn[] {
  return named([
    ...textColumns(schema).map((c) => [c, 'VARCHAR'] as const),
    ...numericColumns(schema).map((c) => [c, 'DOUBLE'] as const),
  ]);
}

/**
 * The report's counts (QualityReport), one row per source object; with them `status`
 * (`processed`, or `rejected`: a file-level refusal, whose counts are null) and `rejection` (the
 * refusal's reason code, FileRejectionReason; null when processed).
 */
export const REPORT_COUNTS = [
  'rowsIn',
  'linesIn',
  'rowsClean',
  'rowsComplete',
  'duplicates',
  'quarantined',
  'quarantinedLines',
  'filledCells',
  'categories',
  'rowsWithoutCategory',
  'bytesIn',
] as const;

const curated = (spec: CuratedTableSpec): CuratedTable => ({
  ...spec,
  columns: (schema) => {
    const files = spec.fileColumns(schema);
    return spec.origin ? [...files, ...originColumns(files)] : files;
  },
});

export const CURATED_TABLES: readonly CuratedTable[] = [
  curated({
    name: 'clean',
    file: 'clean.csv',
    format: 'csv',
    fileColumns: schemaColumns,
    origin: false,
    description: 'De-duplicated, mean-filled rows',
  }),
  curated({
    name: 'train',
    file: 'train.csv',
    format: 'csv',
    fileColumns: schemaColumns,
    origin: false,
    description: 'De-duplicated complete rows (what the trainer reads)',
  }),
  curated({
    name: 'quarantine',
    file: 'quarantine.csv',
    format: 'csv',
    fileColumns: () =>
      named(
        [
          ['line', 'BIGINT'],
          ['last_line', 'BIGINT'],
          ['reason', 'VARCHAR'],
          ['raw', 'VARCHAR'],
        ],
        ORIGIN_NAMES,
      ),
    origin: true,
    description:
      'Quarantined rows: first and last physical line, reason code, raw text, source object and its arrival',
  }),
  curated({
    name: 'group_stats',
    file: 'group_stats.csv',
    format: 'csv',
    // The header says `category` whatever the schema's category column is called.
    fileColumns: (schema) =>
      named(
        [
          ['category', 'VARCHAR'],
          ['count', 'BIGINT'],
          ...numericColumns(schema).map((c) => [c, 'DOUBLE'] as const),
        ],
        ORIGIN_NAMES,
      ),
    origin: true,
    description:
      'Per source object and category: row count and the mean of each measurement, source object and its arrival',
  }),
  curated({
    name: 'reports',
    file: 'report.json',
    format: 'json',
    fileColumns: () =>
      named(
        [
          ...REPORT_COUNTS.map((c) => [c, 'BIGINT'] as const),
          ['status', 'VARCHAR'],
          ['rejection', 'VARCHAR'],
        ],
        ORIGIN_NAMES,
      ),
    origin: true,
    description:
      'One report per source object: processed (rows in, clean, duplicates, quarantined) or rejected (why), source object and its arrival',
  }),
];

/** A table by name (throws for a name that is not one). */
export function curatedTable(name: string): CuratedTable {
  const table = CURATED_TABLES.find((t) => t.name === name);
  if (!table) throw new Error(`no curated table ${JSON.stringify(name)}`);
  return table;
}

/** The CSV dialect of every curated CSV (how the local engine reads them). */
export const CURATED_CSV = { header: true, delimiter: ',', quote: '"', escape: '"', nullString: '' } as const;

/**
 * Athena's copy of the curated tables, in the curated bucket: one folder per table
 * (`athena/clean/`, ...), JSON Lines objects (one JSON object per line, keys as `source`).
 */
export const ATHENA_TABLES_PREFIX = 'athena/';

export function athenaTablePrefix(table: CuratedTable): string {
  return `${ATHENA_TABLES_PREFIX}${table.name}/`;
}

/** The OpenX JSON SerDe and its properties for a table (see the file comment for why). */
export const OPENX_JSON_SERDE = 'org.openx.data.jsonserde.JsonSerDe';

export function openxSerdeProperties(columns: readonly TableColumn[]): Record<string, string> {
  const properties: Record<string, string> = { 'case.insensitive': 'FALSE' };
  for (const c of columns) if (c.source !== c.name) properties[`mapping.${c.name}`] = c.source;
  return properties;
}

/** Glue (Hive DDL) type names of the SQL types. */
export const GLUE_TYPE: Readonly<Record<SqlType, string>> = {
  DOUBLE: 'double',
  VARCHAR: 'string',
  BIGINT: 'bigint',
};

/** A double-quoted SQL identifier (DuckDB and Athena both read `"torque_nm"`). */
export function sqlIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A single-quoted SQL string literal. */
export function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
