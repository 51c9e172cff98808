/**
 * The model report in headless Debian Chromium, as a person sees it (./report-view.ts): every
 * chart drawn with a real box and one mark per datum inside its plot, no console error, no
 * request, a screenshot that is not blank. The regression report is the one the trainer entry
 * writes (/opt/ml/model/report.html); the classification one comes from the trainer core on
 * rows whose column and category names are markup. The same check fails on reports whose
 * charts lost their data.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { HOLDOUT_SAMPLE_LIMIT, RESIDUAL_BINS } from '../../lambda/core/holdout-evaluation';
import type { ModelArtifact } from '../../lambda/core/model-artifact';
import {
  PROFILE_CATEGORY_LIMIT,
  renderModelReport,
  type ModelReportInput,
} from '../../lambda/core/model-report';
import { SyntheticDataset } from '../../lambda/core/synthetic-data';
import { runTrainer } from '../../lambda/trainer/entry';
import {
  HOSTILE_CATEGORIES,
  HOSTILE_FEATURES,
  classificationInput,
  regressionInput,
} from '../lambda/helpers/report-fixtures';
import { launchChromium, viewReport, type ChartExpectation } from './report-view';

/** What each chart of a report must show, from the data the report was made of. */
function expectations(artifact: ModelArtifact, e: ModelReportInput['evaluation']): ChartExpectation[] {
  const categories = Math.min(Object.keys(artifact.profiles).length, PROFILE_CATEGORY_LIMIT);
  const common: ChartExpectation[] = [
    { chart: 'weights', marks: artifact.features.length },
    ...artifact.features.map((_, j) => ({ chart: `profile-${j}`, marks: categories })),
    { chart: 'capacity', marks: 2 },
  ];
  if (artifact.task === 'classification')
    return [{ chart: 'roc', marks: e!.roc!.fpr.length }, { chart: 'confusion', marks: 4 }, ...common];
  return [
    { chart: 'holdout-scatter', marks: e!.sample.actual.length },
    { chart: 'residuals', marks: e!.residuals!.counts.length },
    ...common,
  ];
}

let browser: Browser;
let work: string;
let trained: { html: string; artifact: ModelArtifact };
let classification: ModelReportInput;
let regression: ModelReportInput;

beforeAll(async () => {
  browser = await launchChromium();
  work = mkdtempSync(join(tmpdir(), 'report-browser-'));
  // The trainer entry's own report: one SageMaker host on synthetic production rows.
  const root = join(work, 'opt-ml');
  mkdirSync(join(root, 'input', 'data', 'train'), { recursive: true });
  mkdirSync(join(root, 'input', 'config'), { recursive: true });
  writeFileSync(
    join(root, 'input', 'config', 'hyperparameters.json'),
    JSON.stringify({ holdout: '0.2', planned_seconds: '20' }),
  );
  const ds = new SyntheticDataset({ rows: 8000, files: 2, seed: 3 });
  for (let k = 0; k < ds.fileCount; k++)
    writeFileSync(
      join(root, 'input', 'data', 'train', `part-${k}.csv`),
      Buffer.concat([...ds.fileChunks(k)]),
    );
  expect(await runTrainer(['train'], { env: {}, smRoot: root, log: () => undefined })).toBe(0);
  trained = {
    html: readFileSync(join(root, 'model', 'report.html'), 'utf8'),
    artifact: JSON.parse(readFileSync(join(root, 'model', 'model.json'), 'utf8')) as ModelArtifact,
  };
  classification = await classificationInput();
  regression = await regressionInput();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the model report in Chromium', () => {
  it("shows the trainer's regression report: 1000 holdout points, every residual bin, a bar per weight", async () => {
    const { artifact, html } = trained;
    const rows = artifact.metrics.rows;
    const points = Math.min(rows, HOLDOUT_SAMPLE_LIMIT);
    const view = await viewReport(browser, html, [
      { chart: 'holdout-scatter', marks: points },
      { chart: 'residuals', marks: RESIDUAL_BINS },
      { chart: 'weights', marks: artifact.features.length },
      ...artifact.features.map((_, j) => ({
        chart: `profile-${j}`,
        marks: Object.keys(artifact.profiles).length,
      })),
      { chart: 'capacity', marks: 2 },
    ]);
    expect(view.problems).toEqual([]);
    expect(view.text).toContain(`${points} of ${rows} held-out rows`);
  });

  it('shows a classification report: the ROC curve, four confusion cells, names as the text they are', async () => {
    const view = await viewReport(
      browser,
      renderModelReport(classification),
      expectations(classification.artifact, classification.evaluation),
    );
    expect(view.problems).toEqual([]);
    for (const name of [...HOSTILE_FEATURES, ...HOSTILE_CATEGORIES]) expect(view.text).toContain(name);
  });

  it('shows a regression report with more held-out rows than the sample, saying so', async () => {
    const view = await viewReport(
      browser,
      renderModelReport(regression),
      expectations(regression.artifact, regression.evaluation),
    );
    expect(view.problems).toEqual([]);
    expect(view.text).toContain(`1000 of ${regression.evaluation!.rows} held-out rows`);
  });
});

