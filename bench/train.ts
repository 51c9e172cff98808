/**
 * `npm run bench:train -- --rows 1000000 [--seed 42] [--keep]`
 *
 * This project's `factory train` against pandas read + drop_duplicates + dropna +
 * scikit-learn LinearRegression on the same generated file, in one run, each in its own process
 * under /usr/bin/time (wall, user CPU, peak RSS). Ours runs as an esbuild bundle under plain node,
 * as shipped, so TypeScript compilation is not timed. Both fit every complete de-duplicated row (--holdout 0), so
 * the weights must agree: the largest relative difference is printed. Also the curated path (train
 * on preprocess output vs pandas on that train.csv), and the bias of --fill mean: max |z| of the
 * weights against the generator's true weights, z = (w - truth) / SE, for fill none and fill mean.
 *
 * Classification: the same rows with a pass/fail target (quality above 88 → 1, else 0, written
 * once to pass-fail.csv), ours (task auto picks logistic regression, Newton passes over rows
 * spilled to a temp file) against pandas read + drop_duplicates + dropna + scikit-learn
 * LogisticRegression(penalty=None, solver='newton-cholesky') as its users run it (default tol,
 * the solver's own stopping rule), both end to end from the raw CSV with holdout 0.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildSync } from 'esbuild';
import type { ModelArtifact } from '../lambda/core/model-artifact';

const root = resolve(__dirname, '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');
const factory = join(root, 'bin', 'factory.ts');

interface Timed {
  /** Wall seconds, start-up included. */
  seconds: number;
  /** User CPU seconds: the figure to trust on a loaded machine. */
  user: number;
  rssMb: number;
  stdout: string;
}

/** Runs a command under /usr/bin/time; wall and user CPU seconds and peak RSS (MB). */
function timed(cmd: string, args: string[]): Timed {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %M', cmd, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  const [seconds, user, kb] = (r.stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
  return { seconds, user, rssMb: kb / 1024, stdout: r.stdout };
}

/**
 * `factory train` bundled with esbuild for plain node, as the trainer image ships it, so
 * TypeScript compilation is not timed. Written two levels under the repository root, where the
 * CLI looks for package.json and .git for its code version.
 */
