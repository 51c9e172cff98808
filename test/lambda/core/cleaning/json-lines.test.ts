/**
 * JSON Lines cleaning (lambda/core/cleaning/json-lines.ts): equal to Debian's pandas
 * (read_json(lines=True, dtype=False, convert_dates=False) then the schema's typing, then the
 * CSV contract) on fixtures with reordered, extra and missing keys, "007" ids, numbers as
 * strings, nulls, duplicates, bad records among good ones and gzip; the same rows as CSV give the
 * same outputs byte for byte; bad records are quarantined with their line and reason; the
 * hostile-file limits hold.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { preprocessFile } from '../../../../bin/commands/preprocess';
import { DEFAULT_DATASET_SCHEMA, schemaColumns } from '../../../../lambda/core/dataset-schema';
import { PreprocessError, preprocessBytes, preprocessCsv } from '../../../../lambda/core/preprocess';
import fc from 'fast-check';
import { isIsoTimestamp, JsonLinesInput } from '../../../../lambda/core/cleaning/json-lines';
import { TranscodedReplay } from '../../../../lambda/core/cleaning/transcoded-replay';
import { generateSyntheticCsv } from '../../../../lambda/core/synthetic-data';
import { compareJsonLinesWithPandas } from '../../../support/pandas';
import { mulberry32 } from '../../helpers/linear-data';

const schema = DEFAULT_DATASET_SCHEMA;
const enc = (s: string) => Buffer.from(s, 'utf8');
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const NUMERIC = new Set([...schema.features, schema.target]);

/** The synthetic CSV's rows as objects: text as strings, numbers as numbers. */
function syntheticRecords(rows: number, seed: number): Record<string, unknown>[] {
  const [header, ...lines] = generateSyntheticCsv({ rows, seed }).files[0].trimEnd().split('\n');
  const names = header.split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    // An empty cell (the generator leaves some) is a key the record does not have.
    return Object.fromEntries(
      names
        .map((n, k) => [n, NUMERIC.has(n) ? Number(cells[k]) : cells[k]] as const)
        .filter((_, k) => cells[k] !== ''),
    );
  });
}

/**
 * The records as a Firehose object would hold them, roughened: keys shuffled, some numbers as
 * strings, some optional keys missing or null, extra keys, "007"-style ids, exact and
 * reordered duplicates, blank separator lines, bad records among the good ones.
 */
function roughJsonLines(records: Record<string, unknown>[], seed: number): { text: string; bad: number } {
  const rand = mulberry32(seed);
  const out: string[] = [];
  let bad = 0;
  const badLines = [
    '[1,2,3]',
    'not json',
    '{"timestamp":"2024-02-30T00:00:00Z","line_id":"L01","category":"gear","temperature":1}',
    '{"timestamp":"2024-01-01T00:00:00Z","category":"gear","temperature":1}',
    '{"timestamp":"2024-01-01T00:00:00Z","line_id":"L01","category":"gear","temperature":"hot"}',
    '{"timestamp":"2024-01-01T00:00:00Z","line_id":"L01","category":["gear"],"temperature":1}',
    '{"timestamp":"2024-01-01T00:00:00Z","line_id":"L01","category":"gear","pressure":true}',
    '"just a string"',
    '{"timestamp":"2024-01-01T00:00:00Z","line_id":"L01","category":"gear","speed":"inf"}',
  ];
  for (const [i, original] of records.entries()) {
    const r: Record<string, unknown> = { ...original };
    if (i % 7 === 0) r.line_id = `00${i % 10}`;
    for (const k of Object.keys(r)) {
      const u = rand();
      if (NUMERIC.has(k) && u < 0.05) r[k] = String(r[k]);
      else if (NUMERIC.has(k) && u < 0.07) delete r[k];
      else if (NUMERIC.has(k) && u < 0.08) r[k] = null;
    }
    if (rand() < 0.1) r.device = { firmware: '1.2', serial: i };
    if (rand() < 0.05) r.note = 'extra key';
    const keys = Object.keys(r).sort(() => rand() - 0.5);
    const line = JSON.stringify(Object.fromEntries(keys.map((k) => [k, r[k]])));
    out.push(line);
    if (rand() < 0.03) out.push(line);
    if (rand() < 0.02)
      out.push(JSON.stringify(Object.fromEntries([...keys].reverse().map((k) => [k, r[k]]))));
    // Blank to pandas (Python's str.strip): spaces, a tab, a lone CR, Unicode spaces.
    if (rand() < 0.02) out.push(['   ', '\t', '\r', '\u00a0\u3000'][i % 4]);
    if (i % 211 === 3) out.push(`\u00a0${line}\u2003`);
    if (i % 97 === 5) {
      out.push(badLines[bad % badLines.length]);
      bad++;
    }
  }
  return { text: out.join('\n') + '\n', bad };
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'jsonl-'));
}

