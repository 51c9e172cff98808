/**
 * Drift of served data against the training rows, defined once: the training histograms the
 * trainer stores in the artifact (`drift`), the per-request bin counts the predict function logs,
 * the Logs Insights query that adds them up over a window, and the figures (PSI and the mean shift
 * in training standard deviations) that the scheduled drift step and `factory drift` both report.
 * Pure: plain data in, plain data out.
 *
 * Bins. 10 bins per feature, edges at the training deciles: each bin holds about a tenth of the
 * training rows, so PSI weighs every part of the distribution alike and a bin is never empty on the
 * training side (PSI divides by it). The two outer bins are open, so a served value beyond the
 * training range falls in the first or last bin and moves PSI instead of being lost. A feature with
 * few distinct values gets fewer bins (equal deciles collapse into one edge).
 *
 * Quantiles in a one-pass, multi-host trainer. Exact deciles need every value or a second pass over
 * the channel, and the trainer makes one pass for regression. Each shard instead keeps a bottom-k
 * sample: the DRIFT_SAMPLE_ROWS training rows with the smallest key, a remix of the row hash that
 * already splits the holdout. Bottom-k by a hash is a uniform sample that merges exactly: the k
 * smallest of a union are the k smallest of the parts' k smallest, in any merge order, so p
 * shards give the one-pass sample and the same artifact bytes. The histogram's edges and counts are
 * those of the sample (all rows when there are fewer than k): with k = 4,096 a decile's share has a
 * standard error of at most 0.5 percentage points and sampling adds about (bins − 1) / k = 0.002 to
 * PSI, a hundredth of the 0.2 threshold. The training mean and standard deviation of the mean shift
 * are exact: the artifact's `scaling` (every training row).
 *
 * Mean shift in training standard deviations, not standard errors: at production volume a standard
 * error is tiny and flags every harmless wobble; a shift of half a training SD is one a process
 * engineer would call a change.
 */
import { fmix32 } from './holdout';
import type { DriftHistograms, ModelArtifact } from './model-artifact';
import type { DecodedRows } from './predict-request';

export const DRIFT_HISTOGRAM_FORMAT = 'aiaas-factory/drift-histograms@1';
export const DRIFT_REPORT_FORMAT = 'aiaas-factory/drift-report@1';
/** Bins per feature (edges at the training deciles). */
export const DRIFT_BINS = 10;
/** Training rows each shard keeps for the histograms (bottom-k by row hash). */
export const DRIFT_SAMPLE_ROWS = 4096;
/**
 * Fewer served values than this judge nothing: PSI of a sample of m values from the training
 * distribution itself is about (bins − 1) / m, 0.045 at 200 (a quarter of the 0.2 threshold).
 */
export const DRIFT_MIN_ROWS = 200;
/** Empty bins: a share is floored at this before PSI's logarithm (the usual PSI convention). */
export const PSI_FLOOR = 1e-4;

/** The defaults of `monitoring.driftPsi` and `monitoring.driftMeanShiftSd`. */
export const DRIFT_DEFAULTS = { psi: 0.2, meanShiftSd: 0.5, windowHours: 24 } as const;

export interface DriftThresholds {
  readonly psi: number;
  readonly meanShiftSd: number;
}

/** A remix of the 32-bit row hash (murmur3's fmix32 of it xor a constant): independent of the holdout cut. */
function sampleKey(hash: number): number {
  return fmix32((hash ^ 0x9e3779b9) >>> 0);
}

export interface DriftSampleJson {
  /** Keys in ascending order (ties by the values), one per kept row. */
  readonly keys: readonly number[];
  /** The kept rows' feature values, row-major, in the order of `keys`. */
  readonly rows: readonly number[];
}

/** A shard's bottom-k sample of training rows (features only), mergeable exactly. */
export class DriftSample {
  private keys: Uint32Array;
  private rows: Float64Array;
  /** Max-heap of slots by (key, values). */
  private heap: Int32Array;
  size = 0;

  constructor(
    readonly d: number,
    readonly k = DRIFT_SAMPLE_ROWS,
  ) {
    this.keys = new Uint32Array(k);
    this.rows = new Float64Array(k * d);
    this.heap = new Int32Array(k);
  }

