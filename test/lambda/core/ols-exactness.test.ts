/**
 * The least-squares fit against exact arithmetic and Debian's numpy / scikit-learn: an
 * ill-conditioned fixture (cond 1e6-1e7 after standardising, small residuals) within 1e-9 of
 * the rational-arithmetic solution, a large-residual one no further from it than 10× numpy
 * lstsq, and features in tiny units fitting (or dropping) exactly where scikit-learn's relative
 * rank cut-off puts them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { solveOls } from '../../../lambda/core/ols';
import { Tsqr } from '../../../lambda/core/tsqr';
import { gaussian, mulberry32 } from '../helpers/linear-data';

interface Reference {
  exact: number[];
  exactBias: number;
  lstsq: number[];
  sklearn: number[];
  sklearnBias: number;
  cond: number;
  sklearnR2: number;
}

/** Exact (fractions) OLS with an intercept, numpy lstsq on the centred data, sklearn LinearRegression. */
const SCRIPT = `
import sys, json
from fractions import Fraction
import numpy as np
from sklearn.linear_model import LinearRegression
a = np.loadtxt(sys.argv[1], delimiter=',', dtype=np.float64)
X, y = a[:, :-1], a[:, -1]
n, d = X.shape
out = {}
Xs = (X - X.mean(0)) / X.std(0)
out['cond'] = float(np.linalg.cond(Xs))
if sys.argv[2] == '1':
    F = [[Fraction(1)] + [Fraction(float(v)) for v in row] for row in X]
    Y = [Fraction(float(v)) for v in y]
    k = d + 1
    A = [[sum(F[t][i] * F[t][j] for t in range(n)) for j in range(k)] for i in range(k)]
    b = [sum(F[t][i] * Y[t] for t in range(n)) for i in range(k)]
    for c in range(k):
        piv = next(r for r in range(c, k) if A[r][c] != 0)
        A[c], A[piv] = A[piv], A[c]; b[c], b[piv] = b[piv], b[c]
        for r in range(k):
            if r != c and A[r][c] != 0:
                f = A[r][c] / A[c][c]
                A[r] = [A[r][j] - f * A[c][j] for j in range(k)]; b[r] -= f * b[c]
    sol = [b[i] / A[i][i] for i in range(k)]
    out['exactBias'] = float(sol[0]); out['exact'] = [float(v) for v in sol[1:]]
Xc = X - X.mean(0); yc = y - y.mean()
out['lstsq'] = [float(v) for v in np.linalg.lstsq(Xc, yc, rcond=None)[0]]
m = LinearRegression().fit(X, y)
out['sklearn'] = [float(v) for v in m.coef_]; out['sklearnBias'] = float(m.intercept_)
out['sklearnR2'] = float(m.score(X, y))
print(json.dumps(out))
`;

