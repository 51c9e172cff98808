import {
  HOLDOUT_SAMPLE_LIMIT,
  ROC_POINT_LIMIT,
  histogram,
  regressionEvaluation,
  rocCurve,
  sampleIndices,
} from '../../../lambda/core/holdout-evaluation';
import { classificationMetrics } from '../../../lambda/core/metrics';
import { PROFILE_CATEGORY_LIMIT, renderModelReport } from '../../../lambda/core/model-report';
import { REPORT_FILE, candidateKey, reportBeside, reportKey } from '../../../lambda/core/models-layout';
import { escapeHtml, formatNumber } from '../../../lambda/core/svg-charts';
import {
  HOSTILE_CATEGORIES,
  HOSTILE_FEATURES,
  classificationInput,
  regressionInput,
} from '../helpers/report-fixtures';

/** `class="mark…"` elements inside the figure named `chart`. */
function marksIn(html: string, chart: string): number {
  const start = html.indexOf(`data-chart="${chart}"`);
  if (start < 0) return -1;
  const end = html.indexOf('</figure>', start);
  return (html.slice(start, end).match(/class="mark[ "]/g) ?? []).length;
}

const trapezoid = (x: readonly number[], y: readonly number[]) =>
  x.slice(1).reduce((s, xi, i) => s + ((xi - x[i]) * (y[i + 1] + y[i])) / 2, 0);

