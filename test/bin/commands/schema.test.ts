import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { run, SCHEMA_USAGE } from '../../../bin/commands/schema';
import { readSchemaFile } from '../../../bin/commands/schema-file';
import { configFromContext } from '../../../lib/config';
import { DEFAULT_DATASET_SCHEMA, type DatasetSchema } from '../../../lambda/core/dataset-schema';
import { SyntheticDataset } from '../../../lambda/core/synthetic-data';

const MILLING = join(__dirname, '../../fixtures/real-shaped/milling.csv');

let work: string;
let stdout: string;
let stderr: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'schema-cli-'));
  stdout = '';
  stderr = '';
  jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
    stdout += String(c);
    return true;
  });
  jest.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => {
    stderr += String(c);
    return true;
  });
  jest.spyOn(console, 'error').mockImplementation((m: string) => void (stderr += `${m}\n`));
  jest.spyOn(console, 'log').mockImplementation((m: string) => void (stdout += `${m}\n`));
});
afterEach(() => {
  jest.restoreAllMocks();
  rmSync(work, { recursive: true, force: true });
});

/** What `factory schema` prints for milling.csv (the fixture's schema file, also used by the e2e run). */
const MILLING_SCHEMA = JSON.parse(
  readFileSync(join(__dirname, '..', '..', 'fixtures', 'real-shaped', 'milling.schema.json'), 'utf8'),
) as DatasetSchema;

