/** Which metric decides a promotion: the task's (log-loss for classification, RMSE for regression). */
import type { ModelMetrics } from '../../../lambda/core/model-artifact';
import { compareMetrics } from '../../../lambda/handlers/evaluate';

const regression = (rmse: number): ModelMetrics => ({ r2: 0.9, rmse, mae: 0.5, rows: 100, on: 'holdout' });
const classification = (logLoss: number, rmse = 0.3): ModelMetrics => ({
  ...regression(rmse),
  classification: {
    logLoss,
    auc: 0.9,
    accuracy: 0.9,
    precision: 0.8,
    recall: 0.7,
    threshold: 0.5,
    confusion: { tp: 7, fp: 2, tn: 88, fn: 3 },
  },
});

describe('compareMetrics', () => {
  it('compares classification candidates by holdout log-loss, not by RMSE', () => {
    expect(compareMetrics(classification(0.2, 0.9), classification(0.3, 0.1))).toEqual({
      better: true,
      reason: 'log-loss 0.2 < current 0.3',
    });
    expect(compareMetrics(classification(0.4, 0.1), classification(0.3, 0.9)).better).toBe(false);
  });

  it('compares regression candidates by holdout RMSE', () => {
    expect(compareMetrics(regression(0.7), regression(0.8)).better).toBe(true);
    expect(compareMetrics(regression(0.9), regression(0.8)).better).toBe(false);
  });

  it('takes a candidate of the other task (the target changed meaning)', () => {
    expect(compareMetrics(classification(0.5), regression(0.1))).toEqual({
      better: true,
      reason: 'the task changed (current regression, candidate classification)',
    });
  });
});
