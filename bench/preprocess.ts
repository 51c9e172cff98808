/**
 * `npm run bench:preprocess -- [--rows 1000000] [--runs 3] [--dir bench/data] [--peers NAME,...]`
 *
 * The cleaning contract (drop duplicates, fill gaps with the means, per-category means: the pandas
 * code in bench/peers/pandas_clean.py) on one generated file, by this project and every peer it
 * measures itself against, each as its own plain process, as its own users run it, each writing
 * clean.csv (de-duplicated, mean-filled rows) and group_stats.csv (per-category count and means):
 *
 *   ours        the CLI as it ships: `node factory.js preprocess`, built by scripts/build-cli.mjs (as
 *               `npm run build:cli` builds dist/) into bench/data/cli first, untimed; it also writes
 *               train.csv, stats.json, report.json and quarantine.csv, work the peers do not do
 *   pandas      pandas 1.5, pd.read_csv with its defaults (bench/peers/pandas_clean.py)
 *   pandas-rt   the same with float_precision='round_trip' (correctly rounded parsing)
 *   polars-Nt   nodejs-polars 0.25.2 under POLARS_MAX_THREADS=N, N = 1 and every core
 *               (bench/peers/polars-clean.ts, bundled, plain node)
 *   duckdb-Nt   DuckDB (@duckdb/node-api) with N threads, N = 1 and every core
 *               (bench/peers/duckdb-clean.ts, bundled, plain node)
 *   cat, lines  reading the bytes: `cat > /dev/null` and a Node line split (bench/peers/line-split.ts)
 *   ours-jsonl  the same rows as a JSON Lines object (each row the record a line PC sends,
 *               csvRowAsRecord of bin/local/steps/firehose-ingest.ts), `factory preprocess X.jsonl`
 *   pandas-jsonl  pd.read_json(lines=True, dtype=False, convert_dates=False), the reading the JSON
 *               Lines contract names, with its defaults, then the same pandas cleaning
 *               (bench/peers/pandas_clean.py --json-lines)
 *
 * `--peers` takes names or their groups (polars, duckdb). Every peer runs --runs times, the rounds
 * interleaved (each round runs every peer once, starting one further along), so a machine that
 * slows down mid-run slows every peer alike; the table shows min and median. User and system CPU
 * seconds and peak RSS are /usr/bin/time's, wall seconds this process's clock around it, all for the
 * whole process, start-up included; MB/s is the input's size over the median wall time;
 * "ours/peer" divides ours's median by the peer's (below 1: ours takes less). CPU seconds move less
 * than wall seconds on a loaded machine, so the load average is printed before and after. The
 * JSON Lines peers (group jsonl) get their own line of ratios, ours-jsonl over pandas-jsonl and over
 * ours on the CSV, medians of the same interleaved rounds. Then every writer's outputs are checked against ours (or the first
 * writer): clean.csv row for row (text equal, numbers within 1e-9 relative) and group_stats.csv
 * (categories and counts equal, means within 1e-9 relative); any difference exits 1.
 * Nothing here asserts a time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildSync } from 'esbuild';
import { closeSync, openSync, writeSync } from 'node:fs';
import { writeSyntheticDataset } from '../bin/commands/generate';
import { csvRowAsRecord } from '../bin/local/steps/firehose-ingest';
import { DEFAULT_DATASET_SCHEMA, numericColumns } from '../lambda/core/dataset-schema';
import { RECORD_SEPARATOR } from '../lambda/core/ingest-layout';

const ROOT = resolve(__dirname, '..');
const RTOL = 1e-9;

interface Peer {
  readonly name: string;
  readonly group: string;
  /** Writes clean.csv and group_stats.csv into its output directory. */
  readonly writes: boolean;
  readonly command: (out: string) => { file: string; args: string[]; env?: Record<string, string> };
}