describe('JSON Lines cleaning equals pandas', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it.each([
    ['plain', false],
    ['gzip', true],
  ])('on a roughened Firehose-like object (%s): outputs, counts and reasons', async (_name, gzip) => {
    const dir = tempDir();
    dirs.push(dir);
    const { text: jsonl, bad } = roughJsonLines(syntheticRecords(3000, 7), 11);
    const input = join(dir, gzip ? 'in.jsonl.gz' : 'in.jsonl');
    writeFileSync(input, gzip ? gzipSync(jsonl) : jsonl);
    const { report } = await preprocessFile(input, join(dir, 'out'));
    const ref = compareJsonLinesWithPandas(input, join(dir, 'out'), schema);
    expect(ref.problems).toEqual([]);
    const nonZero = Object.fromEntries(Object.entries(report.quarantineByReason).filter(([, n]) => n > 0));
    expect(nonZero).toEqual(ref.quarantined);
    expect(report.quarantined).toBe(bad);
    expect(report.duplicates).toBeGreaterThan(50);
    expect(report.filledCells).toBeGreaterThan(100);
    // Counts reconcile: every non-blank line is a row, kept, duplicate or quarantined.
    expect(report.rowsIn).toBe(report.rowsClean + report.duplicates + report.quarantined);
    const lines = jsonl.split('\n');
    expect(report.linesIn).toBe(lines.length - 1);
    expect(report.rowsIn).toBe(lines.filter((l) => l.trim() !== '').length);
    expect(report.bytesIn).toBe(Buffer.byteLength(jsonl));
  });

  it('a hand-made object: ids stay "007", numbers as strings, nulls filled, each bad record on its line', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const lines = [
      '{"timestamp":"2026-03-01T08:00:00Z","line_id":"007","category":"A","temperature":1.5,"pressure":2,"vibration":"0.25","speed":10,"humidity":40,"torque":5,"current":1,"voltage":220,"feed_rate":0.1,"tool_wear":3,"quality":90}',
      '{"quality":91,"tool_wear":4,"feed_rate":0.2,"voltage":221,"current":1.1,"torque":5.5,"humidity":41,"speed":11,"vibration":0.3,"pressure":2.1,"temperature":1.6,"category":"B","line_id":"007","timestamp":"2026-03-01T08:00:01Z","device":"x","meta":{"fw":"1.2"}}\r',
      '   ',
      '{"timestamp":"2026-03-01T08:00:02Z","line_id":"008","category":"A","temperature":null,"pressure":2.2,"speed":12,"humidity":42,"torque":6,"current":1.2,"voltage":222,"feed_rate":0.3,"tool_wear":5,"quality":92}',
      // The first record again, keys reordered and a number as a string: a duplicate.
      '{"line_id":"007","timestamp":"2026-03-01T08:00:00Z","category":"A","temperature":"1.50","pressure":2,"vibration":0.25,"speed":10,"humidity":40,"torque":5,"current":1,"voltage":220,"feed_rate":0.1,"tool_wear":3,"quality":90}',
      '[1,2,3]',
      'not json at all',
      '{"timestamp":"2026-13-01T08:00:00Z","line_id":"009","category":"A","temperature":1}',
      '{"timestamp":"2026-03-01T08:00:00Z","category":"A","temperature":1}',
      '{"timestamp":"2026-03-01T08:00:00Z","line_id":"010","category":"A","temperature":"hot"}',
      '{"timestamp":"2026-03-01T08:00:00Z","line_id":"011","category":{"x":1},"temperature":1}',
      '{"timestamp":"2026-03-01","line_id":12,"category":"C","temperature":"  3.5","quality":"NA"}',
    ];
    const input = join(dir, 'hand.ndjson');
    writeFileSync(input, lines.join('\n'));
    const { report } = await preprocessFile(input, join(dir, 'out'));
    expect(compareJsonLinesWithPandas(input, join(dir, 'out'), schema).problems).toEqual([]);
    const clean = readFileSync(join(dir, 'out', 'clean.csv'), 'utf8')
      .trimEnd()
      .split('\n');
    expect(clean[0]).toBe(schemaColumns(schema).join(','));
    expect(clean.slice(1).map((l) => l.split(',').slice(0, 4).join(','))).toEqual([
      '2026-03-01T08:00:00Z,007,A,1.5',
      '2026-03-01T08:00:01Z,007,B,1.6',
      // temperature null: the mean of the three kept rows' 1.5, 1.6 and 3.5
      `2026-03-01T08:00:02Z,008,A,${(1.5 + 1.6 + 3.5) / 3}`,
      '2026-03-01,12,C,3.5',
    ]);
    expect(readFileSync(join(dir, 'out', 'quarantine.csv'), 'utf8')).toBe(
      'line,last_line,reason,raw\n' +
        '6,6,not_object,"[1,2,3]"\n' +
        '7,7,not_json,"not json at all"\n' +
        `8,8,bad_timestamp,"${lines[7].replace(/"/g, '""')}"\n` +
        `9,9,missing_key,"${lines[8].replace(/"/g, '""')}"\n` +
        `10,10,non_numeric,"${lines[9].replace(/"/g, '""')}"\n` +
        `11,11,wrong_type,"${lines[10].replace(/"/g, '""')}"\n`,
    );
    expect(report).toMatchObject({
      rowsIn: 11,
      linesIn: 12,
      rowsClean: 4,
      duplicates: 1,
      quarantined: 6,
      quarantinedLines: 6,
      extraColumns: [],
    });
  });

  it('a comparer that can fail: a changed id in our clean.csv is reported', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const input = join(dir, 'in.jsonl');
    writeFileSync(input, roughJsonLines(syntheticRecords(50, 3), 5).text);
    await preprocessFile(input, join(dir, 'out'));
    const cleanPath = join(dir, 'out', 'clean.csv');
    writeFileSync(cleanPath, readFileSync(cleanPath, 'utf8').replace(',000,', ',0,'));
    expect(compareJsonLinesWithPandas(input, join(dir, 'out'), schema).problems).not.toEqual([]);
  });
});

