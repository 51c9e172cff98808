/**
 * Queries a quality engineer opens first, written from the dataset schema over the curated
 * tables (curated-tables.ts), in the SQL DuckDB and Athena share: double-quoted identifiers,
 * standard aggregates, `substr` on the ISO timestamp text for the day (no engine-specific date
 * parsing), no engine-specific functions. Each runs locally in a test (`factory query --named`).
 */
import type { DatasetSchema } from './dataset-schema';
import { sqlIdentifier as q } from './curated-tables';

export interface NamedQuery {
  readonly name: string;
  readonly description: string;
  readonly sql: string;
}

/** The named queries a schema supports (by line and day only where it has a timestamp and an id). */
export function namedQueries(schema: DatasetSchema): NamedQuery[] {
  const target = q(schema.target);
  const category = q(schema.category);
  const queries: NamedQuery[] = [];
  const line = schema.ids?.[0];
  if (schema.timestamp !== undefined && line !== undefined) {
    queries.push({
      name: 'quality_by_line_and_day',
      description: `rows and ${schema.target} (mean, min, max) per ${line} and UTC day`,
      sql:
        `SELECT ${q(line)} AS line, substr(${q(schema.timestamp)}, 1, 10) AS day, count(*) AS rows, ` +
        `avg(${target}) AS mean_target, min(${target}) AS min_target, max(${target}) AS max_target ` +
        `FROM clean GROUP BY 1, 2 ORDER BY 1, 2`,
    });
  }
  queries.push(
    {
      name: 'rows_by_category',
      description: `clean rows and mean ${schema.target} per ${schema.category}`,
      sql:
        `SELECT ${category} AS category, count(*) AS rows, avg(${target}) AS mean_target ` +
        `FROM clean GROUP BY 1 ORDER BY 2 DESC, 1`,
    },
    {
      name: 'quarantine_reasons',
      description: 'quarantined records per reason, with the first line each was seen on',
      sql: 'SELECT reason, count(*) AS records, min(line) AS first_line FROM quarantine GROUP BY 1 ORDER BY 2 DESC, 1',
    },
    {
      name: 'cleaning_totals',
      description: 'rows in, clean, duplicates and quarantined over every source object',
      sql:
        'SELECT sum(rowsIn) AS rows_in, sum(rowsClean) AS rows_clean, sum(duplicates) AS duplicates, ' +
        'sum(quarantined) AS quarantined FROM reports',
    },
  );
  return queries;
}
