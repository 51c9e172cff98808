/**
 * `factory train IN.csv|DIR ... --out model.json [--holdout F] [--fill none|mean] [--ridge R]
 *  [--task auto|regression|classification] [--positive-class V] [--shards P] [--schema schema.json] [--json]`
 *
 * A CSV file is raw input: it runs through preprocess's de-duplication (and, with --fill mean,
 * its mean fill) before the fit, exactly as the pipeline would. A directory is preprocess
 * output (`factory preprocess --out DIR`: train.csv / clean.csv / stats.json, or the bucket
 * layout train/ clean/ stats/): its rows are read as they are, and with --task regression,
 * --holdout 0 and fill none its statistics partials alone suffice, so no row is read at all
 * (co-moments: exact to cond² · 1e-16 rather than the QR fit's cond · 1e-16).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import type { DatasetSchema } from '../../lambda/core/dataset-schema';
import { TASK_SETTINGS, type TaskSetting } from '../../lambda/core/logistic';
import type { HoldoutEvaluation } from '../../lambda/core/holdout-evaluation';
import type { ModelArtifact } from '../../lambda/core/model-artifact';
import { renderModelReport } from '../../lambda/core/model-report';
import { reportBeside } from '../../lambda/core/models-layout';
import { parseStatsPartial, type StatsPartial } from '../../lambda/core/stats-partial-schema';
import {
  FILL_MODES,
  artifactFromResult,
  shardFromStats,
  solveMerged,
  trainSources,
  type FillMode,
  type TrainOptions,
  type TrainingSource,
} from '../../lambda/core/train';
import { fileSpills } from '../../lambda/trainer/file-spill';
import { listFiles, localSource } from '../../lambda/trainer/sources';
import { EXIT, OK_OR_FAILURE_HELP, fail, parseFlags, UsageError } from './command-line';
import { SCHEMA_HELP, trainingSchema } from './schema-file';

export const TRAIN_USAGE = `usage: factory train IN.csv|DIR [IN2.csv|DIR ...] --out model.json [options]
  IN.csv             raw CSV: de-duplicated (and mean-filled with --fill mean) by preprocess's core first
  DIR                preprocess output (train.csv/clean.csv/stats.json, or train/ clean/ stats/)
  --out FILE         where to write the model artifact (JSON); its report (HTML) goes beside it
  --holdout F        fraction of rows held out by row hash for metrics, in [0, 1) (default 0.2)
  --fill none|mean   none: fit the complete rows (default); mean: fill then fit (the article)
  --ridge R          ridge (L2) penalty on the standardised problem (default 0: ordinary least squares,
                     unpenalised logistic regression)
  --task T           auto (default): classification (logistic regression) when the target has exactly
                     two distinct values (pass/fail), else regression; or regression | classification
  --positive-class V classification: the target value that is the positive class (default: the rarer)
  --shards P         deal the inputs over P partials, merged before the solve (default 1)
  --schema FILE      dataset schema JSON (default: the schema preprocess recorded in DIR/stats.json,
                     else the built-in production-line schema; format below)
  --json             print the summary as JSON
${OK_OR_FAILURE_HELP}

${SCHEMA_HELP}`;

/** A statistics partial, checked; named when it is not JSON (it is one of ours, but may be truncated). */
async function readStats(path: string): Promise<{ bytes: Buffer; stats: StatsPartial }> {
  const bytes = await readFile(path);
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new Error(`${path}: not valid JSON (a statistics partial from factory preprocess)`);
  }
  return { bytes, stats: parseStatsPartial(value, path) };
}

function codeVersion(): string {
  const root = resolve(__dirname, '..', '..');
  let version = 'unknown';
  try {
    version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    // keep unknown
  }
  try {
    const head = readFileSync(join(root, '.git', 'HEAD'), 'utf8').trim();
    const ref = head.startsWith('ref: ')
      ? readFileSync(join(root, '.git', head.slice(5)), 'utf8').trim()
      : head;
    if (/^[0-9a-f]{40}$/.test(ref)) version += `+${ref.slice(0, 12)}`;
  } catch {
    // not a git checkout (packed refs or none): the package version alone
  }
  return version;
}

function numberOption(
  name: string,
  raw: string | undefined,
  fallback: number,
  ok: (v: number) => boolean,
  rule: string,
): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === '' || !ok(v))
    throw new UsageError(`--${name} must be ${rule}, got ${JSON.stringify(raw)}`);
  return v;
}

