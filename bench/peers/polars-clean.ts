/**
 * Benchmark peer: the cleaning contract in Polars (nodejs-polars 0.25.2), written as its users
 * write it, run by plain node from an esbuild bundle (bench/preprocess.ts builds it):
 *
 *   POLARS_MAX_THREADS=N node polars-clean.js IN.csv OUT_DIR
 *
 * Polars sizes its thread pool from POLARS_MAX_THREADS once, when the library loads (default: every
 * core), so the thread count is the environment's, not an argument.
 *
 * Same semantics as bench/peers/pandas_clean.py: read_csv with Polars' own inference (the text
 * columns come out str, the numeric ones f64, an empty cell null); unique with maintain_order
 * (a duplicate equals an earlier row in every value, nulls equal, the first kept in input order);
 * every numeric column's nulls filled with its mean over the de-duplicated rows; per-category
 * count and means after the fill, sorted by category, a null category dropped as pandas' groupby
 * drops it. Writes clean.csv and group_stats.csv.
 */
import pl from 'nodejs-polars';

function main(input: string, out: string): void {
  const started = performance.now();
  const raw = pl.readCSV(input);
  const unique = raw.unique({ maintainOrder: true });
  // numeric_only, as pandas' mean(numeric_only=True): the columns Polars read as numbers.
  const numeric = unique.columns.filter((name) => unique.getColumn(name).isNumeric());
  const clean = unique.withColumns(...numeric.map((name) => pl.col(name).fillNull(pl.col(name).mean())));
  clean.writeCSV(`${out}/clean.csv`);
  clean
    .filter(pl.col('category').isNotNull())
    .groupBy('category')
    .agg(pl.len().alias('count'), ...numeric.map((name) => pl.col(name).mean()))
    .sort('category')
    .writeCSV(`${out}/group_stats.csv`);
  console.log(
    JSON.stringify({
      rowsIn: raw.height,
      rowsClean: clean.height,
      threads: process.env.POLARS_MAX_THREADS ?? 'all',
      seconds: (performance.now() - started) / 1000,
    }),
  );
}

main(process.argv[2], process.argv[3]);