describe('JSON Lines records are the CSV rows they hold', () => {
  const records = syntheticRecords(400, 9);
  // The same rows as a CSV file writes them (numbers as JavaScript prints them, missing empty).
  const columns = schemaColumns(schema);
  const csv =
    [columns, ...records.map((r) => columns.map((c) => (r[c] === undefined ? '' : String(r[c]))))]
      .map((cells) => cells.join(','))
      .join('\n') + '\n';
  const jsonl = records.map((r) => JSON.stringify(r)).join('\n') + '\n';

  it('gives the CSV outputs byte for byte (one cleaning run: same second pass, statistics, groups)', async () => {
    const a = await preprocessBytes(enc(csv), schema);
    const b = await preprocessBytes(enc(jsonl), schema, { format: 'jsonl' });
    expect(text(b.clean)).toBe(text(a.clean));
    expect(text(b.train)).toBe(text(a.train));
    expect(b.groupStatsCsv).toBe(a.groupStatsCsv);
    expect({ ...b.stats, bytesIn: 0 }).toEqual({ ...a.stats, bytesIn: 0 });
    expect(b.report.linesIn).toBe(400);
    expect(a.report.linesIn).toBe(401);
  });

  it('skips a UTF-8 BOM before the first record, as for CSV', async () => {
    const plain = await preprocessBytes(enc(jsonl), schema, { format: 'jsonl' });
    const bom = await preprocessBytes(enc('\ufeff' + jsonl), schema, { format: 'jsonl' });
    expect(text(bom.clean)).toBe(text(plain.clean));
    expect(bom.report.quarantined).toBe(0);
  });

  it('reads the same whatever the chunking (lines split across chunks)', async () => {
    const whole = await preprocessBytes(enc(jsonl), schema, { format: 'jsonl' });
    for (const chunkSize of [1, 7, 4096]) {
      const out = await preprocessBytes(enc(jsonl), schema, { format: 'jsonl', chunkSize });
      expect(text(out.clean)).toBe(text(whole.clean));
    }
  });
});