function bundleTrainCli(): string {
  const outfile = join(root, 'bench', 'data', 'train-cli.bundle.js');
  buildSync({
    stdin: {
      contents: `import { run } from './bin/commands/train';
        void run(process.argv.slice(2)).then((code) => { process.exitCode = code; });`,
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    target: 'node20',
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

const secs = (t: Timed) => `${t.seconds.toFixed(2)} s (user CPU ${t.user.toFixed(2)} s)`;
const ratio = (peer: Timed, ours: Timed) =>
  `${(peer.seconds / ours.seconds).toFixed(2)}× wall, ${(peer.user / ours.user).toFixed(2)}× user CPU`;

const PEER = `
import sys, json, time
t0 = time.perf_counter()
import pandas as pd
from sklearn.linear_model import LinearRegression
f = json.loads(sys.argv[2]); t = sys.argv[3]; dedupe = sys.argv[4] == '1'
d = pd.read_csv(sys.argv[1], dtype={'timestamp': str, 'line_id': str, 'category': str})
t1 = time.perf_counter()
if dedupe: d = d.drop_duplicates()
d = d.dropna(subset=f + [t])
m = LinearRegression().fit(d[f].to_numpy(), d[t].to_numpy())
t2 = time.perf_counter()
print(json.dumps({"w": list(map(float, m.coef_)), "b": float(m.intercept_), "rows": len(d), "read": t1 - t0, "fit": t2 - t1}))
`;

const LOGISTIC_PEER = `
import sys, json, time
t0 = time.perf_counter()
import pandas as pd
from sklearn.linear_model import LogisticRegression
f = json.loads(sys.argv[2]); t = sys.argv[3]
d = pd.read_csv(sys.argv[1], dtype={'timestamp': str, 'line_id': str, 'category': str})
t1 = time.perf_counter()
d = d.drop_duplicates().dropna(subset=f + [t])
m = LogisticRegression(penalty=None, solver='newton-cholesky').fit(d[f].to_numpy(), d[t].to_numpy())
t2 = time.perf_counter()
print(json.dumps({"w": list(map(float, m.coef_[0])), "b": float(m.intercept_[0]), "rows": len(d), "iterations": int(m.n_iter_[0]), "read": t1 - t0, "fit": t2 - t1}))
`;

/** The generated file with its last column (quality) turned pass/fail: above `cut` → 1. */
async function passFailCopy(from: string, to: string, cut: number): Promise<void> {
  const out = createWriteStream(to);
  let first = true;
  for await (const line of createInterface({ input: createReadStream(from), crlfDelay: Infinity })) {
    let text = line;
    if (!first) {
      const at = line.lastIndexOf(',');
      const q = line.slice(at + 1);
      if (q !== '') text = `${line.slice(0, at + 1)}${Number(q) > cut ? 1 : 0}`;
    }
    first = false;
    if (!out.write(text + '\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

function maxRelDiff(a: readonly number[], b: readonly number[]): number {
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]) / Math.abs(b[i])));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '1000000' },
      seed: { type: 'string', default: '42' },
      keep: { type: 'boolean', default: false },
    },
  });
  const rows = Number(values.rows);
  const dir = join(root, 'bench', 'data', `train-${rows}-${values.seed}`);
  mkdirSync(dir, { recursive: true });
  const csv = join(dir, 'data.csv');
  if (!existsSync(csv)) {
    execFileSync(
      tsx,
      [factory, 'generate', '--rows', String(rows), '--seed', String(values.seed), '--out', csv],
      { stdio: 'inherit' },
    );
  }
  const truth = JSON.parse(readFileSync(`${csv}.truth.json`, 'utf8')) as { weights: Record<string, number> };
  const mb = readFileSync(csv).length / 1e6;
  console.log(`data: ${rows} rows, ${mb.toFixed(0)} MB (${csv})`);

  // 1. raw CSV: our train (dedupe + complete rows + fit) vs pandas read + drop_duplicates + dropna + sklearn.
  const cli = bundleTrainCli();
  const ours = timed(process.execPath, [
    cli,
    csv,
    '--holdout',
    '0',
    '--out',
    join(dir, 'model-none-h0.json'),
    '--json',
  ]);
  const model = JSON.parse(readFileSync(join(dir, 'model-none-h0.json'), 'utf8')) as ModelArtifact;
  const peerRun = timed('/usr/bin/python3', [
    '-c',
    PEER,
    csv,
    JSON.stringify(model.features),
    model.target,
    '1',
  ]);
  const peer = JSON.parse(peerRun.stdout) as {
    w: number[];
    b: number;
    rows: number;
    read: number;
    fit: number;
  };
  console.log('\nraw CSV → model (de-duplicate, complete rows, fit; holdout 0)');
  console.log(
    `  factory train           ${secs(ours)}  ${(mb / ours.seconds).toFixed(0)} MB/s  peak RSS ${ours.rssMb.toFixed(0)} MB  rows ${model.rows}`,
  );
  console.log(
    `  pandas + sklearn        ${secs(peerRun)}  ${(mb / peerRun.seconds).toFixed(0)} MB/s  peak RSS ${peerRun.rssMb.toFixed(0)} MB  rows ${peer.rows} (read ${peer.read.toFixed(2)} s, dedupe+fit ${peer.fit.toFixed(2)} s)`,
  );
  console.log(
    `  speed-up ${ratio(peerRun, ours)}   largest weight difference ${maxRelDiff(model.weights, peer.w).toExponential(2)} (relative), bias ${(Math.abs(model.bias - peer.b) / Math.abs(peer.b)).toExponential(2)}`,
  );

  // 2. curated: preprocess output train.csv → model, against pandas on the same train.csv.
  const pre = join(dir, 'pre');
  if (!existsSync(join(pre, 'train.csv')))
    execFileSync(tsx, [factory, 'preprocess', csv, '--out', pre], { stdio: 'ignore' });
  const oursCurated = timed(process.execPath, [
    cli,
    pre,
    '--holdout',
    '0.2',
    '--out',
    join(dir, 'model-curated.json'),
    '--json',
  ]);
  const peerCurated = timed('/usr/bin/python3', [
    '-c',
    PEER,
    join(pre, 'train.csv'),
    JSON.stringify(model.features),
    model.target,
    '0',
  ]);
  const trainMb = readFileSync(join(pre, 'train.csv')).length / 1e6;
  console.log(
    `\npreprocess output train.csv (${trainMb.toFixed(0)} MB) → model (ours with a 20% holdout and its metrics pass)`,
  );
  console.log(`  factory train           ${secs(oursCurated)}  peak RSS ${oursCurated.rssMb.toFixed(0)} MB`);
  console.log(`  pandas + sklearn        ${secs(peerCurated)}  peak RSS ${peerCurated.rssMb.toFixed(0)} MB`);
  console.log(`  speed-up ${ratio(peerCurated, oursCurated)}`);
  const oursStats = timed(process.execPath, [
    cli,
    pre,
    '--task',
    'regression',
    '--holdout',
    '0',
    '--out',
    join(dir, 'model-stats.json'),
    '--json',
  ]);
  console.log(
    `  factory train from stats.json alone (--task regression --holdout 0, co-moments): ${secs(oursStats)}, peak RSS ${oursStats.rssMb.toFixed(0)} MB`,
  );

  // 3. the fill bias: max |z| against the truth, default (none) vs the article's fill-then-fit (mean).
  console.log('\nweights against the generator truth, z = (w - truth) / SE (holdout 0.2)');
  for (const fill of ['none', 'mean'] as const) {
    const out = join(dir, `model-${fill}.json`);
    const r = timed(process.execPath, [cli, csv, '--fill', fill, '--out', out, '--json']);
    const m = JSON.parse(readFileSync(out, 'utf8')) as ModelArtifact;
    const z = m.features.map((f, j) => (m.weights[j] - truth.weights[f]) / m.standardErrors![j]);
    const worst = z.reduce((k, v, j) => (Math.abs(v) > Math.abs(z[k]) ? j : k), 0);
    console.log(
      `  --fill ${fill.padEnd(4)}  max |z| ${Math.abs(z[worst]).toFixed(2)} (${m.features[worst]})  ${z.filter((v) => Math.abs(v) > 3).length}/${z.length} weights beyond 3 SE  holdout RMSE ${m.metrics.rmse.toFixed(4)}  ${secs(r)}`,
    );
  }

  // 4. classification: a pass/fail target, ours (logistic regression by Newton) vs sklearn newton-cholesky.
  const pf = join(dir, 'pass-fail.csv');
  if (!existsSync(pf)) await passFailCopy(csv, pf, 88);
  const pfMb = readFileSync(pf).length / 1e6;
  const oursPf = timed(process.execPath, [
    cli,
    pf,
    '--holdout',
    '0',
    '--out',
    join(dir, 'model-pf.json'),
    '--json',
  ]);
  const pfModel = JSON.parse(readFileSync(join(dir, 'model-pf.json'), 'utf8')) as ModelArtifact;
  const peerPfRun = timed('/usr/bin/python3', [
    '-c',
    LOGISTIC_PEER,
    pf,
    JSON.stringify(pfModel.features),
    pfModel.target,
  ]);
  const peerPf = JSON.parse(peerPfRun.stdout) as {
    w: number[];
    b: number;
    rows: number;
    iterations: number;
    read: number;
    fit: number;
  };
  const weightDiff = Math.max(
    ...pfModel.weights.map((w, j) => Math.abs(w - peerPf.w[j]) / Math.abs(peerPf.w[j])),
  );
  console.log(
    `\npass/fail target (${pfMb.toFixed(0)} MB, quality > 88) → logistic regression (de-duplicate, complete rows, fit; holdout 0)`,
  );
  console.log(
    `  factory train           ${secs(oursPf)}  peak RSS ${oursPf.rssMb.toFixed(0)} MB  rows ${pfModel.rows}  task ${pfModel.task}, ${pfModel.iterations} Newton passes`,
  );
  console.log(
    `  pandas + sklearn        ${secs(peerPfRun)}  peak RSS ${peerPfRun.rssMb.toFixed(0)} MB  rows ${peerPf.rows} (read ${peerPf.read.toFixed(2)} s, dedupe+fit ${peerPf.fit.toFixed(2)} s, ${peerPf.iterations} iterations)`,
  );
  console.log(
    `  speed-up ${ratio(peerPfRun, oursPf)}   largest weight difference ${weightDiff.toExponential(2)} (relative), bias ${(Math.abs(pfModel.bias - peerPf.b) / Math.abs(peerPf.b)).toExponential(2)}`,
  );
  if (!values.keep) rmSync(join(dir, 'pre'), { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