describe('the check fails on a report whose charts lost their data', () => {
  it('holdout points dropped from the evaluation', async () => {
    const lost = { ...regression.evaluation!, sample: { actual: [], predicted: [] } };
    const view = await viewReport(
      browser,
      renderModelReport({ ...regression, evaluation: lost }),
      expectations(regression.artifact, regression.evaluation),
    );
    expect(view.problems).toEqual(['holdout-scatter: 0 marks, the data has 1000']);
  });

  it('points whose coordinates were mangled (not numbers: the browser puts them at 0)', async () => {
    const html = renderModelReport(regression).replace(
      /(<circle class="mark") cx="[^"]*" cy="[^"]*"/g,
      (_, head: string) => `${head} cx="NaN" cy="undefined"`,
    );
    const view = await viewReport(browser, html, expectations(regression.artifact, regression.evaluation));
    // Chromium says so on the console, draws every one at (0, 0), outside the plot, all on one spot
    expect(view.problems).toContain('console error: Error: <circle> attribute cx: Expected length, "NaN".');
    expect(view.problems).toEqual(
      expect.arrayContaining([
        'holdout-scatter: 1000 marks outside the plot area',
        'holdout-scatter: all 1000 marks on one spot',
        ...regression.artifact.features.map(
          (_, j) => `profile-${j}: ${HOSTILE_CATEGORIES.length} marks outside the plot area`,
        ),
      ]),
    );
  });

  it('points collapsed onto one spot', async () => {
    const html = renderModelReport(regression).replace(
      /(<circle class="mark") cx="[^"]*" cy="[^"]*" r="2.2"/g,
      (_, head: string) => `${head} cx="200" cy="150" r="2.2"`,
    );
    const view = await viewReport(browser, html, expectations(regression.artifact, regression.evaluation));
    expect(view.problems).toEqual(['holdout-scatter: all 1000 marks on one spot']);
  });

  it('weights that are not numbers, and a ROC curve without its points', async () => {
    const { artifact, evaluation } = classification;
    const view = await viewReport(
      browser,
      renderModelReport({
        ...classification,
        artifact: { ...artifact, weights: artifact.weights.map(() => NaN) },
        evaluation: { ...evaluation!, roc: { fpr: [], tpr: [] } },
      }),
      expectations(artifact, evaluation),
    );
    expect(view.problems).toEqual([
      `roc: 0 marks, the data has ${evaluation!.roc!.fpr.length}`,
      `weights: 0 marks, the data has ${artifact.features.length}`,
    ]);
  });

  it('a page that shows nothing, and a script the page refuses to run', async () => {
    const hidden = renderModelReport(regression).replace('</style>', 'body{visibility:hidden}</style>');
    const blank = await viewReport(browser, hidden, []);
    expect(blank.problems).toEqual([
      expect.stringMatching(/^blank screenshot: 1 colours, 0\.00 % non-white/),
    ]);
    const scripted = renderModelReport(regression).replace(
      '</body>',
      '<script>console.log(1)</script></body>',
    );
    const refused = await viewReport(browser, scripted, []);
    expect(refused.problems).toEqual([expect.stringMatching(/^console error: .*Content Security Policy/)]);
  });
});
