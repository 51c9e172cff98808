/**
 * End to end: the flow `npm start` runs, at small scale, against a real moto_server, through the
 * same function the CLI calls (runLocalPipeline). Then the CLI itself: Ctrl-C while it serves,
 * and the one-line hint when moto_server is missing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort, MOTO_INSTALL_HINT } from '../../bin/local/moto-server';
import {
  BAD_RECORDS,
  platformConfig,
  runLocalPipeline,
  type LocalPipelineSummary,
} from '../../bin/local/pipeline';
import { csvRowAsRecord } from '../../bin/local/steps/firehose-ingest';
import { formatSummary } from '../../bin/local/summary-format';
import { REPO_ROOT } from '../../bin/local/trainer-hosts';
import { athenaTablePrefix, CURATED_TABLES } from '../../lambda/core/curated-tables';
import { HOLDOUT_SAMPLE_LIMIT, RESIDUAL_BINS } from '../../lambda/core/holdout-evaluation';
import { layoutKey } from '../../lambda/core/input-key';
import { ATHENA_COPY_KINDS, outputKeys } from '../../lambda/core/object-keys';
import type { ModelArtifact } from '../../lambda/core/model-artifact';
import type { SyntheticTruth } from '../../lambda/core/synthetic-data';
import { launchChromium, viewReport } from './report-view';

const ROWS = 20_000;
const FILES = 2;

/** True while a process with this pid exists (signal 0 only checks). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** moto_server processes listening on this port, by command line. */
function motoOnPort(port: number): string {
  const res = spawnSync('pgrep', ['-af', `moto_server -H 127.0.0.1 -p ${port}$`], { encoding: 'utf8' });
  return res.stdout.trim();
}

