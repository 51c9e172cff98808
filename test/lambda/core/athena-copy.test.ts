import fc from 'fast-check';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as preprocess } from '../../../bin/commands/preprocess';
import { athenaCopyFile, openCuratedDb } from '../../../bin/commands/query';
import { athenaJsonLines, csvRecords, reportJsonLine } from '../../../lambda/core/athena-copy';
import { CURATED_TABLES } from '../../../lambda/core/curated-tables';
import { csvField } from '../../../lambda/core/cleaning/csv-text';
import { DEFAULT_DATASET_SCHEMA, type DatasetSchema } from '../../../lambda/core/dataset-schema';
import { namedQueries } from '../../../lambda/core/named-queries';
import { generateSyntheticCsv } from '../../../lambda/core/synthetic-data';

const OWN = join(__dirname, '..', '..', 'fixtures', 'csv', 'own-data');

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

async function quiet(f: () => Promise<number>): Promise<number> {
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    return await f();
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

/** Writes Athena's copy of a preprocess output directory next to it, as the copy's writer would. */
function writeCopy(dir: string, schema: DatasetSchema): void {
  mkdirSync(join(dir, 'athena'), { recursive: true });
  for (const table of CURATED_TABLES) {
    const text =
      table.format === 'json'
        ? reportJsonLine(JSON.parse(readFileSync(join(dir, table.file), 'utf8')))
        : athenaJsonLines(table, schema, readFileSync(join(dir, table.file), 'utf8'));
    writeFileSync(athenaCopyFile(dir, table), text);
  }
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
    ];
    for (const [name, args, schema] of runs) {
      const out = join(root, name);
      expect(await quiet(() => preprocess([...args, '--out', out]))).toBe(0);
      writeCopy(out, schema);
      cases.push([name, out, schema]);
    }
  }, 60_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

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
