/**
 * The model report: one self-contained HTML page a person opens to judge a trained model,
 * written by the trainer beside every artifact (`report.html`, lambda/core/models-layout.ts
 * `reportBeside`/`reportKey`). Pure: artifact + holdout evaluation + timing → HTML text.
 *
 * Self-contained by construction: inline CSS and inline SVG only, no script, no font, no image
 * fetched, and a Content-Security-Policy of `default-src 'none'` that forbids the browser to load
 * anything should a later edit try. Every user-provided string (column names, category values,
 * input keys) goes through `escapeHtml`.
 *
 * Sections: headline metrics; predicted vs actual on the holdout (a bounded sample, saying how
 * many of how many) and the residual histogram, or for classification the ROC curve and the
 * confusion matrix; the weights with 95 % intervals; the per-category profiles; the capacity plan
 * against the measured time; lineage.
 */
import { createHash } from 'node:crypto';
import { documentText } from './document-text';
import type { HoldoutEvaluation } from './holdout-evaluation';
import type { ModelArtifact } from './model-artifact';
import { cardSummary, metricsText } from './model-card';
import {
  escapeHtml,
  formatNumber,
  histogramChart,
  intervalChart,
  matrixChart,
  scatterChart,
  unitCurveChart,
  type IntervalRow,
} from './svg-charts';

/** Two-sided 95 % normal quantile: the weight intervals are w ± 1.96 SE. */
export const INTERVAL_Z = 1.959963984540054;
/** Categories drawn per feature profile at most (the largest by rows); the rest are counted. */
export const PROFILE_CATEGORY_LIMIT = 40;

export interface ReportTiming {
  /** Wall seconds measured. */
  readonly measuredSeconds: number;
  /** What was measured, in words (the report prints it beside the figure). */
  readonly measured: string;
}

export interface ModelReportInput {
  readonly artifact: ModelArtifact;
  /** From the trainer's holdout evaluation (TrainingResult.evaluation); absent when it kept no rows. */
  readonly evaluation?: HoldoutEvaluation;
  readonly timing?: ReportTiming;
}

const STYLE = `
:root{color-scheme:light;--ink:#1d2733;--muted:#5b6776;--line:#d5dbe3;--mark:#2f6db5;--warn:#b5542f}
*{box-sizing:border-box}
body{margin:0;padding:24px 32px 48px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--ink);background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:14px;margin:12px 0 4px}
.muted{color:var(--muted)}.warn{color:var(--warn)}
.grid2{display:flex;flex-wrap:wrap;gap:16px 28px;align-items:flex-start}
figure.chart{margin:0;width:min-content}
figcaption{color:var(--muted);font-size:12.5px}
svg{display:block;background:#fff}
svg .plot{fill:#fafbfc;stroke:var(--line)}
svg .grid{stroke:#e8ecf1;stroke-width:1}
svg .tick{font-size:10.5px;fill:var(--muted)}
svg .axis-title,svg .row-label{font-size:11.5px;fill:var(--ink)}
svg .reference{stroke:#9aa5b1;stroke-dasharray:4 3;stroke-width:1}
svg circle.mark{fill:var(--mark);fill-opacity:.55}
svg rect.mark{fill:var(--mark);fill-opacity:.8}
svg rect.cell{fill:var(--mark)}
svg .cell-count{font-size:15px;fill:var(--ink)}svg .cell-count.dark{fill:#fff}
svg .curve{fill:none;stroke:var(--mark);stroke-width:2}
svg .whisker line{stroke:var(--ink);stroke-width:1.3}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{border-bottom:1px solid var(--line);padding:3px 10px 3px 0;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}
code{font-size:12.5px;word-break:break-all}
`;

const esc = escapeHtml;
const num = (v: number | null | undefined, digits = 4) =>
  v === null || v === undefined ? 'n/a' : esc(formatNumber(v, digits));

