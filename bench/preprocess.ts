/**
 * `npm run bench:preprocess -- [--rows 1000000] [--dir bench/data] [--peers ours,pandas,duckdb,cat,lines]`
 *
 * Generates synthetic production data (P2's generator, deterministic, cached under --dir), then
 * runs side by side, each as its own child process: this project's CLI (bundled with esbuild and
 * run by plain node, as it ships, so TypeScript compilation is not timed), the pandas 1.5
 * reference (bench/peers/pandas_clean.py), DuckDB with 2 threads (bench/peers/duckdb-clean.ts),
 * `cat` and a Node line split. Wall time, user and system CPU seconds and peak RSS come from
 * /usr/bin/time (wall time includes each runtime's start-up). User CPU is the figure to trust on
 * a loaded machine: wall time stretches with other processes, CPU seconds much less. Then it
 * checks that ours, pandas and DuckDB agree (clean row counts, group_stats within 1e-9 relative:
 * DuckDB's avg is not compensated) and prints MB/s, rows/s, peak RSS and the ratios ours/peer.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildSync } from 'esbuild';
import { writeSyntheticDataset } from '../bin/commands/generate';

const ROOT = resolve(__dirname, '..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

interface Measured {
  readonly name: string;
  /** Wall seconds. */
  readonly seconds: number;
  /** CPU seconds in user and kernel mode (all threads). */
  readonly user: number;
  readonly sys: number;
  readonly rssMb: number;
  readonly out?: string;
}

