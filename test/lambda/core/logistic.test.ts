/**
 * Logistic regression for pass/fail targets against Debian's scikit-learn
 * (`LogisticRegression(penalty=None, solver='newton-cholesky', tol=1e-10)`), and the sharded
 * Newton passes merging into the one-pass answer.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { DatasetSchema } from '../../../lambda/core/dataset-schema';
import { ClassificationError, TargetValues, chooseClasses, chooseTask } from '../../../lambda/core/logistic';
import {
  TrainingShard,
  localPasses,
  mergeShards,
  shardRows,
  solveMerged,
  type TrainOptions,
} from '../../../lambda/core/train';
import { gaussian, mulberry32 } from '../helpers/linear-data';

const FEATURES = ['temp', 'press', 'vib', 'k'];
const schema: DatasetSchema = { ids: [], category: 'cat', features: FEATURES, target: 'fail' };

/** Rows [temp, press, vib, k, fail]: factory-like offsets, a constant column k, fail ~ Bernoulli. */
function passFail(n: number, seed: number): number[][] {
  const normal = gaussian(mulberry32(seed));
  const rand = mulberry32(seed + 1);
  return Array.from({ length: n }, () => {
    const temp = 70 + 5 * normal();
    const press = 3 + 0.4 * normal();
    const vib = 0.2 + 0.05 * normal();
    const eta = -3 + 0.35 * (temp - 70) - 1.2 * (press - 3) + 9 * (vib - 0.2);
    return [temp, press, vib, 4, rand() < 1 / (1 + Math.exp(-eta)) ? 1 : 0];
  });
}

