/**
 * The POST /predict request decoder: `{ "rows": [ { "<category>": "...", "<feature>": number } ] }`
 * into one row-major Float64Array, collecting every problem (with row index and field) instead
 * of stopping at the first. Pure: takes the parsed JSON value, returns plain data, never throws.
 *
 * A row may be a real row of the user's data: keys that are not model inputs (ids, timestamp, the
 * target, anything else) are ignored and listed once (`ignoredFields`), or, with `extraFields:
 * 'reject'`, one problem per row names them. A row whose `w·x` overflows a double is a problem
 * naming the feature, never a prediction of null.
 *
 * It is the hot loop of serving, so it is hand-written: one pass over each row's keys, a Map from
 * feature name to column, a stamp array instead of a per-row Set, no per-row allocation on the
 * happy path (a schema library here would allocate several objects per cell).
 */

/** One problem with a request, as listed in a 400 response. */
export interface RequestProblem {
  /** Index of the row in `rows`, when the problem belongs to a row. */
  readonly row?: number;
  /** The field (feature, category column, `rows`, or a top-level key) the problem is about. */
  readonly field?: string;
  /** `extra_field`: every key of the row that is not a model input (`field` is the first). */
  readonly fields?: readonly string[];
  readonly code: RequestProblemCode;
  readonly message: string;
}

export type RequestProblemCode =
  | 'body_not_object'
  | 'unknown_field'
  | 'rows_missing'
  | 'rows_not_array'
  | 'no_rows'
  | 'too_many_rows'
  | 'row_not_object'
  | 'missing_category'
  | 'category_not_string'
  | 'extra_field'
  | 'unknown_category'
  | 'missing_feature'
  | 'not_a_number'
  | 'not_finite'
  | 'overflow';

/** What the decoder needs to know about the model: satisfied by a compiled model. */
export interface DecodeSpec {
  /** Name of the category key in a row (the artifact's `category`). */
  readonly categoryKey: string;
  /** Feature names in model order. */
  readonly features: readonly string[];
  /** Feature name → column. */
  readonly featureIndex: ReadonlyMap<string, number>;
  /** Training means over all rows, per feature (the artifact's `scaling.mean`). */
  readonly globalMean: Float64Array;
  /** Per-category training means, per feature (from the Gaussian profiles); undefined for an unknown category. */
  readonly categoryMean: (category: string) => Float64Array | undefined;
  /** The model's weights, per feature: with them a row whose `w·x` overflows is a problem. */
  readonly weights?: Float64Array;
  /** The model's bias, added last as scoring adds it. */
  readonly bias?: number;
}

/** What to do with row keys that are not model inputs (ids, timestamp, target, anything else). */
export const EXTRA_FIELD_MODES = ['ignore', 'reject'] as const;
export type ExtraFields = (typeof EXTRA_FIELD_MODES)[number];

/** What to do with a category that has no training profile (no z-scores, no anomaly flags). */
export const UNKNOWN_CATEGORY_MODES = ['flag', 'reject'] as const;
export type UnknownCategory = (typeof UNKNOWN_CATEGORY_MODES)[number];

/** At most this many ignored field names are listed in an answer (all are counted). */
export const MAX_LISTED_IGNORED_FIELDS = 100;

export interface DecodeOptions {
  /** More rows than this is a `too_many_rows` problem. */
  readonly maxRows: number;
  /** 'reject' (default): a missing or null feature is a problem; 'mean': fill with a training mean. */
  readonly fillMissing: 'reject' | 'mean';
  /** At most this many problems are listed (all are counted); bounds the size of a 400 response. */
  readonly maxListedProblems?: number;
  /** Added to row indexes in problems (a caller decoding a long input in batches). @default 0 */
  readonly rowOffset?: number;
  /** 'ignore': keys that are not model inputs are skipped and listed once; 'reject': a problem. @default 'ignore' */
  readonly extraFields?: ExtraFields;
  /** 'flag': a row of an unknown category is scored with `categoryKnown: false`; 'reject': a problem. @default 'flag' */
  readonly unknownCategory?: UnknownCategory;
}

/** Where filled values came from: the row's category profile mean, or the global training mean. */
export type FillSource = 'category-mean' | 'global-mean';

