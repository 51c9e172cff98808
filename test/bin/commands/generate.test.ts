import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { run, writeSyntheticDataset } from '../../../bin/commands/generate';
import { generateSyntheticCsv } from '../../../lambda/core/synthetic-data';

describe('factory generate', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'generate-'));
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    jest.restoreAllMocks();
  });

  it('writes PATH and PATH.truth.json with the in-process generator bytes', async () => {
    const out = join(dir, 'line.csv');
    expect(await run(['--rows', '2000', '--seed', '9', '--out', out])).toBe(0);
    const expected = generateSyntheticCsv({ rows: 2000, seed: 9 });
    expect(readFileSync(out, 'latin1')).toBe(expected.files[0]);
    expect(JSON.parse(readFileSync(`${out}.truth.json`, 'utf8'))).toEqual(expected.truth);
  });

  it('splits into numbered files after the stem with --files', async () => {
    const out = join(dir, 'sub', 'line.csv');
    expect(await run(['--rows', '900', '--files', '3', '--out', out])).toBe(0);
    const expected = generateSyntheticCsv({ rows: 900, seed: 42, files: 3 });
    ['line-001.csv', 'line-002.csv', 'line-003.csv'].forEach((name, k) => {
      expect(readFileSync(join(dir, 'sub', name), 'latin1')).toBe(expected.files[k]);
    });
    const truth = JSON.parse(readFileSync(`${out}.truth.json`, 'utf8'));
    expect(truth.rows).toBe(900);
    expect(truth.files).toHaveLength(3);
  });

  it('writes the same bytes twice for the same seed', () => {
    const a = writeSyntheticDataset({ rows: 3000, seed: 5, out: join(dir, 'a.csv') });
    const b = writeSyntheticDataset({ rows: 3000, seed: 5, out: join(dir, 'b.csv') });
    expect(readFileSync(b.paths[0])).toEqual(readFileSync(a.paths[0]));
    expect(a.bytes).toBe(readFileSync(a.paths[0]).length);
  });

  it.each([
    [['--out', 'x.csv'], /--rows is required/],
    [['--rows', '10'], /--out is required/],
    [['--rows', 'ten', '--out', 'x.csv'], /--rows must be a whole number/],
    [['--rows', '10', '--files', '0', '--out', 'x.csv'], /--files must be at least 1/],
    [['--rows', '10', '--bogus', '--out', 'x.csv'], /bogus/],
    [['--rows', '-5', '--out', 'x.csv'], /--rows must be a whole number, got "-5"/],
  ])('exits 1 with a one-line usage message for %j', async (argv, message) => {
    expect(await run(argv as string[])).toBe(1);
    expect(console.error).toHaveBeenCalledTimes(1);
    expect(console.error).toHaveBeenCalledWith(expect.stringMatching(message));
  });
});

describe('factory generate (spawned)', () => {
  it('exits 0 without a word on stderr when the reader of stdout goes away (| head)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'generate-epipe-'));
    try {
      const child = spawn(
        resolve('node_modules/.bin/tsx'),
        ['bin/factory.ts', 'generate', '--rows', '2000', '--files', '200', '--out', join(dir, 'line.csv')],
        { cwd: resolve(__dirname, '../../..'), stdio: ['ignore', 'pipe', 'pipe'] },
      );
      // Close the read end before the child prints anything: every write to stdout is EPIPE.
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)));
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(readFileSync(join(dir, 'line-200.csv'), 'latin1').length).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30000);
});
