/**
 * Benchmark peer: the cleaning contract in DuckDB SQL (2 threads), run as its own process so its
 * peak RSS is measured alone.
 *
 *   tsx bench/peers/duckdb-clean.ts IN.csv OUT_DIR
 *
 * Same semantics: numeric columns DOUBLE (empty = NULL), text VARCHAR; duplicates by all values
 * with NULLs equal, first kept (ROW_NUMBER over the input order); NULLs filled with the column
 * mean over the de-duplicated rows; group means after the fill, sorted by category.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { DEFAULT_DATASET_SCHEMA, numericColumns, schemaColumns } from '../../lambda/core/dataset-schema';

async function main(input: string, out: string): Promise<void> {
  const started = performance.now();
  const numeric = numericColumns(DEFAULT_DATASET_SCHEMA);
  const all = schemaColumns(DEFAULT_DATASET_SCHEMA);
  const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const lit = (text: string) => `'${text.replace(/'/g, "''")}'`;
  const types = all.map((c) => `${lit(c)}: ${numeric.includes(c) ? "'DOUBLE'" : "'VARCHAR'"}`).join(', ');
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const db = await instance.connect();
  await db.run(
    `CREATE TABLE raw AS SELECT *, row_number() OVER () AS rn FROM read_csv(${lit(input)}, header = true, columns = {${types}})`,
  );
  await db.run(
    `CREATE TABLE dedup AS SELECT * EXCLUDE (k) FROM (SELECT *, row_number() OVER (PARTITION BY ${all.map(q).join(', ')} ORDER BY rn) AS k FROM raw) WHERE k = 1`,
  );
  const means = numeric.map((c) => `avg(${q(c)}) AS ${q(c)}`).join(', ');
  await db.run(`CREATE TABLE means AS SELECT ${means} FROM dedup`);
  const filled = all
    .map((c) => (numeric.includes(c) ? `coalesce(d.${q(c)}, m.${q(c)}) AS ${q(c)}` : `d.${q(c)}`))
    .join(', ');
  await db.run(`CREATE TABLE clean AS SELECT ${filled}, d.rn FROM dedup d, means m`);
  await db.run(`COPY (SELECT * EXCLUDE (rn) FROM clean ORDER BY rn) TO ${lit(`${out}/clean.csv`)} (HEADER)`);
  const groupCols = numeric.map((c) => `avg(${q(c)}) AS ${q(c)}`).join(', ');
  await db.run(
    `COPY (SELECT category, count(*) AS count, ${groupCols} FROM clean WHERE category IS NOT NULL GROUP BY category ORDER BY category) TO ${lit(`${out}/group_stats.csv`)} (HEADER)`,
  );
  const rows = await db.runAndReadAll('SELECT (SELECT count(*) FROM raw), (SELECT count(*) FROM clean)');
  const [rowsIn, rowsClean] = rows.getRows()[0].map(Number);
  console.log(JSON.stringify({ rowsIn, rowsClean, seconds: (performance.now() - started) / 1000 }));
}

main(process.argv[2], process.argv[3]).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
