/**
 * Calibrating the planner from past jobs: fit `seconds ≈ t0 + c·(units / instances)` by ordinary
 * least squares over job records, where `seconds` is a job's wall-clock time from creation to end
 * (what a deadline measures). The slope c is seconds per unit per instance; the intercept t0 is
 * every per-job fixed cost seen in those jobs (provisioning, image pull, data download, any fixed
 * in-job work) — the planner's start-up overhead. Whatever reduce ran inside those jobs is in t0
 * too, so the planner's serial seconds should only count work outside the training job.
 *
 * Falls back to configured defaults, and says so, when the data cannot support a fit: fewer than
 * two usable records, every record with the same units/instances (no slope to see), or a negative
 * estimate (noise larger than the signal).
 */
import { z } from 'zod';
import { documentProblems } from './document-problems';

export const trainingEngineSchema = z.enum(['sagemaker', 'batch'], {
  error: 'must be "sagemaker" or "batch"',
});
export type TrainingEngine = z.infer<typeof trainingEngineSchema>;

export const TRAINING_ENGINES: readonly TrainingEngine[] = trainingEngineSchema.options;

const COUNT = 'must be a whole number ≥ 1';
const count = z.number({ error: COUNT }).int(COUNT).min(1, COUNT);
const SECONDS = 'must be a finite number of seconds ≥ 0';
const seconds = z.number({ error: SECONDS }).min(0, SECONDS);

/**
 * One finished training job, reduced to what calibration needs: a per-job object
 * `capacity/records/<engine>/<jobName>.json` or an entry of `capacity/job-records.json`.
 */
export const jobRecordSchema = z
  .object({
    jobName: z.string({ error: 'must be a job name' }).min(1, 'must be a job name'),
    engine: trainingEngineSchema,
    /** Units of work (rows) the job processed. */
    units: count,
    /** Instances the job ran on (SageMaker InstanceCount, Batch array size or 1). */
    instances: count,
    /** Billed seconds per instance (SageMaker BillableTimeInSeconds; Batch stoppedAt − startedAt). */
    billableSeconds: seconds,
    /**
     * Seconds before the work itself began (SageMaker 'Starting' + 'Downloading' transitions;
     * Batch createdAt → startedAt: queueing and provisioning).
     */
    startupSeconds: seconds,
    /** Wall-clock seconds from creation to end: the fit's y. */
    wallSeconds: seconds,
    instanceType: z.string().optional(),
    /** ISO time the job ended. */
    endedAt: z.string().optional(),
  })
  .readonly();
export type JobRecord = z.infer<typeof jobRecordSchema>;

export interface CalibrationDefaults {
  /** c when no fit is possible. */
  readonly secondsPerUnit: number;
  /** t0 when no fit is possible. */
  readonly startupSeconds: number;
}

export type CalibrationSource = 'fit' | 'defaults';

export interface Calibration {
  /** Seconds per unit per instance. */
  readonly c: number;
  /** Per-job fixed seconds (start-up overhead). */
  readonly t0: number;
  readonly source: CalibrationSource;
  /** Why the defaults were used; absent for a fit. */
  readonly reason?: 'too-few-records' | 'degenerate' | 'negative-estimate';
  /** Usable records (after skipping invalid ones). */
  readonly records: number;
  /** Records skipped as invalid (non-positive units or instances, non-finite seconds). */
  readonly skipped: number;
  /** Coefficient of determination of the fit (fit only; NaN when y has no spread). */
  readonly r2?: number;
  /** Root-mean-square residual in seconds (fit only). */
  readonly rmseSeconds?: number;
}

/** A record calibration can use: whole positive units and instances, finite non-negative seconds. */
export function isUsableRecord(record: JobRecord): boolean {
  return (
    count.safeParse(record.units).success &&
    count.safeParse(record.instances).success &&
    seconds.safeParse(record.wallSeconds).success
  );
}

/** Least-squares c and t0 from job records, or the defaults with the reason. */
export function calibrate(records: readonly JobRecord[], defaults: CalibrationDefaults): Calibration {
  const usable = records.filter(isUsableRecord);
  const skipped = records.length - usable.length;
  const fallback = (reason: NonNullable<Calibration['reason']>): Calibration => ({
    c: defaults.secondsPerUnit,
    t0: defaults.startupSeconds,
    source: 'defaults',
    reason,
    records: usable.length,
    skipped,
  });
  if (usable.length < 2) return fallback('too-few-records');

  const xs = usable.map((r) => r.units / r.instances);
  const ys = usable.map((r) => r.wallSeconds);
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i] - mx;
    const dy = ys[i] - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  // Centred sums: an x spread below rounding noise of the mean is no spread at all.
  if (!(sxx > n * (Number.EPSILON * mx) ** 2)) return fallback('degenerate');
  const c = sxy / sxx;
  const t0 = my - c * mx;
  if (!(c > 0) || t0 < 0 || !Number.isFinite(t0)) return fallback('negative-estimate');
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (ys[i] - t0 - c * xs[i]) ** 2;
  return {
    c,
    t0,
    source: 'fit',
    records: n,
    skipped,
    r2: syy > 0 ? 1 - sse / syy : Number.NaN,
    rmseSeconds: Math.sqrt(sse / n),
  };
}

/** Records keyed by engine and job name; a later record replaces an earlier one with the same key. */
export function mergeJobRecords(...lists: readonly (readonly JobRecord[])[]): JobRecord[] {
  const byKey = new Map<string, JobRecord>();
  for (const list of lists)
    for (const record of list) byKey.set(`${record.engine}/${record.jobName}`, record);
  return [...byKey.values()];
}

export class JobRecordFormatError extends Error {
  readonly code = 'InvalidJobRecord';
  constructor(message: string) {
    super(message);
    this.name = 'JobRecordFormatError';
  }
}

/**
 * One job record, checked: the reader of every per-job object. `where` names it in the error
 * (`record.units: ...`, or the object key). Throws JobRecordFormatError naming each bad field.
 */
export function parseJobRecord(value: unknown, where = 'record'): JobRecord {
  const result = jobRecordSchema.safeParse(value);
  if (result.success) return result.data;
  throw new JobRecordFormatError(
    `invalid job record: ${documentProblems(result.error, where, `${where}.`).join('; ')}`,
  );
}

export const JOB_RECORDS_FORMAT = 'aiaas-factory/job-records@1';

/** The JSON document kept at `capacity/job-records.json`. */
export const jobRecordsDocumentSchema = z
  .object({
    format: z.literal(JOB_RECORDS_FORMAT, { error: `must be "${JOB_RECORDS_FORMAT}"` }),
    records: z.array(jobRecordSchema, { error: 'must be an array of job records' }).readonly(),
  })
  .readonly();
export type JobRecordsDocument = z.infer<typeof jobRecordsDocumentSchema>;

/**
 * The records of a job-records document (or of a bare array of records, an older spelling).
 * Throws JobRecordFormatError naming each bad field (`records[3].units: ...`).
 */
export function parseJobRecordsDocument(value: unknown): JobRecord[] {
  const document = Array.isArray(value) ? { format: JOB_RECORDS_FORMAT, records: value } : value;
  const result = jobRecordsDocumentSchema.safeParse(document);
  if (result.success) return [...result.data.records];
  throw new JobRecordFormatError(
    `invalid job records document: ${documentProblems(result.error, 'document').join('; ')}`,
  );
}
