import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { run } from '../../../bin/commands/predict';
import { compileModel, predictRow } from '../../../lambda/core/scoring';
import { artifactFixture } from '../../lambda/model-fixture';

const artifact = artifactFixture({ version: 'v1' });
const model = compileModel(artifact);
const good = { category: 'A', temperature: 72, pressure: 5.5, vibration: 0.3 };
const expected = (row: typeof good) =>
  JSON.parse(
    JSON.stringify(
      predictRow(model, Float64Array.from([row.temperature, row.pressure, row.vibration]), 0, row.category, {
        anomalyZ: 3,
      }),
    ),
  );

async function runCli(argv: string[], stdinText = '') {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c));
  const code = await run(argv, { stdin: Readable.from([stdinText]), stdout });
  const lines = Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
  return { code, lines };
}

describe('factory predict', () => {
  let dir: string;
  let modelPath: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'predict-'));
    modelPath = join(dir, 'model.json');
    writeFileSync(modelPath, JSON.stringify(artifact));
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    jest.restoreAllMocks();
  });

  test('prints the API per-row shape for every row and exits 0 when all are valid', async () => {
    const input = join(dir, 'rows.jsonl');
    const other = { ...good, temperature: 90 };
    writeFileSync(input, `${JSON.stringify(good)}\r\n\n${JSON.stringify(other)}\n`);
    const { code, lines } = await runCli(['--model', modelPath, '--input', input]);
    expect(code).toBe(0);
    expect(lines).toEqual([expected(good), expected(other)]);
    expect(lines[1].anomalies).toEqual(['temperature']);
  });

  test('an invalid row prints its error on its line, the others are still predicted, and the exit code is 1', async () => {
    const stdin = [
      JSON.stringify(good),
      '{"category":"A","temperature":"hot","pressure":5}',
      'not json',
      JSON.stringify({ ...good, category: 'Z' }),
      '{"category":"A","temperature":1e999,"pressure":5,"vibration":0.1,"speed":3}',
    ].join('\n');
    const { code, lines } = await runCli(['--model', modelPath], stdin);
    expect(code).toBe(1);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toEqual(expected(good));
    expect(lines[1]).toEqual({
      row: 1,
      error:
        'row 1: "temperature" must be a JSON number, got the string "hot"; row 1: missing feature "vibration" (missing values are rejected unless the service fills them with training means)',
    });
    expect(lines[2]).toEqual({ row: 2, error: expect.stringMatching(/^invalid JSON: /) });
    expect(lines[3]).toMatchObject({ categoryKnown: false, zScores: null, modelVersion: 'v1' });
    expect(lines[4].row).toBe(4);
    expect(lines[4].error).toMatch(/^row 4: "temperature" must be a finite number, got Infinity/);
    expect(console.error).toHaveBeenCalledWith('factory predict: 3 of 5 rows were invalid');
  });

  test('real rows are scored with their extra keys ignored, named once on stderr', async () => {
    const real = (i: number) => ({
      UDI: i,
      ...good,
      'Product ID': `M${i}`,
      quality: 70,
      'Machine failure': 0,
    });
    const stdin = Array.from({ length: 3 }, (_, i) => JSON.stringify(real(i))).join('\n');
    const { code, lines } = await runCli(['--model', modelPath], stdin);
    expect(code).toBe(0);
    expect(lines).toEqual([expected(good), expected(good), expected(good)]);
    expect(console.error).toHaveBeenCalledTimes(1);
    expect(console.error).toHaveBeenCalledWith(
      'factory predict: ignored 4 fields that are not model inputs: "UDI", "Product ID", "quality", "Machine failure"',
    );
  });

  test('--extra-fields reject refuses a real row with one short error naming each extra key once', async () => {
    const real = { UDI: 1, ...good, 'Product ID': 'M1', TWF: 0, HDF: 0, PWF: 0, OSF: 0, RNF: 0 };
    const { code, lines } = await runCli(
      ['--model', modelPath, '--extra-fields', 'reject'],
      JSON.stringify(real),
    );
    expect(code).toBe(1);
    expect(lines[0]).toEqual({
      row: 0,
      error:
        'row 0: 7 fields not in the model: "UDI", "Product ID", "TWF", "HDF", "PWF" and 2 more (this service rejects fields that are not model inputs; GET /model lists them)',
    });
  });

  test('a row whose w·x overflows gets an error naming the feature; --unknown-category reject refuses unseen categories', async () => {
    const stdin = [
      JSON.stringify({ ...good, vibration: 1.7e308 }),
      JSON.stringify({ ...good, category: 'Z' }),
    ].join('\n');
    const { code, lines } = await runCli(['--model', modelPath, '--unknown-category', 'reject'], stdin);
    expect(code).toBe(1);
    expect(lines[0]).toEqual({
      row: 0,
      error: 'row 0: no finite prediction: "vibration" = 1.7e+308 times its weight 2 overflows a double',
    });
    expect(lines[1].error).toMatch(/^row 1: "category" the string "Z" has no training profile/);
  });

  test('row indexes stay right across batches', async () => {
    const rows = Array.from({ length: 2100 }, (_, i) =>
      i === 2050 ? '{"category":"A"}' : JSON.stringify(good),
    );
    const { code, lines } = await runCli(['--model', modelPath], rows.join('\n'));
    expect(code).toBe(1);
    expect(lines).toHaveLength(2100);
    expect(lines[2050].row).toBe(2050);
    expect(lines[2050].error).toMatch(/^row 2050: missing feature "temperature"/);
    expect(lines.filter((l) => 'error' in l)).toHaveLength(1);
  });

  test('--fill-missing mean fills and reports the filled features', async () => {
    const { code, lines } = await runCli(
      ['--model', modelPath, '--fill-missing', 'mean'],
      '{"category":"A","temperature":72}',
    );
    expect(code).toBe(0);
    expect(lines[0]).toMatchObject({ filled: ['pressure', 'vibration'], fillSource: 'category-mean' });
  });

  test.each([
    [[], /--model is required/],
    [['--model', 'MODEL', '--fill-missing', 'zero'], /--fill-missing must be "mean" or "reject"/],
    [['--model', 'MODEL', '--anomaly-z', 'zero'], /--anomaly-z must be a number > 0/],
    [['--model', 'MODEL', '--anomaly-z', ''], /--anomaly-z must be a number > 0/],
    [['--model', 'MODEL', '--extra-fields', 'drop'], /--extra-fields must be "ignore" or "reject"/],
    [['--model', 'MODEL', '--unknown-category', 'x'], /--unknown-category must be "flag" or "reject"/],
    [['--model', 'MODEL', '--input', 'missing.jsonl'], /cannot read missing.jsonl: ENOENT/],
    [['--model', 'MODEL', '--bogus'], /Unknown option '--bogus' \(factory predict --help\)$/],
  ])('exits 1 with one line for bad usage or input %j', async (argv, message) => {
    const args = (argv as string[]).map((a) => (a === 'MODEL' ? modelPath : a));
    expect((await runCli(args)).code).toBe(1);
    expect(console.error).toHaveBeenCalledTimes(1);
    expect(console.error).toHaveBeenCalledWith(expect.stringMatching(message));
  });

  test('a model file that does not exist is the "no model" outcome: exit 2', async () => {
    expect((await runCli(['--model', 'nope.json'])).code).toBe(2);
    expect(console.error).toHaveBeenCalledWith('factory predict: cannot read the model nope.json: ENOENT');
  });

  test('a model file that is not JSON exits 2', async () => {
    writeFileSync(modelPath, '{"format":');
    expect((await runCli(['--model', modelPath])).code).toBe(2);
    expect(console.error).toHaveBeenCalledWith(`factory predict: the model ${modelPath} is not valid JSON`);
  });

  test('an --input that cannot be read after it opens (a directory) exits 1 naming it', async () => {
    expect((await runCli(['--model', modelPath, '--input', dir])).code).toBe(1);
    expect(console.error).toHaveBeenCalledWith(`factory predict: cannot read ${dir}: EISDIR`);
  });

  test('an invalid model file exits 2 naming the defects', async () => {
    writeFileSync(modelPath, JSON.stringify({ ...artifact, weights: [1] }));
    expect((await runCli(['--model', modelPath])).code).toBe(2);
    expect(console.error).toHaveBeenCalledWith(
      expect.stringMatching(/is invalid: weights:? has 1 entries, expected 3/),
    );
  });

  test('npm run -s factory -- predict works end to end from stdin', () => {
    const result = spawnSync('npm', ['run', '-s', 'factory', '--', 'predict', '--model', modelPath], {
      cwd: join(__dirname, '../../..'),
      input: `${JSON.stringify(good)}\n{"category":"A"}\n`,
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toEqual(expected(good));
    expect(lines[1].row).toBe(1);
  });
});