describe('factory schema', () => {
  test('prints the schema of a real-shaped CSV: names as the header spells them, no timestamp, a counter as an id', async () => {
    expect(await run([MILLING, '--target', 'Tool wear [min]'])).toBe(0);
    expect(JSON.parse(stdout)).toEqual(MILLING_SCHEMA);
    expect(stderr.split('\n')).toEqual([
      'factory schema: target "Tool wear [min]": as asked',
      'factory schema: category "Type": 3 distinct values, the fewest of the text columns (choose another with --category)',
      'factory schema: id "UDI": consecutive whole numbers, a row counter rather than a measurement',
      'factory schema: id "Product ID": text (800 distinct values), kept as text',
      'factory schema: id "Operator": text (4 distinct values), kept as text',
      'factory schema: timestamp: none (no text column of dates)',
      'factory schema: features: 8 numeric columns',
      '',
    ]);
  });

  test('its output is a valid --schema file and a valid cdk.json factory.dataset', async () => {
    await run([MILLING, '--target', 'Tool wear [min]']);
    const path = join(work, 'schema.json');
    writeFileSync(path, stdout);
    expect(await readSchemaFile(path)).toEqual(MILLING_SCHEMA);
    expect(configFromContext({ factory: { dataset: JSON.parse(stdout) } }).dataset).toEqual(MILLING_SCHEMA);
  });

  test("on the generator's own data it finds the built-in schema, timestamp and line id included", async () => {
    const path = join(work, 'line.csv');
    writeFileSync(
      path,
      Buffer.concat([...new SyntheticDataset({ rows: 2000, files: 1, seed: 3 }).fileChunks(0)]),
    );
    expect(await run([path, '--target', 'quality'])).toBe(0);
    expect(JSON.parse(stdout)).toEqual(DEFAULT_DATASET_SCHEMA);
  });

  test('--category picks the group column, and the other text column becomes an id', async () => {
    expect(await run([MILLING, '--target', 'Tool wear [min]', '--category', 'Operator'])).toBe(0);
    const schema = JSON.parse(stdout);
    expect(schema.category).toBe('Operator');
    expect(schema.ids).toEqual(['UDI', 'Product ID', 'Type']);
  });

  test('without --target the last numeric column is the target, and stderr says so', async () => {
    expect(await run([MILLING])).toBe(0);
    expect(JSON.parse(stdout).target).toBe('HDF');
    expect(stderr).toContain('target "HDF": the last numeric column (choose another with --target)');
  });

  test('a column of dates is the timestamp; a gzip file is read too', async () => {
    const csv =
      'measured_at,line,temp [°C],rate\n' +
      Array.from(
        { length: 20 },
        (_, i) => `2024-05-01T10:${String(i).padStart(2, '0')}:00Z,L${i % 2},${20 + i * 0.5},${i * 2}`,
      ).join('\n');
    const path = join(work, 'line.csv.gz');
    writeFileSync(path, gzipSync(csv));
    expect(await run([path, '--target', 'rate'])).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      timestamp: 'measured_at',
      ids: [],
      category: 'line',
      features: ['temp [°C]'],
      target: 'rate',
    });
  });

  test('a feature with one value in the sample is kept and said so', async () => {
    const path = join(work, 'constant.csv');
    writeFileSync(path, 'kind,x,flag,y\nA,1,0,2\nB,2,0,3\nA,4,0,4\n');
    expect(await run([path, '--target', 'y'])).toBe(0);
    expect(JSON.parse(stdout).features).toEqual(['x', 'flag']);
    expect(stderr).toContain(
      'feature "flag": one value in the sample (0), so it cannot explain the target there',
    );
  });

  test('missing cells and NA words do not make a numeric column text', async () => {
    const path = join(work, 'na.csv');
    writeFileSync(path, 'kind,x,y\nA,1,2\nB,NA,3\nA,,4\nB,1E-06,n/a\n');
    expect(await run([path, '--target', 'y'])).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ ids: [], category: 'kind', features: ['x'], target: 'y' });
  });

  test.each([
    [['--target', 'Tool wear'], /--target "Tool wear" is not a column of the header \(13 columns: "UDI", /],
    [['--target', 'Type'], /--target "Type" is not numeric: 800 of 800 sampled cells are not numbers/],
    [['--target', 'TWF', '--category', 'TWF'], /--category and --target both name "TWF"/],
    [
      ['--delimiter', 'space'],
      /--delimiter must be comma, tab, semicolon or pipe, got "space" \(factory schema --help\)/,
    ],
  ])('exits 1 with one line naming the problem for %j', async (flags, message) => {
    expect(await run([MILLING, ...flags])).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  test('a tab-separated file is reported as such, not as "no numeric column", and read with --delimiter tab', async () => {
    const path = join(work, 'tabs.csv');
    writeFileSync(path, 'kind\tx [mm]\ty\nA\t1.5\t2\nB\t2\t3\nA\t3.5\t4\n');
    expect(await run([path])).toBe(1);
    expect(stderr).toBe(
      `factory schema: ${path}: the header is one column holding 2 tabs: the file looks tab-separated; read it with --delimiter tab\n`,
    );
    expect(await run([path, '--delimiter', 'tab', '--target', 'y'])).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ ids: [], category: 'kind', features: ['x [mm]'], target: 'y' });
  });

  test('an empty file, a header without rows and a missing file are one line each', async () => {
    const empty = join(work, 'empty.csv');
    writeFileSync(empty, '');
    expect(await run([empty])).toBe(1);
    expect(stderr).toBe(`factory schema: ${empty}: the file is empty: no header row\n`);
    stderr = '';
    const header = join(work, 'header.csv');
    writeFileSync(header, 'a,b\n');
    expect(await run([header])).toBe(1);
    expect(stderr).toBe(`factory schema: ${header}: the file has a header but no data rows to sample\n`);
    stderr = '';
    expect(await run([join(work, 'nope.csv')])).toBe(1);
    expect(stderr).toMatch(/nope\.csv: no such file or directory \(ENOENT\)/);
  });

  test('usage errors point at --help, and --help documents the schema format', async () => {
    expect(await run([])).toBe(1);
    expect(stderr).toBe('factory schema: give one CSV file, got none (factory schema --help)\n');
    stdout = '';
    expect(await run(['--help'])).toBe(0);
    expect(stdout).toBe(`${SCHEMA_USAGE}\n`);
    expect(SCHEMA_USAGE).toContain('"features": [');
    expect(readFileSync(join(__dirname, '../../../README.md'), 'utf8')).toContain('factory -- schema');
  });
});
