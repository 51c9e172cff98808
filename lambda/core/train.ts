/**
 * Training orchestration, the same in every place it runs (CLI, SageMaker hosts, Batch array
 * jobs): rows → per-shard partial → merge → solve → holdout metrics → artifact.
 *
 * A shard's partial holds the training rows' QR factor (features + target: lambda/core/tsqr.ts,
 * exact to cond · 1e-16 where co-moments would lose cond²), the target's distinct values (task
 * auto, the classes), the holdout rows themselves (d + 1 doubles each: MAE and AUC need every
 * held-out row, and those need the final model), per-category Gaussian accumulators, counts and
 * lineage. Partials merge as one pass would (stacked factors re-triangularised), so p shards give
 * the one-pass answer: T = n/p. Classification adds Newton passes over each shard's spilled rows
 * (lambda/core/logistic.ts), whose gradients and Hessians add across shards.
 *
 * Which rows: the de-duplication and fill are preprocess's (lambda/core/preprocess.ts), never
 * re-implemented here. A raw CSV runs through `preprocessCsv` and the trainer reads the rows it
 * writes: `train` rows (de-duplicated, every feature and the target present) for fill 'none',
 * the default, or `clean` rows (de-duplicated, mean-filled: the article's semantics) for fill
 * 'mean'. Curated input (preprocess's own `train/` or `clean/` output) is read directly. Either
 * way the same rows reach the fit, so training a raw file equals training its preprocess output.
 * The rows are always read for the fit: preprocess's statistics partial holds co-moments, which
 * square the condition number (only `factory train DIR --task regression --holdout 0` takes them).
 */
import { CsvScanner, FIELD_ESCAPED, FIELD_PLAIN, ROW_OK, fieldText, type ScannedRow } from './csv-scanner';
import type { DatasetSchema } from './dataset-schema';
import { DriftSample, type DriftSampleJson } from './drift';
import { numericColumns, textColumns } from './dataset-schema';
import { RowHasher32, checkHoldoutFraction, hashFraction } from './holdout';
import { classificationEvaluation, regressionEvaluation, type HoldoutEvaluation } from './holdout-evaluation';
import {
  ClassificationError,
  LogisticPass,
  TargetValues,
  chooseClasses,
  chooseTask,
  newtonIterate,
  newtonStart,
  newtonStartFromSlope,
  originalUnits,
  type Classes,
  type LogisticPoint,
  type Task,
  type TaskSetting,
} from './logistic';
import { MetricsAccumulator, classificationMetrics, linearModelMetrics } from './metrics';
import {
  buildArtifact,
  canonicalHash,
  type CapacityUsed,
  type DriftHistograms,
  type GaussianProfile,
  type ModelArtifact,
  type ModelMetrics,
} from './model-artifact';
import { Moments } from './moments';
import { solveOls } from './ols';
import { parseDecimal } from './parse-decimal';
import { Byte, Exact, decimalValue } from './plain-number';
import { isMissingCell, preprocessCsv, type ByteSource, type PreprocessSink } from './preprocess';
import { memorySpill, type RowSpill, type RowSpillFactory } from './row-spill';
import { STATS_PARTIAL_FORMAT, compareCodePoints, type StatsPartial } from './stats-partial';
import { Tsqr, type TsqrJson } from './tsqr';

export type FillMode = 'none' | 'mean';
export const FILL_MODES: readonly FillMode[] = ['none', 'mean'];

export const TRAINING_PARTIAL_FORMAT = 'aiaas-factory/training-partial@3';

export interface TrainOptions {
  readonly schema: DatasetSchema;
  /** Fraction of rows (by row hash) held out for metrics, in [0, 1). */
  readonly holdout: number;
  readonly fill: FillMode;
  /** Ridge penalty on the standardised problem; 0 is ordinary least squares (or unpenalised logistic). */
  readonly ridge: number;
  /** 'auto' (default): classification when the target has exactly two distinct values. */
  readonly task?: TaskSetting;
  /** Classification: the target value that is the positive class. @default the rarer value */
  readonly positiveClass?: number;
}

/** A typed, user-facing problem with the training input. */
export class TrainingInputError extends Error {
  constructor(
    readonly code: 'bad_header' | 'bad_row' | 'no_rows' | 'mismatched_partials' | 'bad_partial',
    message: string,
  ) {
    super(message);
    this.name = 'TrainingInputError';
  }
}

export interface LineageInput {
  readonly key: string;
  readonly version?: string;
  readonly etag?: string;
  readonly sha256?: string;
  readonly bytes?: number;
}

export interface TrainingCounts {
  /** Data rows read from the inputs (raw rows for raw input, curated rows for curated input). */
  rowsIn: number;
  duplicates: number;
  quarantined: number;
  /** De-duplicated rows left out because a feature or the target is missing (fill 'none'). */
  incomplete: number;
  /** Rows that reached the split: train + holdout. */
  used: number;
  /** Used rows with an empty category (in no profile). */
  withoutCategory: number;
}

interface ProfileJson {
  readonly count: number;
  readonly mean: readonly number[];
  /** Σ (x - x̄)² per feature. */
  readonly m2: readonly number[];
}

/** Per-feature Welford accumulator (diagonal only: a profile needs means and spreads). */
class ProfileAccumulator {
  n = 0;
  readonly mean: Float64Array;
  readonly m2: Float64Array;
  constructor(readonly d: number) {
    this.mean = new Float64Array(d);
    this.m2 = new Float64Array(d);
  }
  add(x: ArrayLike<number>): void {
    const n = ++this.n;
    for (let j = 0; j < this.d; j++) {
      const delta = x[j] - this.mean[j];
      this.mean[j] += delta / n;
      this.m2[j] += delta * (x[j] - this.mean[j]);
    }
  }
  merge(o: ProfileAccumulator): void {
    if (o.n === 0) return;
    const n = this.n + o.n;
    for (let j = 0; j < this.d; j++) {
      const delta = o.mean[j] - this.mean[j];
      this.m2[j] += o.m2[j] + (delta * delta * this.n * o.n) / n;
      this.mean[j] += (delta * o.n) / n;
    }
    this.n = n;
  }
  toJSON(): ProfileJson {
    return { count: this.n, mean: Array.from(this.mean), m2: Array.from(this.m2) };
  }
  static fromJSON(j: ProfileJson): ProfileAccumulator {
    const p = new ProfileAccumulator(j.mean.length);
    p.n = j.count;
    p.mean.set(j.mean);
    p.m2.set(j.m2);
    return p;
  }
  profile(): GaussianProfile {
    return {
      count: this.n,
      mean: Array.from(this.mean),
      std: Array.from(this.m2, (m) => (this.n > 1 ? Math.sqrt(m / (this.n - 1)) : 0)),
    };
  }
}