describe('JSON Lines hostile inputs keep the limits', () => {
  const good = '{"line_id":"L1","category":"A","temperature":1}\n';
  const refusal = async (bytes: Uint8Array, options: Parameters<typeof preprocessBytes>[2] = {}) => {
    try {
      await preprocessBytes(bytes, schema, { format: 'jsonl', ...options });
    } catch (error) {
      if (error instanceof PreprocessError) return error;
      throw error;
    }
    throw new Error('not refused');
  };

  it('invalid UTF-8 is refused naming its line', async () => {
    const bytes = Buffer.concat([enc(good + good), Buffer.from([0x7b, 0xff, 0x7d, 0x0a])]);
    const error = await refusal(bytes);
    expect(error.code).toBe('invalid_utf8');
    expect(error.message).toMatch(/^invalid_utf8: line 3, byte 2 of the line/);
  });

  it('NUL bytes, the size limit and an over-long record are file-level refusals', async () => {
    expect((await refusal(Buffer.concat([enc(good), Buffer.from([0])]))).code).toBe('nul_byte');
    expect((await refusal(enc(good.repeat(100)), { maxBytes: 1000 })).code).toBe('too_large');
    const long = `{"line_id":"L1","category":"${'x'.repeat(1 << 20)}"}\n`;
    const error = await refusal(enc(good + long));
    expect(error.code).toBe('row_too_long');
    expect(error.message).toMatch(/record at line 2/);
  });

  it('more categories than maxCategories is refused as for a CSV', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => `{"line_id":"L1","category":"c${i}","temperature":1}`);
    const error = await refusal(enc(lines.join('\n')), { maxCategories: 10 });
    expect(error.code).toBe('too_many_categories');
  });

  it('an object of blank lines only has no rows but is not an error', async () => {
    const out = await preprocessBytes(enc('\n  \n\t\n'), schema, { format: 'jsonl' });
    expect(out.report).toMatchObject({ rowsIn: 0, linesIn: 3, rowsClean: 0 });
  });
});