describe('the local pipeline, in process (20k rows, 2 files, p = 2 hosts)', () => {
  let summary: LocalPipelineSummary;
  let artifact: ModelArtifact;
  let truth: SyntheticTruth;
  let workDir: string;
  const endpointBefore = process.env.AWS_ENDPOINT_URL;
  const progress: string[] = [];
  let started: Date;
  let ended: Date;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'e2e-local-'));
    started = new Date(Date.now() - 1000);
    summary = await runLocalPipeline({
      rows: ROWS,
      files: FILES,
      seed: 7,
      workDir,
      // A fleet whose start-up is 1 s and c = 1 ms/row: with n ≈ 16k rows, p = 1 takes ~17 s
      // and p = 2 ~9 s, so a 12 s deadline asks for exactly two hosts.
      plan: {
        startupSeconds: 1,
        secondsPerUnit: 1e-3,
        serialSeconds: 0,
        deadlineSeconds: 12,
        maxInstances: 4,
      },
      maxLocalHosts: 2,
      // The 20k rows are 5.0 MiB of JSON Lines records: a 3 MiB Firehose buffer (ingest.bufferMiB,
      // 1..128) delivers them as two objects, so the plan's two hosts get one each.
      config: { ...platformConfig(), ingest: { ...platformConfig().ingest, bufferMiB: 3 } },
      // The generated CSVs stay, to count the duplicates each Firehose object holds.
      keepData: true,
      progress: (line) => progress.push(line),
    });
    ended = new Date(Date.now() + 1000);
    artifact = JSON.parse(readFileSync(summary.outputs.modelPath, 'utf8')) as ModelArtifact;
    truth = JSON.parse(readFileSync(summary.outputs.truthPath!, 'utf8')) as SyntheticTruth;
  });
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  it('reconciles every file: rows in = clean + duplicates + quarantined', () => {
    for (const f of summary.preprocess.files) {
      expect(f.status).toBe('processed');
      expect(f.rowsIn).toBe(f.rowsClean + f.duplicates + f.quarantined);
    }
    const sum = (k: 'rowsIn' | 'rowsClean' | 'duplicates' | 'quarantined') =>
      summary.preprocess.files.reduce((a, f) => a + f[k], 0);
    expect(summary.preprocess.totals).toEqual({
      rowsIn: sum('rowsIn'),
      rowsClean: sum('rowsClean'),
      duplicates: sum('duplicates'),
      quarantined: sum('quarantined'),
    });
    expect(summary.preprocess.totals.rowsIn).toBe(ROWS + BAD_RECORDS.length);
    expect(summary.preprocess.reconciled).toBe(true);
    expect(summary.preprocess.files).toHaveLength(2);
  });

  it("leaves in curated, for each processed object, its outputs and Athena's copy under the Glue tables' locations", () => {
    for (const f of summary.preprocess.files) {
      const keys = outputKeys({ key: layoutKey(f.key), versionId: f.versionId });
      const copy = CURATED_TABLES.map(
        (t) => keys[ATHENA_COPY_KINDS[t.name as keyof typeof ATHENA_COPY_KINDS]],
      );
      for (const [t, key] of CURATED_TABLES.map((t, i) => [t, copy[i]] as const))
        expect(key.startsWith(athenaTablePrefix(t))).toBe(true);
      const written = Object.entries(f.outputs ?? {})
        .filter(([kind]) => kind !== 'bucket')
        .map(([, key]) => key as string);
      expect(written).toEqual(expect.arrayContaining(copy));
      expect(f.curatedKeys).toEqual([...written].sort());
    }
  });

  it("answers the named queries on DuckDB over Athena's copy in curated, each record's origin its raw object", () => {
    const q = summary.preprocess.query!;
    expect(q.dirs).toHaveLength(summary.preprocess.files.length);
    const result = (name: string) => q.results.find((r) => r.name === name)!;
    const byDay = result('quarantine_reasons_by_day');
    expect(byDay.columns).toEqual(['day', 'reason', 'records', 'objects']);
    // Every quarantined record once, under the reasons the stored reports counted.
    const reasons: Record<string, number> = {};
    for (const [, reason, records] of byDay.rows)
      reasons[reason as string] = (reasons[reason as string] ?? 0) + (records as number);
    expect(reasons).toEqual(summary.preprocess.quarantineByReason);
    expect(Object.values(reasons).reduce((a, n) => a + n, 0)).toBe(BAD_RECORDS.length);
    const t = summary.preprocess.totals;
    expect(result('cleaning_totals').rows).toEqual([[t.rowsIn, t.rowsClean, t.duplicates, t.quarantined]]);
    // The origin in the copy: the raw key each record came from, and when moto stored that object
    // during this run (its Last-Modified, whole seconds).
    const rawKeys = new Set(summary.data.rawKeys.map((k) => k.key));
    const days = new Set([started, ended].map((d) => d.toISOString().slice(0, 10)));
    for (const [day] of byDay.rows) expect(days).toContain(day);
    for (const dir of q.dirs) {
      for (const line of readFileSync(join(dir, 'athena', 'quarantine.jsonl'), 'utf8')
        .trimEnd()
        .split('\n')) {
        if (line === '') continue;
        const record = JSON.parse(line) as { source: string; arrived: string };
        expect(rawKeys).toContain(record.source);
        const arrived = Date.parse(record.arrived);
        expect(arrived).toBeGreaterThanOrEqual(Math.floor(started.getTime() / 1000) * 1000);
        expect(arrived).toBeLessThanOrEqual(ended.getTime());
      }
    }
    expect(formatSummary(summary)).toContain("Query       DuckDB over Athena's copy in curated");
  });

  it('sends the rows through Firehose (PutRecordBatch on moto) into raw/ingest/ as gzip JSON Lines objects', () => {
    const { arrival, rawKeys } = summary.data;
    expect(arrival).toMatchObject({ path: 'firehose', records: ROWS + BAD_RECORDS.length, objects: 2 });
    if (arrival.path !== 'firehose') throw new Error('not through Firehose');
    expect(arrival.streamName).toBe('aiaas-factory-dev-telemetry');
    // Rows packed into Firehose records of up to 256 KiB (PACKED_RECORD_BYTES): the 5.0 MiB of rows
    // are 20 records, 15 of them (3.9 MB) fill the first call's 4 MB, the other 5 the second.
    expect(arrival.putRecordBatchCalls).toBe(2);
    for (const k of rawKeys) {
      expect(k.via).toBe('firehose');
      expect(k.key).toMatch(
        /^ingest\/\d{4}\/\d{2}\/\d{2}\/aiaas-factory-dev-telemetry-1-\d{4}(-\d{2}){5}-[0-9a-f-]{36}\.jsonl\.gz$/,
      );
    }
    expect(rawKeys.reduce((a, k) => a + (k.records ?? 0), 0)).toBe(ROWS + BAD_RECORDS.length);
    expect(summary.preprocess.files.map((f) => f.via)).toEqual(['firehose', 'firehose']);
    expect(formatSummary(summary)).toContain(
      `the data arrived through Firehose: ${(ROWS + 3).toLocaleString('en-US')} JSON Lines records in ` +
        `${arrival.putRecordBatchCalls} PutRecordBatch calls to delivery stream aiaas-factory-dev-telemetry`,
    );
  });

  it('finds exactly the duplicates within each Firehose object and quarantines exactly the malformed rows', () => {
    // The generator copies rows within a file; Firehose cuts objects by size, not by file, and
    // preprocess de-duplicates within an object: the expected count is the copies whose first
    // row is in the same object, from the records in the order they were sent.
    // Rows as the records sent (equal values, equal records: `1.50` and `1.5` are one number).
    const numeric = new Set([...summary.data.schema.features, summary.data.schema.target]);
    const rows = ['line-001.csv', 'line-002.csv'].flatMap((f) => {
      const [header, ...lines] = readFileSync(join(workDir, 'data', f), 'utf8')
        .trimEnd()
        .split('\n');
      return lines.map((line) => csvRowAsRecord(header.split(','), numeric, line));
    });
    let at = 0;
    let within = 0;
    for (const { records } of summary.data.rawKeys) {
      const object = rows.slice(at, at + records!);
      within += object.length - new Set(object).size;
      at += records!;
    }
    expect(at).toBe(ROWS + BAD_RECORDS.length);
    expect(within).toBeLessThanOrEqual(truth.duplicates);
    expect(summary.preprocess.totals.duplicates).toBe(within);
    expect(summary.preprocess.totals.quarantined).toBe(BAD_RECORDS.length);
    expect(summary.preprocess.quarantineByReason).toEqual({
      missing_key: 1,
      non_numeric: 1,
      bad_timestamp: 1,
    });
    // The malformed records follow file 2's rows (stream positions ROWS..ROWS+2): each is
    // quarantined with its own line in the object that holds it, and its JSON text.
    const [first, last] = summary.data.rawKeys;
    expect(summary.preprocess.quarantinedRows).toEqual(
      BAD_RECORDS.map((raw, i) => ({
        key: last.key,
        line: ROWS - first.records! + i + 1,
        reason: ['missing_key', 'non_numeric', 'bad_timestamp'][i],
        raw,
      })),
    );
    expect(formatSummary(summary)).toContain(
      `quarantined: line ${(ROWS - first.records! + 1).toLocaleString('en-US')} of ${last.key}, missing_key: {"timestamp"`,
    );
  });

  it('plans two hosts for the deadline and trains on both, each with one object', () => {
    expect(summary.plan.p).toBe(2);
    expect(summary.plan.feasible).toBe(true);
    expect(summary.plan.inputPrefix).toBe('train/');
    expect(summary.training.hosts).toBe(2);
    expect(summary.training.hostObjects.map((h) => h.objects)).toEqual([1, 1]);
    expect(artifact.capacity).toMatchObject({ engine: 'sagemaker', instances: 2, shards: 2 });
  });

  it('trains on every complete clean row the plan counted', () => {
    const { data } = artifact;
    expect(artifact.rows + artifact.metrics.rows).toBe(summary.plan.n);
    expect(data?.used).toBe(summary.plan.n);
  });

  it('promotes the model and serves that version', () => {
    expect(summary.evaluation.better).toBe(true);
    expect(summary.promotion.promoted).toBe(true);
    expect(summary.model.version).toBe(artifact.version);
    expect(summary.promotion.key).toBe(`models/${artifact.version}/model.json`);
    expect(summary.predict.modelVersion).toBe(artifact.version);
    expect(summary.predict.cardVersion).toBe(artifact.version);
  });

  it("registers the promoted model in moto's Model Registry, Approved, and says so", () => {
    expect(summary.registry).toEqual({
      group: `${platformConfig().prefix}-dev-models`,
      packageArn: `arn:aws:sagemaker:eu-west-1:123456789012:model-package/${platformConfig().prefix}-dev-models/1`,
      status: 'Approved',
    });
    expect(formatSummary(summary)).toContain(
      `registry: registered in the Model Registry as ${summary.registry.packageArn} (Approved)`,
    );
    expect(
      progress.some((line) => line.includes(`registry: model package ${summary.registry.packageArn}`)),
    ).toBe(true);
  });

  it('measures holdout metrics that match unit noise: R² > 0.8, RMSE and MAE near σ and σ·√(2/π)', () => {
    const m = summary.model.metrics;
    expect(m.on).toBe('holdout');
    expect(m.r2).toBeGreaterThan(0.8);
    expect(m.rmse).toBeGreaterThan(0.9);
    expect(m.rmse).toBeLessThan(1.1);
    expect(m.mae).not.toBeNull();
    expect(m.mae!).toBeGreaterThan(0.7);
    expect(m.mae!).toBeLessThan(0.9);
  });

  it('recovers every true weight and the bias within 4 standard errors', () => {
    const fit = summary.truth!;
    expect(fit.weights.map((w) => w.name)).toEqual([...artifact.features]);
    for (const w of [...fit.weights, fit.bias]) {
      expect(w.truth).toBe(w.name === 'bias' ? truth.bias : truth.weights[w.name]);
      expect(w.standardError).not.toBeNull();
      expect(Math.abs(w.fitted - w.truth) / w.standardError!).toBeLessThan(4);
    }
  });

  it('answers over HTTP with predictions equal to wᵀx + b recomputed from the artifact', () => {
    expect(summary.predict.status).toBe(200);
    for (const s of summary.predict.samples) {
      let expected = 0;
      artifact.features.forEach((f, j) => (expected += artifact.weights[j] * Number(s.row[f])));
      expected += artifact.bias;
      expect(s.result.prediction).toBe(expected);
      artifact.features.forEach((f, j) =>
        expect(s.result.contributions[f]).toBe(artifact.weights[j] * Number(s.row[f])),
      );
      expect(s.result.bias).toBe(artifact.bias);
    }
  });

  it('flags the injected anomaly on that feature only and leaves the typical row unflagged', () => {
    const [normal, anomaly] = summary.predict.samples;
    const { feature } = summary.predict.injected;
    expect(normal.result.anomalies).toEqual([]);
    expect(anomaly.result.anomalies).toEqual([feature]);
    expect(anomaly.result.zScores?.[feature]).toBeCloseTo(8, 2);
  });

  it('prints a summary with the reconciliation, the plan, the metrics, the weight table and the anomaly', () => {
    const text = formatSummary(summary);
    const t = summary.preprocess.totals;
    const n = (x: number) => x.toLocaleString('en-US');
    expect(text).toContain(
      `reconciled: rows in ${n(t.rowsIn)} = clean ${n(t.rowsClean)} + duplicates ${n(t.duplicates)} + quarantined 3`,
    );
    expect(text).toContain(`p = 2, T = ${summary.plan.plannedSeconds.toFixed(1)} s`);
    expect(text).toContain(`R² ${summary.model.metrics.r2.toFixed(4)}`);
    for (const f of artifact.features) expect(text).toMatch(new RegExp(`^\\s+${f}\\s+-?\\d`, 'm'));
    expect(text).toMatch(/anomalies: vibration/);
    expect(text).toContain(summary.outputs.workDir);
  });

  it("writes the trainer's report.html into the run directory and prints its path", () => {
    const report = readFileSync(summary.outputs.reportPath, 'utf8');
    expect(summary.outputs.reportPath).toBe(join(workDir, 'report.html'));
    expect(report.startsWith('<!doctype html>')).toBe(true);
    // the report of the promoted candidate: its version, and the 2-host leader's measured time
    expect(report).toContain(`<title>Model report: ${artifact.target} (${artifact.version})</title>`);
    expect(report).toContain(`1000 of ${artifact.metrics.rows} held-out rows`);
    expect(report).toContain('the first host&#39;s own wall time');
    expect(formatSummary(summary)).toContain(
      `Model report (open in a browser): ${summary.outputs.reportPath}`,
    );
  });

  it('shows that report in headless Chromium: every chart with as many marks as its data', async () => {
    const browser = await launchChromium();
    try {
      const categories = Object.keys(artifact.profiles).length;
      const view = await viewReport(browser, readFileSync(summary.outputs.reportPath, 'utf8'), [
        { chart: 'holdout-scatter', marks: Math.min(artifact.metrics.rows, HOLDOUT_SAMPLE_LIMIT) },
        { chart: 'residuals', marks: RESIDUAL_BINS },
        { chart: 'weights', marks: artifact.features.length },
        ...artifact.features.map((_, j) => ({ chart: `profile-${j}`, marks: categories })),
        { chart: 'capacity', marks: 2 },
      ]);
      expect(view.problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('stops moto_server, restores the environment and reports progress on stderr-style lines', () => {
    expect(alive(summary.moto.pid)).toBe(false);
    expect(motoOnPort(Number(new URL(summary.moto.endpoint).port))).toBe('');
    expect(process.env.AWS_ENDPOINT_URL).toBe(endpointBefore);
    expect(progress.find((l) => l.includes('firehose: '))).toMatch(
      /firehose: 20003 JSON Lines records in 2 PutRecordBatch calls \(20 Firehose records of up to 256 KiB\)/,
    );
    expect(progress.some((l) => /preprocess 2\/2/.test(l))).toBe(true);
    expect(progress.every((l) => /^\[\s*\d+\.\ds\] /.test(l))).toBe(true);
  });
});

/** `node --import tsx bin/factory.ts local ...` with the given environment. */
function cli(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawn(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'bin', 'factory.ts'), 'local', ...args],
    {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

describe('npm start (the local command)', () => {
  it('serves with --keep-running until SIGINT, then exits 0 and leaves no moto_server behind', async () => {
    const port = await freePort();
    const child = cli(['--rows', '3000', '--files', '2', '--keep-running', '--port', String(port)]);
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        if (stderr.includes('serving until Ctrl-C')) resolve();
      });
      child.once('exit', () => reject(new Error(`exited before serving:\n${stderr}`)));
    });
    const motoPid = Number(/moto_server up on \S+ \(pid (\d+)\)/.exec(stderr)?.[1]);
    expect(alive(motoPid)).toBe(true);
    const card = await fetch(`http://127.0.0.1:${port}/model`);
    expect(card.status).toBe(200);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stdout).toContain('reconciled: rows in 3,003 = clean');
    expect(alive(motoPid)).toBe(false);
    await expect(fetch(`http://127.0.0.1:${port}/model`)).rejects.toThrow();
  });

  it('prints one line with the install hint and exits 1 when moto_server is not on PATH', async () => {
    const child = cli(['--rows', '100'], { ...process.env, PATH: dirname(process.execPath) });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(stderr).toBe(`${MOTO_INSTALL_HINT}\n`);
    expect(stdout).toBe('');
  });
});