function table(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  numeric: ReadonlySet<number>,
): string {
  const th = head.map((h) => `<th>${h}</th>`).join('');
  const body = rows
    .map(
      (r) => `<tr>${r.map((c, i) => `<td${numeric.has(i) ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`,
    )
    .join('');
  return `<table><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}

function sampleWords(e: HoldoutEvaluation): string {
  const which = e.on === 'holdout' ? 'held-out rows' : 'training rows (holdout 0)';
  return e.sample.actual.length === e.rows
    ? `all ${e.rows} ${which}`
    : `${e.sample.actual.length} of ${e.rows} ${which} (one in every ${formatNumber(e.rows / e.sample.actual.length, 3)}, in the order the trainer evaluated them)`;
}

function fitSection(a: ModelArtifact, e: HoldoutEvaluation | undefined): string {
  const target = a.target;
  if (!e) {
    return (
      `<h2>Fit</h2><p class="muted">No rows were kept to plot: this regression was measured in-sample from its ` +
      `moments (holdout ${num(a.holdout)}). Train with a holdout fraction above 0 to see predicted against actual.</p>`
    );
  }
  if (a.task === 'classification') {
    const c = a.metrics.classification;
    const parts: string[] = [];
    if (e.roc) {
      parts.push(
        unitCurveChart({
          name: 'roc',
          label: 'ROC curve',
          caption: `ROC curve over all ${e.rows} ${e.on === 'holdout' ? 'held-out' : 'training'} rows (${e.roc.fpr.length} points): AUC ${num(c?.auc ?? null)}. Dashed: chance.`,
          xTitle: 'false positive rate',
          yTitle: 'true positive rate',
          x: e.roc.fpr,
          y: e.roc.tpr,
        }).html,
      );
    } else parts.push(`<p class="muted">No ROC curve: the ${e.on} rows hold only one class.</p>`);
    if (c) {
      const pos = `${formatNumber(a.classes?.positive ?? 1)} (positive)`;
      const neg = `${formatNumber(a.classes?.negative ?? 0)}`;
      parts.push(
        matrixChart({
          name: 'confusion',
          label: 'confusion matrix',
          caption: `Confusion matrix at probability threshold ${num(c.threshold)} on ${a.metrics.rows} ${a.metrics.on} rows: accuracy ${num(c.accuracy)}, precision ${num(c.precision)}, recall ${num(c.recall)}.`,
          rows: [pos, neg],
          columns: ['positive', 'negative'],
          rowTitle: `actual ${target}`,
          columnTitle: 'predicted',
          counts: [
            [c.confusion.tp, c.confusion.fn],
            [c.confusion.fp, c.confusion.tn],
          ],
        }).html,
      );
    }
    return `<h2>Fit: ROC and confusion</h2><div class="grid2">${parts.join('')}</div>`;
  }
  const scatter = scatterChart({
    name: 'holdout-scatter',
    label: `predicted against actual ${target}`,
    caption: `Predicted against actual ${esc(target)}: ${esc(sampleWords(e))}. Dashed: predicted = actual.`,
    xTitle: `actual ${target}`,
    yTitle: `predicted ${target}`,
    x: e.sample.actual,
    y: e.sample.predicted,
    diagonal: true,
  });
  const residuals = e.residuals
    ? histogramChart({
        name: 'residuals',
        label: 'residual histogram',
        caption: `Residuals (actual − predicted) of all ${e.rows} ${e.on === 'holdout' ? 'held-out' : 'training'} rows in ${e.residuals.counts.length} bins; residual s.d. of the fit ${num(a.residualStd)}.`,
        xTitle: `residual (${target})`,
        edges: e.residuals.edges,
        counts: e.residuals.counts,
      }).html
    : '';
  return `<h2>Fit: predicted against actual</h2><div class="grid2">${scatter.html}${residuals}</div>`;
}

function weightsSection(a: ModelArtifact): string {
  const units = a.task === 'classification' ? 'log-odds' : esc(a.target);
  const rows: IntervalRow[] = a.features.map((f, j) => {
    const sd = Number.isFinite(a.scaling.std[j]) ? a.scaling.std[j] : 0;
    const w = a.weights[j];
    const se = a.standardErrors[j];
    return { label: f, value: w * sd, lo: (w - INTERVAL_Z * se) * sd, hi: (w + INTERVAL_Z * se) * sd };
  });
  const chart = intervalChart({
    name: 'weights',
    label: 'weights with 95% intervals',
    caption:
      `Each weight times its feature's training standard deviation (the change of the prediction, in ${units}, ` +
      `for one standard deviation of the feature), with its 95 % interval (± 1.96 standard errors). An interval ` +
      `crossing 0 means the data cannot tell the sign.`,
    xTitle: `${a.task === 'classification' ? 'log-odds' : a.target} per feature s.d.`,
    rows,
    style: 'bar',
  });
  const body = a.features.map((f, j) => {
    const w = a.weights[j];
    const se = a.standardErrors[j];
    return [
      esc(f),
      num(w),
      num(se),
      `${num(w - INTERVAL_Z * se)} to ${num(w + INTERVAL_Z * se)}`,
      num(a.scaling.std[j]),
      num(rows[j].value),
    ];
  });
  body.push([
    '<em>bias</em>',
    num(a.bias),
    num(a.biasStandardError),
    `${num(a.bias - INTERVAL_Z * a.biasStandardError)} to ${num(a.bias + INTERVAL_Z * a.biasStandardError)}`,
    '',
    '',
  ]);
  const warnings = (a.warnings ?? []).map((w) => `<p class="warn">${esc(w)}</p>`).join('');
  return (
    `<h2>Weights</h2>${warnings}${chart.html}` +
    table(
      [
        'feature',
        `weight (${units} per unit)`,
        'standard error',
        '95 % interval',
        'training s.d.',
        'per s.d.',
      ],
      body,
      new Set([1, 2, 4, 5]),
    )
  );
}

function profilesSection(a: ModelArtifact): string {
  const all = Object.entries(a.profiles).sort((x, y) => y[1].count - x[1].count || (x[0] < y[0] ? -1 : 1));
  if (all.length === 0)
    return `<h2>Per-category profiles</h2><p class="muted">No category had complete rows.</p>`;
  const shown = all.slice(0, PROFILE_CATEGORY_LIMIT);
  const note =
    shown.length < all.length
      ? `The ${shown.length} largest of ${all.length} categories of ${esc(a.category)}, by rows.`
      : `All ${all.length} categories of ${esc(a.category)}.`;
  const charts = a.features.map(
    (f, j) =>
      intervalChart({
        name: `profile-${j}`,
        label: `profile of ${f} per category`,
        caption: `${esc(f)}: mean per category, whiskers ± 1 standard deviation (the Gaussian profile predict scores anomalies against).`,
        xTitle: f,
        rows: shown.map(([name, p]) => {
          const sd = Number.isFinite(p.std[j]) ? p.std[j] : 0;
          return { label: `${name} (${p.count})`, value: p.mean[j], lo: p.mean[j] - sd, hi: p.mean[j] + sd };
        }),
        style: 'dot',
      }).html,
  );
  return `<h2>Per-category profiles</h2><p>${note} Rows per category in brackets.</p><div class="grid2">${charts.join('')}</div>`;
}

function capacitySection(a: ModelArtifact, timing: ReportTiming | undefined): string {
  const c = a.capacity;
  const rows: IntervalRow[] = [];
  if (c.plannedSeconds !== undefined) rows.push({ label: 'planned T', value: c.plannedSeconds });
  if (timing && Number.isFinite(timing.measuredSeconds))
    rows.push({ label: 'measured', value: timing.measuredSeconds });
  const chart =
    rows.length > 0
      ? intervalChart({
          name: 'capacity',
          label: 'planned against measured seconds',
          caption: `Planned training time against the measured one, in seconds.`,
          xTitle: 'seconds',
          rows,
          style: 'bar',
        }).html
      : '';
  const facts: string[][] = [
    ['engine', esc(c.engine)],
    ['hosts (instances) used', String(c.instances)],
    ...(c.instanceType ? [['instance type', esc(c.instanceType)]] : []),
    ['shards', String(c.shards)],
    ['planned seconds', c.plannedSeconds === undefined ? 'no plan was made' : num(c.plannedSeconds)],
    ['measured seconds', timing ? `${num(timing.measuredSeconds)}: ${esc(timing.measured)}` : 'not measured'],
  ];
  if (c.plannedSeconds !== undefined && timing && c.plannedSeconds > 0)
    facts.push(['measured / planned', num(timing.measuredSeconds / c.plannedSeconds, 3)]);
  return `<h2>Capacity: plan against measurement</h2>${chart}${table(['', ''], facts, new Set())}`;
}

function lineageSection(a: ModelArtifact): string {
  const sha = createHash('sha256').update(documentText(a)).digest('hex');
  const inputs = a.lineage.inputs.map((i) => [
    `<code>${esc(i.key)}</code>`,
    esc(i.version ?? ''),
    esc(i.etag ?? ''),
    i.sha256 ? `<code>${esc(i.sha256)}</code>` : '',
    i.bytes === undefined ? '' : String(i.bytes),
  ]);
  const d = a.data;
  const facts = [
    ['model version', `<code>${esc(a.version)}</code>`],
    ['trained at', esc(a.trainedAt)],
    ['code version', `<code>${esc(a.lineage.codeVersion)}</code>`],
    ['training configuration sha256', `<code>${esc(a.lineage.configHash)}</code>`],
    ['model.json sha256', `<code>${sha}</code> (of the artifact document as the trainer writes it)`],
    ['fill, ridge, holdout', `${esc(a.fill)}, ${num(a.ridge)}, ${num(a.holdout)}`],
    ...(d
      ? [
          [
            'rows',
            `${d.rowsIn} in, ${d.duplicates} duplicates, ${d.quarantined} quarantined, ${d.incomplete} incomplete, ${d.used} used (${a.rows} trained on, ${d.withoutCategory} without a category)`,
          ],
        ]
      : [['rows', `${a.rows} trained on`]]),
  ];
  return (
    `<h2>Lineage</h2>${table(['', ''], facts, new Set())}<h3>Inputs (${a.lineage.inputs.length})</h3>` +
    table(['key', 'version', 'ETag', 'sha256', 'bytes'], inputs, new Set([4]))
  );
}

/** The report's HTML, deterministic for the same input. */
export function renderModelReport(input: ModelReportInput): string {
  const a = input.artifact;
  const task = a.task ?? 'regression';
  const title = `Model report: ${a.target} (${a.version})`;
  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${esc(title)}</title><style>${STYLE}</style></head><body>` +
    `<h1>${esc(title)}</h1>` +
    `<p class="muted">${esc(task)} · trained ${esc(a.trainedAt)} · ${a.rows} training rows · ${a.features.length} features · category column ${esc(a.category)}</p>` +
    `<p>${esc(cardSummary(a))}</p><p class="muted">${esc(metricsText(a.metrics))} on ${a.metrics.rows} ${esc(a.metrics.on)} rows.</p>` +
    fitSection(a, input.evaluation) +
    weightsSection(a) +
    profilesSection(a) +
    capacitySection(a, input.timing) +
    lineageSection(a) +
    `</body></html>\n`
  );
}
