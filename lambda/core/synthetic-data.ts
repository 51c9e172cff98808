/**
 * Deterministic synthetic production-line data in the default dataset schema, with a known
 * linear truth: quality = wᵀx + b + N(0, noiseStd²).
 *
 * - Same options (seed included) → the same bytes, on any machine running the same Node major
 *   (only +, *, /, Math.sqrt and V8's fdlibm Math.log are used on the random path).
 * - Every file is generated from its own PRNG stream (seed, file index), so files can be produced
 *   independently, in any order, and streamed: memory is a small ring of recent rows, never the
 *   file.
 * - Features are rounded to a fixed number of decimals and the target is computed from the
 *   *rounded* values, so the truth is exact for what a reader parses.
 * - Missing cells are MCAR (each cell independently, with a fixed probability, after the target
 *   is computed), so complete-case OLS on the file is unbiased for the written weights.
 * - About `duplicateRate` of the rows are exact copies of an earlier row of the same file (so a
 *   per-file cleaner sees them); half of those copies re-spell one number with a trailing zero
 *   (`12.5` → `12.50`), equal when parsed. Fresh rows never collide: timestamps strictly increase.
 */
import { DEFAULT_DATASET_SCHEMA, schemaColumns } from './dataset-schema';

// Globals read once: under a vm context (jest's node environment) every global lookup in a hot
// loop goes through the context's interceptors and costs several times the arithmetic.
const { floor, round, sqrt, log, imul } = Math;

// ---------------------------------------------------------------------------------------------
// PRNG: xoshiro128** seeded through splitmix32. 32-bit integer ops only, so it is exact in JS.

