import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { SingularMatrixError, solveOls } from '../../../lambda/core/ols';
import { Tsqr } from '../../../lambda/core/tsqr';
import { linearData } from '../helpers/linear-data';

const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

function momentsOf(columns: string[], rows: number[][]): Tsqr {
  const m = new Tsqr(columns);
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

  it('gives a collinear feature set the minimum-norm weights and a warning naming them', () => {
    const rows = Array.from({ length: 50 }, (_, i) => {
      const a = Math.sin(i);
      const b = Math.cos(i * 1.7);
      return [a, b, 2 * a - 3 * b, a + b + 0.1 * Math.sin(i * 3.1)];
    });
    const fit = solveOls(momentsOf(['a', 'b', 'c', 'y'], rows), { features: ['a', 'b', 'c'], target: 'y' });
    expect(fit.rank).toBe(2);
    expect(fit.warnings).toEqual([expect.stringMatching(/features "a", "b", "c" are collinear/)]);
    // The minimum-norm solution is orthogonal to the null direction (2, -3, -1).
    expect(Math.abs(2 * fit.weights[0] - 3 * fit.weights[1] - fit.weights[2])).toBeLessThan(1e-9);
    const ref = sklearn(rows, 0);
    fit.weights.forEach((w, j) => expect(Math.abs(w - ref.weights[j])).toBeLessThan(1e-9));
  });

  it('solves collinear features when a ridge is given', () => {
    const rows = Array.from({ length: 50 }, (_, i) => [Math.sin(i), 2 * Math.sin(i), Math.sin(i) + 1]);
    const fit = solveOls(momentsOf(['a', 'b', 'y'], rows), { features: ['a', 'b'], target: 'y', ridge: 1 });
    expect(fit.weights.every(Number.isFinite)).toBe(true);
    expect(fit.warnings).toEqual([]);
  });

  it('gives a constant feature weight 0 and a warning naming it, even with a ridge', () => {
    const rows = Array.from({ length: 20 }, (_, i) => [i, 7, 2 * i + Math.sin(i)]);
    for (const ridge of [0, 1]) {
      const fit = solveOls(momentsOf(['a', 'k', 'y'], rows), { features: ['a', 'k'], target: 'y', ridge });
      expect(fit.weights[1]).toBe(0);
      expect(fit.warnings).toEqual([
        expect.stringMatching(/^constant feature "k" in the training rows: weight 0/),
      ]);
      const ref = sklearn(rows, ridge);
      expect(relative(fit.weights[0], ref.weights[0])).toBeLessThan(1e-12);
    }
  });

  it('refuses more features than rows with a SingularMatrixError saying what to do', () => {
    const rows = [
      [1, 2, 3],
      [2, 3, 1],
      [4, 1, 0],
    ];
    const solve = () => solveOls(momentsOf(['a', 'b', 'y'], rows), { features: ['a', 'b'], target: 'y' });
    expect(solve).toThrow(SingularMatrixError);
    expect(solve).toThrow(/3 rows cannot determine 2 weights.*need at least 4 rows.*fewer features.*ridge/);
  });

  it('refuses no rows: no model is defined', () => {
    expect(() => solveOls(new Tsqr(['a', 'y']), { features: ['a'], target: 'y', ridge: 1 })).toThrow(
      /no training rows/,
    );
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
          const parts = Array.from({ length: 8 }, () => new Tsqr(columns));
          data.rows.forEach((r, i) => parts[shardOf[i]].add(r));
          const merged = parts.reduce((a, b) => a.merge(b), new Tsqr(columns));
          const fit = solveOls(merged, { features: data.features, target: 'y' });
          fit.weights.forEach((w, j) => expect(relative(w, whole.weights[j])).toBeLessThan(1e-12));
          // b = ȳ - Σ wⱼx̄ⱼ cancels large terms, so its error is measured against their size.
          const mean = merged.means();
          const terms = Math.abs(mean[5]) + whole.weights.reduce((s, w, j) => s + Math.abs(w * mean[j]), 0);
          expect(Math.abs(fit.bias - whole.bias) / terms).toBeLessThan(1e-12);
        },
      ),
      { numRuns: 50 },
    );
  });
});
