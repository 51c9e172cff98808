import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Moments } from '../../../lambda/core/moments';
import { CollinearFeaturesError, SingularMatrixError, solveOls } from '../../../lambda/core/ols';
import { linearData } from '../helpers/linear-data';

const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

function momentsOf(columns: string[], rows: number[][]): Moments {
  const m = new Moments(columns);
  for (const r of rows) m.add(r);
  return m;
}

/** Fits with Debian's scikit-learn on a CSV of the rows; returns [weights..., bias]. */
function sklearn(rows: number[][], ridge: number): { weights: number[]; bias: number } {
  const dir = mkdtempSync(join(tmpdir(), 'ols-sk-'));
  try {
    const file = join(dir, 'rows.csv');
    writeFileSync(file, rows.map((r) => r.map((v) => String(v)).join(',')).join('\n') + '\n');
    const script = `
import sys, json, numpy as np
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.preprocessing import StandardScaler
a = np.loadtxt(sys.argv[1], delimiter=',', dtype=np.float64)
X, y = a[:, :-1], a[:, -1]
alpha = float(sys.argv[2])
if alpha == 0:
    m = LinearRegression().fit(X, y); w, b = m.coef_, m.intercept_
else:
    s = StandardScaler().fit(X); m = Ridge(alpha=alpha).fit(s.transform(X), y)
    w = m.coef_ / s.scale_; b = m.intercept_ - float(np.dot(w, s.mean_))
print(json.dumps({"weights": [float(v) for v in w], "bias": float(b)}))
`;
    const out = execFileSync('/usr/bin/python3', ['-c', script, file, String(ridge)], { encoding: 'utf8' });
    return JSON.parse(out) as { weights: number[]; bias: number };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('solveOls', () => {
  it('equals scikit-learn LinearRegression within 1e-9 relative on the same rows', () => {
    const data = linearData(20000, 11, 10);
    const fit = solveOls(momentsOf([...data.features, 'y'], data.rows), {
      features: data.features,
      target: 'y',
    });
    const ref = sklearn(data.rows, 0);
    fit.weights.forEach((w, j) => expect(relative(w, ref.weights[j])).toBeLessThan(1e-9));
    expect(relative(fit.bias, ref.bias)).toBeLessThan(1e-9);
  });

  it('with a ridge equals StandardScaler then Ridge(alpha) within 1e-9 relative', () => {
    const data = linearData(5000, 12, 6);
    const fit = solveOls(momentsOf([...data.features, 'y'], data.rows), {
      features: data.features,
      target: 'y',
      ridge: 250,
    });
    const ref = sklearn(data.rows, 250);
    fit.weights.forEach((w, j) => expect(relative(w, ref.weights[j])).toBeLessThan(1e-9));
    expect(relative(fit.bias, ref.bias)).toBeLessThan(1e-9);
  });

  it('recovers exact weights from noise-free rows', () => {
    const rows = [
      [1, 2, 3 * 1 - 2 * 2 + 5],
      [2, 1, 3 * 2 - 2 * 1 + 5],
      [0, 5, 3 * 0 - 2 * 5 + 5],
      [4, 4, 3 * 4 - 2 * 4 + 5],
      [-1, 3, 3 * -1 - 2 * 3 + 5],
    ];
    const fit = solveOls(momentsOf(['a', 'b', 'y'], rows), { features: ['a', 'b'], target: 'y' });
    expect(fit.weights[0]).toBeCloseTo(3, 12);
    expect(fit.weights[1]).toBeCloseTo(-2, 12);
    expect(fit.bias).toBeCloseTo(5, 11);
    expect(fit.train.r2).toBeCloseTo(1, 12);
  });

  it('reads features and target by name whatever the moments column order', () => {
    const data = linearData(2000, 3, 3);
    const reordered = data.rows.map((r) => [r[3], r[2], r[0], r[1]]);
    const a = solveOls(momentsOf([...data.features, 'y'], data.rows), {
      features: data.features,
      target: 'y',
    });
    const b = solveOls(momentsOf(['y', 'f2', 'f0', 'f1'], reordered), {
      features: data.features,
      target: 'y',
    });
    a.weights.forEach((w, j) => expect(relative(b.weights[j], w)).toBeLessThan(1e-12));
  });

  it('rejects an exactly collinear feature naming it and its partners', () => {
    const rows = Array.from({ length: 50 }, (_, i) => {
      const a = Math.sin(i);
      const b = Math.cos(i * 1.7);
      return [a, b, 2 * a - 3 * b, a + b + 0.1 * Math.sin(i * 3.1)];
    });
    const solve = () =>
      solveOls(momentsOf(['a', 'b', 'c', 'y'], rows), { features: ['a', 'b', 'c'], target: 'y' });
    expect(solve).toThrow(CollinearFeaturesError);
    expect(solve).toThrow('feature "c" is a linear combination of "a", "b"');
    try {
      solve();
    } catch (error) {
      expect((error as CollinearFeaturesError).code).toBe('COLLINEAR_FEATURES');
      expect((error as CollinearFeaturesError).features).toEqual(['c', 'a', 'b']);
    }
  });

  it('solves collinear features when a ridge is given', () => {
    const rows = Array.from({ length: 50 }, (_, i) => [Math.sin(i), 2 * Math.sin(i), Math.sin(i) + 1]);
    const fit = solveOls(momentsOf(['a', 'b', 'y'], rows), { features: ['a', 'b'], target: 'y', ridge: 1 });
    expect(fit.weights.every(Number.isFinite)).toBe(true);
  });

  it('rejects a constant feature as collinear with the bias', () => {
    const rows = Array.from({ length: 20 }, (_, i) => [i, 7, 2 * i]);
    expect(() => solveOls(momentsOf(['a', 'k', 'y'], rows), { features: ['a', 'k'], target: 'y' })).toThrow(
      /constant feature "k": collinear with the bias/,
    );
  });

  it('rejects too few rows with a SingularMatrixError', () => {
    const rows = [
      [1, 2, 3],
      [2, 3, 1],
      [4, 1, 0],
    ];
    const solve = () => solveOls(momentsOf(['a', 'b', 'y'], rows), { features: ['a', 'b'], target: 'y' });
    expect(solve).toThrow(SingularMatrixError);
    expect(solve).toThrow('3 rows cannot determine 2 weights and a bias: need at least 4 rows');
  });

  it('puts every weight within 3 standard errors of the truth on 200k generated rows', () => {
    const data = linearData(200000, 2024, 10);
    const fit = solveOls(momentsOf([...data.features, 'y'], data.rows), {
      features: data.features,
      target: 'y',
    });
    const z = fit.weights.map((w, j) => Math.abs(w - data.weights[j]) / fit.standardErrors[j]);
    expect(Math.max(...z)).toBeLessThan(3);
    expect(Math.abs(fit.bias - data.bias) / fit.biasStandardError).toBeLessThan(3);
    expect(Math.sqrt(fit.residualVariance)).toBeCloseTo(data.sigma, 2);
  });

  it('gives the same weights (1e-12 relative) and bias (1e-12 of its terms) from partials merged over k shards as from one pass', () => {
    // Factory-like spreads: feature means a few to tens of standard deviations from zero.
    const data = linearData(3000, 99, 5, 5);
    const columns = [...data.features, 'y'];
    const whole = solveOls(momentsOf(columns, data.rows), { features: data.features, target: 'y' });
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 7 }), {
          minLength: data.rows.length,
          maxLength: data.rows.length,
        }),
        (shardOf) => {
          const parts = Array.from({ length: 8 }, () => new Moments(columns));
          data.rows.forEach((r, i) => parts[shardOf[i]].add(r));
          const merged = Moments.mergeAll(columns, parts);
          const fit = solveOls(merged, { features: data.features, target: 'y' });
          fit.weights.forEach((w, j) => expect(relative(w, whole.weights[j])).toBeLessThan(1e-12));
          // b = ȳ - Σ wⱼx̄ⱼ cancels large terms, so its error is measured against their size.
          const terms =
            Math.abs(merged.mean[5]) + whole.weights.reduce((s, w, j) => s + Math.abs(w * merged.mean[j]), 0);
          expect(Math.abs(fit.bias - whole.bias) / terms).toBeLessThan(1e-12);
        },
      ),
      { numRuns: 50 },
    );
  });
});
