import fc from 'fast-check';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as preprocess } from '../../../bin/commands/preprocess';
import { athenaCopyFile, dirOrigin, openCuratedDb, run as query } from '../../../bin/commands/query';
import {
  AthenaCopyStream,
  athenaJsonLines,
  csvRecords,
  reportJsonLine,
  withAthenaCopy,
} from '../../../lambda/core/athena-copy';
import { CURATED_TABLES, type RowOrigin } from '../../../lambda/core/curated-tables';
import { csvField } from '../../../lambda/core/cleaning/csv-text';
import { DEFAULT_DATASET_SCHEMA, type DatasetSchema } from '../../../lambda/core/dataset-schema';
import { namedQueries } from '../../../lambda/core/named-queries';
import { generateSyntheticCsv } from '../../../lambda/core/synthetic-data';
import { captureOutput } from '../../support/console-capture';

const OWN = join(__dirname, '..', '..', 'fixtures', 'csv', 'own-data');
/** A source object's origin, for the tables kept per object. */
const ORIGIN: RowOrigin = {
  source: 'ingest/2026/12/01/08/line-1.jsonl.gz',
  arrived: '2026-12-01T08:05:00.000Z',
};

/** A file as a user's export may be: its own column order, an extra text column with commas and a
 * line break in quotes, a gap, a duplicate, and an unclosed quote that swallows the last lines. */
const AWKWARD_SCHEMA: DatasetSchema = {
  timestamp: 'ts',
  ids: ['Line ID'],
  category: 'Type',
  features: ['Torque [Nm]', 'speed'],
  target: 'Quality',
};
const AWKWARD_CSV = [
  'note,Quality,Type,speed,Line ID,ts,Torque [Nm]',
  '"first, with a comma",0.9,A,100,L1,2026-12-01T08:00:00Z,40.5',
  '"two\nlines",0.8,A,110,L1,2026-12-01T09:00:00Z,41',
  'plain,0.7,B,,L2,2026-12-02T08:00:00Z,39',
  'plain,0.7,B,,L2,2026-12-02T08:00:00Z,39',
  'ok,0.65,B,125,L2,2026-12-02T09:00:00Z,38.5',
  '"unclosed,0.6,B,120,L2,2026-12-02T10:00:00Z,38',
  'more,0.5,B,130,L2,2026-12-02T11:00:00Z,37',
  '',
].join('\n');

/** Measurements a factory happened to name like the origin's columns, in both cases. */
const COLLIDING_SCHEMA: DatasetSchema = {
  ids: ['line'],
  category: 'Type',
  features: ['Source', 'arrived'],
  target: 'y',
};
const COLLIDING_CSV = [
  'line,Type,Source,arrived,y',
  'L1,A,1,2,3',
  'L1,A,2,3,4',
  'L2,B,5,,6',
  'L2,B,x,1,2',
  '',
].join('\n');

const quiet = async (f: () => Promise<number>) => (await captureOutput(f)).code;

/** Athena's copy of a preprocess output directory's table, converted from its files in one piece. */
function wholeCopy(dir: string, schema: DatasetSchema, table: (typeof CURATED_TABLES)[number]): string {
  return table.format === 'json'
    ? reportJsonLine(JSON.parse(readFileSync(join(dir, table.file), 'utf8')), dirOrigin(dir))
    : athenaJsonLines(table, schema, readFileSync(join(dir, table.file), 'utf8'), dirOrigin(dir));
}

describe('csvRecords', () => {
  it('reads back any records the cleaning step writes (csvField quoting, LF or CRLF)', () => {
    const cell = fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r', ' ', 'é', '1') });
    fc.assert(
      fc.property(
        fc.array(fc.array(cell, { minLength: 2, maxLength: 4 }), { minLength: 1, maxLength: 6 }),
        fc.constantFrom('\n', '\r\n'),
        (records, eol) => {
          const text = records.map((r) => r.map(csvField).join(',')).join(eol) + eol;
          expect(csvRecords(text)).toEqual(records);
        },
      ),
    );
  });
});