/** The JSON half of a shard's partial; the holdout rows travel beside it as raw doubles. */
export interface TrainingPartialJson {
  readonly format: typeof TRAINING_PARTIAL_FORMAT;
  readonly shard: string;
  readonly features: readonly string[];
  readonly target: string;
  readonly category: string;
  readonly fill: FillMode;
  readonly holdout: number;
  /** The training rows' QR factor (features + target). */
  readonly train: TsqrJson;
  /** The training rows' target values (up to two, with counts): the task and the classes. */
  readonly targetValues: { values: number[]; counts: number[]; more: boolean };
  /** Rows in the holdout buffer (its length is holdoutRows × (features + 1)). */
  readonly holdoutRows: number;
  readonly profiles: Readonly<Record<string, ProfileJson>>;
  readonly inputs: readonly LineageInput[];
  readonly counts: TrainingCounts;
  /** The shard's bottom-k sample of training rows, for the drift histograms (lambda/core/drift.ts). */
  readonly driftSample?: DriftSampleJson;
}

/** Rows staged before they go to the spill. */
const SPILL_ROWS = 4096;

/** One shard's accumulating partial. */
export class TrainingShard {
  readonly columns: string[];
  readonly d: number;
  private trainQr: Tsqr;
  private holdoutBuf: Float64Array;
  holdoutRows = 0;
  /** The training rows' target values (task auto, the classes). */
  targetValues = new TargetValues();
  /**
   * The training rows kept for the passes logistic regression makes (task auto or
   * classification); null for regression, which needs one pass only.
   */
  readonly spill: RowSpill | null;
  private readonly spillStage: Float64Array;
  private spillStaged = 0;
  /**
   * Whether addRow accumulates the per-category profiles (and counts rows without a category).
   * False when the caller takes both from preprocess statistics over the same rows instead.
   */
  profilesFromRows = true;
  readonly profiles = new Map<string, ProfileAccumulator>();
  /** A uniform sample of the training rows by row hash, merged exactly: the drift histograms. */
  driftSample: DriftSample;
  readonly inputs: LineageInput[] = [];
  readonly counts: TrainingCounts = {
    rowsIn: 0,
    duplicates: 0,
    quarantined: 0,
    incomplete: 0,
    used: 0,
    withoutCategory: 0,
  };

  /**
   * `spill`: where the training rows go when the task may be classification (a factory makes a
   * new one; an existing spill is shared, as the per-object shards of trainObject share their
   * shard's). @default in memory
   */
  constructor(
    readonly options: TrainOptions,
    readonly shard = '0',
    spill?: RowSpill | RowSpillFactory | null,
  ) {
    checkHoldoutFraction(options.holdout);
    this.columns = numericColumns(options.schema);
    this.d = options.schema.features.length;
    this.trainQr = new Tsqr(this.columns);
    this.driftSample = new DriftSample(this.d);
    this.holdoutBuf = new Float64Array(options.holdout > 0 ? 1024 * (this.d + 1) : 0);
    const stride = this.d + 1;
    const wanted = (options.task ?? 'auto') !== 'regression';
    this.spill =
      !wanted || spill === null
        ? null
        : typeof spill === 'function'
          ? spill(stride)
          : (spill ?? memorySpill(stride));
    this.spillStage = new Float64Array(this.spill ? SPILL_ROWS * stride : 0);
  }

  /** The training rows' QR factor (features + target). */
  get train(): Tsqr {
    return this.trainQr;
  }

  set train(q: Tsqr) {
    this.trainQr = q;
  }

  /** Sends the staged training rows to the spill. */
  flushSpill(): void {
    if (this.spill && this.spillStaged > 0) {
      this.spill.append(this.spillStage.subarray(0, this.spillStaged * (this.d + 1)));
      this.spillStaged = 0;
    }
  }

  /** Adds one complete row: `values` = features then target; `hash` from the row's canonical content. */
  addRow(values: Float64Array, hash: number, category: string | null): void {
    this.counts.used++;
    if (this.profilesFromRows) {
      if (category === null) this.counts.withoutCategory++;
      else {
        let p = this.profiles.get(category);
        if (!p) this.profiles.set(category, (p = new ProfileAccumulator(this.d)));
        p.add(values);
      }
    }
    const stride = this.d + 1;
    if (this.options.holdout > 0 && hashFraction(hash) < this.options.holdout) {
      const at = this.holdoutRows * stride;
      if (at + stride > this.holdoutBuf.length) {
        const grown = new Float64Array(this.holdoutBuf.length * 2);
        grown.set(this.holdoutBuf);
        this.holdoutBuf = grown;
      }
      for (let j = 0; j < stride; j++) this.holdoutBuf[at + j] = values[j];
      this.holdoutRows++;
    } else {
      this.trainQr.add(values);
      this.targetValues.add(values[this.d]);
      this.driftSample.add(values, hash);
      if (this.spill) {
        const at = this.spillStaged * stride;
        for (let j = 0; j < stride; j++) this.spillStage[at + j] = values[j];
        if (++this.spillStaged === SPILL_ROWS) this.flushSpill();
      }
    }
  }

  /** The holdout rows packed as [x₁..x_d, y] per row. */
  holdoutValues(): Float64Array {
    return this.holdoutBuf.subarray(0, this.holdoutRows * (this.d + 1));
  }

