/**
 * The local pipeline's summary as text for a person: what happened to the rows, the capacity
 * plan, how good the model is and how close it came to the truth, what the API answered and why,
 * and where everything is. Pure: summary in, text out.
 */
import { dirname } from 'node:path';
import { metricsText } from '../../lambda/core/model-card';
import type { LocalPipelineSummary, SamplePrediction, WeightRow } from './pipeline';

const int = (n: number) => n.toLocaleString('en-US');
const fixed = (n: number, d: number) => (Number.isFinite(n) ? n.toFixed(d) : String(n));
const signed = (n: number, d: number) => `${n >= 0 ? '+' : ''}${n.toFixed(d)}`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

function table(
  rows: readonly (readonly string[])[],
  align: readonly ('l' | 'r')[],
  indent: string,
): string[] {
  const widths = align.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map(
    (r) =>
      indent +
      r
        .map((cell, c) => (align[c] === 'l' ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
        .join('  ')
        .trimEnd(),
  );
}

/** Decimals that show a weight's size and its standard error's first digits. */
function decimalsFor(w: WeightRow): number {
  const scale = w.standardError && w.standardError > 0 ? w.standardError : Math.abs(w.truth) || 1;
  return Math.min(8, Math.max(3, 2 - Math.floor(Math.log10(scale))));
}

/** A regression's prediction, or a classification's probability and the label it gives. */
function answerText(result: SamplePrediction['result']): string {
  if (result.probability === undefined) return `prediction ${fixed(result.prediction, 4)}`;
  return `probability ${fixed(result.probability, 4)} (logit ${fixed(result.logit ?? NaN, 4)}), label ${String(result.label)}`;
}

function sampleLines(s: SamplePrediction, summary: LocalPipelineSummary, indent: string): string[] {
  const { result, row } = s;
  const features = summary.model.features;
  const lines = [
    `${indent}${s.label} (${summary.model.category} ${String(row[summary.model.category])}): ${answerText(result)}; anomalies: ${
      result.anomalies.length > 0 ? result.anomalies.join(', ') : 'none'
    }`,
  ];
  const cells = features.map((f) => {
    const z = result.zScores?.[f];
    return [
      f,
      String(row[f]),
      signed(result.contributions[f], 4),
      z === null || z === undefined ? '—' : signed(z, 2),
      result.anomalies.includes(f) ? `|z| > ${summary.predict.anomalyZ}` : '',
    ];
  });
  lines.push(
    ...table(
      [
        ['feature', 'value', 'w·x', 'z', ''],
        ...cells,
        ['bias', '', signed(result.bias, 4), '', ''],
        // Classification: the contributions add up to the logit, whose probability is the answer.
        ...(result.logit === undefined
          ? [['= prediction', '', fixed(result.prediction, 4), '', '']]
          : [['= logit', '', signed(result.logit, 4), '', `probability ${fixed(result.prediction, 4)}`]]),
      ],
      ['l', 'r', 'r', 'r', 'l'],
      indent + '  ',
    ),
  );
  return lines;
}

/** `category "Type", target "Tool wear [min]", 8 features, ids "UDI", "Product ID", no timestamp`. */
function schemaLine(schema: LocalPipelineSummary['data']['schema']): string {
  const q = (name: string) => JSON.stringify(name);
  return (
    `category ${q(schema.category)}, target ${q(schema.target)}, ${schema.features.length} feature(s), ` +
    `${schema.ids.length > 0 ? `ids ${schema.ids.map(q).join(', ')}` : 'no ids'}, ` +
    `${schema.timestamp !== undefined ? `timestamp ${q(schema.timestamp)}` : 'no timestamp'}`
  );
}

export function formatSummary(summary: LocalPipelineSummary): string {
  const out: string[] = [];
  const pad = '            ';
  const { data, preprocess, plan, training, model, truth, predict, outputs } = summary;
  out.push(`aiaas-factory local pipeline: done in ${fixed(summary.seconds, 1)} s`);
  out.push('');

  if (data.source === 'input') {
    out.push(
      `Data        your ${data.files} file(s), ${mb(data.bytes)}: ${int(data.rows)} rows as preprocess counted them; ` +
        `schema: ${schemaLine(data.schema)}`,
    );
  } else {
    out.push(
      `Data        ${int(data.rows)} rows (${int(data.badRows)} malformed on purpose) in ${data.files} file(s), ` +
        `${mb(data.bytes)}, seed ${data.seed}; the generator wrote ${int(data.generatedDuplicates ?? 0)} duplicates`,
    );
  }
  const arrival = data.arrival;
  out.push(
    arrival.path === 'firehose'
      ? `Ingest      the data arrived through Firehose: ${int(arrival.records)} JSON Lines records in ` +
          `${int(arrival.putRecordBatchCalls)} PutRecordBatch calls to delivery stream ${arrival.streamName} ` +
          `(moto) → ${arrival.objects} gzip object(s) in raw under ingest/`
      : `Ingest      uploaded: ${arrival.objects} file(s) put in raw as they are`,
  );
  const t = preprocess.totals;
  out.push('Cleaning    the preprocess handler, one EventBridge "Object Created" event per raw object:');
  out.push(
    ...table(
      [
        ['object', 'via', 'rows in', 'clean', 'duplicates', 'quarantined'],
        ...preprocess.files.map((f) => [
          f.key,
          f.via ?? '',
          int(f.rowsIn),
          int(f.rowsClean),
          int(f.duplicates),
          int(f.quarantined),
        ]),
        ['total', '', int(t.rowsIn), int(t.rowsClean), int(t.duplicates), int(t.quarantined)],
      ],
      ['l', 'l', 'r', 'r', 'r', 'r'],
      pad,
    ),
  );
  out.push(
    `${pad}${preprocess.reconciled ? 'reconciled' : 'NOT RECONCILED'}: rows in ${int(t.rowsIn)} = clean ${int(
      t.rowsClean,
    )} + duplicates ${int(t.duplicates)} + quarantined ${int(t.quarantined)}` +
      (Object.keys(preprocess.quarantineByReason).length > 0
        ? `; quarantined by reason: ${Object.entries(preprocess.quarantineByReason)
            .map(([r, n]) => `${r} ${n}`)
            .join(', ')}`
        : ''),
  );
  for (const q of preprocess.quarantinedRows)
    out.push(`${pad}quarantined: line ${int(q.line)} of ${q.key}, ${q.reason}: ${clip(q.raw, 100)}`);
  out.push('');
  if (preprocess.query && preprocess.query.results.length > 0) {
    out.push(
      "Query       DuckDB over Athena's copy in curated, read as the Glue tables declare (Athena's stand-in):",
    );
    for (const r of preprocess.query.results) {
      if (r.rows.length === 0) {
        out.push(`${pad}${r.name}: none`);
        continue;
      }
      out.push(`${pad}${r.name}:`);
      const text = (v: unknown) =>
        v === null || v === undefined ? '' : typeof v === 'number' ? int(v) : String(v);
      out.push(
        ...table(
          [r.columns.map(String), ...r.rows.map((row) => row.map(text))],
          r.columns.map((_, i) => (r.rows.every((row) => typeof row[i] === 'number') ? 'r' : 'l')),
          `${pad}  `,
        ),
      );
    }
    // One directory per object, under one parent: a shell glob gives factory query all of them.
    const parent = dirname(preprocess.query.dirs[0]);
    out.push(
      `${pad}kept in ${parent}/ (one directory per object); go on with: npm run -s factory -- query ` +
        `--athena-copy --schema '${preprocess.query.schemaPath}' $(printf -- '--data %s ' '${parent}'/*) ` +
        `--named quarantine_reasons`,
    );
    out.push('');
  }

  const c = plan.calibration;
  out.push(
    `Plan        n = ${int(plan.n)} training rows (${plan.inputPrefix}), ${plan.engine} on ${plan.instanceType}: ` +
      `p = ${plan.p}, T = ${fixed(plan.plannedSeconds, 1)} s` +
      (plan.cost !== null ? `, cost $${fixed(plan.cost, 4)}` : '') +
      `, deadline ${plan.deadlineSeconds} s: ${plan.feasible ? 'feasible' : 'NOT feasible'}`,
  );
  out.push(
    `${pad}T = t0 + s + c·n/p with t0 = ${c.t0} s, c = ${c.c} s/row (${c.source}${
      c.reason ? `: ${c.reason}` : ''
    }), shards ${plan.shards}`,
  );
  out.push(
    `${pad}ran ${training.hosts} trainer host(s) here (the image's /opt/ml contract, one process each` +
      (training.hosts < training.plannedP
        ? `; the plan's p = ${training.plannedP} capped for this machine`
        : '') +
      `) in ${fixed(training.seconds, 1)} s: ` +
      training.hostObjects.map((h) => `${h.host} ${h.objects} object(s)`).join(', '),
  );
  const { cost } = summary;
  if (cost.pricePerHour !== null && cost.measuredUsd !== null) {
    out.push(
      `${pad}cost: planned $${fixed(cost.plannedUsd ?? 0, 4)}; measured $${fixed(cost.measuredUsd, 4)} (${training.hosts} host(s) × ${fixed(training.seconds, 1)} s here at $${cost.pricePerHour}/h, start-up excluded); ` +
        `serving ${int(cost.predictionsPerUsd)} predictions per dollar at list prices (factory cost)`,
    );
  }
  out.push('');

  const m = model.metrics;
  const task = m.classification
    ? 'classification: logistic regression, weights in log-odds, predictions are probabilities'
    : 'regression: least squares';
  out.push(
    `Model       ${model.version}, trained on ${int(model.rows)} rows (${task}); ` +
      `on ${int(m.rows)} ${m.on} rows: ${metricsText(m)}`,
  );
  out.push(
    `${pad}evaluate: ${summary.evaluation.better ? 'better' : 'not better'} (${summary.evaluation.reason}); ` +
      `promote: ${summary.promotion.promoted ? 'now serving' : 'kept in history'}`,
  );
  out.push(
    `${pad}registry: registered in the Model Registry as ${summary.registry.packageArn} (${summary.registry.status})`,
  );
  if (truth) {
    out.push(`Weights     recovered against the generator's truth (noise σ = ${truth.noiseStd}):`);
    const weightRows = [...truth.weights, truth.bias].map((w) => {
      const d = decimalsFor(w);
      return [
        w.name,
        fixed(w.truth, d),
        fixed(w.fitted, d),
        w.standardError === null ? '—' : fixed(w.standardError, d),
        w.absZ === null ? '—' : fixed(w.absZ, 2),
      ];
    });
    out.push(
      ...table([['', 'truth', 'fitted', 'std err', '|z|'], ...weightRows], ['l', 'r', 'r', 'r', 'r'], pad),
    );
    const worst = Math.max(...[...truth.weights, truth.bias].map((w) => w.absZ ?? 0));
    out.push(`${pad}largest |fitted − truth| / std err: ${fixed(worst, 2)}`);
  } else {
    out.push(`Weights     fitted on your data (original units), each with its standard error:`);
    const weightRows = model.features.map((f, j) => {
      const se = model.standardErrors?.[j];
      return [f, model.weights[j].toPrecision(6), se === undefined ? '—' : se.toPrecision(3)];
    });
    out.push(
      ...table(
        [['', 'weight', 'std err'], ...weightRows, ['bias', model.bias.toPrecision(6), '']],
        ['l', 'r', 'r'],
        pad,
      ),
    );
  }
  out.push('');

  out.push(
    `Predict     POST ${predict.url}/predict answered ${predict.status} (model ${predict.modelVersion}); ` +
      `GET /model: ${predict.cardVersion}`,
  );
  out.push(
    `${pad}injected: ${predict.injected.feature} = ${predict.injected.value} where the profile says ` +
      `${fixed(predict.injected.profileMean, 3)} ± ${fixed(predict.injected.profileStd, 3)}; ` +
      `anomaly when |z| > ${predict.anomalyZ}`,
  );
  if (predict.ignoredFields && predict.ignoredFields.length > 0)
    out.push(
      `${pad}the rows are real rows: the API ignored their ${predict.ignoredFields.length} other key(s) (ignoredFields): ` +
        predict.ignoredFields.map((f) => JSON.stringify(f)).join(', '),
    );
  for (const s of predict.samples) out.push(...sampleLines(s, summary, pad));
  out.push('');

  out.push(`Outputs     local: ${outputs.workDir}`);
  out.push(
    `${pad}  summary.json, model.json` +
      (outputs.truthPath ? `, ${outputs.truthPath.slice(outputs.workDir.length + 1)} (true weights),` : ','),
  );
  out.push(`${pad}  opt-ml/algo-*/ (each host's /opt/ml: config, model, output/trainer.log)`);
  out.push(`${pad}Model report (open in a browser): ${outputs.reportPath}`);
  out.push(`${pad}S3 (moto_server ${summary.moto.endpoint}; in memory, gone when it stops):`);
  out.push(
    ...table(
      outputs.s3.map((o) => [o.what, o.uri]),
      ['l', 'l'],
      pad + '  ',
    ),
  );

  out.push('');
  out.push(`Steps       ${summary.steps.map((s) => `${s.step} ${fixed(s.seconds, 1)} s`).join(', ')}`);
  return out.join('\n') + '\n';
}

/** A text cut to `n` characters, with an ellipsis when cut. */
function clip(text: string, n: number): string {
  return text.length <= n ? text : `${text.slice(0, n - 1)}…`;
}
