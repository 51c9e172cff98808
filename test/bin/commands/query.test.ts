import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as preprocess } from '../../../bin/commands/preprocess';
import { athenaCopyFile, openCuratedDb, run as query } from '../../../bin/commands/query';
import { rejectionJsonLine, reportJsonLine } from '../../../lambda/core/athena-copy';
import { DEFAULT_DATASET_SCHEMA, type DatasetSchema } from '../../../lambda/core/dataset-schema';
import { curatedTable, CURATED_TABLES, sqlColumnName } from '../../../lambda/core/curated-tables';
import { namedQueries } from '../../../lambda/core/named-queries';
import { generateSyntheticCsv } from '../../../lambda/core/synthetic-data';
import { captureOutput } from '../../support/console-capture';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'csv', 'own-data');

/**
 * Clean rows more than 3 sample standard deviations of quality from their category's mean,
 * counted here without SQL (the default schema's synthetic file has no quoted fields).
 */
function anomaliesOf(path: string): number {
  const [head, ...lines] = readFileSync(path, 'utf8').trimEnd().split('\n');
  const names = head.split(',');
  const cat = names.indexOf(DEFAULT_DATASET_SCHEMA.category);
  const y = names.indexOf(DEFAULT_DATASET_SCHEMA.target);
  const groups = new Map<string, number[]>();
  for (const line of lines) {
    const cells = line.split(',');
    const values = groups.get(cells[cat]) ?? [];
    values.push(Number(cells[y]));
    groups.set(cells[cat], values);
  }
  let anomalies = 0;
  for (const values of groups.values()) {
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
    anomalies += values.filter((v) => Math.abs(v - mean) > 3 * sd).length;
  }
  return anomalies;
}

interface Report {
  rowsClean: number;
  duplicates: number;
  quarantined: number;
  rowsIn: number;
}

describe('sqlColumnName', () => {
  it('maps written names to the lower-case names Glue and Athena keep', () => {
    expect(
      [
        'Torque [Nm]',
        'Rotational speed [rpm]',
        'rowsIn',
        'UDI',
        'Product ID',
        'feed_rate',
        'Température',
        '温度',
      ].map(sqlColumnName),
    ).toEqual([
      'torque_nm',
      'rotational_speed_rpm',
      'rows_in',
      'udi',
      'product_id',
      'feed_rate',
      'temperature',
      'column',
    ]);
  });

  it('gives names two columns would share a numbered suffix', () => {
    const schema: DatasetSchema = {
      ids: [],
      category: 'Type',
      features: ['Torque [Nm]', 'torque_nm'],
      target: 'y',
    };
    expect(
      curatedTable('clean')
        .columns(schema)
        .map((c) => c.name),
    ).toEqual(['type', 'torque_nm', 'torque_nm_2', 'y']);
  });
});