  /**
   * Folds another shard (same options) into this one; merge order is the caller's to fix. With
   * `consume` the other shard's holdout rows may be taken over rather than copied: it must not be
   * used afterwards.
   */
  merge(other: TrainingShard, consume = false): this {
    const a = this.options;
    const b = other.options;
    if (
      a.fill !== b.fill ||
      a.holdout !== b.holdout ||
      other.columns.join('\u0000') !== this.columns.join('\u0000') ||
      a.schema.category !== b.schema.category
    ) {
      throw new TrainingInputError(
        'mismatched_partials',
        `partial "${other.shard}" was trained with different columns, fill or holdout than "${this.shard}"`,
      );
    }
    this.train.merge(other.train);
    this.targetValues.merge(other.targetValues);
    this.driftSample.merge(other.driftSample);
    other.flushSpill();
    if (other.spill && other.spill !== this.spill && this.spill) {
      // Separate spills (shards read apart, then merged in one process): the rows move over.
      const mine = this.spill;
      other.spill.forEachChunk((c) => mine.append(c));
    }
    if (other.holdoutRows > 0) {
      if (consume && this.holdoutRows === 0) {
        // Take the other shard's rows instead of copying them (it is not used again).
        this.holdoutBuf = other.holdoutBuf;
        other.holdoutBuf = new Float64Array(0);
      } else {
        const theirs = other.holdoutValues();
        const used = this.holdoutRows * (this.d + 1);
        if (used + theirs.length > this.holdoutBuf.length) {
          // Amortised growth, so many objects into one shard copy O(rows) in total.
          const grown = new Float64Array(Math.max(used + theirs.length, this.holdoutBuf.length * 2));
          grown.set(this.holdoutValues());
          this.holdoutBuf = grown;
        }
        this.holdoutBuf.set(theirs, used);
      }
      this.holdoutRows += other.holdoutRows;
    }
    for (const [name, p] of other.profiles) {
      const mine = this.profiles.get(name);
      if (mine) mine.merge(p);
      else this.profiles.set(name, ProfileAccumulator.fromJSON(p.toJSON()));
    }
    this.inputs.push(...other.inputs);
    for (const k of Object.keys(this.counts) as (keyof TrainingCounts)[]) this.counts[k] += other.counts[k];
    return this;
  }

  toPartial(): { json: TrainingPartialJson; holdout: Float64Array } {
    const profiles: Record<string, ProfileJson> = {};
    for (const name of [...this.profiles.keys()].sort(compareCodePoints))
      profiles[name] = this.profiles.get(name)!.toJSON();
    return {
      json: {
        format: TRAINING_PARTIAL_FORMAT,
        shard: this.shard,
        features: [...this.options.schema.features],
        target: this.options.schema.target,
        category: this.options.schema.category,
        fill: this.options.fill,
        holdout: this.options.holdout,
        train: this.train.toJSON(),
        targetValues: this.targetValues.toJSON(),
        holdoutRows: this.holdoutRows,
        profiles,
        inputs: [...this.inputs],
        counts: { ...this.counts },
        driftSample: this.driftSample.toJSON(),
      },
      holdout: this.holdoutValues(),
    };
  }

  /** Rebuilds a shard from its partial; `options.schema` supplies the text columns the partial does not carry. */
  static fromPartial(
    json: TrainingPartialJson,
    holdout: Float64Array,
    options: TrainOptions,
    spill: RowSpill | RowSpillFactory | null = null,
  ): TrainingShard {
    if (json.format !== TRAINING_PARTIAL_FORMAT) {
      throw new TrainingInputError(
        'bad_partial',
        `partial "${json.shard}" has format ${JSON.stringify(json.format)}`,
      );
    }
    const s = new TrainingShard({ ...options, fill: json.fill, holdout: json.holdout }, json.shard, spill);
    if (
      json.features.join('\u0000') !== options.schema.features.join('\u0000') ||
      json.target !== options.schema.target
    ) {
      throw new TrainingInputError(
        'mismatched_partials',
        `partial "${json.shard}" has other features or target`,
      );
    }
    const stride = s.d + 1;
    if (holdout.length !== json.holdoutRows * stride) {
      throw new TrainingInputError(
        'bad_partial',
        `partial "${json.shard}" holds ${holdout.length} holdout values, expected ${json.holdoutRows * stride}`,
      );
    }
    s.train = Tsqr.fromJSON(json.train);
    s.targetValues = TargetValues.fromJSON(json.targetValues);
    if (json.driftSample) s.driftSample = DriftSample.fromJSON(json.driftSample, s.d);
    s.holdoutBuf = Float64Array.from(holdout);
    s.holdoutRows = json.holdoutRows;
    for (const [name, p] of Object.entries(json.profiles))
      s.profiles.set(name, ProfileAccumulator.fromJSON(p));
    s.inputs.push(...json.inputs);
    Object.assign(s.counts, json.counts);
    return s;
  }
}

const MAX_SEEN_CATEGORIES = 64;
const utf8 = new TextDecoder('utf-8');

/**
 * Reads one CSV of cleaned rows (header first) into a shard. Rows with a missing feature or
 * target are counted as incomplete and left out; anything that does not parse is an error,
 * because cleaned input has already had its bad rows quarantined.
 */
export class CsvTrainingReader {
  private readonly scanner: CsvScanner;
  private numericAt: Int32Array | null = null;
  private textAt: Int32Array = new Int32Array(0);
  private categoryAt = -1;
  private width = 0;
  private readonly values: Float64Array;
  private readonly hasher = new RowHasher32();
  /** Unquoted category cells seen (bytes) and their names, for the first MAX_SEEN_CATEGORIES. */
  private readonly seenCategoryBytes: Uint8Array[] = [];
  private readonly seenCategories: (string | null)[] = [];
  /** Per header column: its index among the numeric columns, or -1 (text, or not in the schema). */
  private role: Int32Array = new Int32Array(0);
  /** Field offsets of the row being read by the plain-row path. */
  private plainStart: Int32Array = new Int32Array(0);
  private plainEnd: Int32Array = new Int32Array(0);
  /** Whether rows are hashed (the holdout split and the drift sample): always. */
  private readonly split: boolean;
  /** Data rows seen. */
  rows = 0;
  /** Rows read by the last readPlainRows call (the scanner's PlainRowReader contract). */
  taken = 0;

