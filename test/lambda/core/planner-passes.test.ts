/** The planner's account of classification passes (n·passes units; one exchange per iteration). */
import { plannedSeconds, trainingCostModel } from '../../../lambda/core/planner';

const base = {
  rows: 1_000_000,
  secondsPerUnit: 2e-5,
  startupSeconds: 240,
  serialSeconds: 5,
  exchangeSeconds: 4,
};

describe('trainingCostModel', () => {
  it('is the one-pass model exactly with one pass, on either engine', () => {
    for (const engine of ['sagemaker', 'batch'] as const) {
      expect(trainingCostModel({ ...base, engine, passes: 1 })).toEqual({
        units: 1_000_000,
        secondsPerUnit: 2e-5,
        startupSeconds: 240,
        serialSeconds: 5,
      });
    }
  });

  it('on SageMaker counts n·passes units over p hosts, t0 once, and (passes − 1) exchanges', () => {
    const model = trainingCostModel({ ...base, engine: 'sagemaker', passes: 9 });
    expect(model.units).toBe(9_000_000);
    expect(plannedSeconds(model, 4)).toBeCloseTo(240 + 5 + 8 * 4 + (2e-5 * 9_000_000) / 4, 9);
  });

  it('on Batch runs the Newton passes in the reduce over all n rows', () => {
    const model = trainingCostModel({ ...base, engine: 'batch', passes: 9 });
    expect(plannedSeconds(model, 4)).toBeCloseTo(240 + 5 + 8 * 2e-5 * 1_000_000 + (2e-5 * 1_000_000) / 4, 9);
  });

  it('refuses a fractional pass count naming the field', () => {
    expect(() => trainingCostModel({ ...base, engine: 'batch', passes: 1.5 })).toThrow(
      /^passes must be a whole number/,
    );
  });
});
