/**
 * The statistics partial, checked: its one zod schema, the types from it, and the one reader
 * (`parseStatsPartial`) every consumer uses (the plan step, `factory train`). A module of its own
 * so preprocessing, which writes partials, does not load zod.
 */
import { z } from 'zod';
import { documentProblems } from './document-problems';
import { momentsJsonSchema } from './moments-json';

import { STATS_PARTIAL_FORMAT } from './stats-partial';

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