  constructor(
    private readonly schema: DatasetSchema,
    private readonly sink: TrainingShard,
    private readonly source = 'input',
  ) {
    this.values = new Float64Array(schema.features.length + 1);
    // The row hash splits the holdout and keys the drift sample, so every row gets one.
    this.split = true;
    this.scanner = new CsvScanner((row) => this.onRow(row), { plainRows: this });
  }

  push(chunk: Uint8Array): void {
    this.scanner.push(chunk);
  }

  finish(): void {
    this.scanner.finish();
    if (this.numericAt === null) throw new TrainingInputError('bad_header', `${this.source}: no header row`);
  }

  private bind(row: ScannedRow): void {
    const header: string[] = [];
    for (let k = 0; k < row.fieldCount; k++) header.push(fieldText(row, k));
    const numeric = numericColumns(this.schema);
    const texts = textColumns(this.schema);
    const missing = [...texts, ...numeric].filter((c) => !header.includes(c));
    if (missing.length > 0) {
      throw new TrainingInputError(
        'bad_header',
        `${this.source}: header lacks schema column(s): ${missing.join(', ')}`,
      );
    }
    this.numericAt = Int32Array.from(numeric, (c) => header.indexOf(c));
    this.textAt = Int32Array.from(texts, (c) => header.indexOf(c));
    this.categoryAt = header.indexOf(this.schema.category);
    this.width = header.length;
    this.role = new Int32Array(header.length).fill(-1);
    this.numericAt.forEach((k, j) => (this.role[k] = j));
    this.plainStart = new Int32Array(header.length);
    this.plainEnd = new Int32Array(header.length);
  }

  /**
   * The fast path for the rows cleaned output is made of (the scanner's PlainRowReader): one
   * line, no quote or CR, the header's field count, every numeric cell `-?digits[.digits]` with
   * at most 15 digits. Such a cell's value is its integer mantissa divided by an exact power of
   * ten (decimalValue, plain-number.ts: the step parseDecimal's fast path ends in), correctly
   * rounded, so it equals parseDecimal's (and Number's) bit for bit. Any other row (a quote, a
   * gap, an exponent, a ragged row, the end of the buffer) stops the fast path and goes through
   * the general scan and onRow, errors included.
   */
  readPlainRows(buf: Uint8Array, pos: number, n: number): number {
    this.taken = 0;
    if (this.numericAt === null) return pos;
    let p = pos;
    while (p < n) {
      const next = this.plainRow(buf, p, n);
      if (next < 0) break;
      this.taken++;
      p = next;
    }
    return p;
  }

  /** Reads one plain row at `p` and adds it; returns the offset after its LF, or -1 (nothing consumed). */
  private plainRow(buf: Uint8Array, p: number, n: number): number {
    const role = this.role;
    const width = this.width;
    const starts = this.plainStart;
    const ends = this.plainEnd;
    const values = this.values;
    let i = p;
    let k = 0;
    for (;;) {
      if (k >= width) return -1;
      const s = i;
      const j = role[k];
      let c = 0;
      if (j >= 0) {
        let negative = false;
        if (i < n && buf[i] === Byte.MINUS) {
          negative = true;
          i++;
        }
        let mantissa = 0;
        let digits = 0;
        while (i < n && (c = buf[i] - Byte.DIGIT_0) >= 0 && c <= 9) {
          mantissa = mantissa * 10 + c;
          digits++;
          i++;
        }
        if (digits === 0) return -1;
        let fraction = 0;
        if (i < n && buf[i] === Byte.DOT) {
          i++;
          while (i < n && (c = buf[i] - Byte.DIGIT_0) >= 0 && c <= 9) {
            mantissa = mantissa * 10 + c;
            fraction++;
            i++;
          }
          if (fraction === 0) return -1;
        }
        if (digits + fraction > Exact.DIGITS || i >= n) return -1;
        c = buf[i];
        if (c !== Byte.COMMA && c !== Byte.LF) return -1;
        values[j] = decimalValue(mantissa, fraction, negative);
      } else {
        while (i < n) {
          c = buf[i];
          if (c === Byte.COMMA || c === Byte.LF) break;
          if (c === Byte.QUOTE || c === Byte.CR) return -1;
          i++;
        }
        if (i >= n) return -1;
      }
      starts[k] = s;
      ends[k] = i;
      k++;
      i++;
      if (c === Byte.LF) break;
    }
    if (k !== width) return -1;
    this.rows++;
    this.sink.counts.rowsIn++;
    let hash = 0;
    if (this.split) {
      const h = this.hasher.reset();
      const texts = this.textAt;
      for (let t = 0; t < texts.length; t++) h.bytes(buf, starts[texts[t]], ends[texts[t]]);
      for (let j = 0; j < values.length; j++) h.number(values[j]);
      hash = h.digest();
    }
    const at = this.categoryAt;
    this.sink.addRow(
      values,
      hash,
      this.sink.profilesFromRows ? this.plainCategory(buf, starts[at], ends[at]) : null,
    );
    return i;
  }

  private onRow(row: ScannedRow): void {
    if (this.numericAt === null) {
      this.bind(row);
      return;
    }
    this.rows++;
    this.sink.counts.rowsIn++;
    if (row.flags !== ROW_OK || row.fieldCount !== this.width) {
      throw new TrainingInputError(
        'bad_row',
        `${this.source} line ${row.line}: ${row.flags !== ROW_OK ? 'quote error' : `${row.fieldCount} fields, header has ${this.width}`}; train on preprocessed rows or a raw CSV`,
      );
    }
    const bytes = row.bytes;
    const at = this.numericAt;
    const values = this.values;
    for (let j = 0; j < at.length; j++) {
      const k = at[j];
      const s = row.fieldStart[k];
      const e = row.fieldEnd[k];
      const v = parseDecimal(bytes, s, e);
      if (v !== v || !Number.isFinite(v)) {
        if (v !== v && isMissingCell(bytes, s, e)) {
          this.sink.counts.incomplete++;
          return;
        }
        throw new TrainingInputError(
          'bad_row',
          `${this.source} line ${row.line}: column "${numericColumns(this.schema)[j]}" is not a finite number`,
        );
      }
      values[j] = v;
    }
    let hash = 0;
    if (this.split) {
      const h = this.hasher.reset();
      for (let t = 0; t < this.textAt.length; t++) {
        const k = this.textAt[t];
        if (row.quoted[k] === FIELD_ESCAPED) h.text(fieldText(row, k));
        else h.bytes(bytes, row.fieldStart[k], row.fieldEnd[k]);
      }
      for (let j = 0; j < values.length; j++) h.number(values[j]);
      hash = h.digest();
    }
    this.sink.addRow(values, hash, this.sink.profilesFromRows ? this.category(row) : null);
  }

