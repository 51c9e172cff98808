/**
 * `npm run bench [-- --rows N]`: every benchmark in one run, each printing its figures and its
 * ratios against the peers: preprocess vs pandas (default and round-trip
 * reader), Polars and DuckDB (1 thread and every core), cat and a Node line split, and the same
 * rows as JSON Lines vs pandas' read_json(lines=True, dtype=False, convert_dates=False); training vs
 * pandas + scikit-learn; the predict handler against its goals. Each benchmark runs in its own
 * process, bundled and run by plain node through bench/launch.mjs (no tsx start-up), so one's
 * memory does not colour the next one's RSS.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' } } });
const benches: [string, string[]][] = [
  ['preprocess', ['--rows', values.rows as string]],
  ['train', ['--rows', values.rows as string]],
  ['predict', []],
];

const launch = path.join(__dirname, 'launch.mjs');
let failed = 0;
for (const [name, args] of benches) {
  console.log(`\n=== bench:${name} ${args.join(' ')}`.trimEnd());
  const result = spawnSync(process.execPath, [launch, name, ...args], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    console.error(`bench:${name} exited with ${result.status ?? result.signal}`);
  }
}
process.exitCode = failed ? 1 : 0;