/** Bundles a script for plain `node` (what the Lambda and the trainer image run). */
function bundle(dir: string, name: string, contents: string): string {
  const outfile = join(dir, `${name}.bundle.js`);
  buildSync({
    stdin: { contents, resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

function timed(name: string, command: string, args: string[], out?: string): Measured {
  const hasTime = existsSync('/usr/bin/time');
  const argv = hasTime ? ['-f', '%e %U %S %M', command, ...args] : args;
  const started = performance.now();
  const child = spawnSync(hasTime ? '/usr/bin/time' : command, argv, {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const wall = (performance.now() - started) / 1000;
  if (child.status !== 0) throw new Error(`${name} failed (${child.status}):\n${child.stderr}`);
  const last = child.stderr.trim().split('\n').pop() ?? '';
  const [seconds, user, sys, rssKb] = hasTime ? last.split(' ').map(Number) : [wall, NaN, NaN, NaN];
  return { name, seconds, user, sys, rssMb: rssKb / 1024, out };
}

function readCsv(path: string): string[][] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(','));
}

/** group_stats.csv files agree: same categories and counts, means within `rtol`. */
function agree(a: string, b: string, rtol: number): string | null {
  const x = readCsv(a);
  const y = readCsv(b);
  if (x.length !== y.length) return `${x.length - 1} vs ${y.length - 1} categories`;
  for (let i = 1; i < x.length; i++) {
    if (x[i][0] !== y[i][0] || Number(x[i][1]) !== Number(y[i][1]))
      return `row ${i}: ${x[i][0]}/${x[i][1]} vs ${y[i][0]}/${y[i][1]}`;
    for (let j = 2; j < x[i].length; j++) {
      const p = Number(x[i][j]);
      const q = Number(y[i][j]);
      if (Math.abs(p - q) > rtol * Math.max(Math.abs(p), Math.abs(q)))
        return `${x[0][j]} of ${x[i][0]}: ${p} vs ${q}`;
    }
  }
  return null;
}

function lineCount(path: string): number {
  return Number(execFileSync('wc', ['-l', path], { encoding: 'utf8' }).trim().split(' ')[0]);
}

function main(): void {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '1000000' },
      dir: { type: 'string', default: join(ROOT, 'bench/data') },
      peers: { type: 'string', default: 'ours,pandas,duckdb,cat,lines' },
    },
  });
  const rows = Number(values.rows);
  const peers = new Set(values.peers.split(','));
  mkdirSync(values.dir, { recursive: true });
  const input = join(values.dir, `production-${rows}.csv`);
  if (!existsSync(input)) {
    const started = performance.now();
    writeSyntheticDataset({ rows, seed: 42, out: input });
    console.log(`generated ${input} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  const bytes = statSync(input).size;
  const mb = bytes / 1e6;
  console.log(`input: ${rows} rows, ${mb.toFixed(1)} MB (${input})`);
  const outDir = (name: string) => {
    const dir = join(values.dir, `out-${rows}-${name}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    return dir;
  };

  const results: Measured[] = [];
  const run = (name: string, fn: () => Measured) => {
    if (!peers.has(name)) return;
    process.stdout.write(`running ${name} ... `);
    const m = fn();
    console.log(`${m.seconds.toFixed(2)} s, ${m.rssMb.toFixed(0)} MB`);
    results.push(m);
  };
  run('ours', () => {
    const out = outDir('ours');
    const cli = bundle(
      values.dir,
      'preprocess-cli',
      `import { run } from './bin/commands/preprocess';
       void run(process.argv.slice(2)).then((code) => { process.exitCode = code; });`,
    );
    return timed(
      'ours',
      process.execPath,
      [cli, input, '--out', out, '--max-bytes', String(16 * 2 ** 30)],
      out,
    );
  });
  run('pandas', () => {
    const out = outDir('pandas');
    return timed('pandas', '/usr/bin/python3', ['bench/peers/pandas_clean.py', input, out], out);
  });
  run('duckdb', () => {
    const out = outDir('duckdb');
    return timed('duckdb', TSX, ['bench/peers/duckdb-clean.ts', input, out], out);
  });
  run('cat', () => timed('cat', '/bin/sh', ['-c', `cat "${input}" > /dev/null`]));
  run('lines', () =>
    timed('lines', process.execPath, [
      bundle(values.dir, 'line-split', `import './bench/peers/line-split';`),
      input,
    ]),
  );

  const ours = results.find((r) => r.name === 'ours');
  const cpu = (r: Measured) => r.user + r.sys;
  console.log(
    '\npeer       wall s   MB/s     rows/s  user s   sys s  MB/cpu-s  peak RSS MB  ours/peer: wall  cpu  RSS',
  );
  for (const r of results) {
    const ratio = (x: number) => (ours ? x.toFixed(2) : '-').padStart(6);
    console.log(
      [
        r.name.padEnd(8),
        r.seconds.toFixed(2).padStart(8),
        (mb / r.seconds).toFixed(0).padStart(6),
        (rows / r.seconds).toFixed(0).padStart(10),
        r.user.toFixed(2).padStart(7),
        r.sys.toFixed(2).padStart(7),
        (mb / cpu(r)).toFixed(0).padStart(9),
        r.rssMb.toFixed(0).padStart(12),
        ' '.repeat(9),
        ratio(ours ? r.seconds / ours.seconds : NaN),
        ratio(ours ? cpu(r) / cpu(ours) : NaN),
        ratio(ours ? ours.rssMb / r.rssMb : NaN),
      ].join(' '),
    );
  }
  console.log(
    'ours/peer: wall and cpu are how many times faster ours is (> 1: ours faster); RSS is ours as a fraction of the peer.',
  );
  if (ours?.out) {
    const report = JSON.parse(readFileSync(join(ours.out, 'report.json'), 'utf8')) as { elapsedMs: number };
    console.log(`ours in-process (no runtime start-up): ${(mb / (report.elapsedMs / 1000)).toFixed(0)} MB/s`);
    for (const peer of results.filter((r) => r.out && r.name !== 'ours')) {
      const rowsMatch = lineCount(join(ours.out, 'clean.csv')) === lineCount(join(peer.out!, 'clean.csv'));
      const diff = agree(join(ours.out, 'group_stats.csv'), join(peer.out!, 'group_stats.csv'), 1e-9);
      console.log(
        `agreement with ${peer.name}: clean rows ${rowsMatch ? 'equal' : 'DIFFER'}, group stats ${diff ?? 'equal'}`,
      );
      if (!rowsMatch || diff) process.exitCode = 1;
    }
  }
}

main();