  private category(row: ScannedRow): string | null {
    const k = this.categoryAt;
    if (row.quoted[k] === FIELD_PLAIN)
      return this.plainCategory(row.bytes, row.fieldStart[k], row.fieldEnd[k]);
    return fieldText(row, k);
  }

  /** An unquoted category cell's name (null when missing), looked up among those seen first. */
  private plainCategory(bytes: Uint8Array, s: number, e: number): string | null {
    // A file holds a handful of categories: find this cell's bytes among those seen.
    const seen = this.seenCategoryBytes;
    for (let c = 0; c < seen.length; c++) {
      const known = seen[c];
      if (known.length !== e - s) continue;
      let same = true;
      for (let i = 0; i < known.length; i++) {
        if (bytes[s + i] !== known[i]) {
          same = false;
          break;
        }
      }
      if (same) return this.seenCategories[c];
    }
    const name = isMissingCell(bytes, s, e) ? null : utf8.decode(bytes.subarray(s, e));
    if (seen.length < MAX_SEEN_CATEGORIES) {
      seen.push(bytes.slice(s, e));
      this.seenCategories.push(name);
    }
    return name;
  }
}

/** One input object for training. */
export interface TrainingSource {
  readonly key: string;
  /** 'raw': a landing CSV, cleaned here through preprocess's core; 'curated': preprocess output rows. */
  readonly kind: 'raw' | 'curated';
  readonly open: ByteSource;
  readonly sizeHint?: number;
  /** Filled in by the caller when known before reading (S3 version and ETag). */
  readonly lineage?: Omit<LineageInput, 'key'>;
  /**
   * Curated train rows only: preprocess's statistics partial for exactly these rows. With fill
   * 'none' the per-category profiles are taken from it instead of being accumulated per row.
   */
  readonly stats?: StatsPartial;
}

/** Reads one object into `shard`; returns its lineage entry. Raw input is de-duplicated and filled by preprocess's core. */
export async function trainObject(source: TrainingSource, shard: TrainingShard): Promise<LineageInput> {
  const options = shard.options;
  // The object's rows go straight to the shard's spill; a restarted read (preprocess's reset)
  // cuts the spill back to where this object began.
  shard.flushSpill();
  const mark = shard.spill?.rows ?? 0;
  let local = new TrainingShard(options, shard.shard, shard.spill);
  let reader = new CsvTrainingReader(options.schema, local, source.key);
  if (source.kind === 'curated') {
    const stats = options.fill === 'none' ? source.stats : undefined;
    local.profilesFromRows = stats === undefined;
    for await (const chunk of source.open()) reader.push(chunk);
    reader.finish();
    if (stats) profilesFromStats(local, source.key, stats);
  } else {
    // Fill 'none': the train rows' per-category profiles are in preprocess's statistics (its
    // category moments are over exactly these rows), so the rows are read only for the split.
    const statsProfiles = options.fill === 'none';
    const fresh = () => {
      local.flushSpill();
      shard.spill?.truncate(mark);
      local = new TrainingShard(options, shard.shard, shard.spill);
      local.profilesFromRows = !statsProfiles;
      reader = new CsvTrainingReader(options.schema, local, source.key);
    };
    fresh();
    const feed = (bytes: Uint8Array) => reader.push(bytes);
    const sink: PreprocessSink = {
      train: options.fill === 'none' ? feed : () => undefined,
      clean: options.fill === 'mean' ? feed : () => undefined,
      quarantine: () => undefined,
      reset: fresh,
    };
    const result = await preprocessCsv({
      schema: options.schema,
      open: source.open,
      sink,
      sizeHint: source.sizeHint,
    });
    reader.finish();
    const { stats } = result;
    local.counts.rowsIn = stats.rowsIn;
    local.counts.duplicates = stats.duplicates;
    local.counts.quarantined = stats.quarantined;
    if (options.fill === 'none') local.counts.incomplete = stats.rowsClean - stats.rowsComplete;
    if (statsProfiles) profilesFromStats(local, source.key, stats);
  }
  const entry: LineageInput = { key: source.key, ...(source.lineage ?? {}) };
  local.inputs.push(entry);
  shard.merge(local, true);
  return entry;
}

/**
 * Sets a shard's profiles (and rows without a category) from the statistics partial of the
 * same complete rows it has just read without accumulating profiles.
 */
function profilesFromStats(local: TrainingShard, key: string, stats: StatsPartial): void {
  const part = shardPartFromStats(key, stats, local.options);
  if (part.counts.used !== local.counts.used) {
    throw new TrainingInputError(
      'mismatched_partials',
      `${key}: read ${local.counts.used} complete rows, but its statistics partial counts ${part.counts.used}; preprocess it again`,
    );
  }
  for (const [name, p] of part.profiles) local.profiles.set(name, p);
  local.counts.withoutCategory = part.counts.withoutCategory;
  local.profilesFromRows = true;
}

/** Shard i of p takes objects i, i + p, ... of the key-sorted list. */
export function shardSources<T extends { readonly key: string }>(
  sources: readonly T[],
  index: number,
  count: number,
): T[] {
  if (!(Number.isInteger(count) && count >= 1))
    throw new RangeError(`shard count must be a whole number ≥ 1, got ${count}`);
  if (!(Number.isInteger(index) && index >= 0 && index < count)) {
    throw new RangeError(`shard index must be in [0, ${count}), got ${index}`);
  }
  return [...sources].sort((a, b) => compareCodePoints(a.key, b.key)).filter((_, i) => i % count === index);
}