describe('the fast record path (json-record-fast.ts) equals the general one (JSON.parse)', () => {
  const columns = schemaColumns(schema);
  /** The CSV bytes, line count and verdicts of one read. */
  async function read(input: string, fastPath: boolean) {
    const records = new JsonLinesInput(schema, undefined, fastPath);
    const parts: Buffer[] = [];
    async function* chunks() {
      yield enc(input);
    }
    for await (const chunk of records.csv(chunks())) parts.push(Buffer.from(chunk));
    const csv = Buffer.concat(parts).toString('utf8');
    const rows = csv.split('\n').length;
    return {
      csv,
      lines: records.lines,
      verdicts: Array.from({ length: rows }, (_, r) => records.verdictOf(r)),
    };
  }
  const numberToken = fc.oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => x.toExponential()),
    fc
      .tuple(fc.integer({ min: -99999, max: 99999 }), fc.nat(999999), fc.nat(3), fc.nat(7))
      .map(([i, f, zeros, lead]) => `${i}.${'0'.repeat(lead)}${f}${'0'.repeat(zeros)}`),
    fc.integer().map(String),
    fc.constantFrom(
      ...['-0', '0', '0.0', '-0.0', '-0.5', '1e21', '1E5', '1.5e-7', '0.0000001', '0.000001', '0.0000012'],
      ...['1e400', '-1e400', '01', '1.', '.5', '+1', '1e', '-', '123456789012345', '1234567890123456'],
      ...['0.1000000000000000055511151231257827', '9007199254740993', '1e-400', '5e-324'],
    ),
  );
  const stringValue = fc
    .oneof(
      fc.string({ maxLength: 6 }),
      fc.constantFrom('L01', '007', 'a,b', 'NA', 'null', 'nan', '', ' ', 'é', '"q"', 'tab\there', 'x\u0001'),
      fc.constantFrom(
        '2024-02-29T23:59:59.123Z',
        '2023-02-29T00:00:00Z',
        '2026-03-01',
        '2026-03-01T24:00:00Z',
      ),
      fc.constantFrom('2026-03-01 08:00:00+01:00', '2026-03-01T08:00:00.1234567891Z', '2.5', 'inf', '1e3'),
    )
    .map((v) => JSON.stringify(v));
  const value = fc.oneof(
    { weight: 4, arbitrary: numberToken },
    { weight: 4, arbitrary: stringValue },
    { weight: 1, arbitrary: fc.constantFrom('null', 'true', 'false', '{"a":1}', '[1]', 'nul', '"\\u0041"') },
  );
  const key = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...columns) },
    { weight: 1, arbitrary: fc.constantFrom('device', 'line\\u005fid', '') },
  );
  const space = fc.constantFrom('', '', '', ' ', '\t', '  ');
  const record = fc
    .tuple(fc.array(fc.tuple(key, value, space, space), { maxLength: 18 }), fc.boolean())
    .map(([fields, withId]) => {
      const all = withId ? [['line_id', '"L01"', '', ''] as const, ...fields] : fields;
      return `{${all.map(([k, v, a, b]) => `${a}${JSON.stringify(k)}${b}:${a}${v}${b}`).join(',')}}`;
    });
  const numericColumns = new Set([...schema.features, schema.target]);
  /** A record of the kind line PCs send: every value of its column's type (the fast path's). */
  const goodRecord = fc
    .tuple(
      fc.array(fc.tuple(fc.constantFrom(...columns), numberToken, stringValue, space), { maxLength: 16 }),
      fc.constantFrom('"2024-02-29T23:59:59.123Z"', '"2026-03-01T08:00:00Z"', '"2026-03-01T08:00:00"'),
    )
    .map(([fields, ts]) => {
      const all = fields.map(([k, n, t, a]) => `${a}"${k}":${a}${numericColumns.has(k) ? n : t}`);
      return `{"timestamp":${ts},"line_id":"L07",${all.join(',')}${all.length ? ',' : ''}"category":"c"}`;
    });
  const line = fc.oneof(
    { weight: 4, arbitrary: record },
    { weight: 4, arbitrary: goodRecord },
    {
      weight: 1,
      arbitrary: fc.constantFrom('', ' ', '{}', '{"line_id":"L1",}', '{"a":1}{"b":2}', 'x', '\r', '[]'),
    },
    { weight: 1, arbitrary: record.map((r) => `${r}\r`) },
  );

  it('gives the same rows, lines and verdicts for any records', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 12 }), async (lines) => {
        const input = lines.join('\n');
        expect(await read(input, true)).toEqual(await read(input, false));
      }),
      { numRuns: 400 },
    );
  });

  it('prints numbers as String(JSON.parse(token)) does, whichever path reads them', async () => {
    const tokens = [
      '1.50',
      '-0',
      '1e21',
      '0.0000001',
      '0.000001',
      '-0.5',
      '12.25',
      '1E2',
      '123456789012345678',
    ];
    const input = tokens.map((t) => `{"line_id":"L1","temperature":${t}}`).join('\n');
    const cells = (await read(input, true)).csv
      .split('\n')
      .slice(1, -1)
      .map((row) => row.split(',')[columns.indexOf('temperature')]);
    expect(cells).toEqual([
      '1.5',
      '0',
      '1e+21',
      '1e-7',
      '0.000001',
      '-0.5',
      '12.25',
      '100',
      '123456789012345680',
    ]);
  });
});

