import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as preprocess } from '../../../bin/commands/preprocess';
import { openCuratedDb, run as query } from '../../../bin/commands/query';
import { DEFAULT_DATASET_SCHEMA, type DatasetSchema } from '../../../lambda/core/dataset-schema';
import { namedQueries } from '../../../lambda/core/named-queries';
import { generateSyntheticCsv } from '../../../lambda/core/synthetic-data';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'csv', 'own-data');

/** Runs a command in-process; its exit code and what it printed. */
async function capture(f: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
  const error = jest.spyOn(console, 'error').mockImplementation((line: string) => void err.push(line));
  try {
    return { code: await f(), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

interface Report {
  rowsClean: number;
  duplicates: number;
  quarantined: number;
  rowsIn: number;
}

describe('factory query', () => {
  const root = mkdtempSync(join(tmpdir(), 'factory-query-'));
  const generated = join(root, 'generated');
  const own = join(root, 'own');
  let report: Report;
  let ownReport: Report;

  beforeAll(async () => {
    const csv = join(root, 'line.csv');
    writeFileSync(csv, generateSyntheticCsv({ rows: 3000, seed: 7 }).files[0]);
    expect((await capture(() => preprocess([csv, '--out', generated]))).code).toBe(0);
    report = JSON.parse(readFileSync(join(generated, 'report.json'), 'utf8')) as Report;
    const schema = join(FIXTURES, 'predictive-maintenance.schema.json');
    const input = join(FIXTURES, 'predictive-maintenance.csv');
    expect((await capture(() => preprocess([input, '--out', own, '--schema', schema]))).code).toBe(0);
    ownReport = JSON.parse(readFileSync(join(own, 'report.json'), 'utf8')) as Report;
  }, 60_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("prints the report's clean row count for SELECT count(*) FROM clean", async () => {
    const { code, out } = await capture(() =>
      query(['--data', generated, 'SELECT count(*) AS n FROM clean']),
    );
    expect(code).toBe(0);
    expect(out).toBe(`n\n${report.rowsClean}`);
  });

  it('runs every named query of the default schema, each agreeing with the report', async () => {
    const db = await openCuratedDb([generated], DEFAULT_DATASET_SCHEMA);
    try {
      const byName = new Map<string, { columns: readonly string[]; rows: readonly (readonly unknown[])[] }>();
      for (const named of namedQueries(DEFAULT_DATASET_SCHEMA))
        byName.set(named.name, await db.run(named.sql));
      const total = (name: string, column: string) => {
        const r = byName.get(name)!;
        const i = r.columns.indexOf(column);
        return r.rows.reduce((s, row) => s + Number(row[i]), 0);
      };
      expect([...byName.keys()]).toEqual([
        'quality_by_line_and_day',
        'rows_by_category',
        'quarantine_reasons',
        'cleaning_totals',
      ]);
      expect(total('quality_by_line_and_day', 'rows')).toBe(report.rowsClean);
      expect(total('rows_by_category', 'rows')).toBe(report.rowsClean);
      expect(total('quarantine_reasons', 'records')).toBe(report.quarantined);
      expect(byName.get('cleaning_totals')!.rows[0].map(Number)).toEqual([
        report.rowsIn,
        report.rowsClean,
        report.duplicates,
        report.quarantined,
      ]);
    } finally {
      db.close();
    }
  });

  it('reads a real-shaped file by its own column names, measurements as numbers', async () => {
    const schema = JSON.parse(
      readFileSync(join(FIXTURES, 'predictive-maintenance.schema.json'), 'utf8'),
    ) as DatasetSchema;
    const db = await openCuratedDb([own], schema);
    try {
      const r = await db.run('SELECT count(*) AS n, typeof(avg("Torque [Nm]")) AS t FROM clean');
      expect(r.rows[0]).toEqual([BigInt(ownReport.rowsClean), 'DOUBLE']);
      // No timestamp in this schema: no query by day.
      expect(namedQueries(schema).map((n) => n.name)).not.toContain('quality_by_line_and_day');
    } finally {
      db.close();
    }
  });

  it('makes one table of several directories', async () => {
    const { out } = await capture(() =>
      query(['--data', generated, '--data', own, '--json', 'SELECT count(*) AS n FROM reports']),
    );
    expect(JSON.parse(out)).toEqual({ n: 2 });
  });

  it('answers an unknown column with one line naming it and the tables there are', async () => {
    const { code, err } = await capture(() => query(['--data', generated, 'SELECT nope FROM clean']));
    expect(code).toBe(1);
    expect(err.split('\n')).toHaveLength(1);
    expect(err).toMatch(/"nope" not found.*tables here: clean, train, quarantine, group_stats, reports/);
  });

  it('refuses an unknown named query listing the known ones', async () => {
    const { code, err } = await capture(() => query(['--data', generated, '--named', 'nope']));
    expect(code).toBe(1);
    expect(err).toContain('--named nope: no such query; known: quality_by_line_and_day, rows_by_category');
  });
});