/** Merges shards in shard-name order (so any arrival order gives the same bytes). */
export function mergeShards(
  shards: readonly TrainingShard[],
  options: TrainOptions,
  spill: RowSpill | RowSpillFactory | null = null,
): TrainingShard {
  const sorted = [...shards].sort((a, b) => compareCodePoints(a.shard, b.shard));
  const total = new TrainingShard(options, 'merged', spill);
  for (const s of sorted) total.merge(s);
  total.inputs.sort((a, b) => compareCodePoints(a.key, b.key));
  return total;
}

/** The fitted linear predictor, in original units (log-odds for classification). */
export interface LinearFit {
  readonly features: readonly string[];
  readonly weights: number[];
  readonly bias: number;
  readonly scaling: { readonly mean: number[]; readonly std: number[] };
  readonly standardErrors: number[];
  readonly biasStandardError: number;
  /** σ̂² for regression; 1 (the binomial dispersion) for classification. */
  readonly residualVariance: number;
  readonly rows: number;
  /** Constant or collinear features, by name. */
  readonly warnings: string[];
}

export interface TrainingResult {
  readonly task: Task;
  readonly fit: LinearFit;
  readonly metrics: ModelMetrics;
  readonly profiles: Record<string, GaussianProfile>;
  readonly counts: TrainingCounts;
  readonly inputs: LineageInput[];
  /** Training histograms for drift monitoring; null when no rows were read (statistics partials alone). */
  readonly drift?: DriftHistograms | null;
  /** Classification: the class coding, the label threshold and the Newton passes made. */
  readonly classes?: Classes;
  readonly threshold?: number;
  readonly iterations?: number;
  /**
   * What the model report plots of the rows the metrics were measured on (./holdout-evaluation.ts);
   * absent for a regression measured in-sample (holdout 0), which keeps no rows.
   */
  readonly evaluation?: HoldoutEvaluation;
}

/**
 * One logistic pass over all training rows at `point`, however the shards meet: in one process
 * over each shard's spill (`localPasses`), or across hosts through S3 (lambda/trainer).
 */
export type PassRunner = (point: LogisticPoint, iteration: number) => Promise<LogisticPass>;

/** Passes over the spills of shards in one process, added in shard-name order (as hosts merge). */
export function localPasses(shards: readonly TrainingShard[]): PassRunner {
  const sorted = [...shards].sort((a, b) => compareCodePoints(a.shard, b.shard));
  return async (point) => {
    let total: LogisticPass | null = null;
    for (const s of sorted) {
      const part = shardPass(s, point);
      total = total ? total.merge(part) : part;
    }
    return total!;
  };
}

/** Every training row of shards in one process, in shard-name order (in-sample metrics). */
export type RowVisitor = (visit: (rows: Float64Array) => void) => void;

export function shardRows(shards: readonly TrainingShard[]): RowVisitor {
  const sorted = [...shards].sort((a, b) => compareCodePoints(a.shard, b.shard));
  return (visit) => {
    for (const s of sorted) {
      s.flushSpill();
      s.spill?.forEachChunk(visit);
    }
  };
}

/** One shard's pass over its own spilled training rows. */
export function shardPass(shard: TrainingShard, point: LogisticPoint): LogisticPass {
  const pass = new LogisticPass(shard.d);
  shard.flushSpill();
  if (!shard.spill) throw new Error(`shard ${shard.shard} kept no rows for classification passes`);
  const stride = shard.d + 1;
  shard.spill.forEachChunk((rows) => pass.addRows(rows, rows.length / stride, point));
  return pass;
}

/** The label threshold on the probability. */
export const CLASSIFICATION_THRESHOLD = 0.5;

function profilesOf(merged: TrainingShard): Record<string, GaussianProfile> {
  const profiles: Record<string, GaussianProfile> = {};
  for (const name of [...merged.profiles.keys()].sort(compareCodePoints))
    profiles[name] = merged.profiles.get(name)!.profile();
  return profiles;
}

/**
 * Solves the merged shard and measures it: on the holdout rows when there are any, else
 * in-sample. Regression: one QR solve (R², RMSE and MAE over every held-out residual; in-sample
 * MAE needs the rows, which a one-pass fit does not keep, so it is null). Classification (task
 * from the target, `chooseTask`): Newton passes through `passes` (default: over the merged
 * shard's own spill), log-loss, AUC, accuracy, precision, recall and the confusion matrix.
 */
export async function solveMerged(
  merged: TrainingShard,
  passes?: PassRunner,
  rows?: RowVisitor,
): Promise<TrainingResult> {
  const { schema, ridge } = merged.options;
  if (merged.train.n === 0) {
    throw new TrainingInputError(
      'no_rows',
      `no training rows: ${merged.counts.rowsIn} rows in, ${merged.counts.duplicates} duplicates, ${merged.counts.quarantined} quarantined, ${merged.counts.incomplete} incomplete`,
    );
  }
  const task = chooseTask(merged.options.task ?? 'auto', merged.targetValues, schema.target);
  const profiles = profilesOf(merged);
  const base = {
    profiles,
    counts: { ...merged.counts },
    inputs: [...merged.inputs],
    drift: merged.driftSample.histograms(),
  };
  if (task === 'classification') return { ...(await solveClassification(merged, passes, rows)), ...base };
  const fit = solveOls(merged.train, { features: schema.features, target: schema.target, ridge });
  let metrics: ModelMetrics;
  let evaluation: HoldoutEvaluation | undefined;
  if (merged.holdoutRows > 0) {
    evaluation = regressionEvaluation(fit.weights, fit.bias, merged.holdoutValues());
    const m = linearModelMetrics(
      fit.weights,
      fit.bias,
      merged.holdoutValues(),
      new MetricsAccumulator(),
    ).result();
    metrics = { r2: m.r2, rmse: m.rmse, mae: m.mae, rows: m.rows, on: 'holdout' };
  } else {
    metrics = { r2: fit.train.r2, rmse: fit.train.rmse, mae: null, rows: fit.train.rows, on: 'train' };
  }
  return { task, fit, metrics, ...base, ...(evaluation ? { evaluation } : {}) };
}