const MILLING = join(REPO_ROOT, 'test', 'fixtures', 'real-shaped', 'milling.csv');

/** The fixture's rows without a quoted field, by UDI, as the API takes them (numbers as numbers). */
function fixtureRows(): Map<number, Record<string, string | number | null>> {
  const [header, ...lines] = readFileSync(MILLING, 'utf8').trimEnd().split('\n');
  const names = header.split(',');
  const rows = new Map<number, Record<string, string | number | null>>();
  for (const line of lines) {
    if (line.includes('"')) continue;
    const cells = line.split(',');
    const row = Object.fromEntries(
      names.map((n, k) => [
        n,
        cells[k] === '' ? null : n === 'Type' || Number.isNaN(Number(cells[k])) ? cells[k] : Number(cells[k]),
      ]),
    );
    rows.set(Number(row.UDI), row);
  }
  return rows;
}

describe("npm start -- --input: your own CSV, not the generator's", () => {
  it('runs every step on it, predicts a real row of it, serves it with --keep-running and stops on SIGINT', async () => {
    const port = await freePort();
    const child = cli([
      '--input',
      MILLING,
      '--target',
      'Tool wear [min]',
      '--keep-running',
      '--port',
      String(port),
      '--json',
    ]);
    let stderr = '';
    let stdout = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const printed = new Promise<LocalPipelineSummary>((resolve) => {
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        try {
          resolve(JSON.parse(stdout) as LocalPipelineSummary);
        } catch {
          // not all of it yet
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        if (stderr.includes('serving until Ctrl-C')) resolve();
      });
      child.once('exit', () => reject(new Error(`exited before serving:\n${stderr}`)));
    });
    try {
      const summary = await printed;

      // Every step ran on the user's rows, with the names as the header spells them.
      expect(summary.data).toMatchObject({
        source: 'input',
        inputs: [MILLING],
        rows: 800,
        files: 1,
        badRows: 0,
      });
      // The schema factory schema infers for the file (its fixture schema file).
      expect(summary.data.schema).toEqual(
        JSON.parse(readFileSync(MILLING.replace(/\.csv$/, '.schema.json'), 'utf8')),
      );
      expect(summary.preprocess.files.map((f) => [f.key, f.status, f.rowsIn])).toEqual([
        ['production/milling.csv', 'processed', 800],
      ]);
      expect(summary.preprocess.totals.rowsIn).toBe(800);
      expect(summary.preprocess.reconciled).toBe(true);
      expect(summary.truth).toBeUndefined();
      expect(summary.model.features).toEqual(summary.data.schema.features);
      expect(summary.model.category).toBe('Type');
      expect(summary.promotion.promoted).toBe(true);
      // 766 complete rows (17 have an empty torque or vibration cell), 80/20 by row hash.
      expect(summary.plan.n).toBe(766);
      expect(summary.model.metrics.r2).toBeGreaterThan(0.8);

      // The demonstration sent a real row of the file: every column, the others ignored and listed once.
      const rows = fixtureRows();
      const [typical, anomaly] = summary.predict.samples;
      expect(typical.row).toEqual(rows.get(Number(typical.row.UDI)));
      expect(summary.predict.ignoredFields).toEqual(['UDI', 'Product ID', 'Operator', 'Tool wear [min]']);
      expect(typical.result.anomalies).toEqual([]);
      expect(typical.result.categoryKnown).toBe(true);
      expect(anomaly.result.anomalies).toEqual([summary.predict.injected.feature]);
      let expected = 0;
      summary.model.features.forEach(
        (f, j) => (expected += summary.model.weights[j] * Number(typical.row[f])),
      );
      expect(typical.result.prediction).toBe(expected + summary.model.bias);

      // --keep-running serves the model: another real row of the file, as it is.
      const real = [...rows.values()].find(
        (r) => r.UDI !== typical.row.UDI && !Object.values(r).includes(null),
      )!;
      const res = await fetch(`http://127.0.0.1:${port}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ rows: [real] }),
      });
      const body = (await res.json()) as { predictions: { prediction: number }[]; ignoredFields: string[] };
      expect(res.status).toBe(200);
      expect(body.ignoredFields).toEqual(['UDI', 'Product ID', 'Operator', 'Tool wear [min]']);
      expect(Number.isFinite(body.predictions[0].prediction)).toBe(true);
      expect(stderr).toContain(`curl -s -X POST http://127.0.0.1:${port}/predict`);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    await expect(fetch(`http://127.0.0.1:${port}/model`)).rejects.toThrow();
  });

  it('refuses a --target the header does not have in one line, before starting moto_server', async () => {
    const child = cli(['--input', MILLING, '--target', 'quality']);
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^factory local: --input \S+milling\.csv: --target "quality" is not a column of the header \(13 columns: "UDI", /,
      ),
    ]);
  });
});