describe('holdout evaluation', () => {
  it('samples at most the limit, deterministically, spread over all rows', () => {
    expect(sampleIndices(10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const at = sampleIndices(3225);
    expect(at).toHaveLength(HOLDOUT_SAMPLE_LIMIT);
    expect(at[0]).toBe(0);
    expect(at[at.length - 1]).toBe(3221);
    expect(at.every((v, i) => i === 0 || v > at[i - 1])).toBe(true);
    expect(sampleIndices(3225)).toEqual(at);
  });

  it('bins every value once, the largest in the last bin', () => {
    const h = histogram([0, 1, 2, 3, 10], 5);
    expect(h.edges).toEqual([0, 2, 4, 6, 8, 10]);
    expect(h.counts).toEqual([2, 2, 0, 0, 1]);
    expect(histogram([4, 4, 4])).toEqual({ edges: [4, 5], counts: [3] });
  });

  it('predicts wᵀx + b on packed rows and histograms every residual', () => {
    const rows = Float64Array.from([1, 2, 10, 2, 0, 7, 0, 0, 1]); // [x1, x2, y] × 3
    const e = regressionEvaluation([2, 3], 1, rows);
    expect(e.rows).toBe(3);
    expect(e.sample).toEqual({ actual: [10, 7, 1], predicted: [9, 5, 1] });
    expect(e.residuals!.counts.reduce((a, b) => a + b)).toBe(3);
  });

  it("gives a ROC curve whose area is the metrics' AUC, ties counted half", () => {
    const scores = Float64Array.from([3, 2, 2, 1, 0, 0, -1, 5]);
    const labels = Uint8Array.from([1, 1, 0, 0, 1, 0, 0, 1]);
    const roc = rocCurve(scores, labels)!;
    expect(roc.fpr[0]).toBe(0);
    expect(roc.tpr[roc.tpr.length - 1]).toBe(1);
    expect(trapezoid(roc.fpr, roc.tpr)).toBeCloseTo(classificationMetrics(scores, labels, 0.5).auc, 12);
    expect(rocCurve(scores, new Uint8Array(8))).toBeNull();
    // a NaN score is left out instead of stalling the sweep
    const withNaN = rocCurve(Float64Array.from([NaN, 1, 0]), Uint8Array.from([1, 1, 0]))!;
    expect(withNaN).toEqual({ fpr: [0, 0, 1], tpr: [0, 0.5, 0.5] });
  });

  it('thins a long ROC curve to the limit, keeping both ends', () => {
    const n = 5000;
    const scores = Float64Array.from({ length: n }, (_, i) => i);
    const labels = Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const roc = rocCurve(scores, labels)!;
    expect(roc.fpr).toHaveLength(ROC_POINT_LIMIT);
    expect([roc.fpr[0], roc.tpr[0]]).toEqual([0, 0]);
    expect([roc.fpr[ROC_POINT_LIMIT - 1], roc.tpr[ROC_POINT_LIMIT - 1]]).toEqual([1, 1]);
  });
});

describe('the trainer hands the report its holdout', () => {
  it('regression: every held-out row evaluated, a 1000-point sample of them', async () => {
    const { artifact, evaluation } = await regressionInput();
    expect(evaluation!.on).toBe('holdout');
    expect(evaluation!.rows).toBe(artifact.metrics.rows);
    expect(evaluation!.rows).toBeGreaterThan(HOLDOUT_SAMPLE_LIMIT);
    expect(evaluation!.sample.actual).toHaveLength(HOLDOUT_SAMPLE_LIMIT);
    expect(evaluation!.residuals!.counts.reduce((a, b) => a + b)).toBe(artifact.metrics.rows);
    // the sample's residuals are of the artifact's own weights
    const rmse = Math.sqrt(
      evaluation!.sample.actual.reduce((s, y, i) => s + (y - evaluation!.sample.predicted[i]) ** 2, 0) /
        HOLDOUT_SAMPLE_LIMIT,
    );
    expect(Math.abs(rmse - artifact.metrics.rmse) / artifact.metrics.rmse).toBeLessThan(0.1);
  });

  it('classification: labels, probabilities and the ROC of the same rows as the AUC', async () => {
    const { artifact, evaluation } = await classificationInput();
    expect(artifact.task).toBe('classification');
    expect(evaluation!.rows).toBe(artifact.metrics.rows);
    expect(new Set(evaluation!.sample.actual)).toEqual(new Set([0, 1]));
    expect(evaluation!.sample.predicted.every((p) => p > 0 && p < 1)).toBe(true);
    // 600 held-out rows give more distinct scores than the curve keeps: thinned, so close, not equal
    expect(evaluation!.roc!.fpr).toHaveLength(ROC_POINT_LIMIT);
    expect(trapezoid(evaluation!.roc!.fpr, evaluation!.roc!.tpr)).toBeCloseTo(
      artifact.metrics.classification!.auc!,
      2,
    );
  });
});

describe('renderModelReport', () => {
  it('draws one mark per datum: sampled holdout points, residual bins, weights, categories, times', async () => {
    const input = await regressionInput();
    const html = renderModelReport(input);
    const d = input.artifact.features.length;
    expect(marksIn(html, 'holdout-scatter')).toBe(HOLDOUT_SAMPLE_LIMIT);
    expect(marksIn(html, 'residuals')).toBe(input.evaluation!.residuals!.counts.length);
    expect(marksIn(html, 'weights')).toBe(d);
    expect((html.match(/<g class="whisker">/g) ?? []).length).toBe(d + d * HOSTILE_CATEGORIES.length);
    for (let j = 0; j < d; j++) expect(marksIn(html, `profile-${j}`)).toBe(HOSTILE_CATEGORIES.length);
    expect(marksIn(html, 'capacity')).toBe(2);
    expect(marksIn(html, 'roc')).toBe(-1);
    expect(html).toContain(`1000 of ${input.evaluation!.rows} held-out rows`);
    expect(html).toContain('the test says so');
  });

  it('classification: the ROC curve and the confusion matrix instead of the scatter', async () => {
    const input = await classificationInput();
    const html = renderModelReport(input);
    expect(marksIn(html, 'roc')).toBe(input.evaluation!.roc!.fpr.length);
    expect(marksIn(html, 'confusion')).toBe(4);
    expect(marksIn(html, 'holdout-scatter')).toBe(-1);
    const c = input.artifact.metrics.classification!.confusion;
    for (const v of [c.tp, c.fp, c.tn, c.fn]) expect(html).toMatch(new RegExp(`>${v}</text>`));
  });

  it('renders column names and category values as text, never as markup', async () => {
    const html = renderModelReport(await regressionInput());
    expect(html).not.toMatch(/<script|<img|onerror=alert\(1\)>/i);
    for (const name of [...HOSTILE_FEATURES, ...HOSTILE_CATEGORIES, 'line <id>', 'quality [%]'])
      expect(html).toContain(escapeHtml(name));
    expect(html).toContain('curated/train/&#60;part&#62;-0.csv');
  });

  it('is self-contained: no script, no fetched resource, a CSP that forbids loading any', async () => {
    const html = renderModelReport(await classificationInput());
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    expect(html).not.toMatch(/<(script|link|img|iframe|object|embed|image|use)\b/i);
    expect(html).not.toMatch(/\s(src|href|xlink:href)\s*=\s*["']|url\(|@import|@font-face/i);
    const urls = html.match(/https?:\/\/[^"' <]+/g) ?? [];
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg']));
  });

  it('is deterministic and says when there are no rows to plot', async () => {
    const input = await regressionInput();
    expect(renderModelReport(input)).toBe(renderModelReport(input));
    const none = renderModelReport({ artifact: input.artifact });
    expect(none).toContain('No rows were kept to plot');
    expect(none).toContain('not measured');
    expect(marksIn(none, 'capacity')).toBe(1);
  });

  it('draws the largest categories up to the limit and counts the rest', async () => {
    const input = await regressionInput();
    const p = Object.values(input.artifact.profiles)[0];
    const profiles = Object.fromEntries(
      Array.from({ length: PROFILE_CATEGORY_LIMIT + 5 }, (_, i) => [`c${i}`, { ...p, count: i + 1 }]),
    );
    const html = renderModelReport({ ...input, artifact: { ...input.artifact, profiles } });
    expect(marksIn(html, 'profile-0')).toBe(PROFILE_CATEGORY_LIMIT);
    expect(html).toContain(
      `The ${PROFILE_CATEGORY_LIMIT} largest of ${PROFILE_CATEGORY_LIMIT + 5} categories`,
    );
    expect(html).toContain(`c${PROFILE_CATEGORY_LIMIT + 4} (${PROFILE_CATEGORY_LIMIT + 5})`);
    expect(html).not.toContain('>c0 (1)<');
  });

  it('formats numbers for a person', () => {
    expect(formatNumber(0.0040219)).toBe('0.004022');
    expect(formatNumber(71.6213)).toBe('71.62');
    expect(formatNumber(3.478e-5)).toBe('3.478e-5');
  });
});

describe('where the report sits', () => {
  it('beside every artifact: a run candidate, a version, a local path', () => {
    expect(reportBeside(candidateKey('run-1'))).toBe(reportKey('run-1'));
    expect(reportKey('run-1')).toBe(`training/run-1/${REPORT_FILE}`);
    expect(reportBeside('models/v1/model.json')).toBe('models/v1/report.html');
    expect(reportBeside('/tmp/x/candidate.json')).toBe('/tmp/x/candidate.report.html');
    expect(reportBeside('model.json')).toBe('report.html');
  });
});