  /** Offers one training row (`values` holds at least d features) by its row hash. */
  add(values: ArrayLike<number>, hash: number): void {
    this.offer(sampleKey(hash), values, 0);
  }

  private less(keyA: number, a: ArrayLike<number>, ao: number, slotB: number): boolean {
    const keyB = this.keys[slotB];
    if (keyA !== keyB) return keyA < keyB;
    const o = slotB * this.d;
    for (let j = 0; j < this.d; j++) {
      const x = a[ao + j];
      const y = this.rows[o + j];
      if (x !== y) return x < y;
    }
    return false;
  }

  private slotLess(a: number, b: number): boolean {
    return this.less(this.keys[a], this.rows, a * this.d, b);
  }

  private offer(key: number, values: ArrayLike<number>, offset: number): void {
    const d = this.d;
    if (this.size < this.k) {
      const slot = this.size++;
      this.keys[slot] = key;
      for (let j = 0; j < d; j++) this.rows[slot * d + j] = values[offset + j];
      // Sift up.
      let i = slot;
      this.heap[i] = slot;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.slotLess(this.heap[parent], this.heap[i])) break;
        [this.heap[parent], this.heap[i]] = [this.heap[i], this.heap[parent]];
        i = parent;
      }
      return;
    }
    const top = this.heap[0];
    if (!this.less(key, values, offset, top)) return;
    this.keys[top] = key;
    for (let j = 0; j < d; j++) this.rows[top * d + j] = values[offset + j];
    // Sift down.
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let largest = i;
      if (l < this.size && this.slotLess(this.heap[largest], this.heap[l])) largest = l;
      if (r < this.size && this.slotLess(this.heap[largest], this.heap[r])) largest = r;
      if (largest === i) break;
      [this.heap[largest], this.heap[i]] = [this.heap[i], this.heap[largest]];
      i = largest;
    }
  }

  /** Folds another shard's sample in: the result is the bottom-k of the union, whatever the order. */
  merge(other: DriftSample): this {
    if (other.d !== this.d) throw new RangeError(`drift samples of ${other.d} and ${this.d} features`);
    for (let s = 0; s < other.size; s++) this.offer(other.keys[s], other.rows, s * other.d);
    return this;
  }

  /** Kept slots in canonical order (key, then values), so equal samples write equal bytes. */
  private ordered(): number[] {
    const slots = Array.from({ length: this.size }, (_, s) => s);
    return slots.sort((a, b) => (this.slotLess(a, b) ? -1 : this.slotLess(b, a) ? 1 : 0));
  }

  toJSON(): DriftSampleJson {
    const order = this.ordered();
    const rows: number[] = [];
    for (const s of order) for (let j = 0; j < this.d; j++) rows.push(this.rows[s * this.d + j]);
    return { keys: order.map((s) => this.keys[s]), rows };
  }

  static fromJSON(json: DriftSampleJson, d: number, k = DRIFT_SAMPLE_ROWS): DriftSample {
    const sample = new DriftSample(d, k);
    if (json.rows.length !== json.keys.length * d)
      throw new RangeError(
        `drift sample holds ${json.rows.length} values for ${json.keys.length} rows of ${d}`,
      );
    for (let i = 0; i < json.keys.length; i++) sample.offer(json.keys[i], json.rows, i * d);
    return sample;
  }

  /** Feature j's sampled values. */
  values(j: number): Float64Array {
    const out = new Float64Array(this.size);
    for (let s = 0; s < this.size; s++) out[s] = this.rows[s * this.d + j];
    return out;
  }

  /** The training histograms the artifact stores; null when the sample is empty. */
  histograms(bins = DRIFT_BINS): DriftHistograms | null {
    if (this.size === 0) return null;
    const features = [];
    for (let j = 0; j < this.d; j++) {
      const sorted = this.values(j).sort();
      const edges = quantileEdges(sorted, bins);
      const counts = new Array<number>(edges.length + 1).fill(0);
      for (const v of sorted) counts[binOf(edges, v)]++;
      features.push({ edges, counts });
    }
    return { format: DRIFT_HISTOGRAM_FORMAT, sampleRows: this.size, features };
  }
}

/**
 * Interior bin edges from sorted values: the value at rank ⌊q·m⌋ for q = 1/bins … (bins−1)/bins,
 * keeping only those above the minimum and each once, so every bin holds at least one value.
 */