describe('AthenaCopyStream', () => {
  const quarantine = CURATED_TABLES.find((t) => t.name === 'quarantine')!;
  const clean = CURATED_TABLES.find((t) => t.name === 'clean')!;
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  /** The CSV pushed as the chunks `cuts` (byte offsets) make, the copy's bytes joined. */
  function chunked(table: typeof clean, schema: DatasetSchema, text: string, cuts: number[]): string {
    const bytes = enc.encode(text);
    const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
    const stream = new AthenaCopyStream(table, schema, ORIGIN);
    let out = '';
    let from = 0;
    for (const cut of [...at, bytes.length]) {
      out += dec.decode(stream.push(bytes.slice(from, cut)));
      from = cut;
    }
    return out + dec.decode(stream.end());
  }

  it('gives the same JSON Lines whatever the chunks (cut in a field, a quote pair, UTF-8, a CRLF)', () => {
    const cell = fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r', ' ', 'é', '温', '1') });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(99), fc.nat(99), cell, cell), { maxLength: 6 }),
        fc.constantFrom('\n', '\r\n'),
        fc.array(fc.nat(), { maxLength: 8 }),
        (rows, eol, cuts) => {
          const text =
            [
              'line,last_line,reason,raw',
              ...rows.map(([l, m, r, raw]) => [l, m, r, raw].map(String).map(csvField).join(',')),
            ].join(eol) + eol;
          expect(chunked(quarantine, DEFAULT_DATASET_SCHEMA, text, cuts)).toBe(
            athenaJsonLines(quarantine, DEFAULT_DATASET_SCHEMA, text, ORIGIN),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('writes each cell as the value the CSV holds: plain cells copied, the rest through JSON.stringify', () => {
    // The reference: the record read as text (csvRecords), each cell as its column's value.
    const value = (cell: string, type: string) =>
      type === 'VARCHAR' ? cell : cell.trim() === '' ? null : Number(cell);
    const text = fc.string({
      unit: fc.constantFrom('a', ',', '"', '\n', '\\', '\t', ' ', 'é', '温', '1', '-'),
    });
    const number = fc.oneof(
      fc.constantFrom('', ' ', '0', '-0', '007', '1e3', '-2.5E-3', '.5', '5.', '40.50', ' 42 ', '+1', '1.0'),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
      fc.integer().map(String),
    );
    const columns = clean.columns(AWKWARD_SCHEMA);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(...columns.map((c) => (c.type === 'VARCHAR' ? text : number))), { maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (rows, cuts) => {
          const csv = [
            columns.map((c) => csvField(c.source)).join(','),
            ...rows.map((r) => r.map(csvField).join(',')),
          ]
            .map((l) => `${l}\n`)
            .join('');
          const lines = chunked(clean, AWKWARD_SCHEMA, csv, cuts).split('\n').slice(0, -1);
          const expected = csvRecords(csv)
            .slice(1)
            .map((r) => Object.fromEntries(columns.map((c, j) => [c.source, value(r[j], c.type)])));
          expect(lines.map((l) => JSON.parse(l))).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('converts the awkward file byte by byte into the one-piece copy', () => {
    // The header and four records, one with a line break inside quotes (six lines).
    const cleanCsv = AWKWARD_CSV.split('\n').slice(0, 6).join('\n') + '\n';
    const every = Array.from({ length: enc.encode(cleanCsv).length }, (_, i) => i);
    expect(chunked(clean, AWKWARD_SCHEMA, cleanCsv, every)).toBe(
      athenaJsonLines(clean, AWKWARD_SCHEMA, cleanCsv),
    );
    expect(athenaJsonLines(clean, AWKWARD_SCHEMA, cleanCsv).split('\n')).toHaveLength(5);
  });

  it('refuses a CSV that ends inside a quoted field', () => {
    const stream = new AthenaCopyStream(quarantine, DEFAULT_DATASET_SCHEMA, ORIGIN);
    stream.push(enc.encode('line,last_line,reason,raw\n1,1,ragged,"open'));
    expect(() => stream.end()).toThrow('curated CSV ends inside a quoted field');
  });

  it("ends each record of a per-object table with its object's origin, and refuses to go without one", () => {
    const csv = 'line,last_line,reason,raw\n3,3,stray_quote,"a""b"\n';
    expect(athenaJsonLines(quarantine, DEFAULT_DATASET_SCHEMA, csv, ORIGIN)).toBe(
      '{"line":3,"last_line":3,"reason":"stray_quote","raw":"a\\"b",' +
        '"source":"ingest/2026/12/01/08/line-1.jsonl.gz","arrived":"2026-12-01T08:05:00.000Z"}\n',
    );
    expect(
      athenaJsonLines(quarantine, DEFAULT_DATASET_SCHEMA, csv, { source: 'x "1".csv', arrived: null }),
    ).toContain(',"source":"x \\"1\\".csv","arrived":null}');
    expect(() => new AthenaCopyStream(quarantine, DEFAULT_DATASET_SCHEMA)).toThrow(
      "quarantine.csv: Athena's copy needs the source object's origin",
    );
    // clean and train rows carry their own times; they get no origin.
    expect(
      athenaJsonLines(clean, AWKWARD_SCHEMA, 'ts,Line ID,Type,Torque [Nm],speed,Quality\n', ORIGIN),
    ).toBe('');
    expect(
      athenaJsonLines(
        clean,
        AWKWARD_SCHEMA,
        'ts,Line ID,Type,Torque [Nm],speed,Quality\nt,L,A,1,2,3\n',
        ORIGIN,
      ),
    ).toBe('{"ts":"t","Line ID":"L","Type":"A","Torque [Nm]":1,"speed":2,"Quality":3}\n');
  });

  it('withAthenaCopy hands the sink the very chunks, the copy their JSON Lines, and starts over on reset', async () => {
    const seen: Record<string, Uint8Array[]> = { clean: [], train: [], quarantine: [] };
    const copies: Record<string, string> = { clean: '', train: '', quarantine: '' };
    let resets = 0;
    const sink = withAthenaCopy(
      {
        clean: (b) => void seen.clean.push(b),
        train: (b) => void seen.train.push(b),
        quarantine: (b) => void seen.quarantine.push(b),
        reset: () => {
          resets++;
          for (const k of Object.keys(copies)) copies[k] = '';
        },
      },
      AWKWARD_SCHEMA,
      ORIGIN,
      (table, lines) => {
        copies[table] += dec.decode(lines);
      },
    );
    const header = enc.encode('Line ID,ts,Type,Torque [Nm],speed,Quality\nL1,2026');
    await sink.clean(header);
    await sink.reset(); // a restart: the half record and the header are forgotten
    const chunk = enc.encode('Line ID,ts,Type,Torque [Nm],speed,Quality\nL1,2026-12-01,A,40.5,,0.9\nL2,2');
    await sink.clean(chunk);
    await sink.clean(enc.encode('026-12-02,B,39,100,0.8\n'));
    await sink.quarantine(enc.encode('line,last_line,reason,raw\n'));
    await sink.end();
    expect(resets).toBe(1);
    expect(seen.clean[0]).toBe(header);
    expect(seen.clean[1]).toBe(chunk);
    expect(copies.clean.split('\n').map((l) => (l ? JSON.parse(l) : l))).toEqual([
      { 'Line ID': 'L1', ts: '2026-12-01', Type: 'A', 'Torque [Nm]': 40.5, speed: null, Quality: 0.9 },
      { 'Line ID': 'L2', ts: '2026-12-02', Type: 'B', 'Torque [Nm]': 39, speed: 100, Quality: 0.8 },
      '',
    ]);
    // Every copy ends, so each exists even with no rows (train had no bytes at all).
    expect(copies).toMatchObject({ train: '', quarantine: '' });
  });
});

describe("Athena's copy of the curated outputs", () => {
  const root = mkdtempSync(join(tmpdir(), 'athena-copy-'));
  const cases: [string, string, DatasetSchema][] = [];

  beforeAll(async () => {
    const synthetic = join(root, 'line.csv');
    writeFileSync(synthetic, generateSyntheticCsv({ rows: 2000, seed: 11 }).files[0]);
    const own = JSON.parse(
      readFileSync(join(OWN, 'predictive-maintenance.schema.json'), 'utf8'),
    ) as DatasetSchema;
    const awkward = join(root, 'awkward.csv');
    writeFileSync(awkward, AWKWARD_CSV);
    const awkwardSchema = join(root, 'awkward.schema.json');
    writeFileSync(awkwardSchema, JSON.stringify(AWKWARD_SCHEMA));
    const colliding = join(root, 'colliding.csv');
    writeFileSync(colliding, COLLIDING_CSV);
    const collidingSchema = join(root, 'colliding.schema.json');
    writeFileSync(collidingSchema, JSON.stringify(COLLIDING_SCHEMA));
    const runs: [string, string[], DatasetSchema][] = [
      ['synthetic', [synthetic], DEFAULT_DATASET_SCHEMA],
      [
        'real-shaped',
        [
          join(OWN, 'predictive-maintenance.csv'),
          '--schema',
          join(OWN, 'predictive-maintenance.schema.json'),
        ],
        own,
      ],
      ['awkward', [awkward, '--schema', awkwardSchema], AWKWARD_SCHEMA],
      ['origin-named', [colliding, '--schema', collidingSchema], COLLIDING_SCHEMA],
    ];
    for (const [name, args, schema] of runs) {
      const out = join(root, name);
      expect(await quiet(() => preprocess([...args, '--athena-copy', '--out', out]))).toBe(0);
      cases.push([name, out, schema]);
    }
  }, 60_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('is written by factory preprocess beside the CSVs, as the whole files convert (streamed in chunks)', () => {
    for (const [, dir, schema] of cases) {
      for (const table of CURATED_TABLES) {
        expect({ table: table.name, copy: readFileSync(athenaCopyFile(dir, table), 'utf8') }).toEqual({
          table: table.name,
          copy: wholeCopy(dir, schema, table),
        });
      }
      expect(readdirSync(join(dir, 'athena')).sort()).toEqual(
        CURATED_TABLES.map((t) => `${t.name}.jsonl`).sort(),
      );
    }
  });

  it('factory query --athena-copy answers as the CSVs do', async () => {
    const [, dir] = cases.find(([name]) => name === 'synthetic')!;
    const sql = 'SELECT count(*) AS n, round(sum(quality), 6) AS q FROM clean';
    const printed = async (args: string[]) => {
      const { code, out } = await captureOutput(() => query(args));
      expect(code).toBe(0);
      return out;
    };
    const fromCsv = await printed(['--data', dir, '--json', sql]);
    expect(await printed(['--data', dir, '--json', '--athena-copy', sql])).toBe(fromCsv);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { rowsClean: number };
    expect(JSON.parse(fromCsv).n).toBe(report.rowsClean);
  });

  it('writes one JSON object per line, keyed by the written names, one per CSV row', () => {
    for (const [, dir, schema] of cases) {
      for (const table of CURATED_TABLES.filter((t) => t.format === 'csv')) {
        const rows = csvRecords(readFileSync(join(dir, table.file), 'utf8')).length - 1;
        const lines = readFileSync(athenaCopyFile(dir, table), 'utf8').split('\n').slice(0, -1);
        expect(lines).toHaveLength(rows);
        const keys = table.columns(schema).map((c) => c.source);
        for (const line of lines) expect(Object.keys(JSON.parse(line))).toEqual(keys);
      }
    }
  });

  it("keeps measurements named like the origin's columns apart from it, in the copy and in SQL", async () => {
    const [, dir, schema] = cases.find(([name]) => name === 'origin-named')!;
    const lines = readFileSync(athenaCopyFile(dir, { name: 'group_stats' }), 'utf8')
      .trimEnd()
      .split('\n');
    // The origin takes keys no written name takes, ignoring case: never one key twice.
    expect(Object.keys(JSON.parse(lines[0]))).toEqual([
      'category',
      'count',
      'Source',
      'arrived',
      'y',
      'source_2',
      'arrived_2',
    ]);
    for (const athenaCopy of [false, true]) {
      const db = await openCuratedDb([dir], schema, { athenaCopy });
      try {
        const r = await db.run(
          'SELECT category, source_2, arrived_2, source, arrived FROM group_stats ORDER BY 1',
        );
        expect({ athenaCopy, rows: r.rows }).toEqual({
          athenaCopy,
          rows: [
            ['A', 1.5, 2.5, join(root, 'colliding.csv'), dirOrigin(dir).arrived],
            ['B', 5, 2.5, join(root, 'colliding.csv'), dirOrigin(dir).arrived],
          ],
        });
        const q = await db.run('SELECT reason, source FROM quarantine');
        expect(q.rows).toEqual([['non_numeric', join(root, 'colliding.csv')]]);
      } finally {
        db.close();
      }
    }
  });

  it('keeps a quarantined row that spans lines on one line, its raw text intact', () => {
    const dir = cases.find(([name]) => name === 'awkward')![1];
    const records = readFileSync(athenaCopyFile(dir, { name: 'quarantine' }), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; last_line: number; raw: string });
    const swallowed = records.find((r) => r.last_line > r.line)!;
    expect(swallowed.raw).toContain('\n');
    expect(swallowed.raw.startsWith('"unclosed,')).toBe(true);
  });

  it('reads back through the Glue mapping exactly as the CSV reads: every table, every named query', async () => {
    for (const [name, dir, schema] of cases) {
      const csv = await openCuratedDb([dir], schema);
      const copy = await openCuratedDb([dir], schema, { athenaCopy: true });
      try {
        expect(copy.tables).toEqual(csv.tables);
        for (const table of CURATED_TABLES) {
          const sql = `SELECT * FROM ${table.name} ORDER BY ALL`;
          const [a, b] = [await csv.run(sql), await copy.run(sql)];
          expect({ name, table: table.name, columns: b.columns, rows: b.rows }).toEqual({
            name,
            table: table.name,
            columns: a.columns,
            rows: a.rows,
          });
        }
        for (const named of namedQueries(schema)) {
          expect({ name, query: named.name, ...(await copy.run(named.sql)) }).toEqual({
            name,
            query: named.name,
            ...(await csv.run(named.sql)),
          });
        }
      } finally {
        csv.close();
        copy.close();
      }
    }
  });

  it('refuses a curated CSV that lacks a column of its table, naming it', () => {
    const clean = CURATED_TABLES.find((t) => t.name === 'clean')!;
    expect(() => athenaJsonLines(clean, AWKWARD_SCHEMA, 'ts,Type\n2026-12-01,A\n')).toThrow(
      'clean.csv: no column "Line ID" in the header',
    );
  });

  it('refuses a numeric cell that is not a number, naming the row and column', () => {
    const clean = CURATED_TABLES.find((t) => t.name === 'clean')!;
    const csv = 'ts,Line ID,Type,Torque [Nm],speed,Quality\n2026-12-01,L1,A,forty,1,0.5\n';
    expect(() => athenaJsonLines(clean, AWKWARD_SCHEMA, csv)).toThrow(
      'clean.csv row 1, Torque [Nm]: "forty" is not a number',
    );
  });
});
