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
export type TrainingEngine = 'sagemaker' | 'batch';

export const TRAINING_ENGINES: readonly TrainingEngine[] = ['sagemaker', 'batch'];

/** One finished training job, reduced to what calibration needs. */
export interface JobRecord {
  readonly jobName: string;
  readonly engine: TrainingEngine;
  /** Units of work (rows) the job processed. */
  readonly units: number;
  /** Instances the job ran on (SageMaker InstanceCount, Batch array size or 1). */
  readonly instances: number;
  /** Billed seconds per instance (SageMaker BillableTimeInSeconds; Batch stoppedAt − startedAt). */
  readonly billableSeconds: number;
  /**
   * Seconds before the work itself began (SageMaker 'Starting' + 'Downloading' transitions;
   * Batch createdAt → startedAt: queueing and provisioning).
   */
  readonly startupSeconds: number;
  /** Wall-clock seconds from creation to end: the fit's y. */
  readonly wallSeconds: number;
  readonly instanceType?: string;
  /** ISO time the job ended. */
  readonly endedAt?: string;
}

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

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
const isSeconds = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** A record calibration can use: whole positive units and instances, finite non-negative seconds. */
export function isUsableRecord(record: JobRecord): boolean {
  return isCount(record.units) && isCount(record.instances) && isSeconds(record.wallSeconds);
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

/** Validates one parsed JSON value as a JobRecord; throws JobRecordFormatError naming the field. */
export function parseJobRecord(value: unknown, where = 'record'): JobRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JobRecordFormatError(`${where} is not an object`);
  }
  const v = value as Record<string, unknown>;
  const need = (field: string, ok: boolean) => {
    if (!ok)
      throw new JobRecordFormatError(`${where}.${field} is missing or invalid: ${JSON.stringify(v[field])}`);
  };
  need('jobName', typeof v.jobName === 'string' && v.jobName.length > 0);
  need('engine', TRAINING_ENGINES.includes(v.engine as TrainingEngine));
  need('units', isCount(v.units));
  need('instances', isCount(v.instances));
  need('billableSeconds', isSeconds(v.billableSeconds));
  need('startupSeconds', isSeconds(v.startupSeconds));
  need('wallSeconds', isSeconds(v.wallSeconds));
  need('instanceType', v.instanceType === undefined || typeof v.instanceType === 'string');
  need('endedAt', v.endedAt === undefined || typeof v.endedAt === 'string');
  return {
    jobName: v.jobName as string,
    engine: v.engine as TrainingEngine,
    units: v.units as number,
    instances: v.instances as number,
    billableSeconds: v.billableSeconds as number,
    startupSeconds: v.startupSeconds as number,
    wallSeconds: v.wallSeconds as number,
    ...(v.instanceType !== undefined ? { instanceType: v.instanceType as string } : {}),
    ...(v.endedAt !== undefined ? { endedAt: v.endedAt as string } : {}),
  };
}

/** The JSON document kept at `capacity/job-records.json`. */
export interface JobRecordsDocument {
  readonly format: typeof JOB_RECORDS_FORMAT;
  readonly records: readonly JobRecord[];
}

export const JOB_RECORDS_FORMAT = 'aiaas-factory/job-records@1';

/** Parses a job-records document (or a bare array of records). */
export function parseJobRecordsDocument(value: unknown): JobRecord[] {
  const list = Array.isArray(value)
    ? value
    : typeof value === 'object' && value !== null && Array.isArray((value as { records?: unknown }).records)
      ? (value as { records: unknown[] }).records
      : undefined;
  if (!list) throw new JobRecordFormatError('job records document has no "records" array');
  return list.map((item, i) => parseJobRecord(item, `records[${i}]`));
}