export function quantileEdges(sorted: ArrayLike<number>, bins = DRIFT_BINS): number[] {
  const m = sorted.length;
  const edges: number[] = [];
  if (m === 0) return edges;
  for (let b = 1; b < bins; b++) {
    const v = sorted[Math.min(m - 1, Math.floor((b / bins) * m))];
    if (v > sorted[0] && (edges.length === 0 || v > edges[edges.length - 1])) edges.push(v);
  }
  return edges;
}

/** The bin of `x`: how many edges are ≤ x (bin 0 below the first edge, the last bin from the last edge up). */
export function binOf(edges: readonly number[], x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Served values of one feature: counts per training bin, their sum, and the rows without a value. */
export interface FeatureCounts {
  readonly counts: number[];
  sum: number;
  missing: number;
}

/** What a window (or a file, or one request) served, per feature in the model's order. */
export interface ServedCounts {
  rows: number;
  /** Rows whose category has no training profile (still binned: their features are known). */
  unknownCategory: number;
  readonly features: FeatureCounts[];
}

export function emptyCounts(histograms: DriftHistograms): ServedCounts {
  return {
    rows: 0,
    unknownCategory: 0,
    features: histograms.features.map((h) => ({
      counts: new Array<number>(h.edges.length + 1).fill(0),
      sum: 0,
      missing: 0,
    })),
  };
}

/**
 * Adds one served row: `x` its feature values (NaN, or a column listed in `missing`, is a missing
 * feature: counted, not binned, since a fill value says nothing of the line).
 */
export function addServedRow(
  counts: ServedCounts,
  histograms: DriftHistograms,
  x: ArrayLike<number>,
  offset: number,
  categoryKnown: boolean,
  missing?: readonly number[],
): void {
  counts.rows++;
  if (!categoryKnown) counts.unknownCategory++;
  const features = histograms.features;
  for (let j = 0; j < features.length; j++) {
    const v = x[offset + j];
    const f = counts.features[j];
    if (v !== v || !Number.isFinite(v) || (missing !== undefined && missing.includes(j))) {
      f.missing++;
      continue;
    }
    f.counts[binOf(features[j].edges, v)]++;
    f.sum += v;
  }
}

/**
 * The log record of a request's counts, compact and flat so Logs Insights discovers each number as a
 * field (`drift.c<j>b<i>`, only non-zero counts; `drift.s<j>` the sum; `drift.m<j>` missing) and
 * adds them up with `stats sum(...)`. Logs Insights extracts at most 200 fields from a JSON log
 * event ("Supported logs and discovered fields", CloudWatch Logs user guide,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_AnalyzeLogData-discoverable-fields.html),
 * so a wide request is split over several records of at most DRIFT_FIELDS_PER_RECORD numbers,
 * whole features each; only the first carries `n` (rows) and `u` (unknown categories). `v` is the
 * model version the bins belong to.
 */
export const DRIFT_FIELDS_PER_RECORD = 150;

export type DriftLogRecord = Record<string, number | string>;

/** Field names `c<j>b<i>`, `s<j>`, `m<j>`, made once per feature (serving writes them per request). */
const fieldNames: { bins: string[]; sum: string; missing: string }[] = [];
function namesOf(j: number, bins: number): { bins: string[]; sum: string; missing: string } {
  let names = fieldNames[j];
  if (!names) fieldNames[j] = names = { bins: [], sum: `s${j}`, missing: `m${j}` };
  for (let i = names.bins.length; i < bins; i++) names.bins.push(`c${j}b${i}`);
  return names;
}

export function driftLogRecords(version: string, counts: ServedCounts): DriftLogRecord[] {
  const records: DriftLogRecord[] = [];
  let current: DriftLogRecord = { v: version, n: counts.rows, u: counts.unknownCategory };
  let fields = 3;
  const features = counts.features;
  for (let j = 0; j < features.length; j++) {
    const f = features[j];
    const names = namesOf(j, f.counts.length);
    let nonZero = 0;
    for (let i = 0; i < f.counts.length; i++) if (f.counts[i] > 0) nonZero++;
    const size = nonZero + (nonZero > 0 ? 1 : 0) + (f.missing > 0 ? 1 : 0);
    if (size === 0) continue;
    if (fields + size > DRIFT_FIELDS_PER_RECORD) {
      records.push(current);
      current = { v: version };
      fields = 1;
    }
    for (let i = 0; i < f.counts.length; i++) if (f.counts[i] > 0) current[names.bins[i]] = f.counts[i];
    if (nonZero > 0) current[names.sum] = f.sum;
    if (f.missing > 0) current[names.missing] = f.missing;
    fields += size;
  }
  records.push(current);
  return records;
}

/** Adds log records (as logged, or as a query returned them) into counts. */
export function addLogRecord(counts: ServedCounts, record: Readonly<Record<string, unknown>>): void {
  const num = (key: string) => {
    const v = Number(record[key] ?? 0);
    return Number.isFinite(v) ? v : 0;
  };
  counts.rows += num('n');
  counts.unknownCategory += num('u');
  counts.features.forEach((f, j) => {
    for (let i = 0; i < f.counts.length; i++) f.counts[i] += num(`c${j}b${i}`);
    f.sum += num(`s${j}`);
    f.missing += num(`m${j}`);
  });
}

/** The log key the records sit under in the predict function's structured log line. */
export const DRIFT_LOG_KEY = 'drift';

/**
 * The Logs Insights query that adds up a model version's records over the query's time range: one
 * result row whose fields are named as the record's (`n`, `u`, `c<j>b<i>`, `s<j>`, `m<j>`), so
 * `addLogRecord` reads it. `sum` skips events without the field ("stats", Logs Insights query
 * syntax). The version is key-safe (letters, digits, ".", "_", "-"), so it needs no escaping.
 */
export function driftQuery(histograms: DriftHistograms, version: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(version)) throw new RangeError(`model version ${version} is not key-safe`);
  const k = DRIFT_LOG_KEY;
  const sums = [`sum(${k}.n) as n`, `sum(${k}.u) as u`];
  histograms.features.forEach((h, j) => {
    for (let i = 0; i <= h.edges.length; i++) sums.push(`sum(${k}.c${j}b${i}) as c${j}b${i}`);
    sums.push(`sum(${k}.s${j}) as s${j}`, `sum(${k}.m${j}) as m${j}`);
  });
  return `filter ${k}.v = "${version}" | stats ${sums.join(', ')}`;
}