interface Plan {
  sources: TrainingSource[];
  stats: { key: string; path: string }[];
  /** Every input is preprocess output with statistics partials. */
  statsComplete: boolean;
}

/** Resolves the positional inputs into training sources (and statistics partials for directories). */
async function planInputs(inputs: readonly string[], fill: FillMode): Promise<Plan> {
  const sources: TrainingSource[] = [];
  const stats: { key: string; path: string }[] = [];
  let statsComplete = true;
  for (const input of inputs) {
    if (!existsSync(input)) throw new Error(`${input}: no such file or directory`);
    if (statSync(input).isFile()) {
      sources.push(await localSource(input, input, 'raw'));
      statsComplete = false;
      continue;
    }
    const rows = fill === 'none' ? 'train' : 'clean';
    if (existsSync(join(input, `${rows}.csv`))) {
      const source = await localSource(join(input, `${rows}.csv`), join(input, `${rows}.csv`), 'curated');
      if (existsSync(join(input, 'stats.json'))) {
        stats.push({ key: join(input, 'stats.json'), path: join(input, 'stats.json') });
        // the train rows' profiles come from their statistics partial, not a per-row pass
        const partial = fill === 'none' ? (await readStats(join(input, 'stats.json'))).stats : undefined;
        sources.push(partial ? { ...source, stats: partial } : source);
      } else {
        sources.push(source);
        statsComplete = false;
      }
    } else if (existsSync(join(input, rows)) && statSync(join(input, rows)).isDirectory()) {
      const dir = join(input, rows);
      const csvs = (await listFiles(dir)).filter((f) => f.endsWith('.csv'));
      for (const f of csvs) sources.push(await localSource(join(dir, f), join(dir, f), 'curated'));
      const statsDir = join(input, 'stats');
      const jsons = existsSync(statsDir)
        ? (await listFiles(statsDir)).filter((f) => f.endsWith('.json'))
        : [];
      for (const f of jsons) stats.push({ key: join(statsDir, f), path: join(statsDir, f) });
      if (jsons.length !== csvs.length) statsComplete = false;
    } else {
      throw new UsageError(`${input}: a directory must be preprocess output holding ${rows}.csv or ${rows}/`);
    }
  }
  return { sources, stats, statsComplete };
}

function summary(artifact: ModelArtifact, out: string, fromStats: boolean): string {
  const m = artifact.metrics;
  const fmt = (v: number) =>
    Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toPrecision(4);
  const weights = artifact.features
    .map((f, j) => `${f}=${fmt(artifact.weights[j])}±${fmt(artifact.standardErrors?.[j] ?? NaN)}`)
    .join(' ');
  const on = m.on === 'holdout' ? `holdout ${m.rows} rows` : `in-sample`;
  const c = m.classification;
  const scores = c
    ? `log-loss ${c.logLoss.toFixed(4)} AUC ${c.auc === null ? 'n/a' : c.auc.toFixed(4)} accuracy ${c.accuracy.toFixed(4)} ` +
      `precision ${c.precision.toFixed(4)} recall ${c.recall.toFixed(4)} at ${c.threshold} ` +
      `(TP ${c.confusion.tp} FP ${c.confusion.fp} TN ${c.confusion.tn} FN ${c.confusion.fn})`
    : `R² ${m.r2.toFixed(4)} RMSE ${fmt(m.rmse)}${m.mae === null ? '' : ` MAE ${fmt(m.mae)}`}`;
  const task =
    artifact.task === 'classification'
      ? `classification, logistic regression: P(${artifact.target} = ${artifact.classes?.positive}), ${artifact.iterations} Newton passes`
      : 'regression, least squares';
  return (
    `trained ${artifact.rows} rows (${task}; fill ${artifact.fill}${fromStats ? ', from statistics partials' : ''}): ` +
    `${scores} (${on}) | ` +
    `bias ${fmt(artifact.bias)} | ${weights}${artifact.task === 'classification' ? ' (log-odds)' : ''} | ${artifact.version} → ${out}` +
    (artifact.warnings ?? []).map((w) => `\nwarning: ${w}`).join('')
  );
}

