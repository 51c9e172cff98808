import { DEFAULT_DATASET_SCHEMA, schemaColumns } from '../../../lambda/core/dataset-schema';
import {
  generateSyntheticCsv,
  rowsInFile,
  SyntheticDataset,
  syntheticFileNames,
  SYNTHETIC_BIAS,
  SYNTHETIC_FEATURES,
  SYNTHETIC_WEIGHTS,
  Xoshiro128,
} from '../../../lambda/core/synthetic-data';

const NUMERIC = [...DEFAULT_DATASET_SCHEMA.features, DEFAULT_DATASET_SCHEMA.target];

function rowsOf(text: string): string[][] {
  const lines = text.split('\n');
  expect(lines.pop()).toBe('');
  return lines.slice(1).map((line) => line.split(','));
}

/** The parsed-value identity of a row: what an exact de-duplication compares. */
function parsedKey(fields: string[]): string {
  return fields.map((f, i) => (i >= 3 && f !== '' ? String(Number(f)) : f)).join('\u0000');
}

describe('Xoshiro128', () => {
  it('yields the same sequence for the same seed and stream', () => {
    const a = new Xoshiro128(7, 3);
    const b = new Xoshiro128(7, 3);
    const xs = Array.from({ length: 100 }, () => a.nextUint32());
    expect(Array.from({ length: 100 }, () => b.nextUint32())).toEqual(xs);
  });

  it('yields different sequences for different seeds or streams', () => {
    const first = (seed: number, stream: number) => new Xoshiro128(seed, stream).nextUint32();
    expect(new Set([first(1, 0), first(2, 0), first(1, 1), first(2 ** 40, 0)]).size).toBe(4);
  });

  it('draws standard normals with mean about 0 and variance about 1', () => {
    const rng = new Xoshiro128(5);
    let sum = 0;
    let sumSq = 0;
    const n = 200000;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      sum += z;
      sumSq += z * z;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.01);
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(0.015);
  });
});

