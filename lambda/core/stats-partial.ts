/**
 * The statistics partial one preprocess run writes per input object (`stats.json`): sufficient
 * statistics that merge exactly across files, so training and planning never re-read the rows.
 * Counts add exactly; sums add; co-moments merge with Chan's update (lambda/core/moments.ts).
 */
import type { GaussianProfile } from './model-artifact';
import { Moments, type MomentsJson } from './moments';
import type { CategoryStats, ColumnStats, StatsPartial } from './stats-partial-schema';

export type { CategoryStats, ColumnStats, StatsPartial };

export const STATS_PARTIAL_FORMAT = 'aiaas-factory/stats-partial@1';

/** Code point order (pandas/Python string order), not UTF-16 order. */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx - cy;
  }
}

const num = (v: number | null): number => (v === null ? NaN : v);
const json = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** Merges partials of the same schema into one, as if one file had held all their rows. */
export function mergeStatsPartials(partials: readonly StatsPartial[]): StatsPartial {
  if (partials.length === 0) throw new Error('mergeStatsPartials needs at least one partial');
  const first = partials[0];
  for (const p of partials) {
    if (p.format !== STATS_PARTIAL_FORMAT) throw new Error(`not a stats partial: format ${String(p.format)}`);
    if (p.columns.join('\u0000') !== first.columns.join('\u0000') || p.category !== first.category) {
      throw new Error(
        `cannot merge stats partials over different columns: [${p.columns}] vs [${first.columns}]`,
      );
    }
  }
  const d = first.columns.length;
  const add = (
    key:
      | 'rowsIn'
      | 'rowsClean'
      | 'rowsComplete'
      | 'duplicates'
      | 'quarantined'
      | 'rowsWithoutCategory'
      | 'bytesIn',
  ) => partials.reduce((s, p) => s + p[key], 0);
  const numeric: ColumnStats[] = first.columns.map((name, j) => {
    let present = 0;
    let missing = 0;
    const sum = new KahanSum();
    for (const p of partials) {
      present += p.numeric[j].present;
      missing += p.numeric[j].missing;
      sum.add(p.numeric[j].sum);
    }
    const total = sum.value();
    return { name, present, missing, sum: total, mean: json(total / present) };
  });
  const mergeMoments = (pick: (p: StatsPartial) => MomentsJson | undefined) =>
    Moments.mergeAll(
      first.moments.columns,
      partials
        .map(pick)
        .filter((m): m is MomentsJson => m !== undefined)
        .map((m) => Moments.fromJSON(m)),
    ).toJSON();
  const names = [...new Set(partials.flatMap((p) => Object.keys(p.categories)))].sort(compareCodePoints);
  const categories: Record<string, CategoryStats> = {};
  for (const name of names) {
    const parts = partials.map((p) => p.categories[name]).filter((c): c is CategoryStats => c !== undefined);
    const count = parts.reduce((s, c) => s + c.count, 0);
    const filledSum = Array.from({ length: d }, (_, j) => {
      const sum = new KahanSum();
      for (const c of parts) sum.add(num(c.filledSum[j]));
      return sum.value();
    });
    categories[name] = {
      count,
      filledSum: filledSum.map(json),
      mean: filledSum.map((s) => json(s / count)),
      moments: Moments.mergeAll(
        first.moments.columns,
        parts.map((c) => Moments.fromJSON(c.moments)),
      ).toJSON(),
    };
  }
  return {
    format: STATS_PARTIAL_FORMAT,
    columns: [...first.columns],
    features: [...first.features],
    target: first.target,
    category: first.category,
    rowsIn: add('rowsIn'),
    rowsClean: add('rowsClean'),
    rowsComplete: add('rowsComplete'),
    duplicates: add('duplicates'),
    quarantined: add('quarantined'),
    rowsWithoutCategory: add('rowsWithoutCategory'),
    bytesIn: add('bytesIn'),
    numeric,
    moments: mergeMoments((p) => p.moments),
    filledMoments: mergeMoments((p) => p.filledMoments),
    categories,
  };
}

/**
 * Per-category Gaussian profiles of the features (sample std, n - 1) from a partial's complete
 * rows; a category with fewer than two complete rows gets NaN standard deviations.
 */
export function categoryProfiles(partial: StatsPartial): Record<string, GaussianProfile> {
  const k = partial.features.length;
  const out: Record<string, GaussianProfile> = {};
  for (const [name, c] of Object.entries(partial.categories)) {
    const m = Moments.fromJSON(c.moments);
    out[name] = {
      count: m.n,
      mean: Array.from(m.mean.subarray(0, k)),
      std: Array.from({ length: k }, (_, i) => Math.sqrt(m.covariance(i, i))),
    };
  }
  return out;
}

/** Neumaier compensated summation. */
export class KahanSum {
  private s = 0;
  private c = 0;
  add(x: number): void {
    const t = this.s + x;
    if (Math.abs(this.s) >= Math.abs(x)) this.c += this.s - t + x;
    else this.c += x - t + this.s;
    this.s = t;
  }
  value(): number {
    return this.s + this.c;
  }
}