export interface DecodedRows {
  /** Rows in the request (0 when the body had no usable `rows` array). */
  readonly count: number;
  /** Row-major values, `count × features.length` (row i, feature j at `i * nf + j`). */
  readonly x: Float64Array;
  /** Category per row ('' when the row had none). */
  readonly categories: readonly string[];
  /** Per row, the columns filled with a training mean; undefined when none were (the usual case). */
  readonly filled: readonly (readonly number[] | undefined)[];
  /** Per row, where its filled values came from; undefined when nothing was filled. */
  readonly fillSource: readonly (FillSource | undefined)[];
  /** 1 for a row with at least one problem. */
  readonly rowInvalid: Uint8Array;
  /** Problems listed (at most `maxListedProblems`). */
  readonly problems: readonly RequestProblem[];
  /** Problems found, listed or not. */
  readonly problemCount: number;
  /** Keys that are not model inputs, skipped (extraFields 'ignore'): each once, in first-seen order, at most MAX_LISTED_IGNORED_FIELDS. */
  readonly ignoredFields: readonly string[];
  /** Distinct ignored keys, listed or not. */
  readonly ignoredFieldCount: number;
}

export const DEFAULT_MAX_LISTED_PROBLEMS = 10_000;

const NAN_OR_INFINITY = /^\s*[+-]?(nan|inf|infinity)\s*$/i;

/** A short, safe description of a JSON value for a problem message. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function quoteField(name: string): string {
  return JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}…` : name);
}

class ProblemList {
  readonly listed: RequestProblem[] = [];
  count = 0;
  constructor(private readonly max: number) {}
  add(problem: RequestProblem): void {
    this.count++;
    if (this.listed.length < this.max) this.listed.push(problem);
  }
}

/** Distinct names, in first-seen order; the first `max` kept. */
class NameSet {
  private readonly seen = new Set<string>();
  readonly listed: string[] = [];
  constructor(private readonly max: number) {}
  add(name: string): void {
    if (this.seen.has(name)) return;
    this.seen.add(name);
    if (this.listed.length < this.max) this.listed.push(name.length > 200 ? `${name.slice(0, 200)}…` : name);
  }
  get count(): number {
    return this.seen.size;
  }
}

/** `"a", "b", "c" and 4 more`: a row's extra keys, named once, the message bounded. */
function nameList(names: readonly string[], max = 5): string {
  const shown = names.slice(0, max).map(quoteField).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

const EMPTY = new Float64Array(0);

function emptyResult(problems: ProblemList): DecodedRows {
  return {
    ignoredFields: [],
    ignoredFieldCount: 0,
    count: 0,
    x: EMPTY,
    categories: [],
    filled: [],
    fillSource: [],
    rowInvalid: new Uint8Array(0),
    problems: problems.listed,
    problemCount: problems.count,
  };
}

/** Decodes a parsed request body `{ "rows": [...] }`. */
export function decodePredictRequest(body: unknown, spec: DecodeSpec, options: DecodeOptions): DecodedRows {
  const problems = new ProblemList(options.maxListedProblems ?? DEFAULT_MAX_LISTED_PROBLEMS);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    problems.add({
      code: 'body_not_object',
      message: `the body must be a JSON object { "rows": [...] }, got ${describeValue(body)}`,
    });
    return emptyResult(problems);
  }
  for (const key in body) {
    if (key !== 'rows') {
      problems.add({
        field: key,
        code: 'unknown_field',
        message: `unknown top-level field ${quoteField(key)}: the body holds only "rows"`,
      });
    }
  }
  if (!Object.prototype.hasOwnProperty.call(body, 'rows')) {
    problems.add({ field: 'rows', code: 'rows_missing', message: 'the body has no "rows" array' });
    return emptyResult(problems);
  }
  const rows = (body as { rows: unknown }).rows;
  if (!Array.isArray(rows)) {
    problems.add({
      field: 'rows',
      code: 'rows_not_array',
      message: `"rows" must be an array of row objects, got ${describeValue(rows)}`,
    });
    return emptyResult(problems);
  }
  return decodeRowsInto(rows, spec, options, problems);
}