function reference(rows: number[][], exact: boolean): Reference {
  const dir = mkdtempSync(join(tmpdir(), 'ols-exact-'));
  try {
    const file = join(dir, 'rows.csv');
    writeFileSync(file, rows.map((r) => r.map((v) => String(v)).join(',')).join('\n') + '\n');
    return JSON.parse(
      execFileSync('/usr/bin/python3', ['-c', SCRIPT, file, exact ? '1' : '0'], {
        encoding: 'utf8',
        maxBuffer: 1 << 26,
      }),
    ) as Reference;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function fit(rows: number[][]) {
  const d = rows[0].length - 1;
  const features = Array.from({ length: d }, (_, j) => `f${j}`);
  const q = new Tsqr([...features, 'y']);
  for (const r of rows) q.add(r);
  return solveOls(q, { features, target: 'y' });
}

/** Nearly collinear features around factory-like offsets: f2 = f0 + f1 + 1e-6·noise. */
function illConditioned(n: number, seed: number, noise: number): number[][] {
  const normal = gaussian(mulberry32(seed));
  return Array.from({ length: n }, () => {
    const a = 50 + 3 * normal();
    const b = 200 + 10 * normal();
    const c = a + b + 4e-6 * normal();
    const e = 5 + normal();
    const y = 1.5 * a - 0.75 * b + 2 * c + 0.3 * e + 7 + noise * normal();
    return [a, b, c, e, y];
  });
}

const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const distance = (w: readonly number[], exact: readonly number[]) =>
  Math.max(...w.map((v, j) => relative(v, exact[j])));

describe('least squares against exact arithmetic', () => {
  it('is within 1e-9 relative on every weight of the exact solution on an ill-conditioned fixture (cond 1e6-1e7, small residuals)', () => {
    const rows = illConditioned(400, 7, 1e-9);
    const ref = reference(rows, true);
    expect(ref.cond).toBeGreaterThan(1e6);
    expect(ref.cond).toBeLessThan(1e7);
    const ours = fit(rows);
    expect(distance(ours.weights, ref.exact)).toBeLessThan(1e-9);
    expect(relative(ours.bias, ref.exactBias)).toBeLessThan(1e-9);
    expect(ours.warnings).toEqual([]);
  });

  it('is no further from the exact solution than 10× numpy lstsq on a large-residual fixture', () => {
    const rows = illConditioned(400, 11, 5);
    const ref = reference(rows, true);
    expect(ref.cond).toBeGreaterThan(1e6);
    const ours = distance(fit(rows).weights, ref.exact);
    expect(ours).toBeLessThanOrEqual(10 * distance(ref.lstsq, ref.exact));
  });

  it('fits a feature in units of 1e-13 as scikit-learn does (relative rank cut-off, not an absolute one)', () => {
    const normal = gaussian(mulberry32(5));
    const rows = Array.from({ length: 2000 }, () => {
      const a = 20 + 2 * normal();
      const cap = (4 + normal()) * 1e-13; // farads
      return [a, cap, 0.5 * a + 3e12 * cap + 0.01 * normal()];
    });
    const ref = reference(rows, false);
    const ours = fit(rows);
    expect(ours.rank).toBe(2);
    expect(ours.warnings).toEqual([]);
    ours.weights.forEach((w, j) => expect(relative(w, ref.sklearn[j])).toBeLessThan(1e-6));
    expect(Math.abs(ours.train.r2 - ref.sklearnR2)).toBeLessThan(1e-12);
  });

  it('drops a feature whose spread is below ε·σ_max, as scikit-learn weighs it 0, and names it', () => {
    const normal = gaussian(mulberry32(6));
    const rows = Array.from({ length: 2000 }, () => {
      const a = 20 + 200 * normal();
      const tiny = 1 + 1e-14 * normal();
      return [a, tiny, 0.5 * a + 0.01 * normal()];
    });
    const ref = reference(rows, false);
    const ours = fit(rows);
    expect(ours.rank).toBe(1);
    expect(ours.warnings.join(' ')).toMatch(/"f1"/);
    // Weight × spread: the feature's share of the prediction, ~0 in both.
    expect(Math.abs(ours.weights[1] * 1e-14)).toBeLessThan(1e-9);
    expect(Math.abs(ref.sklearn[1] * 1e-14)).toBeLessThan(1e-9);
    expect(relative(ours.weights[0], ref.sklearn[0])).toBeLessThan(1e-9);
  });

  it('fits magnitudes near 1e155 (squares would overflow a double)', () => {
    const normal = gaussian(mulberry32(8));
    const rows = Array.from({ length: 500 }, () => {
      const a = 1e155 * (3 + normal());
      return [a, 2e-155 * a + 1 + 0.01 * normal()];
    });
    const ours = fit(rows);
    expect(relative(ours.weights[0], 2e-155)).toBeLessThan(1e-2);
    expect(ours.weights.every(Number.isFinite) && Number.isFinite(ours.bias)).toBe(true);
  });
});