describe('SyntheticDataset', () => {
  it('writes the same bytes for the same seed', () => {
    const a = generateSyntheticCsv({ rows: 5000, seed: 11, files: 2 });
    const b = generateSyntheticCsv({ rows: 5000, seed: 11, files: 2 });
    expect(b.files).toEqual(a.files);
    expect(b.truth).toEqual(a.truth);
  });

  it('writes different bytes for a different seed', () => {
    expect(generateSyntheticCsv({ rows: 100, seed: 1 }).files[0]).not.toBe(
      generateSyntheticCsv({ rows: 100, seed: 2 }).files[0],
    );
  });

  it('yields the same file whichever order the files are generated in', () => {
    const forward = new SyntheticDataset({ rows: 3000, seed: 3, files: 3 });
    const backward = new SyntheticDataset({ rows: 3000, seed: 3, files: 3 });
    const f = [0, 1, 2].map((k) => forward.fileText(k));
    const b = [2, 1, 0].map((k) => backward.fileText(k)).reverse();
    expect(b).toEqual(f);
  });

  it('writes the default schema header and exactly the requested number of rows', () => {
    const { files, truth } = generateSyntheticCsv({ rows: 1234, seed: 1 });
    expect(files[0].slice(0, files[0].indexOf('\n'))).toBe(schemaColumns(DEFAULT_DATASET_SCHEMA).join(','));
    const rows = rowsOf(files[0]);
    expect(rows).toHaveLength(1234);
    expect(rows.every((r) => r.length === 14)).toBe(true);
    expect(truth.rows).toBe(1234);
  });

  it('splits rows into contiguous files whose sizes differ by at most one', () => {
    const { files, truth } = generateSyntheticCsv({ rows: 1001, seed: 1, files: 4 });
    expect(files.map((f) => rowsOf(f).length)).toEqual([251, 250, 250, 250]);
    expect(truth.files.map((f) => f.rows)).toEqual([251, 250, 250, 250]);
    expect(truth.files.map((f) => f.bytes)).toEqual(files.map((f) => f.length));
    expect([0, 1, 2, 3].map((k) => rowsInFile(1001, 4, k))).toEqual([251, 250, 250, 250]);
  });

  it('writes zero rows as a header-only file', () => {
    const { files, truth } = generateSyntheticCsv({ rows: 0 });
    expect(files[0]).toBe(schemaColumns(DEFAULT_DATASET_SCHEMA).join(',') + '\n');
    expect(truth.duplicates).toBe(0);
  });

  it('rejects invalid options with a message naming the option', () => {
    expect(() => new SyntheticDataset({ rows: -1 })).toThrow(/rows/);
    expect(() => new SyntheticDataset({ rows: 10, files: 0 })).toThrow(/files/);
    expect(() => new SyntheticDataset({ rows: 10, seed: 1.5 })).toThrow(/seed/);
    expect(() => new SyntheticDataset({ rows: 10, missingRate: 1 })).toThrow(/missingRate/);
  });

  it('refuses to report the truth before every file is generated', () => {
    const dataset = new SyntheticDataset({ rows: 10, files: 2 });
    dataset.fileText(0);
    expect(() => dataset.truth()).toThrow(/file 1/);
  });

  describe('on 60000 rows in 3 files', () => {
    const { files, truth } = generateSyntheticCsv({ rows: 60000, seed: 2024, files: 3 });
    const perFile = files.map(rowsOf);
    const all = perFile.flat();

    it('counts exactly the duplicates an exact per-file de-duplication by parsed value finds', () => {
      const perFileDuplicates = perFile.map((rows) => {
        const seen = new Set<string>();
        let dups = 0;
        for (const r of rows) {
          const key = parsedKey(r);
          if (seen.has(key)) dups++;
          else seen.add(key);
        }
        return dups;
      });
      expect(perFileDuplicates).toEqual(truth.files.map((f) => f.duplicates));
      expect(truth.duplicates).toBe(perFileDuplicates.reduce((a, b) => a + b, 0));
    });

    it('writes about 1% duplicate rows', () => {
      expect(truth.duplicates / truth.rows).toBeGreaterThan(0.008);
      expect(truth.duplicates / truth.rows).toBeLessThan(0.012);
    });

    it('spells some duplicates differently from their original but with equal values', () => {
      const rows = perFile[0];
      const byText = new Set<string>();
      const byValue = new Set<string>();
      let respelled = 0;
      for (const r of rows) {
        const text = r.join(',');
        const key = parsedKey(r);
        if (byValue.has(key) && !byText.has(text)) respelled++;
        byText.add(text);
        byValue.add(key);
      }
      expect(respelled).toBeGreaterThan(0);
      expect(respelled).toBeLessThan(truth.files[0].duplicates);
    });

    it('counts exactly the empty numeric cells, about 2% of feature cells and a few targets', () => {
      const counted: Record<string, number> = {};
      NUMERIC.forEach((name, k) => (counted[name] = all.filter((r) => r[3 + k] === '').length));
      expect(counted).toEqual(truth.missingByColumn);
      expect(truth.missingCells).toBe(Object.values(counted).reduce((a, b) => a + b, 0));
      const featureCells = all.length * DEFAULT_DATASET_SCHEMA.features.length;
      const featureMissing = truth.missingCells - counted.quality;
      expect(featureMissing / featureCells).toBeGreaterThan(0.018);
      expect(featureMissing / featureCells).toBeLessThan(0.022);
      expect(counted.quality).toBeGreaterThan(0);
      expect(counted.quality / all.length).toBeLessThan(0.01);
    });

    it('never leaves text columns empty and uses lines L01..L20 and four categories', () => {
      expect(all.every((r) => r[0] !== '' && r[1] !== '' && r[2] !== '')).toBe(true);
      expect(new Set(all.map((r) => r[1])).size).toBe(20);
      expect([...new Set(all.map((r) => r[2]))].sort()).toEqual(['bracket', 'gear', 'housing', 'shaft']);
    });

    it('writes strictly increasing ISO timestamps across files, apart from duplicate copies', () => {
      const seen = new Set<string>();
      let last = '';
      const problems: string[] = [];
      for (const r of all) {
        const key = parsedKey(r);
        if (seen.has(key)) continue;
        seen.add(key);
        if (new Date(r[0]).toISOString() !== r[0] || r[0] <= last) problems.push(r[0]);
        last = r[0];
      }
      expect(problems).toEqual([]);
    });

    it('gives each category its own feature means', () => {
      const mean = (cat: string, col: number) => {
        const xs = all.filter((r) => r[2] === cat && r[col] !== '').map((r) => Number(r[col]));
        return xs.reduce((a, b) => a + b, 0) / xs.length;
      };
      const torque = ['bracket', 'gear', 'housing', 'shaft'].map((c) => mean(c, 3 + 5));
      SYNTHETIC_FEATURES[5].mean.forEach((m, i) => expect(Math.abs(torque[i] - m)).toBeLessThan(0.3));
    });

    it('lets complete-case least squares recover the true weights and noise', () => {
      // Normal equations on centred data, solved by Gaussian elimination (d = 10 is tiny).
      const complete = all.filter((r) => r.slice(3).every((f) => f !== ''));
      const d = DEFAULT_DATASET_SCHEMA.features.length;
      const X = complete.map((r) => r.slice(3, 3 + d).map(Number));
      const y = complete.map((r) => Number(r[3 + d]));
      const n = X.length;
      const mx = Array.from({ length: d }, (_, j) => X.reduce((a, x) => a + x[j], 0) / n);
      const my = y.reduce((a, b) => a + b, 0) / n;
      const A = Array.from({ length: d }, () => new Array<number>(d + 1).fill(0));
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < d; j++) {
          const xj = X[i][j] - mx[j];
          for (let k = 0; k < d; k++) A[j][k] += xj * (X[i][k] - mx[k]);
          A[j][d] += xj * (y[i] - my);
        }
      }
      for (let p = 0; p < d; p++) {
        for (let q = p + 1; q < d; q++) {
          const f = A[q][p] / A[p][p];
          for (let k = p; k <= d; k++) A[q][k] -= f * A[p][k];
        }
      }
      const w = new Array<number>(d).fill(0);
      for (let p = d - 1; p >= 0; p--) {
        let s = A[p][d];
        for (let k = p + 1; k < d; k++) s -= A[p][k] * w[k];
        w[p] = s / A[p][p];
      }
      const b = my - w.reduce((a, wj, j) => a + wj * mx[j], 0);
      const residuals = y.map((yi, i) => yi - b - w.reduce((a, wj, j) => a + wj * X[i][j], 0));
      const rmse = Math.sqrt(residuals.reduce((a, e) => a + e * e, 0) / (n - d - 1));
      DEFAULT_DATASET_SCHEMA.features.forEach((name, j) => {
        // Tolerances are several standard errors at this n (the noise std is 1).
        const tolerance = name === 'speed' ? 0.001 : name === 'voltage' || name === 'humidity' ? 0.01 : 0.05;
        expect(Math.abs(w[j] - SYNTHETIC_WEIGHTS[name])).toBeLessThan(tolerance);
      });
      expect(Math.abs(b - SYNTHETIC_BIAS)).toBeLessThan(5);
      expect(Math.abs(rmse - truth.noiseStd)).toBeLessThan(0.03);
    });

    it('reports the truth document with weights, bias, noise, seed and counts', () => {
      expect(truth).toMatchObject({
        weights: SYNTHETIC_WEIGHTS,
        bias: SYNTHETIC_BIAS,
        noiseStd: 1,
        rows: 60000,
        seed: 2024,
        columns: schemaColumns(DEFAULT_DATASET_SCHEMA),
        categories: ['bracket', 'gear', 'housing', 'shaft'],
      });
      expect(Object.keys(truth.weights)).toEqual(DEFAULT_DATASET_SCHEMA.features);
    });
  });
});

describe('syntheticFileNames', () => {
  it('keeps PATH for one file and numbers the stem for several', () => {
    expect(syntheticFileNames('out/data.csv', 1)).toEqual({
      files: ['out/data.csv'],
      truth: 'out/data.csv.truth.json',
    });
    expect(syntheticFileNames('out/data.csv', 3)).toEqual({
      files: ['out/data-001.csv', 'out/data-002.csv', 'out/data-003.csv'],
      truth: 'out/data.csv.truth.json',
    });
    expect(syntheticFileNames('raw', 2).files).toEqual(['raw-001.csv', 'raw-002.csv']);
    expect(syntheticFileNames('d.csv', 1000).files[999]).toBe('d-1000.csv');
  });
});

describe('SYNTHETIC_FEATURES', () => {
  it('names exactly the default schema features, in order', () => {
    expect(SYNTHETIC_FEATURES.map((f) => f.name)).toEqual(DEFAULT_DATASET_SCHEMA.features);
  });
});