export class Xoshiro128 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = 0;
  private hasSpare = false;

  constructor(seed: number, stream = 0) {
    let s = (seed ^ imul(stream + 1, 0x9e3779b9)) >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = imul(z ^ (z >>> 16), 0x85ebca6b);
      z = imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    // Mix the high bits of large seeds in too (seeds up to 2^53 are distinct streams).
    const high = floor(seed / 4294967296) >>> 0;
    s = (s ^ imul(high, 0x27d4eb2f)) >>> 0;
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = imul(rotl(imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Standard normal (Marsaglia polar method; needs only log and sqrt). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = sqrt((-2 * log(s)) / s);
    this.spare = v * f;
    this.hasSpare = true;
    return u * f;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

// ---------------------------------------------------------------------------------------------
// The data model.

export const SYNTHETIC_CATEGORIES = ['bracket', 'gear', 'housing', 'shaft'] as const;
export type SyntheticCategory = (typeof SYNTHETIC_CATEGORIES)[number];
const CATEGORY_CUMULATIVE = [0.3, 0.6, 0.8, 1.0];
export const SYNTHETIC_LINES = Array.from({ length: 20 }, (_, i) => `L${String(i + 1).padStart(2, '0')}`);

/**
 * One feature: decimals written, per-category mean and standard deviation (bracket, gear,
 * housing, shaft) and loadings on two shared latent factors (machine load, ambient). Each
 * feature keeps at least 59% of its variance independent, so the design matrix is correlated but
 * far from collinear.
 */
export interface FeatureSpec {
  readonly name: string;
  readonly decimals: number;
  readonly mean: readonly [number, number, number, number];
  readonly std: readonly [number, number, number, number];
  readonly load: number;
  readonly ambient: number;
  /** Lower bound a physical sensor cannot go below (values are clamped, then the target uses them). */
  readonly min: number;
}

export const SYNTHETIC_FEATURES: readonly FeatureSpec[] = [
  {
    name: 'temperature',
    decimals: 2,
    mean: [62, 70, 78, 68],
    std: [3, 4, 5, 3.5],
    load: 0.5,
    ambient: 0.4,
    min: -40,
  },
  {
    name: 'pressure',
    decimals: 3,
    mean: [5.2, 6.5, 7.2, 6.0],
    std: [0.4, 0.5, 0.6, 0.45],
    load: 0.4,
    ambient: 0,
    min: 0,
  },
  {
    name: 'vibration',
    decimals: 3,
    mean: [1.8, 2.6, 2.2, 3.1],
    std: [0.35, 0.5, 0.4, 0.6],
    load: 0.45,
    ambient: 0,
    min: 0,
  },
  {
    name: 'speed',
    decimals: 1,
    mean: [2400, 1800, 1500, 2800],
    std: [150, 120, 100, 200],
    load: -0.4,
    ambient: 0,
    min: 0,
  },
  {
    name: 'humidity',
    decimals: 1,
    mean: [44, 46, 45, 47],
    std: [6, 6.5, 5.5, 6],
    load: 0,
    ambient: 0.6,
    min: 0,
  },
  { name: 'torque', decimals: 2, mean: [25, 55, 40, 35], std: [4, 6, 5, 4.5], load: 0.6, ambient: 0, min: 0 },
  {
    name: 'current',
    decimals: 3,
    mean: [9.5, 15.5, 12.5, 13.0],
    std: [0.8, 1.2, 1.0, 1.1],
    load: 0.6,
    ambient: 0,
    min: 0,
  },
  {
    name: 'voltage',
    decimals: 2,
    mean: [399.5, 400.5, 400, 401],
    std: [3, 3.2, 2.8, 3],
    load: -0.2,
    ambient: 0,
    min: 0,
  },
  {
    name: 'feed_rate',
    decimals: 1,
    mean: [320, 180, 140, 260],
    std: [25, 20, 15, 22],
    load: 0.3,
    ambient: 0,
    min: 0,
  },
  {
    name: 'tool_wear',
    decimals: 2,
    mean: [35, 50, 45, 55],
    std: [10, 12, 11, 13],
    load: 0.2,
    ambient: 0,
    min: 0,
  },
];

/** Loading on each feature's own independent noise: the rest of its unit variance. */
const OWN_SHARE = SYNTHETIC_FEATURES.map((s) => sqrt(1 - s.load * s.load - s.ambient * s.ambient));

/** The true model: quality = Σ weights[f]·x_f + bias + N(0, noiseStd²). */
export const SYNTHETIC_WEIGHTS: Readonly<Record<string, number>> = {
  temperature: -0.12,
  pressure: 1.5,
  vibration: -2.0,
  speed: 0.004,
  humidity: -0.05,
  torque: 0.08,
  current: -0.3,
  voltage: 0.05,
  feed_rate: -0.01,
  tool_wear: -0.15,
};
export const SYNTHETIC_BIAS = 73;
export const SYNTHETIC_NOISE_STD = 1;
const TARGET_DECIMALS = 4;

export interface SyntheticOptions {
  /** Total rows written (duplicates included), over all files. */
  readonly rows: number;
  /** @default 42 */
  readonly seed?: number;
  /** Number of files the rows are split into (contiguous, sizes differ by at most one). @default 1 */
  readonly files?: number;
  /** Probability that a row is a copy of an earlier row of the same file. @default 0.01 */
  readonly duplicateRate?: number;
  /** Probability that a feature cell is empty (MCAR). @default 0.02 */
  readonly missingRate?: number;
  /** Probability that the target cell is empty (MCAR). @default 0.005 */
  readonly targetMissingRate?: number;
  /** First timestamp. @default '2024-01-01T00:00:00.000Z' */
  readonly startTime?: string;
}

/** What one generated file holds (counted while it is written). */
export interface SyntheticFileSummary {
  readonly index: number;
  readonly rows: number;
  readonly bytes: number;
  /** Rows that are copies of an earlier row in this file (what an exact de-duplication removes). */
  readonly duplicates: number;
  /** Empty numeric cells in the written rows (duplicates included). */
  readonly missingCells: number;
  /** Empty cells per numeric column in the written rows. */
  readonly missingByColumn: Readonly<Record<string, number>>;
}

/** The `PATH.truth.json` document. */
export interface SyntheticTruth {
  readonly weights: Readonly<Record<string, number>>;
  readonly bias: number;
  readonly noiseStd: number;
  readonly rows: number;
  readonly seed: number;
  readonly duplicates: number;
  /** Empty numeric cells over all written rows (duplicates included). */
  readonly missingCells: number;
  readonly missingByColumn: Readonly<Record<string, number>>;
  readonly duplicateRate: number;
  readonly missingRate: number;
  readonly targetMissingRate: number;
  readonly columns: readonly string[];
  readonly categories: readonly string[];
  readonly files: readonly SyntheticFileSummary[];
}

interface Resolved {
  rows: number;
  seed: number;
  files: number;
  duplicateRate: number;
  missingRate: number;
  targetMissingRate: number;
  startMs: number;
}

function resolve(options: SyntheticOptions): Resolved {
  const rows = options.rows;
  const seed = options.seed ?? 42;
  const files = options.files ?? 1;
  const duplicateRate = options.duplicateRate ?? 0.01;
  const missingRate = options.missingRate ?? 0.02;
  const targetMissingRate = options.targetMissingRate ?? 0.005;
  const startMs = Date.parse(options.startTime ?? '2024-01-01T00:00:00.000Z');
  if (!Number.isSafeInteger(rows) || rows < 0)
    throw new RangeError(`rows must be a whole number ≥ 0, got ${rows}`);
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new RangeError(`seed must be a whole number ≥ 0, got ${seed}`);
  if (!Number.isSafeInteger(files) || files < 1)
    throw new RangeError(`files must be a whole number ≥ 1, got ${files}`);
  for (const [name, p] of [
    ['duplicateRate', duplicateRate],
    ['missingRate', missingRate],
    ['targetMissingRate', targetMissingRate],
  ] as const) {
    if (!(p >= 0 && p < 1)) throw new RangeError(`${name} must be in [0, 1), got ${p}`);
  }
  if (!Number.isFinite(startMs)) throw new RangeError(`startTime is not a date: ${options.startTime}`);
  return { rows, seed, files, duplicateRate, missingRate, targetMissingRate, startMs };
}

/** Rows that file `index` (0-based) of `files` holds: contiguous, sizes differ by at most one. */
export function rowsInFile(rows: number, files: number, index: number): number {
  return floor(rows / files) + (index < rows % files ? 1 : 0);
}

function firstRowOfFile(rows: number, files: number, index: number): number {
  const base = floor(rows / files);
  return base * index + Math.min(index, rows % files);
}

const NUMERIC = [...DEFAULT_DATASET_SCHEMA.features, DEFAULT_DATASET_SCHEMA.target];
const HEADER = schemaColumns(DEFAULT_DATASET_SCHEMA).join(',') + '\n';
/** Timestamps advance 200..1799 ms per row; file k starts at row offset × 2 s, so files never overlap. */
const MAX_STEP_MS = 2000;
/** Output chunk size; a row is < 200 bytes, so a chunk is flushed when less than MAX_ROW is left. */
const CHUNK_BYTES = 1 << 20;
const MAX_ROW = 512;
/** Recent rows a duplicate may copy: every 4th fresh row among the last ~1000. */
const RING = 256;
const RING_STRIDE = 4;
const POW10 = [1, 10, 100, 1000, 10000, 100000];
const COMMA = 44;
const NEWLINE = 10;
const ZERO = 48;

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (ch) => ch.charCodeAt(0));
const LINE_BYTES = SYNTHETIC_LINES.map(ascii);
const CATEGORY_BYTES = SYNTHETIC_CATEGORIES.map(ascii);

/**
 * A chunk buffer. Node's Buffer when present (not zero-filled: every byte handed out is written
 * first), a plain Uint8Array elsewhere.
 */
const newChunk: () => Uint8Array =
  typeof Buffer === 'function'
    ? () => Buffer.allocUnsafeSlow(CHUNK_BYTES)
    : () => new Uint8Array(CHUNK_BYTES);

/**
 * Appends ASCII bytes to a chunk. Numbers are written digit by digit: formatting through strings
 * (toFixed, template literals, join) cost more than all the arithmetic of a row.
 */
class ByteWriter {
  buf: Uint8Array = newChunk();
  pos = 0;

  bytes(src: Uint8Array): void {
    const n = src.length;
    if (n > 32) {
      this.buf.set(src, this.pos);
    } else {
      // A loop beats TypedArray#set for the few bytes of a line id or category.
      const { buf, pos } = this;
      for (let i = 0; i < n; i++) buf[pos + i] = src[i];
    }
    this.pos += n;
  }

  byte(b: number): void {
    this.buf[this.pos++] = b;
  }

  /** Writes a non-negative integer below 2^31 (every scaled value here is far below). */
  uint(value: number): void {
    const { buf } = this;
    const digits =
      value < 10 ? 1 : value < 100 ? 2 : value < 1000 ? 3 : value < 10000 ? 4 : value < 100000 ? 5 : 10;
    if (digits === 10) {
      this.bytes(Uint8Array.from(String(value), (ch) => ch.charCodeAt(0)));
      return;
    }
    let v = value;
    for (let i = this.pos + digits - 1; i >= this.pos; i--) {
      const q = (v / 10) | 0;
      buf[i] = ZERO + v - q * 10;
      v = q;
    }
    this.pos += digits;
  }

  /** Writes scaled / 10^decimals with exactly `decimals` decimals (`scaled` an integer). */
  fixed(scaled: number, decimals: number): void {
    let abs = scaled;
    if (scaled < 0) {
      this.byte(45);
      abs = -scaled;
    }
    const p = POW10[decimals];
    const whole = floor(abs / p);
    let frac = abs - whole * p;
    this.uint(whole);
    this.byte(46);
    const { buf } = this;
    for (let i = this.pos + decimals - 1; i >= this.pos; i--) {
      const q = (frac / 10) | 0;
      buf[i] = ZERO + frac - q * 10;
      frac = q;
    }
    this.pos += decimals;
  }

  /** Two-digit or three-digit zero-padded integer. */
  padded(value: number, width: number): void {
    const { buf } = this;
    let v = value;
    for (let i = this.pos + width - 1; i >= this.pos; i--) {
      const q = (v / 10) | 0;
      buf[i] = ZERO + v - q * 10;
      v = q;
    }
    this.pos += width;
  }

  /** Hands the filled part over and starts a fresh chunk. */
  take(): Uint8Array {
    const out = this.buf.subarray(0, this.pos);
    this.buf = newChunk();
    this.pos = 0;
    return out;
  }
}

/**
 * Generates one dataset. Files are independent PRNG streams: `fileChunks(k)` may be called for
 * any k, in any order, and yields the same bytes every time. `truth()` needs every file to have
 * been generated once (it reports what was counted while writing).
 */
export class SyntheticDataset {
  readonly options: Readonly<Resolved>;
  private readonly summaries: (SyntheticFileSummary | undefined)[];

  constructor(options: SyntheticOptions) {
    this.options = resolve(options);
    this.summaries = new Array(this.options.files).fill(undefined);
  }

  get fileCount(): number {
    return this.options.files;
  }

  rowsInFile(index: number): number {
    return rowsInFile(this.options.rows, this.options.files, index);
  }

  /**
   * The file's CSV bytes (ASCII, header first, LF line ends) in chunks of up to 1 MiB. Each
   * yielded array is fresh: consumers may keep it. Returns the file's summary when done.
   */
  *fileChunks(index: number): Generator<Uint8Array, SyntheticFileSummary> {
    const { rows, files, seed, duplicateRate, missingRate, targetMissingRate, startMs } = this.options;
    if (!Number.isInteger(index) || index < 0 || index >= files) {
      throw new RangeError(`file index ${index} is outside 0..${files - 1}`);
    }
    const count = rowsInFile(rows, files, index);
    const rng = new Xoshiro128(seed, index);
    let ms = startMs + firstRowOfFile(rows, files, index) * MAX_STEP_MS;
    let minute = -1;
    let minutePrefix: Uint8Array = new Uint8Array(0);
    const ringBytes = new Uint8Array(RING * MAX_ROW);
    const ringLength = new Int32Array(RING);
    let ringSize = 0;
    const nFeatures = SYNTHETIC_FEATURES.length;
    const missingByColumn = new Array<number>(nFeatures + 1).fill(0);
    // Flat typed arrays: the spec objects mix integer and double arrays, which makes V8's
    // element loads polymorphic in the hottest loop.
    const decimals = Int32Array.from(SYNTHETIC_FEATURES, (f) => f.decimals);
    const scale = Float64Array.from(decimals, (d) => POW10[d]);
    const weights = Float64Array.from(SYNTHETIC_FEATURES, (f) => SYNTHETIC_WEIGHTS[f.name]);
    const loadOf = Float64Array.from(SYNTHETIC_FEATURES, (f) => f.load);
    const ambientOf = Float64Array.from(SYNTHETIC_FEATURES, (f) => f.ambient);
    const ownOf = Float64Array.from(OWN_SHARE);
    const minOf = Float64Array.from(SYNTHETIC_FEATURES, (f) => f.min);
    const meanOf = Float64Array.from(SYNTHETIC_FEATURES.flatMap((f) => [...f.mean]));
    const stdOf = Float64Array.from(SYNTHETIC_FEATURES.flatMap((f) => [...f.std]));
    const targetScale = POW10[TARGET_DECIMALS];
    let duplicates = 0;
    let bytes = 0;
    const out = new ByteWriter();
    out.bytes(ascii(HEADER));

    for (let r = 0; r < count; r++) {
      if (out.pos > CHUNK_BYTES - MAX_ROW) {
        const chunk = out.take();
        bytes += chunk.length;
        yield chunk;
      }
      if (ringSize > 0 && rng.uniform() < duplicateRate) {
        const slot = floor(rng.uniform() * ringSize);
        const start = out.pos;
        out.bytes(ringBytes.subarray(slot * MAX_ROW, slot * MAX_ROW + ringLength[slot]));
        if (rng.uniform() < 0.5) respell(out, start, rng);
        countMissing(out.buf, start, out.pos, missingByColumn);
        duplicates++;
        continue;
      }
      const rowStart = out.pos;
      ms += 200 + floor(rng.uniform() * 1600);
      const m = floor(ms / 60000);
      if (m !== minute) {
        minute = m;
        minutePrefix = ascii(new Date(m * 60000).toISOString().slice(0, 17));
      }
      const inMinute = ms - m * 60000;
      const sec = floor(inMinute / 1000);
      out.bytes(minutePrefix);
      out.padded(sec, 2);
      out.byte(46);
      out.padded(inMinute - sec * 1000, 3);
      out.byte(90); // Z
      out.byte(COMMA);
      out.bytes(LINE_BYTES[floor(rng.uniform() * LINE_BYTES.length)]);
      out.byte(COMMA);
      const u = rng.uniform();
      let c = 0;
      while (u >= CATEGORY_CUMULATIVE[c]) c++;
      out.bytes(CATEGORY_BYTES[c]);
      const load = rng.normal();
      const ambient = rng.normal();
      let y = SYNTHETIC_BIAS;
      for (let f = 0; f < nFeatures; f++) {
        const z = loadOf[f] * load + ambientOf[f] * ambient + ownOf[f] * rng.normal();
        let x = meanOf[f * 4 + c] + stdOf[f * 4 + c] * z;
        if (x < minOf[f]) x = minOf[f];
        const scaled = round(x * scale[f]);
        // The value a CSV reader parses: an exact integer over an exact power of ten is one
        // correctly rounded division, the same double that parsing the decimal text yields.
        y += weights[f] * (scaled / scale[f]);
        out.byte(COMMA);
        if (rng.uniform() < missingRate) missingByColumn[f]++;
        else out.fixed(scaled, decimals[f]);
      }
      y += SYNTHETIC_NOISE_STD * rng.normal();
      out.byte(COMMA);
      if (rng.uniform() < targetMissingRate) missingByColumn[nFeatures]++;
      else out.fixed(round(y * targetScale), TARGET_DECIMALS);
      out.byte(NEWLINE);
      // Every RING_STRIDE-th fresh row is remembered for later copies (copying each row cost more
      // than the copies themselves).
      if ((r & (RING_STRIDE - 1)) === 0) {
        const slot = ringSize < RING ? ringSize++ : (r / RING_STRIDE) % RING;
        ringBytes.set(out.buf.subarray(rowStart, out.pos), slot * MAX_ROW);
        ringLength[slot] = out.pos - rowStart;
      }
    }
    if (out.pos > 0) {
      const chunk = out.take();
      bytes += chunk.length;
      yield chunk;
    }
    const byColumn: Record<string, number> = {};
    NUMERIC.forEach((name, i) => (byColumn[name] = missingByColumn[i]));
    const summary: SyntheticFileSummary = {
      index,
      rows: count,
      bytes,
      duplicates,
      missingCells: missingByColumn.reduce((a, b) => a + b, 0),
      missingByColumn: byColumn,
    };
    this.summaries[index] = summary;
    return summary;
  }

  /** One file as a single string (small data only: tests, examples). */
  fileText(index: number): string {
    const parts: Buffer[] = [];
    for (const chunk of this.fileChunks(index))
      parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    return Buffer.concat(parts).toString('latin1');
  }

  /** The truth document; throws until every file has been generated. */
  truth(): SyntheticTruth {
    const missing = this.summaries.findIndex((s) => s === undefined);
    if (missing >= 0) throw new Error(`truth() needs every file generated first; file ${missing} was not`);
    const files = this.summaries as SyntheticFileSummary[];
    const missingByColumn: Record<string, number> = {};
    for (const name of NUMERIC)
      missingByColumn[name] = files.reduce((a, f) => a + f.missingByColumn[name], 0);
    const o = this.options;
    return {
      weights: { ...SYNTHETIC_WEIGHTS },
      bias: SYNTHETIC_BIAS,
      noiseStd: SYNTHETIC_NOISE_STD,
      rows: o.rows,
      seed: o.seed,
      duplicates: files.reduce((a, f) => a + f.duplicates, 0),
      missingCells: files.reduce((a, f) => a + f.missingCells, 0),
      missingByColumn,
      duplicateRate: o.duplicateRate,
      missingRate: o.missingRate,
      targetMissingRate: o.targetMissingRate,
      columns: schemaColumns(DEFAULT_DATASET_SCHEMA),
      categories: [...SYNTHETIC_CATEGORIES],
      files,
    };
  }
}

/** Start offsets of the numeric fields of the row in buf[start, end) (end is after the LF). */
function numericFieldStarts(buf: Uint8Array, start: number, end: number): number[] {
  const commas: number[] = [];
  for (let i = start; i < end; i++) if (buf[i] === COMMA) commas.push(i);
  return commas.slice(commas.length - NUMERIC.length).map((i) => i + 1);
}

/**
 * Appends a zero to one non-empty numeric cell of the row just written at out[start, pos): every
 * written number carries a decimal point, so `12.5` → `12.50` parses to the same value.
 */
function respell(out: ByteWriter, start: number, rng: Xoshiro128): void {
  const { buf } = out;
  const starts = numericFieldStarts(buf, start, out.pos);
  const first = floor(rng.uniform() * NUMERIC.length);
  for (let k = 0; k < NUMERIC.length; k++) {
    const i = (first + k) % NUMERIC.length;
    const fieldStart = starts[i];
    const fieldEnd = i + 1 < NUMERIC.length ? starts[i + 1] - 1 : out.pos - 1;
    if (fieldEnd > fieldStart) {
      buf.copyWithin(fieldEnd + 1, fieldEnd, out.pos);
      buf[fieldEnd] = ZERO;
      out.pos++;
      return;
    }
  }
}

function countMissing(buf: Uint8Array, start: number, end: number, missingByColumn: number[]): void {
  const starts = numericFieldStarts(buf, start, end);
  for (let k = 0; k < NUMERIC.length; k++) {
    const fieldEnd = k + 1 < NUMERIC.length ? starts[k + 1] - 1 : end - 1;
    if (fieldEnd === starts[k]) missingByColumn[k]++;
  }
}

/** Small in-memory convenience: every file's text plus the truth. */
export function generateSyntheticCsv(options: SyntheticOptions): { files: string[]; truth: SyntheticTruth } {
  const dataset = new SyntheticDataset(options);
  const files = Array.from({ length: dataset.fileCount }, (_, k) => dataset.fileText(k));
  return { files, truth: dataset.truth() };
}

/**
 * File names for `--out PATH --files K`: PATH itself when K = 1; otherwise PATH's stem (without
 * `.csv`) plus `-001.csv`, `-002.csv`, ... (three digits at least, wider when K > 999). The truth
 * document is always `PATH.truth.json`.
 */
export function syntheticFileNames(out: string, files: number): { files: string[]; truth: string } {
  if (files === 1) return { files: [out], truth: `${out}.truth.json` };
  const stem = out.toLowerCase().endsWith('.csv') ? out.slice(0, -4) : out;
  const width = Math.max(3, String(files).length);
  return {
    files: Array.from({ length: files }, (_, k) => `${stem}-${String(k + 1).padStart(width, '0')}.csv`),
    truth: `${out}.truth.json`,
  };
}