describe('factory query', () => {
  const root = mkdtempSync(join(tmpdir(), 'factory-query-'));
  const generated = join(root, 'generated');
  const own = join(root, 'own');
  let report: Report;
  let ownReport: Report;

  beforeAll(async () => {
    const csv = join(root, 'line.csv');
    writeFileSync(csv, generateSyntheticCsv({ rows: 3000, seed: 7 }).files[0]);
    expect((await captureOutput(() => preprocess([csv, '--out', generated]))).code).toBe(0);
    report = JSON.parse(readFileSync(join(generated, 'report.json'), 'utf8')) as Report;
    const schema = join(FIXTURES, 'predictive-maintenance.schema.json');
    const input = join(FIXTURES, 'predictive-maintenance.csv');
    expect((await captureOutput(() => preprocess([input, '--out', own, '--schema', schema]))).code).toBe(0);
    ownReport = JSON.parse(readFileSync(join(own, 'report.json'), 'utf8')) as Report;
  }, 60_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("prints the report's clean row count for SELECT count(*) FROM clean", async () => {
    const { code, out } = await captureOutput(() =>
      query(['--data', generated, 'SELECT count(*) AS n FROM clean']),
    );
    expect(code).toBe(0);
    expect(out).toBe(`n\n${report.rowsClean}`);
  });

  it('lists, for each named query, exactly the curated tables its SQL reads', () => {
    const names = new Set(CURATED_TABLES.map((t) => t.name));
    for (const n of namedQueries(DEFAULT_DATASET_SCHEMA)) {
      const read = [
        ...new Set([...n.sql.matchAll(/\bFROM (\w+)/g)].map((m) => m[1]).filter((t) => names.has(t))),
      ];
      expect({ query: n.name, tables: [...n.tables].sort() }).toEqual({ query: n.name, tables: read.sort() });
    }
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
        'anomalies_by_category',
        'quarantine_reasons',
        'quarantine_reasons_by_day',
        'rejected_objects_by_day',
        'cleaning_totals',
      ]);
      // Nothing was refused here.
      expect(byName.get('rejected_objects_by_day')!.rows).toEqual([]);
      expect(total('quality_by_line_and_day', 'rows')).toBe(report.rowsClean);
      expect(total('rows_by_category', 'rows')).toBe(report.rowsClean);
      expect(total('anomalies_by_category', 'rows')).toBe(report.rowsClean);
      const anomalies = anomaliesOf(join(generated, 'clean.csv'));
      expect(anomalies).toBeGreaterThan(0);
      expect(total('anomalies_by_category', 'anomalies')).toBe(anomalies);
      expect(total('quarantine_reasons', 'records')).toBe(report.quarantined);
      expect(total('quarantine_reasons_by_day', 'records')).toBe(report.quarantined);
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
      // The Glue table's column names (sqlColumnName), measurements as numbers.
      const r = await db.run('SELECT count(*) AS n, typeof(avg(torque_nm)) AS t FROM clean');
      expect(r.rows[0]).toEqual([BigInt(ownReport.rowsClean), 'DOUBLE']);
      // Every named query of this schema runs on it, and counts every clean row.
      for (const named of namedQueries(schema)) await db.run(named.sql);
      const byCategory = await db.run(namedQueries(schema).find((n) => n.name === 'rows_by_category')!.sql);
      expect(byCategory.rows.reduce((s, row) => s + Number(row[1]), 0)).toBe(ownReport.rowsClean);
      // No timestamp in this schema: no query by day.
      expect(namedQueries(schema).map((n) => n.name)).not.toContain('quality_by_line_and_day');
    } finally {
      db.close();
    }
  });

  it('makes one table of several directories', async () => {
    const { out } = await captureOutput(() =>
      query(['--data', generated, '--data', own, '--json', 'SELECT count(*) AS n FROM reports']),
    );
    expect(JSON.parse(out)).toEqual({ n: 2 });
    // A directory given twice is read once, in every table.
    const twice = await captureOutput(() =>
      query([
        '--data',
        generated,
        '--data',
        `${generated}/`,
        '--json',
        'SELECT (SELECT count(*) FROM reports) AS r, (SELECT count(*) FROM group_stats) AS g, (SELECT count(*) FROM clean) AS c',
      ]),
    );
    const once = await captureOutput(() =>
      query(['--data', generated, '--json', 'SELECT (SELECT count(*) FROM group_stats) AS g']),
    );
    expect(JSON.parse(twice.out)).toEqual({ r: 1, g: JSON.parse(once.out).g, c: report.rowsClean });
  });

  it('counts the objects refused whole per day of arrival, from the reports rows the handler writes for them', async () => {
    // Athena's copy of three objects' reports as the handler writes them: one processed, two
    // refused (rejectionJsonLine), on two days.
    const dirs = [0, 1, 2].map((i) => join(root, `reports-${i}`));
    const lines = [
      reportJsonLine(report as unknown as Parameters<typeof reportJsonLine>[0], {
        source: 'ingest/2026/11/30/a.jsonl.gz',
        arrived: '2026-11-30T10:00:00.000Z',
      }),
      rejectionJsonLine('not_utf8', { source: 'production/b.csv', arrived: '2026-11-30T11:00:00.000Z' }),
      rejectionJsonLine('too_large', { source: 'production/c.csv', arrived: '2026-12-01T09:00:00.000Z' }),
    ];
    for (const [i, dir] of dirs.entries()) {
      mkdirSync(join(dir, 'athena'), { recursive: true });
      writeFileSync(athenaCopyFile(dir, curatedTable('reports')), lines[i]);
    }
    const data = dirs.flatMap((d) => ['--data', d]);
    const run = async (args: string[]) => {
      const { code, out } = await captureOutput(() => query([...data, '--athena-copy', '--json', ...args]));
      expect(code).toBe(0);
      return out.split('\n').map((l) => JSON.parse(l) as unknown);
    };
    expect(await run(['--named', 'rejected_objects_by_day'])).toEqual([
      { day: '2026-11-30', reason: 'not_utf8', objects: 1 },
      { day: '2026-12-01', reason: 'too_large', objects: 1 },
    ]);
    // The refused objects add no rows to the totals.
    expect(await run(['--named', 'cleaning_totals'])).toEqual([
      {
        rows_in: report.rowsIn,
        rows_clean: report.rowsClean,
        duplicates: report.duplicates,
        quarantined: report.quarantined,
      },
    ]);
  });

  it('names a directory whose report.json is not JSON', async () => {
    const broken = join(root, 'broken');
    mkdirSync(broken);
    writeFileSync(join(broken, 'quarantine.csv'), 'line,last_line,reason,raw\n');
    writeFileSync(join(broken, 'report.json'), '{nope');
    const { code, err } = await captureOutput(() =>
      query(['--data', broken, 'SELECT count(*) FROM quarantine']),
    );
    expect(code).toBe(1);
    expect(err).toMatch(
      new RegExp(`^factory query: ${join(broken, 'report.json')}: not a preprocess report \\(`),
    );
  });

  it('counts quarantine reasons per day each source object arrived, as the Athena copy does', async () => {
    // Two exports of the line, arriving on two days (the files' modification times), with
    // ragged rows (a cell short) and text in a measurement.
    const [header, ...rows] = generateSyntheticCsv({ rows: 20, seed: 3 }).files[0].trimEnd().split('\n');
    const names = header.split(',');
    const feature = names.indexOf(DEFAULT_DATASET_SCHEMA.features[0]);
    const ragged = (row: string) => row.split(',').slice(0, -1).join(',');
    const text = (row: string) =>
      row
        .split(',')
        .map((c, i) => (i === feature ? 'about 40' : c))
        .join(',');
    const days: [string, string[]][] = [
      ['2026-11-30T23:59:00.000Z', [...rows.slice(0, 8), ragged(rows[8]), ragged(rows[9]), text(rows[10])]],
      ['2026-12-01T06:00:00.000Z', [...rows.slice(11, 18), ragged(rows[18])]],
    ];
    const dirs: string[] = [];
    for (const [i, [arrived, lines]] of days.entries()) {
      const input = join(root, `export-${i + 1}.csv`);
      writeFileSync(input, [header, ...lines].join('\n') + '\n');
      utimesSync(input, new Date(arrived), new Date(arrived));
      const dir = join(root, `export-${i + 1}`);
      expect((await captureOutput(() => preprocess([input, '--athena-copy', '--out', dir]))).code).toBe(0);
      dirs.push(dir);
    }
    const data = dirs.flatMap((d) => ['--data', d]);
    const expected = [
      { day: '2026-11-30', reason: 'ragged_row', records: 2, objects: 1 },
      { day: '2026-11-30', reason: 'non_numeric', records: 1, objects: 1 },
      { day: '2026-12-01', reason: 'ragged_row', records: 1, objects: 1 },
    ];
    const rowsOf = (out: string) => out.split('\n').map((l) => JSON.parse(l) as unknown);
    for (const copy of [[], ['--athena-copy']]) {
      const byDay = await captureOutput(() =>
        query([...data, ...copy, '--json', '--named', 'quarantine_reasons_by_day']),
      );
      expect({ copy, code: byDay.code, rows: rowsOf(byDay.out) }).toEqual({ copy, code: 0, rows: expected });
      const reasons = await captureOutput(() =>
        query([...data, ...copy, '--json', '--named', 'quarantine_reasons']),
      );
      expect(rowsOf(reasons.out)).toEqual([
        { reason: 'ragged_row', records: 3, objects: 2 },
        { reason: 'non_numeric', records: 1, objects: 1 },
      ]);
      // Every per-object table says where its rows came from and when that arrived.
      const origins = await captureOutput(() =>
        query([
          ...data,
          ...copy,
          '--json',
          'SELECT DISTINCT source, arrived FROM (SELECT source, arrived FROM quarantine UNION ALL ' +
            'SELECT source, arrived FROM group_stats UNION ALL SELECT source, arrived FROM reports) ORDER BY 1',
        ]),
      );
      expect(rowsOf(origins.out)).toEqual(
        days.map(([arrived], i) => ({ source: join(root, `export-${i + 1}.csv`), arrived })),
      );
    }
  });

  it('answers an unknown column with one line naming it and the tables there are', async () => {
    const { code, err } = await captureOutput(() => query(['--data', generated, 'SELECT nope FROM clean']));
    expect(code).toBe(1);
    expect(err.split('\n')).toHaveLength(1);
    expect(err).toMatch(/"nope" not found.*tables here: clean, train, quarantine, group_stats, reports/);
  });

  it('refuses an unknown named query listing the known ones', async () => {
    const { code, err } = await captureOutput(() => query(['--data', generated, '--named', 'nope']));
    expect(code).toBe(1);
    expect(err).toContain('--named nope: no such query; known: quality_by_line_and_day, rows_by_category');
  });
});