export interface FeatureDrift {
  /** Population stability index against the training bins; null with no served values. */
  readonly psi: number | null;
  /** (served mean − training mean) / training SD; null with no served values or a constant feature. */
  readonly meanShift: number | null;
  readonly drifted: boolean;
  /** Served values binned, and rows without this feature. */
  readonly values: number;
  readonly missing: number;
  readonly servedMean: number | null;
  readonly trainingMean: number;
  readonly trainingSd: number;
  /** Served share per training bin, beside the training share. */
  readonly served: readonly number[];
  readonly training: readonly number[];
  /** Why nothing was judged (too few values), when so. */
  readonly note?: string;
}

export interface DriftReport {
  readonly format: typeof DRIFT_REPORT_FORMAT;
  readonly modelVersion: string;
  readonly thresholds: DriftThresholds;
  readonly minRows: number;
  readonly rows: number;
  readonly unknownCategory: number;
  readonly features: Readonly<Record<string, FeatureDrift>>;
  /** Features past either threshold, in model order. */
  readonly drifted: readonly string[];
  /** The window the counts cover (the drift step), when known. */
  readonly window?: { readonly start: string; readonly end: string };
}

/** PSI = Σ (a − e) ln(a / e) over the bins, shares floored at PSI_FLOOR. */
export function psi(trainingCounts: readonly number[], servedCounts: readonly number[]): number {
  const e = shares(trainingCounts);
  const a = shares(servedCounts);
  let total = 0;
  for (let i = 0; i < e.length; i++) {
    const ei = Math.max(e[i], PSI_FLOOR);
    const ai = Math.max(a[i], PSI_FLOOR);
    total += (ai - ei) * Math.log(ai / ei);
  }
  return total;
}

function shares(counts: readonly number[]): number[] {
  const n = counts.reduce((s, c) => s + c, 0);
  return counts.map((c) => (n > 0 ? c / n : 0));
}

