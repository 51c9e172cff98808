import type { ModelArtifact } from '../../../lambda/core/model-artifact';
import type { RowPrediction } from '../../../lambda/core/scoring';
import type { PredictAnswers } from '../pipeline-summary';
import type { RunClock } from '../run-clock';
import { typicalRow, type RowSource } from './typical-row';

/**
 * Sample requests over real HTTP: a typical row (from the training data, or a real row of the
 * user's files) and the same row with one feature set 8σ above its category profile, then the
 * model card.
 */
export async function askPredict(
  clock: RunClock,
  options: {
    readonly url: string;
    /** Where the typical row comes from: a host's training channel or the user's files. */
    readonly rowSource: RowSource;
    readonly artifact: ModelArtifact;
    readonly anomalyZ: number;
  },
): Promise<PredictAnswers> {
  const { url, artifact } = options;
  const answers = await clock.step('predict', async () => {
    const normal = await typicalRow(options.rowSource, artifact, options.anomalyZ);
    const profile = artifact.profiles[String(normal[artifact.category])];
    // The generator's vibration, else the first feature that varies in the row's profile.
    const feature = artifact.features.includes('vibration')
      ? 'vibration'
      : (artifact.features.find((_, k) => profile.std[k] > 0) ?? artifact.features[0]);
    const j = artifact.features.indexOf(feature);
    const value = Number((profile.mean[j] + 8 * profile.std[j]).toFixed(3));
    const anomaly = { ...normal, [feature]: value };
    const res = await fetch(`${url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows: [normal, anomaly] }),
    });
    const body = (await res.json()) as {
      modelVersion: string;
      predictions: RowPrediction[];
      ignoredFields?: string[];
      message?: string;
    };
    if (res.status !== 200) throw new Error(`POST /predict answered ${res.status}: ${body.message ?? ''}`);
    const card = await fetch(`${url}/model`);
    const cardBody = (await card.json()) as { version?: string };
    if (card.status !== 200) throw new Error(`GET /model answered ${card.status}`);
    return {
      status: res.status,
      modelVersion: body.modelVersion,
      cardVersion: String(cardBody.version ?? ''),
      samples: [
        { label: 'typical row', row: normal, result: body.predictions[0] },
        {
          label: `same row, ${feature} set 8σ above its ${normal[artifact.category]} profile`,
          row: anomaly,
          result: body.predictions[1],
        },
      ],
      injected: { feature, value, profileMean: profile.mean[j], profileStd: profile.std[j] },
      ...(body.ignoredFields ? { ignoredFields: body.ignoredFields } : {}),
    };
  });
  clock.say(
    `predictions: ${answers.samples.map((s) => `${s.result.prediction.toFixed(3)} [${s.result.anomalies.join(', ') || 'no anomaly'}]`).join('; ')}`,
  );
  return answers;
}
