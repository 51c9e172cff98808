/**
 * The CLI as it ships: built by scripts/build-cli.mjs and spawned as a person runs it. It is built
 * into a temp dir under node_modules/.cache, so a concurrent `npm run factory` keeps dist/ and the
 * bundles still find the packages they leave in node_modules. Pins every
 * command's exit codes (0 ok; 1 bad input or usage, one line on stderr; 2 plan infeasible or
 * predict with no usable model), --help, and that `plan` loads nothing but its own bundle.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const COMMANDS = ['generate', 'preprocess', 'schema', 'plan', 'train', 'predict', 'local'];

let work: string;
let dist: string;
let entry: string;

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function factory(args: readonly string[], input = ''): Ran {
  const r = spawnSync(process.execPath, [entry, ...args], { cwd: work, input, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same, without waiting: the failure table runs its cases side by side. */
function factoryAsync(args: readonly string[]): Promise<Ran> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [entry, ...args], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'factory-cli-'));
  mkdirSync(join(ROOT, 'node_modules', '.cache'), { recursive: true });
  dist = mkdtempSync(join(ROOT, 'node_modules', '.cache', 'factory-cli-'));
  execFileSync(process.execPath, ['scripts/build-cli.mjs', '--outdir', dist], { cwd: ROOT, stdio: 'pipe' });
  entry = join(dist, 'factory.js');
  // Inputs for the failure paths, and one real model from the built commands themselves.
  writeFileSync(
    join(work, 'schema.json'),
    '{"timestamp":"ts","ids":["id"],"category":"c","features":["a"],"target":"y"}',
  );
  writeFileSync(
    join(work, 'schema-twice.json'),
    '{"timestamp":"ts","ids":["a"],"category":"c","features":["a"],"target":"y"}',
  );
  writeFileSync(join(work, 'no-target.csv'), 'ts,id,c,a\nt1,i,A,1\n');
  writeFileSync(join(work, 'a-file'), 'not a directory\n');
  mkdirSync(join(work, 'a-dir'));
  mkdirSync(join(work, 'bad-stats'));
  writeFileSync(join(work, 'bad-stats', 'train.csv'), 'ts,id,c,a,y\nt1,i,A,1,2\n');
  writeFileSync(join(work, 'bad-stats', 'stats.json'), '{"rows": 1,');
  writeFileSync(join(work, 'not-json.json'), '{"format":');
  writeFileSync(join(work, 'not-a-model.json'), '{"format":"something else"}');
  for (const args of [
    ['generate', '--rows', '1000', '--out', 'data/line.csv'],
    ['preprocess', 'data/line.csv', '--out', 'pre'],
    ['train', 'pre', '--out', 'model.json'],
  ]) {
    const r = factory(args);
    if (r.code !== 0) throw new Error(`factory ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  }
}, 60000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(dist, { recursive: true, force: true });
});

/** A row the model can score: every feature at its training mean, in a profiled category. */
function goodRow(): Record<string, unknown> {
  const model = JSON.parse(readFileSync(join(work, 'model.json'), 'utf8')) as {
    category: string;
    features: string[];
    scaling: { mean: number[] };
    profiles: Record<string, unknown>;
  };
  const row: Record<string, unknown> = { [model.category]: Object.keys(model.profiles)[0] };
  model.features.forEach((f, j) => (row[f] = model.scaling.mean[j]));
  return row;
}

describe('the build', () => {
  test('package.json bin.factory is the built dispatcher, and npm ci builds it (prepare)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.bin.factory).toBe('dist/factory.js');
    expect(pkg.scripts.prepare).toMatch(/scripts\/build-cli\.mjs/);
  });

  test('writes an executable dispatcher with a node hashbang and one bundle per command', () => {
    expect(readFileSync(entry, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    expect(() => accessSync(entry, constants.X_OK)).not.toThrow();
    for (const name of COMMANDS) expect(existsSync(join(dist, 'commands', `${name}.js`))).toBe(true);
  });

  test('plan loads the dispatcher and its own bundle, no package (so never the AWS SDK)', () => {
    const script = [
      `const M = require('node:module'), seen = [], load = M._load;`,
      `M._load = function (request, ...rest) { seen.push(request); return load.call(this, request, ...rest); };`,
      `process.on('exit', () => console.error(JSON.stringify(seen)));`,
      `process.argv.splice(1, 0, 'factory');`,
      `require(${JSON.stringify(entry)});`,
    ].join('\n');
    const r = spawnSync(process.execPath, ['-e', script, 'plan', '--units', '10', '--deadline', '100'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    const loaded = (JSON.parse(r.stderr.trim().split('\n').pop()!) as string[]).filter((m) => !isBuiltin(m));
    expect(loaded).toEqual([entry, './commands/plan.js']);
  });

  test("a bundled module keeps its source's __dirname: train finds package.json for its codeVersion", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const model = JSON.parse(readFileSync(join(work, 'model.json'), 'utf8'));
    expect(model.lineage.codeVersion.startsWith(pkg.version)).toBe(true);
  });

  test('runs as an executable file, through its hashbang', () => {
    const r = spawnSync(entry, ['plan', '--units', '1000', '--deadline', '100', '--json'], {
      encoding: 'utf8',
    });
    expect([r.status, JSON.parse(r.stdout).p]).toEqual([0, 10]);
  });
});

describe('help', () => {
  test('factory --help lists every command and the exit codes', () => {
    const r = factory(['--help']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    for (const name of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    expect(r.stdout).toContain('Exit codes: 0 ok; 1 bad input or usage');
  });

  test.each(COMMANDS)('factory %s --help (and factory help %s) prints its usage and exits 0', (name) => {
    const r = factory([name, '--help']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(new RegExp(`^usage: factory ${name} `));
    expect(r.stdout).toMatch(/Exit codes:/);
    expect(factory(['help', name]).stdout).toBe(r.stdout);
  });

  test.each(['preprocess', 'train', 'schema'])(
    'factory %s --help documents the schema file with an example',
    (name) => {
      const { stdout } = factory([name, '--help']);
      expect(stdout).toContain('Schema file (--schema FILE): one JSON object');
      expect(stdout).toMatch(
        /"features": \["Air temperature \[K\]", "Torque \[Nm\]", "Rotational speed \[rpm\]"\]/,
      );
    },
  );
});

/** [args, exit code, the one line on stderr]. */
const FAILURES: [string, string[], number, RegExp][] = [
  ['no command', [], 1, /^factory: no command given; one of generate, preprocess, schema, plan/],
  ['an unknown command', ['fly'], 1, /^factory: unknown command "fly"/],
  ...COMMANDS.map((name): [string, string[], number, RegExp] => [
    `${name}: an unknown flag`,
    [name, '--bogus'],
    1,
    new RegExp(`^factory ${name}: Unknown option '--bogus' \\(factory ${name} --help\\)$`),
  ]),
  ['generate: no --out', ['generate', '--rows', '10'], 1, /^factory generate: --out is required/],
  [
    'generate: a negative --rows',
    ['generate', '--rows', '-5', '--out', 'x.csv'],
    1,
    /--rows must be a whole number, got "-5"/,
  ],
  [
    'generate: --out under a file',
    ['generate', '--rows', '10', '--out', 'a-file/x.csv'],
    1,
    /^factory generate: a-file: .*\(EEXIST\)$/,
  ],
  [
    'preprocess: no input',
    ['preprocess', '--out', 'o'],
    1,
    /^factory preprocess: need one input file and --out DIR/,
  ],
  [
    'preprocess: a missing input',
    ['preprocess', 'nope.csv', '--out', 'o'],
    1,
    /^factory preprocess: nope\.csv: no such file or directory \(ENOENT\)$/,
  ],
  [
    'preprocess: a directory as input',
    ['preprocess', 'a-dir', '--out', 'o'],
    1,
    /^factory preprocess: a-dir: not a file$/,
  ],
  [
    'preprocess: a missing schema file',
    ['preprocess', 'no-target.csv', '--out', 'o', '--schema', 'nope.json'],
    1,
    /^factory preprocess: --schema nope\.json: cannot read it \(ENOENT\)/,
  ],
  [
    'preprocess: a schema naming a column twice',
    ['preprocess', 'no-target.csv', '--out', 'o', '--schema', 'schema-twice.json'],
    1,
    /--schema schema-twice\.json: dataset schema: column "a" is named twice/,
  ],
  [
    'preprocess: a file-level error',
    ['preprocess', 'no-target.csv', '--out', 'o', '--schema', 'schema.json'],
    1,
    /^factory preprocess: no-target\.csv: missing_column: header lacks schema column\(s\): y$/,
  ],
  [
    'preprocess: --max-bytes 0',
    ['preprocess', 'no-target.csv', '--out', 'o', '--max-bytes', '0'],
    1,
    /--max-bytes must be a positive whole number, got "0"/,
  ],
  [
    'preprocess: --out under a file',
    ['preprocess', 'data/line.csv', '--out', 'a-file/o'],
    1,
    /^factory preprocess: a-file\/o: .*\((EEXIST|ENOTDIR)\)$/,
  ],
  ['plan: infeasible', ['plan', '--units', '1000', '--deadline', '100', '--max-p', '5'], 2, /^$/],
  [
    'plan: a negative --units',
    ['plan', '--units', '-5', '--deadline', '100'],
    1,
    /^factory plan: --units must be a whole number ≥ 1, got "-5"/,
  ],
  ['plan: no --deadline', ['plan', '--units', '5'], 1, /^factory plan: --deadline is required/],
  ['train: no --out', ['train', 'pre'], 1, /^factory train: need at least one input and --out FILE/],
  [
    'train: a missing input',
    ['train', 'nope.csv', '--out', 'm.json'],
    1,
    /^factory train: nope\.csv: no such file or directory$/,
  ],
  [
    'train: --holdout 1',
    ['train', 'pre', '--out', 'm.json', '--holdout', '1'],
    1,
    /--holdout must be a number in \[0, 1\), got "1"/,
  ],
  [
    'train: a schema that is not JSON',
    ['train', 'pre', '--out', 'm.json', '--schema', 'not-json.json'],
    1,
    /^factory train: --schema not-json\.json: dataset schema is not valid JSON/,
  ],
  [
    'train: a statistics partial that is not JSON',
    ['train', 'bad-stats', '--out', 'm.json'],
    1,
    /^factory train: bad-stats\/stats\.json: not valid JSON/,
  ],
  ['predict: no --model', ['predict'], 1, /^factory predict: --model is required/],
  [
    'predict: a missing --input',
    ['predict', '--model', 'model.json', '--input', 'nope.jsonl'],
    1,
    /^factory predict: cannot read nope\.jsonl: ENOENT$/,
  ],
  [
    'predict: a directory as --input',
    ['predict', '--model', 'model.json', '--input', 'a-dir'],
    1,
    /^factory predict: cannot read a-dir: EISDIR$/,
  ],
  [
    'predict: no model file',
    ['predict', '--model', 'nope.json'],
    2,
    /^factory predict: cannot read the model nope\.json: ENOENT$/,
  ],
  [
    'predict: a model that is not JSON',
    ['predict', '--model', 'not-json.json'],
    2,
    /^factory predict: the model not-json\.json is not valid JSON$/,
  ],
  [
    'predict: a model that is not an artifact',
    ['predict', '--model', 'not-a-model.json'],
    2,
    /^factory predict: the model not-a-model\.json is invalid: /,
  ],
  [
    'local: a bad --rows',
    ['local', '--rows', 'x'],
    1,
    /^factory local: --rows must be a whole number ≥ 1, got "x"/,
  ],
  [
    'local: a positional argument',
    ['local', 'now'],
    1,
    /^factory local: unexpected argument "now" \(your own files go after --input\)/,
  ],
];

describe('exit codes', () => {
  const ran = new Map<string, Ran>();
  beforeAll(async () => {
    for (let i = 0; i < FAILURES.length; i += 8) {
      const batch = FAILURES.slice(i, i + 8);
      const results = await Promise.all(batch.map(([, args]) => factoryAsync(args)));
      batch.forEach(([what], k) => ran.set(what, results[k]));
    }
  }, 60000);

  test.each(FAILURES.map(([what, args, code, line]) => [what, code, args, line] as const))(
    '%s: exit %i, one line on stderr',
    (what, code, _args, line) => {
      const r = ran.get(what)!;
      expect(r.code).toBe(code);
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      expect(lines.length).toBe(line.source === '^$' ? 0 : 1);
      if (lines.length) expect(lines[0]).toMatch(line);
    },
  );

  test('predict exits 0 when every row scores and 1, with one line, when a row is invalid', () => {
    const row = JSON.stringify(goodRow());
    const ok = factory(['predict', '--model', 'model.json'], `${row}\n${row}\n`);
    expect([ok.code, ok.stderr, ok.stdout.trim().split('\n').length]).toEqual([0, '', 2]);
    const bad = factory(['predict', '--model', 'model.json'], `${row}\n{"category":1}\n`);
    expect([bad.code, bad.stderr]).toEqual([1, 'factory predict: 1 of 2 rows were invalid\n']);
    expect(JSON.parse(bad.stdout.trim().split('\n')[1])).toMatchObject({ row: 1, error: expect.any(String) });
  });

  test('plan exits 0 quietly when the reader of its stdout goes away (| head)', async () => {
    const child = spawn(process.execPath, [entry, 'plan', '--units', '1000', '--deadline', '100'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)));
    expect([code, stderr]).toEqual([0, '']);
  });
});