export async function run(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseFlags({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        holdout: { type: 'string' },
        fill: { type: 'string' },
        ridge: { type: 'string' },
        task: { type: 'string' },
        'positive-class': { type: 'string' },
        shards: { type: 'string' },
        schema: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) {
      console.log(TRAIN_USAGE);
      return EXIT.ok;
    }
    if (positionals.length === 0 || !values.out)
      throw new UsageError('need at least one input and --out FILE');
    const fill = (values.fill ?? 'none') as FillMode;
    if (!FILL_MODES.includes(fill))
      throw new UsageError(`--fill must be none or mean, got ${JSON.stringify(values.fill)}`);
    const holdout = numberOption(
      'holdout',
      values.holdout,
      0.2,
      (v) => v >= 0 && v < 1,
      'a number in [0, 1)',
    );
    const ridge = numberOption(
      'ridge',
      values.ridge,
      0,
      (v) => v >= 0 && Number.isFinite(v),
      'a number >= 0',
    );
    const shards = numberOption(
      'shards',
      values.shards,
      1,
      (v) => Number.isInteger(v) && v >= 1,
      'a whole number >= 1',
    );
    // --schema, else the schema preprocess recorded in DIR/stats.json, else the default.
    const schema: DatasetSchema = await trainingSchema(values.schema, positionals);
    const task = (values.task ?? 'auto') as TaskSetting;
    if (!TASK_SETTINGS.includes(task))
      throw new UsageError(`--task must be ${TASK_SETTINGS.join(', ')}, got ${JSON.stringify(values.task)}`);
    const positiveClass =
      values['positive-class'] === undefined
        ? undefined
        : numberOption(
            'positive-class',
            values['positive-class'],
            0,
            Number.isFinite,
            'a number (a value of the target)',
          );
    const options: TrainOptions = {
      schema,
      holdout,
      fill,
      ridge,
      task,
      ...(positiveClass !== undefined ? { positiveClass } : {}),
    };
    const plan = await planInputs(positionals, fill);
    const meta = {
      codeVersion: codeVersion(),
      capacity: { engine: 'local' as const, instances: 1, shards },
    };
    let artifact: ModelArtifact;
    let evaluation: HoldoutEvaluation | undefined;
    const started = performance.now();
    const fromStats =
      plan.statsComplete &&
      plan.stats.length > 0 &&
      fill === 'none' &&
      holdout === 0 &&
      task === 'regression';
    if (fromStats) {
      const partials = await Promise.all(
        plan.stats.map(async ({ key, path }) => {
          const { bytes, stats } = await readStats(path);
          return {
            key: relative(process.cwd(), key) || key,
            stats,
            lineage: { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length },
          };
        }),
      );
      const fit = await solveMerged(shardFromStats(partials, options));
      evaluation = fit.evaluation;
      const approximate =
        'fit from statistics partials alone (co-moments: exact to about cond² × 1e-16); train on the rows for the exact QR fit';
      artifact = artifactFromResult(
        { ...fit, fit: { ...fit.fit, warnings: [...fit.fit.warnings, approximate] } },
        options,
        meta,
      );
    } else {
      if (plan.sources.length === 0) throw new UsageError('no CSV inputs found');
      if (shards > plan.sources.length) {
        throw new UsageError(
          `--shards ${shards} exceeds the ${plan.sources.length} input object(s): shards deal whole objects`,
        );
      }
      const trained = await trainSources(plan.sources, options, { ...meta, shards, spill: fileSpills });
      artifact = trained.artifact;
      evaluation = trained.result.evaluation;
    }
    const measuredSeconds = (performance.now() - started) / 1000;
    await mkdir(dirname(resolve(values.out)), { recursive: true });
    await writeFile(values.out, JSON.stringify(artifact, null, 2) + '\n');
    // The model report beside the artifact, as the trainer image writes it.
    const report = reportBeside(values.out);
    await writeFile(
      report,
      renderModelReport({
        artifact,
        evaluation,
        timing: {
          measuredSeconds,
          measured: "factory train's wall time here, from reading the inputs to the model solved",
        },
      }),
    );
    if (values.json) {
      console.log(
        JSON.stringify({
          out: values.out,
          report,
          version: artifact.version,
          rows: artifact.rows,
          fromStats,
          task: artifact.task,
          ...(artifact.classes ? { classes: artifact.classes, iterations: artifact.iterations } : {}),
          warnings: artifact.warnings ?? [],
          metrics: artifact.metrics,
          data: artifact.data,
          bias: artifact.bias,
          weights: Object.fromEntries(artifact.features.map((f, j) => [f, artifact.weights[j]])),
          standardErrors: Object.fromEntries(
            artifact.features.map((f, j) => [f, artifact.standardErrors?.[j]]),
          ),
        }),
      );
    } else {
      console.log(summary(artifact, `${values.out} (report ${report})`, fromStats));
    }
    return EXIT.ok;
  } catch (error) {
    return fail('train', error);
  }
}
