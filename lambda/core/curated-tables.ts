/**
 * The curated outputs as SQL tables: one home for their names, the files they come from and how
 * those files are read, for the local engine (`factory query`, DuckDB) and, when the query stack
 * lands, for the Glue tables Athena reads. What preprocess writes (cleaning/): CSV with a header
 * row, `,` between fields, `"` quotes doubled inside a quoted field, an empty field for a missing
 * cell; the report is one JSON object per source object.
 */
import { numericColumns, textColumns, type DatasetSchema } from './dataset-schema';

export interface CuratedTable {
  /** The SQL name: lower case, as Glue stores table names. */
  readonly name: string;
  /** The file of a preprocess output directory (`factory preprocess --out DIR`). */
  readonly file: string;
  readonly format: 'csv' | 'json';
  /** Column types the schema decides; columns not named here are read as the engine infers them. */
  readonly types: (schema: DatasetSchema) => Readonly<Record<string, 'DOUBLE' | 'VARCHAR' | 'BIGINT'>>;
}

/** Schema columns typed as preprocess writes them: measurements as numbers, the rest as text. */
function schemaTypes(schema: DatasetSchema): Record<string, 'DOUBLE' | 'VARCHAR'> {
  const types: Record<string, 'DOUBLE' | 'VARCHAR'> = {};
  for (const c of textColumns(schema)) types[c] = 'VARCHAR';
  for (const c of numericColumns(schema)) types[c] = 'DOUBLE';
  return types;
}

export const CURATED_TABLES: readonly CuratedTable[] = [
  { name: 'clean', file: 'clean.csv', format: 'csv', types: schemaTypes },
  { name: 'train', file: 'train.csv', format: 'csv', types: schemaTypes },
  {
    name: 'quarantine',
    file: 'quarantine.csv',
    format: 'csv',
    types: () => ({ line: 'BIGINT', last_line: 'BIGINT', reason: 'VARCHAR', raw: 'VARCHAR' }),
  },
  {
    name: 'group_stats',
    file: 'group_stats.csv',
    format: 'csv',
    types: (schema) => {
      const types: Record<string, 'DOUBLE' | 'VARCHAR' | 'BIGINT'> = {
        [schema.category]: 'VARCHAR',
        count: 'BIGINT',
      };
      for (const c of numericColumns(schema)) types[c] = 'DOUBLE';
      return types;
    },
  },
  { name: 'reports', file: 'report.json', format: 'json', types: () => ({}) },
];

/** The CSV dialect of every curated CSV (the same options a Glue table declares for them). */
export const CURATED_CSV = { header: true, delimiter: ',', quote: '"', escape: '"', nullString: '' } as const;

/** A double-quoted SQL identifier (DuckDB and Athena both read `"Torque [Nm]"`). */
export function sqlIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A single-quoted SQL string literal. */
export function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
