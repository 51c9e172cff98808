/**
 * `npm run bench:predict -- [--iterations 20000]`
 *
 * Serving figures, each printed next to its goal (issue 6):
 *   - in-process handler latency, p50/p99, for 1 row and for 1000 rows, with a warm model: the
 *     real handler (Powertools Logger at INFO and Metrics EMF, output discarded) over the real
 *     S3 model cache after its first load from moto_server; the API Gateway event in, the JSON
 *     response string out;
 *   - batch throughput in rows/s: end to end through the handler (JSON.parse → decode → score →
 *     JSON.stringify), and the core alone (decode + score of already-parsed rows);
 *   - bundle size: esbuild bundle of lambda/handlers/predict.ts, minified, SDK bundled;
 *   - cold init: a fresh `node` process requiring that bundle and answering one POST /predict
 *     against a model in moto_server (S3 pointer + artifact reads included), median of 5.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { build } from 'esbuild';
import { startMoto, useMotoEnvironment } from '../bin/local/moto-server';
import { apiGatewayEvent, lambdaContext } from '../bin/local/lambda-context';
import { ModelCache } from '../lambda/adapters/model-cache';
import { DEFAULT_DATASET_SCHEMA } from '../lambda/core/dataset-schema';
import { DRIFT_HISTOGRAM_FORMAT } from '../lambda/core/drift';
import { MODEL_ARTIFACT_FORMAT, type ModelArtifact } from '../lambda/core/model-artifact';
import { decodePredictRequest } from '../lambda/core/predict-request';
import { compileModel, predictRows } from '../lambda/core/scoring';
import { createPredictHandler } from '../lambda/handlers/predict';

const ROOT = resolve(__dirname, '..');
const BUCKET = 'bench-models';
const GOALS = { p99OneRowMs: 1, rowsPerSecond: 1_000_000, bundleBytes: 500 * 1024, coldInitMs: 150 };

/** A model in the default schema: 10 features, 6 categories, realistic magnitudes. */
function benchArtifact(): ModelArtifact {
  const features = DEFAULT_DATASET_SCHEMA.features;
  const base = [70, 5, 0.3, 1500, 45, 30, 12, 230, 0.2, 0.4];
  const spread = [5, 0.5, 0.05, 100, 5, 3, 1.5, 5, 0.03, 0.2];
  const profiles: Record<string, { count: number; mean: number[]; std: number[] }> = {};
  for (let k = 0; k < 6; k++) {
    profiles[`C${k}`] = {
      count: 100_000,
      mean: base.map((m, j) => m + k * spread[j] * 0.2),
      std: spread.map((s) => s * (1 + k * 0.05)),
    };
  }
  return {
    format: MODEL_ARTIFACT_FORMAT,
    version: '20250101T000000Z-bench',
    trainedAt: '2025-01-01T00:00:00.000Z',
    target: 'quality',
    category: 'category',
    features,
    weights: features.map((_, j) => 0.137 * (j + 1) - 0.61),
    bias: 12.345,
    standardErrors: features.map(() => 0.001),
    biasStandardError: 0.01,
    residualStd: 0.41,
    scaling: { mean: base, std: spread },
    profiles,
    metrics: { r2: 0.93, rmse: 0.41, mae: 0.33, rows: 200_000, on: 'holdout' },
    rows: 1_000_000,
    fill: 'none',
    ridge: 0,
    holdout: 0.2,
    lineage: {
      inputs: [{ key: 'curated/bench.csv', etag: '"x"' }],
      configHash: 'b'.repeat(64),
      codeVersion: 'bench',
    },
    capacity: { engine: 'local', instances: 1, shards: 1 },
    // Training histograms at the Gaussian deciles, so every request logs its drift counts as a
    // trained model's do (lambda/core/drift.ts).
    drift: {
      format: DRIFT_HISTOGRAM_FORMAT,
      sampleRows: 4096,
      features: base.map((m, j) => ({
        edges: [-1.2816, -0.8416, -0.5244, -0.2533, 0, 0.2533, 0.5244, 0.8416, 1.2816].map(
          (z) => m + z * spread[j],
        ),
        counts: [410, 410, 410, 410, 409, 409, 410, 410, 409, 409],
      })),
    },
  };
}

