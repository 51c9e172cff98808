/**
 * `npm run bench [-- --rows N]`: every benchmark in one run, each printing its figures and its
 * ratios against the peers (DESIGN.md "Peers"): preprocess vs pandas, DuckDB, cat and a Node
 * line split; training vs pandas + scikit-learn; the predict handler against its goals.
 * Each benchmark runs in its own process so one's memory does not colour the next one's RSS.
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

let failed = 0;
for (const [name, args] of benches) {
  console.log(`\n=== bench:${name} ${args.join(' ')}`.trimEnd());
  const tsx = path.join(__dirname, '..', 'node_modules', '.bin', 'tsx');
  const result = spawnSync(tsx, [path.join(__dirname, `${name}.ts`), ...args], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    console.error(`bench:${name} exited with ${result.status ?? result.signal}`);
  }
}
process.exitCode = failed ? 1 : 0;
