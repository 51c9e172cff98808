/**
 * Queries a quality engineer opens first, written from the dataset schema over the curated
 * tables (curated-tables.ts) and their SQL column names, in the SQL DuckDB and Athena (Trino)
 * share: double-quoted lower-case identifiers, count / avg / min / max / sum, GROUP BY and ORDER
 * BY ordinals, `substr` on the ISO timestamp text for the day (no engine-specific date parsing,
 * which differs: Trino's `date_parse` / `from_iso8601_timestamp` against DuckDB's `strptime`),
 * `CASE` rather than `count_if` / `FILTER`. Each runs locally in a test (`factory query
 * --named`); the query stack creates the same ones as Athena named queries.
 */
import type { DatasetSchema } from './dataset-schema';
import { SERVING_DEFAULTS } from './env/predict';
import { curatedTable, sqlIdentifier as q, type TableColumn } from './curated-tables';

export interface NamedQuery {
  readonly name: string;
  /** The curated tables it reads (a run with none of an object's rows lacks some). */
  readonly tables: readonly string[];
  readonly description: string;
  readonly sql: string;
}

/** The SQL name of a schema column in the clean table. */
function column(schema: DatasetSchema, source: string): string {
  const c = curatedTable('clean')
    .columns(schema)
    .find((x: TableColumn) => x.source === source)!;
  return q(c.name);
}

/**
 * The named queries a schema supports: quality by line and day only where it has a timestamp
 * and an id; rows and anomalies per category; quarantine reasons, overall and per day of
 * arrival; objects refused whole per day of arrival; the cleaning totals.
 */
export function namedQueries(
  schema: DatasetSchema,
  /** Standard deviations from the mean that make an anomaly: the serving threshold (`serving.anomalyZ`). */
  anomalyZ: number = SERVING_DEFAULTS.anomalyZ,
): NamedQuery[] {
  const z = String(anomalyZ);
  const target = column(schema, schema.target);
  const category = column(schema, schema.category);
  const queries: NamedQuery[] = [];
  const line = schema.ids?.[0];
  if (schema.timestamp !== undefined && line !== undefined) {
    queries.push({
      name: 'quality_by_line_and_day',
      tables: ['clean'],
      description: `rows and ${schema.target} (mean, min, max) per ${line} and UTC day`,
      sql:
        `SELECT ${column(schema, line)} AS line, substr(${column(schema, schema.timestamp)}, 1, 10) AS day, ` +
        `count(*) AS rows, avg(${target}) AS mean_target, min(${target}) AS min_target, ` +
        `max(${target}) AS max_target FROM clean GROUP BY 1, 2 ORDER BY 1, 2`,
    });
  }
  queries.push(
    {
      name: 'rows_by_category',
      tables: ['clean'],
      description: `clean rows and mean ${schema.target} per ${schema.category}`,
      sql:
        `SELECT ${category} AS category, count(*) AS rows, avg(${target}) AS mean_target ` +
        `FROM clean GROUP BY 1 ORDER BY 2 DESC, 1`,
    },
    {
      name: 'anomalies_by_category',
      tables: ['clean'],
      description: `clean rows per ${schema.category} whose ${schema.target} is over ${z} standard deviations from the ${schema.category}'s mean`,
      // Window aggregates and stddev_samp are in both engines; the CASE keeps count portable.
      sql:
        `SELECT category, count(*) AS rows, ` +
        `sum(CASE WHEN abs(target - mean) > ${z} * sd THEN 1 ELSE 0 END) AS anomalies ` +
        `FROM (SELECT ${category} AS category, ${target} AS target, ` +
        `avg(${target}) OVER (PARTITION BY ${category}) AS mean, ` +
        `stddev_samp(${target}) OVER (PARTITION BY ${category}) AS sd FROM clean) AS t ` +
        `GROUP BY 1 ORDER BY 3 DESC, 1`,
    },
    {
      name: 'quarantine_reasons',
      tables: ['quarantine'],
      description: 'quarantined records per reason, and the source objects they came from',
      sql:
        'SELECT reason, count(*) AS records, count(DISTINCT source) AS objects FROM quarantine ' +
        'GROUP BY 1 ORDER BY 2 DESC, 1',
    },
    {
      name: 'quarantine_reasons_by_day',
      tables: ['quarantine'],
      description:
        'quarantined records per UTC day their source object arrived (a Firehose object: its delivery) and reason',
      // `arrived` is the object's arrival, not the record's own time: a quarantined record's
      // timestamp may be the very thing that did not parse.
      sql:
        'SELECT substr(arrived, 1, 10) AS day, reason, count(*) AS records, count(DISTINCT source) AS objects ' +
        'FROM quarantine GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2',
    },
    {
      name: 'rejected_objects_by_day',
      tables: ['reports'],
      description:
        'source objects refused whole (too large, not UTF-8, a header the schema cannot read...) per UTC day of arrival and reason',
      sql:
        'SELECT substr(arrived, 1, 10) AS day, rejection AS reason, count(*) AS objects FROM reports ' +
        "WHERE status = 'rejected' GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2",
    },
    {
      name: 'cleaning_totals',
      tables: ['reports'],
      description: 'rows in, clean, duplicates and quarantined over every source object',
      sql:
        'SELECT sum(rows_in) AS rows_in, sum(rows_clean) AS rows_clean, sum(duplicates) AS duplicates, ' +
        'sum(quarantined) AS quarantined FROM reports',
    },
  );
  return queries;
}