/**
 * Decodes an array of row objects (the CLI calls this with its JSON lines). Every row is
 * checked; rows with problems are flagged in `rowInvalid` and the others are fully decoded, so a
 * caller may still score the valid rows.
 */
export function decodeRows(rows: readonly unknown[], spec: DecodeSpec, options: DecodeOptions): DecodedRows {
  return decodeRowsInto(
    rows,
    spec,
    options,
    new ProblemList(options.maxListedProblems ?? DEFAULT_MAX_LISTED_PROBLEMS),
  );
}

function decodeRowsInto(
  rows: readonly unknown[],
  spec: DecodeSpec,
  options: DecodeOptions,
  problems: ProblemList,
): DecodedRows {
  const n = rows.length;
  const nf = spec.features.length;
  if (n === 0) {
    problems.add({ field: 'rows', code: 'no_rows', message: '"rows" is empty: send at least one row' });
  }
  const tooMany = n > options.maxRows;
  if (tooMany) {
    problems.add({
      field: 'rows',
      code: 'too_many_rows',
      message: `${n} rows is more than the limit of ${options.maxRows} per request`,
    });
  }
  // Too many rows is already a 400: keep checking every row for the report, but into one
  // scratch row instead of allocating `n × nf` values for an oversized request.
  const stride = tooMany ? 0 : nf;
  const x = new Float64Array(tooMany ? nf : n * nf);
  const categories: string[] = new Array<string>(n);
  const filled: (number[] | undefined)[] = new Array<number[] | undefined>(n);
  const fillSource: (FillSource | undefined)[] = new Array<FillSource | undefined>(n);
  const rowInvalid = new Uint8Array(n);
  const seenAt = new Int32Array(nf);
  const { categoryKey, featureIndex } = spec;
  const fill = options.fillMissing === 'mean';
  const rowOffset = options.rowOffset ?? 0;
  const rejectExtra = options.extraFields === 'reject';
  const rejectUnknownCategory = options.unknownCategory === 'reject';
  const ignored = new NameSet(MAX_LISTED_IGNORED_FIELDS);
  const weights = spec.weights;

  for (let i = 0; i < n; i++) {
    const row = rows[i];
    const r = i + rowOffset;
    categories[i] = '';
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      rowInvalid[i] = 1;
      problems.add({
        row: r,
        code: 'row_not_object',
        message: `row ${r} must be an object of feature values, got ${describeValue(row)}`,
      });
      continue;
    }
    const base = i * stride;
    const stamp = i + 1;
    let seen = 0;
    let hasCategory = false;
    let categoryText = false;
    let invalid = false;
    let extra: string[] | undefined;
    for (const key in row) {
      const value = (row as Record<string, unknown>)[key];
      if (key === categoryKey) {
        hasCategory = true;
        if (typeof value === 'string') {
          categories[i] = value;
          categoryText = true;
        } else {
          invalid = true;
          problems.add({
            row: r,
            field: key,
            code: 'category_not_string',
            message: `row ${r}: ${quoteField(key)} must be a string, got ${describeValue(value)}`,
          });
        }
        continue;
      }
      const j = featureIndex.get(key);
      if (j === undefined) {
        if (rejectExtra) (extra ??= []).push(key);
        else ignored.add(key);
        continue;
      }
      if (typeof value === 'number') {
        seenAt[j] = stamp;
        seen++;
        // `v - v` is 0 for finite numbers and NaN for NaN and ±Infinity (1e999 parses to Infinity).
        if (value - value === 0) {
          x[base + j] = value;
        } else {
          invalid = true;
          problems.add({
            row: r,
            field: key,
            code: 'not_finite',
            message: `row ${r}: ${quoteField(key)} must be a finite number, got ${value} (a number too large for a double, like 1e999, parses as Infinity)`,
          });
        }
        continue;
      }
      if (value === null) continue; // null is a missing value: reported or filled below
      seenAt[j] = stamp;
      seen++;
      invalid = true;
      if (typeof value === 'string' && NAN_OR_INFINITY.test(value)) {
        problems.add({
          row: r,
          field: key,
          code: 'not_finite',
          message: `row ${r}: ${quoteField(key)} must be a finite number, got ${describeValue(value)}; NaN and Infinity are not accepted`,
        });
      } else {
        problems.add({
          row: r,
          field: key,
          code: 'not_a_number',
          message: `row ${r}: ${quoteField(key)} must be a JSON number, got ${describeValue(value)}`,
        });
      }
    }
    if (extra) {
      invalid = true;
      problems.add({
        row: r,
        field: extra[0],
        fields: extra,
        code: 'extra_field',
        message: `row ${r}: ${extra.length === 1 ? 'a field' : `${extra.length} fields`} not in the model: ${nameList(extra)} (this service rejects fields that are not model inputs; GET /model lists them)`,
      });
    }
    if (!hasCategory) {
      invalid = true;
      problems.add({
        row: r,
        field: categoryKey,
        code: 'missing_category',
        message: `row ${r}: missing the category field ${quoteField(categoryKey)}`,
      });
    } else if (rejectUnknownCategory && categoryText && spec.categoryMean(categories[i]) === undefined) {
      invalid = true;
      problems.add({
        row: r,
        field: categoryKey,
        code: 'unknown_category',
        message: `row ${r}: ${quoteField(categoryKey)} ${describeValue(categories[i])} has no training profile (this service rejects unknown categories)`,
      });
    }
    if (seen < nf) {
      let means: Float64Array | undefined;
      let source: FillSource | undefined;
      if (fill) {
        means = hasCategory ? spec.categoryMean(categories[i]) : undefined;
        source = means ? 'category-mean' : 'global-mean';
        means ??= spec.globalMean;
      }
      for (let j = 0; j < nf; j++) {
        if (seenAt[j] === stamp) continue;
        if (means) {
          x[base + j] = means[j];
          (filled[i] ??= []).push(j);
          fillSource[i] = source;
        } else {
          invalid = true;
          const name = spec.features[j];
          const isNull = Object.prototype.hasOwnProperty.call(row, name);
          problems.add({
            row: r,
            field: name,
            code: 'missing_feature',
            message: `row ${r}: ${isNull ? `${quoteField(name)} is null` : `missing feature ${quoteField(name)}`} (missing values are rejected unless the service fills them with training means)`,
          });
        }
      }
    }
    if (!invalid && weights) {
      const problem = overflowProblem(spec.features, weights, spec.bias ?? 0, x, base, r);
      if (problem) {
        invalid = true;
        problems.add(problem);
      }
    }
    if (invalid) rowInvalid[i] = 1;
  }
  return {
    ignoredFields: ignored.listed,
    ignoredFieldCount: ignored.count,
    count: n,
    x: tooMany ? EMPTY : x,
    categories,
    filled,
    fillSource,
    rowInvalid,
    problems: problems.listed,
    problemCount: problems.count,
  };
}