async function solveClassification(
  merged: TrainingShard,
  passes: PassRunner | undefined,
  rowsOf: RowVisitor | undefined,
): Promise<
  Pick<TrainingResult, 'task' | 'fit' | 'metrics' | 'classes' | 'threshold' | 'iterations' | 'evaluation'>
> {
  const { schema, ridge } = merged.options;
  const d = merged.d;
  const classes = chooseClasses(merged.targetValues, schema.target, merged.options.positiveClass);
  const positives = merged.targetValues.counts[merged.targetValues.values.indexOf(classes.positive)];
  // Standardisation from the QR (means and population spreads of the training rows).
  const r = merged.train.factor();
  const p = merged.train.p;
  const n = merged.train.n;
  const means = merged.train.means();
  const mean = Array.from(means.subarray(0, d));
  const std = Array.from({ length: d }, (_, j) => {
    let ss = 0;
    for (let i = 1; i <= 1 + j; i++) ss += r[i * p + 1 + j] ** 2;
    return Math.sqrt(ss / n);
  });
  const invStd = std.map((v) => (v > 0 ? 1 / v : 0));
  const run = passes ?? localPasses([merged]);
  let state = newtonStart(d, positives, n);
  try {
    // The first Newton step from the least-squares slope in the QR factor: one pass fewer.
    const ybar = positives / n;
    const ls = solveOls(merged.train, {
      features: schema.features,
      target: schema.target,
      ridge: ridge / (ybar * (1 - ybar)),
    });
    // The 0/1 coding is (y − negative) / (positive − negative): its slope scales alike.
    const coding = classes.positive - classes.negative;
    state = newtonStartFromSlope(
      positives,
      n,
      ls.weights.map((w, j) => (w * std[j]) / coding),
    );
  } catch {
    // Too few rows for a least-squares slope: start from w = 0.
  }
  while (!state.converged) {
    const pass = await run(
      { theta: Float64Array.from(state.theta), mean, invStd, positive: classes.positive },
      state.iteration,
    );
    try {
      state = newtonIterate(state, pass, { ridge });
    } catch (error) {
      // Name the feature the diverging steps move most (direction 0 is the bias).
      if (error instanceof ClassificationError && error.code === 'SEPARATED' && error.direction)
        throw new ClassificationError(
          'SEPARATED',
          `${error.message.replace(/ Use an/, ` Its weights diverge along "${schema.features[error.direction - 1]}". Use an`)}`,
          error.direction,
        );
      throw error;
    }
  }
  const units = originalUnits(state, mean, invStd);
  const warnings: string[] = [];
  const constant = schema.features.filter((_, j) => std[j] === 0);
  if (constant.length > 0)
    warnings.push(
      `constant feature${constant.length > 1 ? 's' : ''} ${constant.map((f) => `"${f}"`).join(', ')} in the training rows: weight 0; drop ${constant.length > 1 ? 'them' : 'it'} from the schema`,
    );
  const fit: LinearFit = {
    features: [...schema.features],
    ...units,
    scaling: { mean, std },
    residualVariance: 1,
    rows: n,
    warnings,
  };
  // Metrics on the holdout rows, else in-sample over the spilled rows (held here to rank them).
  let logits: Float64Array;
  let labels: Uint8Array;
  const stride = d + 1;
  const logit = (rows: Float64Array, o: number) => {
    let eta = fit.bias;
    for (let j = 0; j < d; j++) eta += fit.weights[j] * rows[o + j];
    return eta;
  };
  if (merged.holdoutRows > 0) {
    const rows = merged.holdoutValues();
    logits = new Float64Array(merged.holdoutRows);
    labels = new Uint8Array(merged.holdoutRows);
    for (let i = 0; i < merged.holdoutRows; i++) {
      logits[i] = logit(rows, i * stride);
      labels[i] = rows[i * stride + d] === classes.positive ? 1 : 0;
    }
  } else {
    logits = new Float64Array(n);
    labels = new Uint8Array(n);
    let i = 0;
    (rowsOf ?? shardRows([merged]))((rows) => {
      for (let o = 0; o < rows.length && i < n; o += stride, i++) {
        logits[i] = logit(rows, o);
        labels[i] = rows[o + d] === classes.positive ? 1 : 0;
      }
    });
    if (i !== n)
      throw new ClassificationError(
        'NOT_CONVERGED',
        `in-sample classification metrics need every training row in one place (${i} of ${n} here): use a holdout > 0 across hosts`,
      );
  }
  const c = classificationMetrics(logits, labels, CLASSIFICATION_THRESHOLD);
  const metrics: ModelMetrics = {
    r2: c.r2,
    rmse: c.rmse,
    mae: c.mae,
    rows: c.rows,
    on: merged.holdoutRows > 0 ? 'holdout' : 'train',
    classification: {
      logLoss: c.logLoss,
      auc: Number.isFinite(c.auc) ? c.auc : null,
      accuracy: c.accuracy,
      precision: c.precision,
      recall: c.recall,
      threshold: c.threshold,
      confusion: c.confusion,
    },
  };
  return {
    task: 'classification',
    fit,
    metrics,
    classes,
    threshold: CLASSIFICATION_THRESHOLD,
    iterations: state.iteration,
    evaluation: classificationEvaluation(logits, labels, metrics.on),
  };
}

/** Partial → bytes: the JSON document and the holdout rows as little-endian doubles. */
export function encodeHoldout(values: Float64Array): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i], true);
  return out;
}

export function decodeHoldout(bytes: Uint8Array): Float64Array {
  if (bytes.length % 8 !== 0)
    throw new TrainingInputError('bad_partial', `holdout bytes (${bytes.length}) are not whole doubles`);
  const out = new Float64Array(bytes.length / 8);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}