/** Deterministic rows around the profiles, a few percent far out (anomalies). */
function benchRows(n: number, seed = 7): Record<string, string | number>[] {
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const a = benchArtifact();
  return Array.from({ length: n }, () => {
    const category = `C${Math.floor(rand() * 6)}`;
    const p = a.profiles[category];
    const row: Record<string, string | number> = { category };
    a.features.forEach((f, j) => {
      const z = (rand() + rand() + rand() - 1.5) * 2 * (rand() < 0.02 ? 3 : 1);
      row[f] = Math.round((p.mean[j] + z * p.std[j]) * 1000) / 1000;
    });
    return row;
  });
}

const event = (body: string) => apiGatewayEvent('POST', '/predict', body);

const context = lambdaContext({ functionName: 'predict', requestId: 'bench', remainingMs: 10_000 });

function percentile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

const ms = (v: number) => `${v < 1 ? v.toFixed(3) : v.toFixed(1)} ms`;
const verdict = (ok: boolean) => (ok ? 'meets goal' : 'MISSES goal');

/** Discards what the Logger and Metrics write to stdout while `fn` runs (they still format it). */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return await fn();
  } finally {
    process.stdout.write = write;
  }
}

async function coldInitOnce(bundle: string, endpoint: string, body: string, nodeOptions = '') {
  const script = `
    const t0 = performance.now();
    const { handler } = require(${JSON.stringify(bundle)});
    const t1 = performance.now();
    handler(${JSON.stringify(event(body))}, { awsRequestId: 'cold', functionName: 'predict', getRemainingTimeInMillis: () => 10000 }).then((r) => {
      const t2 = performance.now();
      process.stderr.write('@@' + JSON.stringify({ bootMs: t0, requireMs: t1 - t0, firstRequestMs: t2 - t1, totalMs: t2, status: r.statusCode }) + '\\n');
    });`;
  const started = performance.now();
  const child = spawn(process.execPath, ['-e', script], {
    env: {
      PATH: process.env.PATH,
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      MODELS_BUCKET: BUCKET,
      NODE_OPTIONS: nodeOptions,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  const wallMs = performance.now() - started;
  const line = stderr.split('\n').find((l) => l.startsWith('@@'));
  if (code !== 0 || !line) throw new Error(`cold init child failed (${code}):\n${stderr}`);
  const reported = JSON.parse(line.slice(2)) as Record<
    'bootMs' | 'requireMs' | 'firstRequestMs' | 'totalMs' | 'status',
    number
  >;
  return { ...reported, wallMs };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { iterations: { type: 'string', default: '20000' } } });
  const iterations = Number(values.iterations);
  const artifact = benchArtifact();

  console.log('bench:predict: starting moto_server and promoting a 10-feature model ...');
  const moto = await startMoto();
  const dir = mkdtempSync(join(tmpdir(), 'bench-predict-'));
  try {
    useMotoEnvironment(moto.endpoint);
    const s3 = new S3Client({ endpoint: moto.endpoint, forcePathStyle: true });
    await s3.send(
      new CreateBucketCommand({
        Bucket: BUCKET,
        CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
      }),
    );
    const key = `models/${artifact.version}/model.json`;
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: JSON.stringify(artifact) }));
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'models/current.json',
        Body: JSON.stringify({
          version: artifact.version,
          key,
          promotedAt: artifact.trainedAt,
          metrics: artifact.metrics,
        }),
      }),
    );

    // --- in-process handler, warm model -------------------------------------------------------
    const logger = new Logger({ serviceName: 'predict', logLevel: 'INFO' });
    const metrics = new Metrics({ namespace: 'AiaasFactory', serviceName: 'predict' });
    const models = new ModelCache({ s3, bucket: BUCKET, maxAgeSeconds: 3600, logger });
    const handler = createPredictHandler({
      config: { maxRows: 1000, maxBodyBytes: 1 << 20, anomalyZ: 3, fillMissing: 'reject' },
      models,
      logger,
      metrics,
    });
    const rows1000 = benchRows(1000);
    const one = event(JSON.stringify({ rows: rows1000.slice(0, 1) }));
    const many = event(JSON.stringify({ rows: rows1000 }));

    const measure = async (ev: APIGatewayProxyEvent, n: number) =>
      quietly(async () => {
        for (let i = 0; i < Math.min(2000, n); i++) {
          const r = await handler(ev, context);
          if (r.statusCode !== 200)
            throw new Error(`bench request failed: ${r.statusCode} ${r.body.slice(0, 300)}`);
        }
        const times = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          const t = performance.now();
          await handler(ev, context);
          times[i] = performance.now() - t;
        }
        times.sort();
        const total = times.reduce((a, b) => a + b, 0);
        return { p50: percentile(times, 0.5), p99: percentile(times, 0.99), mean: total / n };
      });
    const single = await measure(one, iterations);
    const batch = await measure(many, Math.max(200, Math.floor(iterations / 40)));
    const handlerRowsPerSecond = 1000 / (batch.mean / 1000);

    // --- core alone: decode + score of parsed rows ---------------------------------------------
    const model = compileModel(artifact);
    const parsed = { rows: rows1000 };
    const coreRounds = Math.max(200, Math.floor(iterations / 20));
    let anomalies = 0;
    for (let i = 0; i < 200; i++)
      predictRows(model, decodePredictRequest(parsed, model, { maxRows: 1000, fillMissing: 'reject' }), {
        anomalyZ: 3,
      });
    const c0 = performance.now();
    for (let i = 0; i < coreRounds; i++) {
      const out = predictRows(
        model,
        decodePredictRequest(parsed, model, { maxRows: 1000, fillMissing: 'reject' }),
        { anomalyZ: 3 },
      );
      anomalies += out[i % 1000].anomalies.length;
    }
    const coreRowsPerSecond = (coreRounds * 1000) / ((performance.now() - c0) / 1000);

    // --- where a 1000-row request's time goes ----------------------------------------------------
    const perCall = (fn: () => unknown, n: number) => {
      for (let i = 0; i < 50; i++) fn();
      const t = performance.now();
      for (let i = 0; i < n; i++) fn();
      return (performance.now() - t) / n;
    };
    const bodyText = JSON.stringify(parsed);
    const decoded = decodePredictRequest(parsed, model, { maxRows: 1000, fillMissing: 'reject' });
    const scored = predictRows(model, decoded, { anomalyZ: 3 });
    const split = {
      parse: perCall(() => JSON.parse(bodyText), 200),
      decode: perCall(
        () => decodePredictRequest(parsed, model, { maxRows: 1000, fillMissing: 'reject' }),
        400,
      ),
      score: perCall(() => predictRows(model, decoded, { anomalyZ: 3 }), 400),
      stringify: perCall(() => JSON.stringify({ modelVersion: model.version, predictions: scored }), 100),
    };

    // --- bundle ---------------------------------------------------------------------------------
    // esbuild's default for platform node resolves the SDK's CommonJS build (one file per package,
    // not tree-shakable); preferring the ES module build ("module" first) lets esbuild drop what
    // GetObject does not use. Both are measured; the second is the recommended bundling setting.
    const bundleWith = async (name: string, mainFields?: string[], sourcemap = false) => {
      const outfile = join(dir, `predict-${name}.js`);
      await build({
        entryPoints: [join(ROOT, 'lambda/handlers/predict.ts')],
        bundle: true,
        minify: true,
        platform: 'node',
        target: 'node22',
        format: 'cjs',
        ...(mainFields ? { mainFields } : {}),
        ...(sourcemap ? { sourcemap: true, sourcesContent: false } : {}),
        outfile,
        logLevel: 'error',
      });
      return { outfile, bytes: statSync(outfile).size, gz: gzipSync(readFileSync(outfile)).length };
    };
    const plain = await bundleWith('default');
    const shaken = await bundleWith('module-first', ['module', 'main']);
    const bundle = shaken.outfile;
    // The house function construct ships a source map and runs with --enable-source-maps.
    const mapped = await bundleWith('module-first-mapped', ['module', 'main'], true);

    // --- cold init -----------------------------------------------------------------------------
    const cold: Awaited<ReturnType<typeof coldInitOnce>>[] = [];
    for (let i = 0; i < 5; i++)
      cold.push(await coldInitOnce(bundle, moto.endpoint, JSON.stringify({ rows: rows1000.slice(0, 1) })));
    const coldMapped: typeof cold = [];
    for (let i = 0; i < 5; i++) {
      const body = JSON.stringify({ rows: rows1000.slice(0, 1) });
      coldMapped.push(await coldInitOnce(mapped.outfile, moto.endpoint, body, '--enable-source-maps'));
    }
    const medianMappedWall = coldMapped.map((c) => c.wallMs).sort((a, b) => a - b)[2];
    const median = (k: keyof (typeof cold)[number]) => cold.map((c) => c[k]).sort((a, b) => a - b)[2];
    if (cold.some((c) => c.status !== 200)) throw new Error('cold init request did not answer 200');

    s3.destroy();
    const row = (name: string, figure: string, goal: string, ok?: boolean) =>
      console.log(
        `  ${name.padEnd(44)} ${figure.padEnd(22)} ${goal.padEnd(20)} ${ok === undefined ? '' : verdict(ok)}`,
      );
    console.log(
      `\nbench:predict  (node ${process.version}, ${iterations} single-row requests; 10 features, 6 categories)`,
    );
    row('figure', 'measured', 'goal');
    row('handler, 1 row: p50', ms(single.p50), '');
    row('handler, 1 row: p99', ms(single.p99), `≤ ${GOALS.p99OneRowMs} ms`, single.p99 <= GOALS.p99OneRowMs);
    row('handler, 1000 rows: p50', ms(batch.p50), '');
    row('handler, 1000 rows: p99', ms(batch.p99), '');
    row(
      'batch throughput, handler end to end',
      `${Math.round(handlerRowsPerSecond).toLocaleString('en')} rows/s`,
      `≥ 1,000,000 rows/s`,
      handlerRowsPerSecond >= GOALS.rowsPerSecond,
    );
    row(
      'batch throughput, core decode + score',
      `${Math.round(coreRowsPerSecond).toLocaleString('en')} rows/s`,
      `≥ 1,000,000 rows/s`,
      coreRowsPerSecond >= GOALS.rowsPerSecond,
    );
    row('  1000 rows: JSON.parse of the body', ms(split.parse), '');
    row('  1000 rows: decode (validate)', ms(split.decode), '');
    row('  1000 rows: score (predict, explain, z)', ms(split.score), '');
    row('  1000 rows: JSON.stringify of the response', ms(split.stringify), '');
    console.log(
      `  (end to end is bound by formatting ${2 * model.features.length + 2} doubles per row in JSON.stringify:` +
        ` ${Math.round(1000 / split.stringify).toLocaleString('en')}k rows/s for that step alone)`,
    );
    const kb = (b: { bytes: number; gz: number }) =>
      `${(b.bytes / 1024).toFixed(1)} KB (${(b.gz / 1024).toFixed(0)} KB gz)`;
    row('bundle, esbuild defaults (SDK CommonJS)', kb(plain), '≤ 500 KB', plain.bytes <= GOALS.bundleBytes);
    row("bundle, mainFields ['module','main']", kb(shaken), '≤ 500 KB', shaken.bytes <= GOALS.bundleBytes);
    row(
      'cold init: spawn → first answer (wall)',
      ms(median('wallMs')),
      `≤ ${GOALS.coldInitMs} ms`,
      median('wallMs') <= GOALS.coldInitMs,
    );
    row('  of which node boot', ms(median('bootMs')), '');
    row('  of which require(bundle)', ms(median('requireMs')), '');
    row('  of which first request (2 S3 GETs)', ms(median('firstRequestMs')), '');
    row(
      'cold init with --enable-source-maps (wall)',
      ms(medianMappedWall),
      `≤ ${GOALS.coldInitMs} ms`,
      medianMappedWall <= GOALS.coldInitMs,
    );
    console.log(
      `  (${anomalies} anomaly flags in the core loop; load average ${loadavg()[0].toFixed(1)} on ${cpus().length} CPUs; cold init: median of 5 fresh processes, module-first bundle, against moto_server on loopback)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await moto.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`bench:predict: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
