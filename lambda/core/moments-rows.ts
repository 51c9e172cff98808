/**
 * Moments#add for many rows at once, bit for bit the same result as adding them one by one.
 *
 * Welford's update for row k is: delta = x - mean; mean += delta / n; then for every i ≤ j,
 * c[i][j] += delta[i] * (x[j] - mean[j]) with the updated mean. The means must be updated row by
 * row, but each co-moment element only ever sees the additions of rows in order, so the matrix
 * pass can take four rows per visit: c = (((c + d1·e1) + d2·e2) + d3·e3) + d4·e4 is the same
 * sequence of IEEE operations as four separate passes, with a quarter of the loop overhead and
 * matrix loads and stores. The preprocess core feeds it each category's complete rows.
 */
import type { Moments } from './moments';

/** Scratch for addRows: 8·d doubles (four rows of deltas and of centred values). */
export function rowsScratch(d: number): Float64Array {
  return new Float64Array(8 * d);
}

/**
 * Adds rows `rows[0..count)` of `values` (row t's cells at values[rows[t]·d ...], d = m.d) to `m`,
 * in that order, exactly as `m.add` would.
 */
export function addRows(
  m: Moments,
  values: Float64Array,
  rows: Int32Array,
  count: number,
  scratch: Float64Array,
): void {
  const d = m.d;
  const mean = m.mean;
  const c = m.c;
  // scratch[t·d + i]: delta of row t; scratch[(4 + t)·d + j]: its x[j] - mean[j] after the update.
  for (let start = 0; start < count; start += 4) {
    const k = Math.min(4, count - start);
    for (let t = 0; t < k; t++) {
      const at = rows[start + t] * d;
      const n = ++m.n;
      for (let i = 0; i < d; i++) {
        const delta = values[at + i] - mean[i];
        scratch[t * d + i] = delta;
        mean[i] += delta / n;
      }
      const e = (4 + t) * d;
      for (let j = 0; j < d; j++) scratch[e + j] = values[at + j] - mean[j];
    }
    if (k === 4) {
      const e0 = 4 * d;
      const e1 = 5 * d;
      const e2 = 6 * d;
      const e3 = 7 * d;
      for (let i = 0; i < d; i++) {
        const a0 = scratch[i];
        const a1 = scratch[d + i];
        const a2 = scratch[2 * d + i];
        const a3 = scratch[3 * d + i];
        const row = i * d;
        for (let j = i; j < d; j++) {
          let v = c[row + j];
          v += a0 * scratch[e0 + j];
          v += a1 * scratch[e1 + j];
          v += a2 * scratch[e2 + j];
          v += a3 * scratch[e3 + j];
          c[row + j] = v;
        }
      }
    } else {
      for (let t = 0; t < k; t++) {
        const e = (4 + t) * d;
        for (let i = 0; i < d; i++) {
          const a = scratch[t * d + i];
          const row = i * d;
          for (let j = i; j < d; j++) c[row + j] += a * scratch[e + j];
        }
      }
    }
  }
}
