import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { preprocessFile, run } from '../../../bin/commands/preprocess';

let work: string;
let errors: string[];
let logs: string[];
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'preprocess-cli-'));
  errors = [];
  logs = [];
  jest.spyOn(console, 'error').mockImplementation((m: string) => void errors.push(m));
  jest.spyOn(console, 'log').mockImplementation((m: string) => void logs.push(m));
});
afterEach(() => {
  jest.restoreAllMocks();
  rmSync(work, { recursive: true, force: true });
});

const SCHEMA = join(__dirname, '../../fixtures/csv/schema.json');

describe('factory preprocess', () => {
  test('writes the six outputs and prints a one-line summary', async () => {
    const input = join(work, 'in.csv');
    writeFileSync(input, 'ts,id,category,a,b,y\nt1,i,A,1,2,3\nt1,i,A,1,2,3\nt2,i,B,,2,3\nt3,i,B,x,2,3\n');
    const out = join(work, 'out');
    expect(await run([input, '--out', out, '--schema', SCHEMA])).toBe(0);
    for (const name of [
      'clean.csv',
      'train.csv',
      'group_stats.csv',
      'stats.json',
      'report.json',
      'quarantine.csv',
    ]) {
      expect(existsSync(join(out, name))).toBe(true);
    }
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect([report.rowsIn, report.rowsClean, report.duplicates, report.quarantined]).toEqual([4, 2, 1, 1]);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^preprocess: 4 rows in → 2 clean/);
  });

  test("writes Athena's copy only with --athena-copy", async () => {
    const input = join(work, 'in.csv');
    writeFileSync(input, 'ts,id,category,a,b,y\nt1,i,A,1,2,3\nt2,i,B,,2,3\n');
    const plain = join(work, 'plain');
    expect(await run([input, '--out', plain, '--schema', SCHEMA])).toBe(0);
    expect(existsSync(join(plain, 'athena'))).toBe(false);
    const copied = join(work, 'copied');
    expect(await run([input, '--out', copied, '--schema', SCHEMA, '--athena-copy'])).toBe(0);
    for (const table of ['clean', 'train', 'quarantine', 'group_stats', 'reports'])
      expect(existsSync(join(copied, 'athena', `${table}.jsonl`))).toBe(true);
    expect(readFileSync(join(copied, 'clean.csv'))).toEqual(readFileSync(join(plain, 'clean.csv')));
  });

  test('exits 1 with one line and writes no clean.csv on a file-level error', async () => {
    const input = join(work, 'in.csv');
    writeFileSync(input, 'ts,id,category,a,b\nt1,i,A,1,2\n');
    const out = join(work, 'out');
    expect(await run([input, '--out', out, '--schema', SCHEMA])).toBe(1);
    expect(errors).toEqual([
      expect.stringMatching(/^factory preprocess: .*in\.csv: missing_column: .*\by\b/),
    ]);
    expect(existsSync(join(out, 'clean.csv'))).toBe(false);
  });

  test('rejects a file over --max-bytes before reading it', async () => {
    const input = join(work, 'in.csv');
    writeFileSync(input, 'ts,id,category,a,b,y\nt1,i,A,1,2,3\n');
    expect(await run([input, '--out', join(work, 'out'), '--schema', SCHEMA, '--max-bytes', '8'])).toBe(1);
    expect(errors[0]).toMatch(/too_large/);
  });

  test('reads FILE.jsonl.gz as JSON Lines: keys by name, "007" kept, a bad record quarantined at its line', async () => {
    const input = join(work, 'batch.jsonl.gz');
    const records = [
      '{"y":3,"b":2,"a":1,"category":"A","id":"007","ts":"2026-12-01T08:00:00Z"}',
      '{"ts":"2026-12-01T08:00:01Z","id":"007","category":"A","a":"1.5","b":null,"y":4}',
      '',
      '{"ts":"2026-12-01T08:00:02Z","id":"008","category":"B","a":true,"b":2,"y":3}',
    ];
    writeFileSync(input, gzipSync(records.join('\n') + '\n'));
    const out = join(work, 'out');
    expect(await run([input, '--out', out, '--schema', SCHEMA])).toBe(0);
    expect(readFileSync(join(out, 'clean.csv'), 'utf8')).toBe(
      'ts,id,category,a,b,y\n2026-12-01T08:00:00Z,007,A,1,2,3\n2026-12-01T08:00:01Z,007,A,1.5,2,4\n',
    );
    expect(readFileSync(join(out, 'quarantine.csv'), 'utf8')).toBe(
      `line,last_line,reason,raw\n4,4,wrong_type,"${records[3].replace(/"/g, '""')}"\n`,
    );
    expect(logs[0]).toMatch(/^preprocess: 3 rows in → 2 clean \(1 complete\), 0 duplicates, 1 quarantined/);
  });

  test('reads a tab-separated gzip file with --delimiter tab, writing comma-separated outputs', async () => {
    const input = join(work, 'in.tsv.gz');
    writeFileSync(
      input,
      gzipSync('ts\tid\tcategory\ta\tb\ty\tload [%]\nt1\ti\tA\t1\t2\t3\t1E-06\nt2\ti\tA\t1\t2\t3\t\n'),
    );
    const out = join(work, 'out');
    expect(await run([input, '--out', out, '--schema', SCHEMA, '--delimiter', 'tab'])).toBe(0);
    expect(readFileSync(join(out, 'clean.csv'), 'utf8')).toBe(
      'ts,id,category,a,b,y,load [%]\nt1,i,A,1,2,3,1E-06\nt2,i,A,1,2,3,0.000001\n',
    );
  });

  test.each([
    [['--delimiter', 'colon'], /--delimiter must be comma, tab, semicolon or pipe, got "colon"/],
    [['--max-columns', '0'], /--max-columns must be a positive whole number, got "0"/],
    [['--max-categories', 'x'], /--max-categories must be a positive whole number, got "x"/],
  ])('refuses %j with one line', async (flags, message) => {
    const input = join(work, 'in.csv');
    writeFileSync(input, 'ts,id,category,a,b,y\n');
    expect(await run([input, '--out', join(work, 'o'), ...flags])).toBe(1);
    expect(errors.join('\n')).toMatch(message);
  });

  test('refuses more categories than --max-categories, naming the limit, and writes no clean.csv', async () => {
    const input = join(work, 'in.csv');
    writeFileSync(input, 'ts,id,category,a,b,y\nt,i,A,1,2,3\nt,i,B,1,2,3\nt,i,C,1,2,3\n');
    const out = join(work, 'out');
    expect(await run([input, '--out', out, '--schema', SCHEMA, '--max-categories', '2'])).toBe(1);
    expect(errors.join('\n')).toMatch(
      /too_many_categories: category column "category" has more than 2 distinct values/,
    );
    expect(existsSync(join(out, 'clean.csv'))).toBe(false);
  });

  test('names a bad schema file as the problem, not the CSV, when called as a function', async () => {
    const input = join(work, 'in.csv');
    writeFileSync(input, 'ts,id,category,a,b,y\n');
    const schemaPath = join(work, 'bad-schema.json');
    writeFileSync(schemaPath, '{"category":"c","features":[],"target":"y"}');
    await expect(preprocessFile(input, join(work, 'o'), { schemaPath })).rejects.toThrow(
      `--schema ${schemaPath}: dataset schema: "features" must not be empty`,
    );
  });
});
