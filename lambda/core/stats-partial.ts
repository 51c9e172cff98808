/**
 * The statistics partial one preprocess run writes per input object (`stats.json`): sufficient
 * statistics that merge exactly across files, so training and planning never re-read the rows.
 * Counts add exactly; sums add; co-moments merge with Chan's update (lambda/core/moments.ts).
 */
import { z } from 'zod';
import { documentProblems } from './document-problems';
import type { GaussianProfile } from './model-artifact';
import { Moments, momentsJsonSchema, type MomentsJson } from './moments';

export const STATS_PARTIAL_FORMAT = 'aiaas-factory/stats-partial@1';

const COUNT = 'must be a whole number ≥ 0';
const count = z.number({ error: COUNT }).int(COUNT).min(0, COUNT);
/** A sum or mean; null (JSON for NaN) where there is nothing to average. */
const jsonNumber = z.number().nullable();

export const columnStatsSchema = z
  .object({
    name: z.string(),
    /** Present cells in the de-duplicated rows. */
    present: count,
    /** Missing cells in the de-duplicated rows (filled with `mean` in clean.csv). */
    missing: count,
    /** Sum of the present cells (compensated summation). */
    sum: z.number(),
    /** sum / present; null (JSON for NaN) when no cell is present. */
    mean: jsonNumber,
  })
  .readonly();
export type ColumnStats = z.infer<typeof columnStatsSchema>;

export const categoryStatsSchema = z
  .object({
    /** De-duplicated rows of this category (clean.csv rows). */
    count,
    /** Per numeric column, the sum of the values after the mean fill (this file's fill). */
    filledSum: z.array(jsonNumber).readonly(),
    /** filledSum / count per numeric column: group_stats.csv's row. */
    mean: z.array(jsonNumber).readonly(),
    /** Moments of features + target over this category's complete rows: the Gaussian profile. */
    moments: momentsJsonSchema,
  })
  .readonly();
export type CategoryStats = z.infer<typeof categoryStatsSchema>;

/**
 * The statistics partial, the one definition of it: what preprocess writes and the planner, the
 * trainer's sources and `factory train` read (`parseStatsPartial`).
 */
export const statsPartialSchema = z
  .object({
    format: z.literal(STATS_PARTIAL_FORMAT, { error: `must be "${STATS_PARTIAL_FORMAT}"` }),
    /** Numeric columns (features then target), the order of every per-column array. */
    columns: z.array(z.string()).readonly(),
    features: z.array(z.string()).readonly(),
    target: z.string(),
    /** The category column's name. */
    category: z.string(),
    rowsIn: count,
    /** De-duplicated rows (clean.csv). */
    rowsClean: count,
    /** De-duplicated rows with features and target all present (train.csv). */
    rowsComplete: count,
    duplicates: count,
    quarantined: count,
    /** Clean rows whose category is empty or a pandas NA word (kept in clean.csv, in no group). */
    rowsWithoutCategory: count,
    bytesIn: count,
    numeric: z.array(columnStatsSchema).readonly(),
    /** Over features + target of the complete rows: what the trainer's default fit uses. */
    moments: momentsJsonSchema,
    /** Over features + target of all clean rows after the mean fill. */
    filledMoments: momentsJsonSchema,
    /** Per category, sorted by category (code point order, as pandas sorts). */
    categories: z.record(z.string(), categoryStatsSchema).readonly(),
  })
  .readonly()
  .superRefine((p, ctx) => {
    const problem = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message });
    const columns = p.columns.join('\u0000');
    const d = p.columns.length;
    if ([...p.features, p.target].join('\u0000') !== columns)
      problem(['columns'], 'must be the features then the target');
    if (p.numeric.map((c) => c.name).join('\u0000') !== columns)
      problem(['numeric'], 'must hold one entry per column, in the order of columns');
    const over = (path: (string | number)[], names: readonly string[]) => {
      if (names.join('\u0000') !== columns) problem([...path, 'columns'], 'must equal columns');
    };
    over(['moments'], p.moments.columns);
    over(['filledMoments'], p.filledMoments.columns);
    for (const [name, c] of Object.entries(p.categories)) {
      over(['categories', name, 'moments'], c.moments.columns);
      for (const key of ['filledSum', 'mean'] as const) {
        if (c[key].length !== d)
          problem(['categories', name, key], `has ${c[key].length} entries, expected ${d} (one per column)`);
      }
    }
  });
export type StatsPartial = z.infer<typeof statsPartialSchema>;

/** Thrown by `parseStatsPartial`: every problem, each naming its field, after the object's key. */
export class InvalidStatsPartialError extends Error {
  readonly code = 'InvalidStatsPartial';
  constructor(
    readonly key: string,
    readonly problems: readonly string[],
  ) {
    super(`${key}: not a statistics partial: ${problems.join('; ')}`);
    // The Lambda error type the planner's callers see.
    this.name = 'InvalidStatsPartial';
  }
}

/**
 * A statistics partial, checked: the one reader every consumer uses. `key` names the object (or
 * file) in the error. Throws InvalidStatsPartialError.
 */
export function parseStatsPartial(value: unknown, key = 'statistics partial'): StatsPartial {
  const result = statsPartialSchema.safeParse(value);
  if (result.success) return result.data;
  throw new InvalidStatsPartialError(key, documentProblems(result.error, 'partial'));
}

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
