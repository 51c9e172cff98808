/**
 * The preprocess report `reports/<base>/<token>.json`: what one run of preprocess did with one
 * input object (processed: its data-quality report; rejected: why). One schema, written by the
 * preprocess handler (last, so its presence means every other output is complete), read by the
 * local pipeline and the tests (`parseReport`). The core's quality report (`QualityReport`, also
 * `factory preprocess`'s report.json) is defined here too, since the stored report holds it.
 */
import { z } from 'zod';
import { QUARANTINE_REASONS } from './cleaning/quarantine-reasons';
import { documentProblems } from './document-problems';

export const PREPROCESS_REPORT_FORMAT = 'aiaas-factory/preprocess-report@1';

const COUNT = 'must be a whole number ≥ 0';
const count = z.number({ error: COUNT }).int(COUNT).min(0, COUNT);

const qualityReportObject = z.object({
  rowsIn: count,
  /** Physical lines read (the header, blank lines and every line of a multi-line row). */
  linesIn: count,
  rowsClean: count,
  rowsComplete: count,
  duplicates: count,
  quarantined: count,
  /** Physical lines the quarantined rows span: far above `quarantined` when a quote swallowed a block. */
  quarantinedLines: count,
  /** Quarantined rows per reason, every reason present. */
  quarantineByReason: z.record(z.enum(QUARANTINE_REASONS), count).readonly(),
  /** Clean rows per reason is not a thing; this is per column: missing cells among clean rows. */
  missingCells: z.record(z.string(), count).readonly(),
  /** Numeric cells filled with the column mean in clean.csv. */
  filledCells: count,
  categories: count,
  rowsWithoutCategory: count,
  /** Header columns not in the schema. */
  extraColumns: z.array(z.string()).readonly(),
  /** Those of them pandas reads as numbers: filled, de-duplicated and grouped as numbers. */
  extraNumericColumns: z.array(z.string()).readonly(),
  bytesIn: count,
  elapsedMs: z.number().min(0, 'must not be negative'),
  /** Passes over the bytes (2; more after a hash collision restart). */
  passes: count,
  /** Peak bytes of the de-duplication table. */
  dedupeTableBytes: count,
});

/** The core's data-quality report of one run (`preprocessCsv`'s `report`). */
export const qualityReportSchema = qualityReportObject.readonly();
export type QualityReport = z.infer<typeof qualityReportSchema>;

const key = z.string().min(1, 'must be an object key').optional();

/** The stored report: deterministic, no timestamps (the run time is left out of `quality`). */
export const preprocessReportSchema = z
  .object({
    format: z.literal(PREPROCESS_REPORT_FORMAT, { error: `must be "${PREPROCESS_REPORT_FORMAT}"` }),
    status: z.enum(['processed', 'rejected']),
    input: z
      .object({
        bucket: z.string(),
        key: z.string(),
        versionId: z.string().optional(),
        etag: z.string().optional(),
        size: count.optional(),
        /** The version's Last-Modified (ISO-8601 UTC): when it arrived (curated-tables.ts RowOrigin). */
        lastModified: z.iso.datetime({ offset: true, error: 'must be an ISO-8601 time' }).optional(),
      })
      .readonly(),
    /** The curated bucket and the keys written (rejected: report and rejection only). */
    outputs: z
      .object({
        bucket: z.string(),
        clean: key,
        train: key,
        stats: key,
        groupStats: key,
        report: key,
        quarantine: key,
        rejection: key,
      })
      .readonly(),
    /** The core's quality report without its run time (processed only). */
    // Reports stored before linesIn, quarantinedLines and extraNumericColumns existed still read.
    quality: qualityReportObject
      .omit({ elapsedMs: true })
      .partial({ linesIn: true, quarantinedLines: true, extraNumericColumns: true })
      .readonly()
      .optional(),
    /** Why the file was rejected (rejected only). */
    rejection: z.object({ code: z.string(), reason: z.string(), message: z.string() }).readonly().optional(),
  })
  .readonly()
  .superRefine((r, ctx) => {
    const has = r.status === 'processed' ? 'quality' : 'rejection';
    const lacks = r.status === 'processed' ? 'rejection' : 'quality';
    if (r[has] === undefined)
      ctx.addIssue({ code: 'custom', path: [has], message: `required when status is ${r.status}` });
    if (r[lacks] !== undefined)
      ctx.addIssue({ code: 'custom', path: [lacks], message: `must be absent when status is ${r.status}` });
  });
export type PreprocessReport = z.infer<typeof preprocessReportSchema>;

/** The stored report, checked: the one reader every consumer uses. Throws an Error naming each defect. */
export function parseReport(value: unknown, key = 'preprocess report'): PreprocessReport {
  const result = preprocessReportSchema.safeParse(value);
  if (result.success) return result.data;
  throw new Error(`${key}: not a preprocess report: ${documentProblems(result.error, 'report').join('; ')}`);
}
