/** Classification metrics against scikit-learn's (roc_auc_score with ties, log_loss, accuracy, precision, recall). */
import { execFileSync } from 'node:child_process';
import { classificationMetrics } from '../../../lambda/core/metrics';
import { mulberry32 } from '../helpers/linear-data';

function sklearn(labels: Uint8Array, logits: Float64Array): Record<string, number> {
  const script = `
import sys, json, numpy as np
from sklearn import metrics as M
y = np.array(json.loads(sys.argv[1])); z = np.array(json.loads(sys.argv[2])); p = 1 / (1 + np.exp(-z)); h = (p >= 0.5).astype(int)
print(json.dumps({"auc": M.roc_auc_score(y, z), "logLoss": M.log_loss(y, p), "accuracy": M.accuracy_score(y, h),
  "precision": M.precision_score(y, h, zero_division=0), "recall": M.recall_score(y, h)}))
`;
  return JSON.parse(
    execFileSync(
      '/usr/bin/python3',
      ['-c', script, JSON.stringify(Array.from(labels)), JSON.stringify(Array.from(logits))],
      {
        encoding: 'utf8',
      },
    ),
  ) as Record<string, number>;
}

describe('classificationMetrics', () => {
  it('equals scikit-learn on rounded logits with many ties', () => {
    const rand = mulberry32(9);
    const logits = Float64Array.from({ length: 500 }, () => Math.round((rand() * 6 - 3) * 4) / 4);
    const labels = Uint8Array.from(logits, (z) => (rand() < 1 / (1 + Math.exp(-z)) ? 1 : 0));
    const ours = classificationMetrics(logits, labels, 0.5);
    const ref = sklearn(labels, logits);
    expect(ours.auc).toBeCloseTo(ref.auc, 14);
    expect(ours.logLoss).toBeCloseTo(ref.logLoss, 12);
    expect(ours.accuracy).toBeCloseTo(ref.accuracy, 15);
    expect(ours.precision).toBeCloseTo(ref.precision, 15);
    expect(ours.recall).toBeCloseTo(ref.recall, 15);
    const c = ours.confusion;
    expect(c.tp + c.fp + c.tn + c.fn).toBe(500);
  });

  it('has no AUC with one class', () => {
    expect(classificationMetrics(Float64Array.of(1, 2), Uint8Array.of(1, 1), 0.5).auc).toBeNaN();
  });
});