interface Run {
  /** Wall seconds, start-up included. */
  readonly wall: number;
  /** User + system CPU seconds, every thread. */
  readonly cpu: number;
  readonly rssMb: number;
  /** The peer's own figure for its work, without runtime start-up (writers only). */
  readonly inProcess: number;
}

/**
 * Bundles a peer for plain node; packages stay in node_modules (DuckDB and Polars are native), so
 * the bundle lives inside the checkout whatever --dir says, where node finds them.
 */
function bundle(entry: string): string {
  const outfile = join(ROOT, 'bench/data/peers', `${entry.replace(/^.*\//, '').replace(/\.ts$/, '')}.js`);
  buildSync({
    absWorkingDir: ROOT,
    entryPoints: [join(ROOT, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    logLevel: 'warning',
  });
  return outfile;
}

function timed(peer: Peer, out: string): Run {
  const { file, args, env } = peer.command(out);
  const started = performance.now();
  const child = spawnSync('/usr/bin/time', ['-f', '%U %S %M', file, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Our clock, not time's %e: that has 10 ms steps, a fifth of what `cat` takes.
  const wall = (performance.now() - started) / 1000;
  if (child.status !== 0) throw new Error(`${peer.name} failed (${child.status}):\n${child.stderr}`);
  const [user, sys, rssKb] = (child.stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
  let inProcess = NaN;
  if (peer.name === 'ours' || peer.name === 'ours-jsonl') {
    inProcess =
      (JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { elapsedMs: number }).elapsedMs / 1000;
  } else if (peer.writes) {
    inProcess =
      (JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as { seconds?: number }).seconds ?? NaN;
  }
  return { wall, cpu: user + sys, rssMb: rssKb / 1024, inProcess };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const min = (xs: number[]) => Math.min(...xs);

/** Lines of a file without building one array of a million strings. */
function* lines(path: string): Generator<string> {
  const text = readFileSync(path, 'utf8');
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    yield text.slice(start, end > start && text[end - 1] === '\r' ? end - 1 : end);
    start = end + 1;
  }
}

interface Agreement {
  readonly rows: number;
  readonly otherRows: number;
  /** Largest relative difference of any number, or null when a text cell or the shape differs. */
  readonly maxRel: number;
  readonly problem: string | null;
}

/**
 * Compares two CSV files row by row: same header, same row count, text cells equal, number cells
 * within RTOL relative. `numeric` names the number columns. CSVs here hold no quoted commas.
 */
function compareCsv(a: string, b: string, numeric: ReadonlySet<string>): Agreement {
  const x = lines(a);
  const y = lines(b);
  const header = x.next().value as string;
  const otherHeader = y.next().value as string;
  if (header !== otherHeader) return { rows: 0, otherRows: 0, maxRel: NaN, problem: 'headers differ' };
  const names = header.split(',');
  const isNumber = names.map((n) => numeric.has(n));
  let rows = 0;
  let otherRows = 0;
  let maxRel = 0;
  let problem: string | null = null;
  for (;;) {
    const p = x.next();
    const q = y.next();
    if (p.done && q.done) break;
    if (!p.done) rows++;
    if (!q.done) otherRows++;
    if (p.done || q.done || problem) continue;
    const u = p.value.split(',');
    const v = q.value.split(',');
    if (u.length !== v.length) {
      problem = `row ${rows}: ${u.length} vs ${v.length} fields`;
      continue;
    }
    for (let j = 0; j < u.length; j++) {
      if (!isNumber[j] || u[j] === '' || v[j] === '') {
        if (u[j] !== v[j]) problem ??= `row ${rows}, ${names[j]}: "${u[j]}" vs "${v[j]}"`;
        continue;
      }
      const s = Number(u[j]);
      const t = Number(v[j]);
      const rel = s === t ? 0 : Math.abs(s - t) / Math.max(Math.abs(s), Math.abs(t));
      if (!(rel <= RTOL)) problem ??= `row ${rows}, ${names[j]}: ${u[j]} vs ${v[j]}`;
      if (rel > maxRel) maxRel = rel;
    }
  }
  if (rows !== otherRows) problem = `${rows} vs ${otherRows} rows`;
  return { rows, otherRows, maxRel, problem };
}

/** The CSV's rows as the JSON Lines records a line PC sends (firehose-ingest.ts), one a line. */
function writeJsonLines(csv: string, out: string): void {
  const numeric = new Set(numericColumns(DEFAULT_DATASET_SCHEMA));
  const fd = openSync(out, 'w');
  try {
    let header: string[] | null = null;
    let piece: string[] = [];
    for (const line of lines(csv)) {
      if (header === null) header = line.split(',');
      else if (line !== '') piece.push(csvRowAsRecord(header, numeric, line) + RECORD_SEPARATOR);
      if (piece.length === 10_000) {
        writeSync(fd, piece.join(''));
        piece = [];
      }
    }
    writeSync(fd, piece.join(''));
  } finally {
    closeSync(fd);
  }
}

function main(): void {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '1000000' },
      runs: { type: 'string', default: '3' },
      dir: { type: 'string', default: join(ROOT, 'bench/data') },
      peers: { type: 'string', default: 'ours,pandas,pandas-rt,polars,duckdb,cat,lines,jsonl' },
    },
  });
  const rows = Number(values.rows);
  const runs = Number(values.runs);
  if (!Number.isSafeInteger(rows) || rows < 1)
    throw new Error(`--rows must be a whole number, got ${values.rows}`);
  if (!Number.isSafeInteger(runs) || runs < 1)
    throw new Error(`--runs must be a whole number, got ${values.runs}`);
  const dir = resolve(values.dir);
  const wanted = new Set(values.peers.split(','));
  mkdirSync(dir, { recursive: true });
  const input = join(dir, `production-${rows}.csv`);
  if (!existsSync(input)) {
    const started = performance.now();
    writeSyntheticDataset({ rows, seed: 42, out: input });
    console.log(`generated ${input} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  const mb = statSync(input).size / 1e6;
  const jsonl = join(dir, `production-${rows}.jsonl`);
  if (!existsSync(jsonl) && /(^|,)(jsonl|ours-jsonl|pandas-jsonl)(,|$)/.test(values.peers)) {
    const started = performance.now();
    writeJsonLines(input, jsonl);
    console.log(`wrote ${jsonl} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  const jsonlMb = existsSync(jsonl) ? statSync(jsonl).size / 1e6 : NaN;
  const cores = availableParallelism();
  const threadCounts = cores > 1 ? [1, cores] : [1];

  // Untimed: ours exactly as it ships (what `npm run build:cli` and `npm ci` build), the peers' bundles.
  // Into a directory of its own: dist/ is rebuilt by whoever runs `npm start` or `npm run build`
  // in this checkout, and a rebuild between two runs would change what is measured.
  const cli = join(ROOT, 'bench/data/cli');
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts/build-cli.mjs'), '--outdir', cli], {
    stdio: 'inherit',
  });
  if (build.status !== 0) throw new Error('scripts/build-cli.mjs failed');
  const polars = bundle('bench/peers/polars-clean.ts');
  const duckdb = bundle('bench/peers/duckdb-clean.ts');
  const lineSplit = bundle('bench/peers/line-split.ts');
  const node = process.execPath;
  const python = '/usr/bin/python3';
  const pandasScript = join(ROOT, 'bench/peers/pandas_clean.py');

  /** Ours on `file`, as the CLI ships. */
  const oursOn = (file: string) => (out: string) => ({
    file: node,
    args: [join(cli, 'factory.js'), 'preprocess', file, '--out', out, '--max-bytes', String(2 ** 40)],
  });
  const all: Peer[] = [
    {
      name: 'ours',
      group: 'ours',
      writes: true,
      command: oursOn(input),
    },
    {
      name: 'pandas',
      group: 'pandas',
      writes: true,
      command: (out) => ({ file: python, args: [pandasScript, input, out] }),
    },
    {
      name: 'pandas-rt',
      group: 'pandas-rt',
      writes: true,
      command: (out) => ({ file: python, args: [pandasScript, input, out, '--round-trip'] }),
    },
    ...threadCounts.map((n): Peer => ({
      name: `polars-${n}t`,
      group: 'polars',
      writes: true,
      command: (out) => ({ file: node, args: [polars, input, out], env: { POLARS_MAX_THREADS: String(n) } }),
    })),
    ...threadCounts.map((n): Peer => ({
      name: `duckdb-${n}t`,
      group: 'duckdb',
      writes: true,
      command: (out) => ({ file: node, args: [duckdb, input, out, String(n)] }),
    })),
    {
      name: 'cat',
      group: 'cat',
      writes: false,
      command: () => ({ file: '/bin/sh', args: ['-c', 'exec cat "$0" > /dev/null', input] }),
    },
    {
      name: 'lines',
      group: 'lines',
      writes: false,
      command: () => ({ file: node, args: [lineSplit, input] }),
    },
    {
      name: 'ours-jsonl',
      group: 'jsonl',
      writes: true,
      command: oursOn(jsonl),
    },
    {
      name: 'pandas-jsonl',
      group: 'jsonl',
      writes: true,
      command: (out) => ({ file: python, args: [pandasScript, jsonl, out, '--json-lines'] }),
    },
  ];
  const unknown = [...wanted].filter((w) => !all.some((p) => p.name === w || p.group === w));
  if (unknown.length) throw new Error(`--peers: no peer named ${unknown.join(', ')}`);
  const peers = all.filter((p) => wanted.has(p.name) || wanted.has(p.group));
  const outDir = (peer: Peer) => join(dir, `out-${rows}-${peer.name}`);

  const load = () =>
    loadavg()
      .map((x) => x.toFixed(2))
      .join(' ');
  console.log(
    `input: ${rows} rows, ${mb.toFixed(1)} MB (${input}); ${cores} cores; ${runs} runs of each peer`,
  );
  if (peers.some((p) => p.group === 'jsonl'))
    console.log(`JSON Lines input: the same rows, ${jsonlMb.toFixed(1)} MB (${jsonl})`);
  console.log(`load average before: ${load()}`);
  readFileSync(input); // the page cache holds the input for every peer alike
  if (peers.some((p) => p.group === 'jsonl')) readFileSync(jsonl);

  const measured = new Map<string, Run[]>(peers.map((p) => [p.name, []]));
  for (let round = 0; round < runs; round++) {
    const order = [...peers.slice(round % peers.length), ...peers.slice(0, round % peers.length)];
    const line: string[] = [];
    for (const peer of order) {
      const out = outDir(peer);
      rmSync(out, { recursive: true, force: true });
      mkdirSync(out, { recursive: true });
      const run = timed(peer, out);
      measured.get(peer.name)!.push(run);
      line.push(`${peer.name} ${run.wall.toFixed(2)} s`);
    }
    console.log(`round ${round + 1}/${runs}: ${line.join(', ')}`);
  }
  console.log(`load average after:  ${load()}`);

  const ours = measured.get('ours');
  const fmt = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '-');
  const header = [
    'peer'.padEnd(12),
    'wall s min'.padStart(10),
    'median'.padStart(7),
    'cpu s min'.padStart(10),
    'median'.padStart(7),
    'peak RSS MB'.padStart(12),
    'MB/s'.padStart(6),
    'in-proc s'.padStart(10),
    'ours/peer wall'.padStart(15),
    'cpu'.padStart(6),
  ];
  console.log(`\n${header.join(' ')}`);
  for (const peer of peers) {
    const r = measured.get(peer.name)!;
    const wall = median(r.map((x) => x.wall));
    const cpu = median(r.map((x) => x.cpu));
    console.log(
      [
        peer.name.padEnd(12),
        fmt(min(r.map((x) => x.wall))).padStart(10),
        fmt(wall).padStart(7),
        fmt(min(r.map((x) => x.cpu))).padStart(10),
        fmt(cpu).padStart(7),
        fmt(median(r.map((x) => x.rssMb)), 0).padStart(12),
        fmt((peer.group === 'jsonl' ? jsonlMb : mb) / wall, 0).padStart(6),
        fmt(median(r.map((x) => x.inProcess))).padStart(10),
        fmt(ours ? median(ours.map((x) => x.wall)) / wall : NaN).padStart(15),
        // time's CPU seconds come in 10 ms steps: a ratio to a peer that used less than 0.1 s says nothing.
        fmt(ours && cpu >= 0.1 ? median(ours.map((x) => x.cpu)) / cpu : NaN).padStart(6),
      ].join(' '),
    );
  }
  console.log(
    "cpu = user + system, every thread; peak RSS and in-proc (the peer's own timing of its work, no runtime start-up) are medians;",
  );
  console.log("ours/peer = ours's median over the peer's (below 1: ours takes less).");
  const jsonOurs = measured.get('ours-jsonl');
  const jsonPandas = measured.get('pandas-jsonl');
  if (jsonOurs && jsonPandas) {
    const m = (r: Run[], k: 'wall' | 'cpu' | 'rssMb') => median(r.map((x) => x[k]));
    const ratio = (a: Run[], b: Run[]) =>
      `wall ${fmt(m(a, 'wall') / m(b, 'wall'))}, cpu ${fmt(m(a, 'cpu') / m(b, 'cpu'))}, peak RSS ${fmt(m(a, 'rssMb') / m(b, 'rssMb'))}`;
    console.log(
      `JSON Lines: ours-jsonl/pandas-jsonl ${ratio(jsonOurs, jsonPandas)} (below 1: ours takes less)`,
    );
    if (ours) console.log(`JSON Lines: ours-jsonl/ours (the same rows as CSV) ${ratio(jsonOurs, ours)}`);
  }
  const [oneMinute] = loadavg();
  if (oneMinute > 1.5)
    console.log(
      `note: load average ${oneMinute.toFixed(2)} on ${cores} cores: other work shared the machine.`,
    );

  const writers = peers.filter((p) => p.writes);
  const reference = writers.find((p) => p.name === 'ours') ?? writers[0];
  if (!reference || writers.length < 2) return;
  const numeric = new Set(numericColumns(DEFAULT_DATASET_SCHEMA));
  const groupNumeric = new Set([...numeric, 'count']);
  console.log(`\nagreement with ${reference.name} (numbers within ${RTOL} relative):`);
  for (const peer of writers.filter((p) => p !== reference)) {
    const clean = compareCsv(join(outDir(reference), 'clean.csv'), join(outDir(peer), 'clean.csv'), numeric);
    const groups = compareCsv(
      join(outDir(reference), 'group_stats.csv'),
      join(outDir(peer), 'group_stats.csv'),
      groupNumeric,
    );
    const ok = !clean.problem && !groups.problem;
    if (!ok) process.exitCode = 1;
    console.log(
      [
        `  ${peer.name.padEnd(12)} ${ok ? 'agrees' : 'DIFFERS'}:`,
        `clean.csv ${clean.otherRows} rows (${clean.rows === clean.otherRows ? 'equal' : `${reference.name} ${clean.rows}`}),`,
        `cells max rel diff ${clean.maxRel.toExponential(1)}${clean.problem ? ` (${clean.problem})` : ''};`,
        `group_stats ${groups.otherRows} categories, means max rel diff ${groups.maxRel.toExponential(1)}${groups.problem ? ` (${groups.problem})` : ''}`,
      ].join(' '),
    );
  }
}

main();