/** What the artifact records about where and how it was trained, beyond the data. */
export interface TrainingMeta {
  readonly codeVersion: string;
  readonly capacity: CapacityUsed;
  /** @default now */
  readonly trainedAt?: Date;
}

/** sha256 of the canonical training configuration (schema, fill, holdout, ridge, partial format). */
export function configHash(options: TrainOptions): string {
  return canonicalHash({
    format: TRAINING_PARTIAL_FORMAT,
    schema: options.schema,
    fill: options.fill,
    holdout: options.holdout,
    ridge: options.ridge,
    task: options.task ?? 'auto',
    ...(options.positiveClass !== undefined ? { positiveClass: options.positiveClass } : {}),
  });
}

export function artifactFromResult(
  result: TrainingResult,
  options: TrainOptions,
  meta: TrainingMeta,
): ModelArtifact {
  const { fit } = result;
  return buildArtifact({
    target: options.schema.target,
    category: options.schema.category,
    features: fit.features,
    weights: fit.weights,
    bias: fit.bias,
    scaling: fit.scaling,
    standardErrors: fit.standardErrors,
    biasStandardError: fit.biasStandardError,
    residualStd: Math.sqrt(fit.residualVariance),
    profiles: result.profiles,
    metrics: result.metrics,
    rows: fit.rows,
    task: result.task,
    ...(result.task === 'classification'
      ? { classes: result.classes, threshold: result.threshold, iterations: result.iterations }
      : {}),
    warnings: fit.warnings,
    fill: options.fill,
    ridge: options.ridge,
    holdout: options.holdout,
    data: result.counts,
    lineage: { inputs: result.inputs, configHash: configHash(options), codeVersion: meta.codeVersion },
    capacity: meta.capacity,
    trainedAt: meta.trainedAt,
    drift: result.drift,
  });
}

/**
 * The whole run in one process: objects dealt to `shards` partials (shard i takes objects
 * i, i + p, ... of the key-sorted list), merged, solved, measured, packaged.
 */
export async function trainSources(
  sources: readonly TrainingSource[],
  options: TrainOptions,
  meta: TrainingMeta & { readonly shards?: number; readonly spill?: RowSpillFactory },
): Promise<{ artifact: ModelArtifact; result: TrainingResult }> {
  const p = meta.shards ?? 1;
  const shards: TrainingShard[] = [];
  try {
    for (let i = 0; i < p; i++) {
      const shard = new TrainingShard(options, String(i).padStart(5, '0'), meta.spill);
      shards.push(shard);
      for (const source of shardSources(sources, i, p)) await trainObject(source, shard);
    }
    // One shard is its own merge (its inputs are already in key order): no copy of its holdout
    // rows. Several: merged without their rows; each classification pass visits every shard's.
    const merged = p === 1 ? shards[0] : mergeShards(shards, options, null);
    const result = await solveMerged(merged, localPasses(shards), shardRows(shards));
    return { artifact: artifactFromResult(result, options, meta), result };
  } finally {
    for (const s of shards) s.spill?.dispose();
  }
}

/**
 * A shard straight from preprocess statistics partials, without reading rows: enough for
 * fill 'none' with holdout 0 (the fit needs only the complete rows' moments; the profiles are
 * the per-category moments of the same rows). `keys` name the partials for the lineage.
 */
export function shardFromStats(
  partials: readonly {
    readonly key: string;
    readonly stats: StatsPartial;
    readonly lineage?: Omit<LineageInput, 'key'>;
  }[],
  options: TrainOptions,
): TrainingShard {
  if (options.fill !== 'none' || options.holdout !== 0) {
    throw new RangeError('statistics partials suffice only for fill none with holdout 0');
  }
  if (options.task !== 'regression')
    throw new RangeError(
      'statistics partials suffice only for task regression (the task needs the target values)',
    );
  const shard = new TrainingShard(options, 'stats');
  for (const { key, stats, lineage } of [...partials].sort((a, b) => compareCodePoints(a.key, b.key))) {
    const part = shardPartFromStats(key, stats, options);
    part.inputs.push({ key, ...(lineage ?? {}) });
    shard.merge(part);
  }
  return shard;
}

/**
 * One statistics partial as a shard (fill 'none', holdout 0): the complete rows' moments to
 * fit, per-category moments as the profiles, the partial's counts. Lineage is the caller's.
 */
function shardPartFromStats(key: string, stats: StatsPartial, options: TrainOptions): TrainingShard {
  const part = new TrainingShard({ ...options, task: 'regression' }, 'stats');
  const d = part.d;
  if (stats.format !== STATS_PARTIAL_FORMAT) {
    throw new TrainingInputError(
      'bad_partial',
      `${key}: format ${JSON.stringify(stats.format)} is not ${STATS_PARTIAL_FORMAT}`,
    );
  }
  if (stats.columns.join('\u0000') !== part.columns.join('\u0000')) {
    throw new TrainingInputError(
      'mismatched_partials',
      `${key}: columns [${stats.columns}] differ from the schema's [${part.columns}]`,
    );
  }
  // Co-moments only: the R factor from their Cholesky (exact to cond² · 1e-16, not cond · 1e-16).
  const moments = Moments.fromJSON(stats.moments);
  part.train = Tsqr.fromComoments(part.columns, moments.n, moments.mean, (i, j) => moments.comoment(i, j));
  let inCategories = 0;
  for (const [name, c] of Object.entries(stats.categories)) {
    const m = Moments.fromJSON(c.moments);
    inCategories += m.n;
    part.profiles.set(
      name,
      ProfileAccumulator.fromJSON({
        count: m.n,
        mean: Array.from(m.mean.subarray(0, d)),
        m2: Array.from({ length: d }, (_, j) => m.comoment(j, j)),
      }),
    );
  }
  Object.assign(part.counts, {
    rowsIn: stats.rowsIn,
    duplicates: stats.duplicates,
    quarantined: stats.quarantined,
    incomplete: stats.rowsClean - stats.rowsComplete,
    used: stats.rowsComplete,
    withoutCategory: stats.rowsComplete - inCategories,
  });
  return part;
}