/**
 * A row whose `Σ wⱼxⱼ` is not a finite double (1.7e308 times a weight above 1, or finite terms
 * whose sum overflows): a problem naming the feature, the term that overflows or else the largest
 * one. Undefined for a row that scores to a finite number (the usual case: one pass, no allocation).
 */
function overflowProblem(
  features: readonly string[],
  weights: Float64Array,
  bias: number,
  x: Float64Array,
  base: number,
  r: number,
): RequestProblem | undefined {
  const nf = features.length;
  let sum = 0;
  for (let j = 0; j < nf; j++) sum += weights[j] * x[base + j];
  sum += bias;
  if (sum - sum === 0) return undefined;
  let at = 0;
  let largest = -1;
  for (let j = 0; j < nf; j++) {
    const c = Math.abs(weights[j] * x[base + j]);
    if (c > largest) {
      largest = c;
      at = j;
    }
  }
  const name = features[at];
  const term = Number.isFinite(largest)
    ? `the terms w·x sum past the largest double (the largest, ${quoteField(name)}, is ${x[base + at]} × ${weights[at]})`
    : `${quoteField(name)} = ${x[base + at]} times its weight ${weights[at]} overflows a double`;
  return {
    row: r,
    field: name,
    code: 'overflow',
    message: `row ${r}: no finite prediction: ${term}`,
  };
}