/** The model's training histograms, or a message saying why it has none. */
export function histogramsOf(artifact: ModelArtifact): DriftHistograms {
  if (!artifact.drift)
    throw new RangeError(
      `model ${artifact.version} has no training histograms (trained before drift monitoring, or from statistics partials alone): retrain it to monitor drift`,
    );
  return artifact.drift;
}

/** PSI and mean shift per feature, and the features past either threshold. */
export function driftReport(
  artifact: ModelArtifact,
  counts: ServedCounts,
  thresholds: DriftThresholds,
  window?: DriftReport['window'],
): DriftReport {
  const histograms = histogramsOf(artifact);
  const features: Record<string, FeatureDrift> = {};
  const drifted: string[] = [];
  artifact.features.forEach((name, j) => {
    const h = histograms.features[j];
    const f = counts.features[j];
    const values = f.counts.reduce((s, c) => s + c, 0);
    const trainingMean = artifact.scaling.mean[j];
    const trainingSd = artifact.scaling.std[j];
    const servedMean = values > 0 ? f.sum / values : null;
    const p = values > 0 ? psi(h.counts, f.counts) : null;
    const shift = servedMean !== null && trainingSd > 0 ? (servedMean - trainingMean) / trainingSd : null;
    const judged = values >= DRIFT_MIN_ROWS;
    const past =
      judged &&
      ((p !== null && p >= thresholds.psi) || (shift !== null && Math.abs(shift) >= thresholds.meanShiftSd));
    if (past) drifted.push(name);
    features[name] = {
      psi: p,
      meanShift: shift,
      drifted: past,
      values,
      missing: f.missing,
      servedMean,
      trainingMean,
      trainingSd,
      served: shares(f.counts),
      training: shares(h.counts),
      ...(judged
        ? {}
        : { note: `${values} served values, fewer than the ${DRIFT_MIN_ROWS} needed to judge` }),
    };
  });
  return {
    format: DRIFT_REPORT_FORMAT,
    modelVersion: artifact.version,
    thresholds,
    minRows: DRIFT_MIN_ROWS,
    rows: counts.rows,
    unknownCategory: counts.unknownCategory,
    features,
    drifted,
    ...(window ? { window } : {}),
  };
}

/** The `--json` line of `factory drift`: per feature psi, meanShift and drifted, and the drifted names. */
export function driftSummary(report: DriftReport): {
  features: Record<string, { psi: number | null; meanShift: number | null; drifted: boolean }>;
  drifted: string[];
} {
  const features: Record<string, { psi: number | null; meanShift: number | null; drifted: boolean }> = {};
  for (const [name, f] of Object.entries(report.features))
    features[name] = { psi: f.psi, meanShift: f.meanShift, drifted: f.drifted };
  return { features, drifted: [...report.drifted] };
}

/**
 * Adds the rows of a decoded request or file (lambda/core/predict-request.ts) as the predict function
 * serves them: an invalid row is skipped (it was not served), a filled column counts as missing, a
 * category without a training profile as unknown. Returns the rows skipped.
 */
export function addDecodedRows(
  counts: ServedCounts,
  histograms: DriftHistograms,
  decoded: Pick<DecodedRows, 'count' | 'x' | 'categories' | 'filled' | 'rowInvalid'>,
  categoryKnown: (category: string) => boolean,
): number {
  const nf = histograms.features.length;
  let skipped = 0;
  for (let i = 0; i < decoded.count; i++) {
    if (decoded.rowInvalid[i]) {
      skipped++;
      continue;
    }
    addServedRow(
      counts,
      histograms,
      decoded.x,
      i * nf,
      categoryKnown(decoded.categories[i]),
      decoded.filled[i],
    );
  }
  return skipped;
}

/** One request's log records (`driftLogRecords` of its served rows); none for a model without histograms. */
export function requestDriftRecords(
  artifact: Pick<ModelArtifact, 'version' | 'drift'>,
  decoded: Pick<DecodedRows, 'count' | 'x' | 'categories' | 'filled' | 'rowInvalid'>,
  categoryKnown: (category: string) => boolean,
): DriftLogRecord[] {
  if (!artifact.drift) return [];
  const counts = emptyCounts(artifact.drift);
  addDecodedRows(counts, artifact.drift, decoded, categoryKnown);
  return driftLogRecords(artifact.version, counts);
}
