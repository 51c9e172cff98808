/**
 * Moments as JSON, checked (`Moments.toJSON` writes it, `Moments.fromJSON` reads it): part of
 * the statistics partial and the training partial. A module of its own so the cleaning and
 * training hot paths, which only build moments, do not load zod.
 */
import { z } from 'zod';

/** A mean or co-moment: JSON writes NaN (a column with no value to fill) as null, read back as NaN. */
const entries = z
  .array(z.number().nullable())
  .transform((values) => values.map((v) => v ?? NaN))
  .readonly();

/** Moments as JSON (`toJSON`, `fromJSON`): part of the statistics partial and the training partial. */
export const momentsJsonSchema = z
  .object({
    columns: z.array(z.string()).readonly(),
    n: z.number().int().nonnegative(),
    mean: entries,
    /** Row-major d×d centred co-moments (symmetric). */
    comoments: entries,
  })
  .readonly()
  .superRefine((m, ctx) => {
    const d = m.columns.length;
    if (m.mean.length !== d)
      ctx.addIssue({
        code: 'custom',
        path: ['mean'],
        message: `has ${m.mean.length} entries, expected ${d}`,
      });
    if (m.comoments.length !== d * d)
      ctx.addIssue({
        code: 'custom',
        path: ['comoments'],
        message: `has ${m.comoments.length} entries, expected ${d * d} (${d}×${d})`,
      });
  });
export type MomentsJson = z.infer<typeof momentsJsonSchema>;