describe('pass 1 rows kept for pass 2 (transcoded-replay.ts)', () => {
  const pieces = Array.from({ length: 40 }, (_, i) => enc(`row ${i},${'x'.repeat(i * 10)}\n`));
  const total = pieces.reduce((n, p) => n + p.length, 0);

  it('replays what it kept, in order, past its memory into its file', () => {
    const replay = new TranscodedReplay(1000, 1 << 20);
    for (const p of pieces) replay.keep(p);
    expect(replay.complete).toBe(true);
    expect(Buffer.concat([...replay.replay()])).toEqual(Buffer.concat(pieces));
    replay.dispose();
  });

  it('a cleaning run reads the records once, in memory or through the file, and twice past the bound', async () => {
    const jsonl = enc(
      syntheticRecords(2000, 9)
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const run = async (replayBytesForTest?: { memory: number; file: number }) => {
      let opens = 0;
      const out = { clean: [] as Uint8Array[], train: [] as Uint8Array[], quarantine: [] as Uint8Array[] };
      const result = await preprocessCsv({
        schema,
        format: 'jsonl',
        open: async function* () {
          opens++;
          for (let at = 0; at < jsonl.length; at += 4096) yield jsonl.subarray(at, at + 4096);
        },
        sink: {
          clean: (b) => void out.clean.push(b),
          train: (b) => void out.train.push(b),
          quarantine: (b) => void out.quarantine.push(b),
          reset: () => undefined,
        },
        replayBytesForTest,
      });
      const all = (k: keyof typeof out) => Buffer.concat(out[k]).toString('utf8');
      return { opens, clean: all('clean'), train: all('train'), groups: result.groupStatsCsv };
    };
    const inMemory = await run();
    expect(inMemory.opens).toBe(1);
    expect(inMemory.clean.split('\n').length).toBeGreaterThan(1900);
    expect(await run({ memory: 1000, file: 1 << 30 })).toEqual(inMemory);
    expect(await run({ memory: 1000, file: 20_000 })).toEqual({ ...inMemory, opens: 2 });
  });

  it('keeps nothing past its file bound, so pass 2 reads the input again', () => {
    const replay = new TranscodedReplay(1000, total - 2000);
    for (const p of pieces) replay.keep(p);
    expect(replay.complete).toBe(false);
    expect(() => [...replay.replay()]).toThrow(/not all kept/);
  });
});

describe('isIsoTimestamp', () => {
  it.each([
    ['2026-03-01', true],
    ['2026-03-01T08:00:00Z', true],
    ['2026-03-01 08:00:00.123+01:00', true],
    ['2024-02-29T23:59:59', true],
    ['2023-02-29T00:00:00', false],
    ['2026-03-01T24:00:00Z', false],
    ['2026-3-1', false],
    ['yesterday', false],
    ['1700000000', false],
  ])('%s → %s', (value, ok) => expect(isIsoTimestamp(value)).toBe(ok));
});