function sklearn(rows: number[][], columns: number[], alpha = 0): { weights: number[]; bias: number } {
  const dir = mkdtempSync(join(tmpdir(), 'logit-sk-'));
  try {
    const file = join(dir, 'rows.csv');
    writeFileSync(file, rows.map((r) => r.map(String).join(',')).join('\n') + '\n');
    const script = `
import sys, json, numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
a = np.loadtxt(sys.argv[1], delimiter=',', dtype=np.float64)
X, y = a[:, json.loads(sys.argv[2])], a[:, -1]
alpha = float(sys.argv[3])
if alpha == 0:
    m = LogisticRegression(penalty=None, solver='newton-cholesky', tol=1e-10, max_iter=1000).fit(X, y)
    w, b = m.coef_[0], m.intercept_[0]
else:
    s = StandardScaler().fit(X)
    m = LogisticRegression(C=1 / alpha, solver='newton-cholesky', tol=1e-10, max_iter=1000).fit(s.transform(X), y)
    w = m.coef_[0] / s.scale_; b = m.intercept_[0] - float(np.dot(w, s.mean_))
print(json.dumps({"weights": [float(v) for v in w], "bias": float(b)}))
`;
    return JSON.parse(
      execFileSync('/usr/bin/python3', ['-c', script, file, JSON.stringify(columns), String(alpha)], {
        encoding: 'utf8',
      }),
    ) as { weights: number[]; bias: number };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function shardOf(rows: number[][], options: TrainOptions, name = '0'): TrainingShard {
  const s = new TrainingShard(options, name);
  rows.forEach((r, i) => s.addRow(Float64Array.from(r), i * 2654435761, 'A'));
  return s;
}

const options: TrainOptions = { schema, holdout: 0, fill: 'none', ridge: 0, task: 'auto' };
const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('logistic regression', () => {
  const rows = passFail(4000, 21);

  it('picks classification for a two-valued target and matches scikit-learn newton-cholesky within 1e-6 on each weight', async () => {
    const result = await solveMerged(shardOf(rows, options));
    expect(result.task).toBe('classification');
    expect(result.classes).toEqual({ positive: 1, negative: 0 });
    const ref = sklearn(rows, [0, 1, 2]);
    [0, 1, 2].forEach((j) => expect(relative(result.fit.weights[j], ref.weights[j])).toBeLessThan(1e-6));
    expect(relative(result.fit.bias, ref.bias)).toBeLessThan(1e-6);
    expect(result.fit.weights[3]).toBe(0);
    expect(result.fit.warnings).toEqual([expect.stringMatching(/^constant feature "k"/)]);
    expect(result.iterations).toBeLessThan(15);
    const c = result.metrics.classification!;
    expect(c.logLoss).toBeGreaterThan(0);
    expect(c.auc).toBeGreaterThan(0.7);
    expect(c.confusion.tp + c.confusion.fp + c.confusion.tn + c.confusion.fn).toBe(rows.length);
  });

  it('with a ridge equals StandardScaler then LogisticRegression(C = 1/alpha) within 1e-6', async () => {
    const result = await solveMerged(shardOf(rows, { ...options, ridge: 5 }));
    const ref = sklearn(rows, [0, 1, 2], 5);
    [0, 1, 2].forEach((j) => expect(relative(result.fit.weights[j], ref.weights[j])).toBeLessThan(1e-6));
  });

  it('gives the one-pass answer from any split of the rows over k shards (passes merged in shard order)', async () => {
    const small = passFail(600, 5).map((r) => r.slice(0, 3).concat(r[4]));
    const opts: TrainOptions = {
      ...options,
      schema: { ...schema, features: FEATURES.slice(0, 2).concat('vib') },
    };
    const whole = await solveMerged(shardOf(small, opts));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: small.length, maxLength: small.length }),
        async (assign) => {
          const parts = Array.from({ length: 4 }, (_, k) => new TrainingShard(opts, String(k)));
          small.forEach((r, i) => parts[assign[i]].addRow(Float64Array.from(r), i, 'A'));
          const merged = mergeShards(parts, opts);
          const fit = await solveMerged(merged, localPasses(parts), shardRows(parts));
          fit.fit.weights.forEach((w, j) => expect(relative(w, whole.fit.weights[j])).toBeLessThan(1e-9));
          expect(Math.abs(fit.fit.bias - whole.fit.bias)).toBeLessThan(1e-9 * (1 + Math.abs(whole.fit.bias)));
        },
      ),
      { numRuns: 20 },
    );
  });

  it('says the classes are separated instead of looping', async () => {
    const separated = Array.from({ length: 200 }, (_, i) => [i, 1, 0.5, 4, i < 100 ? 0 : 1]);
    await expect(solveMerged(shardOf(separated, options))).rejects.toThrow(/perfectly separated.*ridge/);
  });

  it('says a feature nearly separates the classes (all its 1-rows pass) instead of reporting an arbitrary weight', async () => {
    const normal = gaussian(mulberry32(12));
    const rand = mulberry32(13);
    const quasi = Array.from({ length: 800 }, (_, i) => {
      const temp = 70 + 5 * normal();
      const flag = i % 25 === 0 ? 1 : 0;
      const y = flag === 1 ? 0 : rand() < 1 / (1 + Math.exp(-(-3 + 0.3 * (temp - 70)))) ? 1 : 0;
      return [temp, 3 + normal(), flag, 4, y];
    });
    const opts = { ...options, schema: { ...schema, features: ['temp', 'press', 'flag', 'k'] } };
    await expect(solveMerged(shardOf(quasi, opts))).rejects.toThrow(/separated.*diverge along "flag".*ridge/);
    const penalised = await solveMerged(shardOf(quasi, { ...opts, ridge: 1 }));
    expect(penalised.task).toBe('classification');
  });

  it('chooses the task and the positive class from the target', () => {
    const t = new TargetValues();
    [3, 3, 3, 7].forEach((y) => t.add(y));
    expect(chooseTask('auto', t, 'y')).toBe('classification');
    expect(chooseClasses(t, 'y')).toEqual({ positive: 7, negative: 3 });
    expect(chooseClasses(t, 'y', 3)).toEqual({ positive: 3, negative: 7 });
    t.add(1);
    expect(chooseTask('auto', t, 'y')).toBe('regression');
    expect(() => chooseTask('classification', t, 'y')).toThrow(ClassificationError);
  });
});
