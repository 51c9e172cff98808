import fc from 'fast-check';
import { MetricsAccumulator, linearModelMetrics } from '../../../lambda/core/metrics';

describe('MetricsAccumulator', () => {
  it('computes R², RMSE and MAE as scikit-learn defines them', () => {
    const m = new MetricsAccumulator();
    const y = [3, -0.5, 2, 7];
    const p = [2.5, 0.0, 2, 8];
    y.forEach((v, i) => m.add(v, p[i]));
    const r = m.result();
    // sklearn: r2_score = 0.9486081370449679, mean_squared_error = 0.375, mean_absolute_error = 0.5
    expect(r.r2).toBeCloseTo(0.9486081370449679, 14);
    expect(r.rmse).toBeCloseTo(Math.sqrt(0.375), 14);
    expect(r.mae).toBeCloseTo(0.5, 14);
    expect(r.rows).toBe(4);
  });

  it('merges shards into the same result as one pass', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.double({ min: -1e3, max: 1e3, noNaN: true }),
            fc.double({ min: -1e3, max: 1e3, noNaN: true }),
          ),
          {
            minLength: 2,
          },
        ),
        fc.nat(),
        (pairs, cut) => {
          const k = cut % pairs.length;
          const whole = new MetricsAccumulator();
          const a = new MetricsAccumulator();
          const b = new MetricsAccumulator();
          pairs.forEach(([y, p], i) => {
            whole.add(y, p);
            (i < k ? a : b).add(y, p);
          });
          const merged = MetricsAccumulator.fromJSON(JSON.parse(JSON.stringify(a.merge(b))));
          const [x, w] = [merged.result(), whole.result()];
          expect(x.rows).toBe(w.rows);
          expect(x.mae).toBeCloseTo(w.mae, 6);
          expect(x.rmse).toBeCloseTo(w.rmse, 6);
          if (Number.isFinite(w.r2) && Math.abs(w.r2) < 1e6) expect(x.r2).toBeCloseTo(w.r2, 4);
        },
      ),
    );
  });

  it('reports NaN metrics and zero rows when empty', () => {
    expect(new MetricsAccumulator().result()).toEqual({ r2: NaN, rmse: NaN, mae: NaN, rows: 0 });
  });

  it('scores packed rows with a linear model', () => {
    const m = linearModelMetrics([2, -1], 0.5, [1, 1, 1.5, 2, 0, 4.5]);
    expect(m.result()).toMatchObject({ rmse: 0, mae: 0, rows: 2, r2: 1 });
  });
});
