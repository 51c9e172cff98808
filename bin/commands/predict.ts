/**
 * `factory predict --model model.json [--input rows.jsonl] [--fill-missing mean] [--anomaly-z 3]
 *  [--extra-fields ignore|reject] [--unknown-category flag|reject]`
 *
 * Scores JSON lines (one row object per line, the same row shape as POST /predict; stdin when no
 * --input) and prints one JSON line per input row, in order: the API's per-row prediction, or
 * `{ "row": i, "error": "..." }` for a row that cannot be scored (i counts the non-blank lines
 * from 0, like the API's row index). The other rows are still scored. Exit codes: 0 every row
 * scored; 1 a row was invalid, or bad usage or input; 2 no usable model (missing, unreadable, not
 * JSON or not a valid artifact). Keys of a row that are not model inputs are ignored by default and
 * named once on stderr at the end.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import {
  decodeRows,
  EXTRA_FIELD_MODES,
  UNKNOWN_CATEGORY_MODES,
  type DecodeOptions,
  type ExtraFields,
  type UnknownCategory,
} from '../../lambda/core/predict-request';
import {
  compileModel,
  InvalidModelError,
  predictRow,
  type CompiledModel,
  type ScoreOptions,
} from '../../lambda/core/scoring';
import { EXIT, fail, firstLine, parseFlags, UsageError } from './command-line';

export const PREDICT_USAGE = `usage: factory predict --model model.json [--input rows.jsonl] [options]
  --model PATH         the model artifact (models/<version>/model.json)
  --input PATH         JSON lines, one row object per line (default: stdin)
  --fill-missing MODE  reject (default) or mean: fill missing features with training means
  --anomaly-z Z        |z| above Z flags a feature as an anomaly (default 3)
  --extra-fields MODE  ignore (default) or reject keys that are not model inputs (ids, timestamp,
                       target, others); ignored keys are named once on stderr
  --unknown-category MODE
                       flag (default: categoryKnown false, no anomaly flags) or reject a row whose
                       category has no training profile
Prints one JSON line per input row: the API's per-row answer, or {"row": i, "error": "..."}.
Exit codes: 0 every row scored; 1 a row was invalid, or bad usage or input (one line on stderr);
2 no usable model (the file is missing, unreadable, not JSON or not a model artifact).`;

const BATCH = 1024;

export interface PredictIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
}

export interface PredictLinesResult {
  readonly rows: number;
  readonly invalid: number;
  /** Keys that are not model inputs, ignored: each once over the input, in first-seen order. */
  readonly ignoredFields: readonly string[];
}

function write(out: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ok = out.write(text, (error) => (error ? reject(error) : undefined));
    if (ok) resolve();
    else out.once('drain', resolve);
  });
}

/** Scores a batch of lines; returns the output text and how many rows were invalid. */
function scoreBatch(
  model: CompiledModel,
  lines: readonly string[],
  firstRow: number,
  options: DecodeOptions & ScoreOptions,
): { text: string; invalid: number; ignoredFields: readonly string[] } {
  const parsed: unknown[] = new Array<unknown>(lines.length);
  const parseErrors: (string | undefined)[] = new Array<string | undefined>(lines.length);
  for (let i = 0; i < lines.length; i++) {
    try {
      parsed[i] = JSON.parse(lines[i]);
    } catch (error) {
      parsed[i] = {};
      parseErrors[i] = `invalid JSON: ${(error as Error).message}`;
    }
  }
  const decoded = decodeRows(parsed, model, { ...options, rowOffset: firstRow, maxListedProblems: Infinity });
  const messages = new Map<number, string[]>();
  for (const p of decoded.problems) {
    if (p.row === undefined) continue;
    const list = messages.get(p.row - firstRow) ?? [];
    list.push(p.message);
    messages.set(p.row - firstRow, list);
  }
  const nf = model.features.length;
  let text = '';
  let invalid = 0;
  for (let i = 0; i < lines.length; i++) {
    const error = parseErrors[i] ?? (decoded.rowInvalid[i] ? messages.get(i)?.join('; ') : undefined);
    if (error !== undefined) {
      invalid++;
      text += JSON.stringify({ row: firstRow + i, error }) + '\n';
      continue;
    }
    const result = predictRow(
      model,
      decoded.x,
      i * nf,
      decoded.categories[i],
      options,
      decoded.filled[i],
      decoded.fillSource[i],
    );
    text += JSON.stringify(result) + '\n';
  }
  return { text, invalid, ignoredFields: decoded.ignoredFields };
}

/** Reads JSON lines from `input`, writes one output line per non-blank input line. */
export async function predictLines(
  model: CompiledModel,
  input: Readable,
  output: Writable,
  options: Pick<DecodeOptions, 'fillMissing' | 'extraFields' | 'unknownCategory'> & ScoreOptions,
): Promise<PredictLinesResult> {
  const decodeOptions = { ...options, maxRows: Infinity };
  let rows = 0;
  let invalid = 0;
  const ignored = new Set<string>();
  let batch: string[] = [];
  const flush = async () => {
    const out = scoreBatch(model, batch, rows, decodeOptions);
    rows += batch.length;
    invalid += out.invalid;
    for (const name of out.ignoredFields) ignored.add(name);
    batch = [];
    await write(output, out.text);
  };
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    if (line.trim() === '') continue;
    batch.push(line);
    if (batch.length === BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  return { rows, invalid, ignoredFields: [...ignored] };
}

/** The model could not be loaded: the "no model" outcome, exit 2. */
export class NoModelError extends Error {}

export function loadModel(path: string): CompiledModel {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new NoModelError(
      `cannot read the model ${path}: ${(error as NodeJS.ErrnoException).code ?? firstLine(error)}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new NoModelError(`the model ${path} is not valid JSON`);
  }
  try {
    return compileModel(value);
  } catch (error) {
    if (error instanceof InvalidModelError)
      throw new NoModelError(`the model ${path} is invalid: ${error.problems.join('; ')}`);
    throw error;
  }
}

export async function run(
  argv: string[],
  io: PredictIo = { stdin: process.stdin, stdout: process.stdout },
): Promise<number> {
  try {
    const { values } = parseFlags({
      args: argv,
      options: {
        model: { type: 'string' },
        input: { type: 'string' },
        'fill-missing': { type: 'string' },
        'anomaly-z': { type: 'string' },
        'extra-fields': { type: 'string' },
        'unknown-category': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
    });
    if (values.help) {
      console.log(PREDICT_USAGE);
      return EXIT.ok;
    }
    if (!values.model) throw new UsageError('--model is required');
    const fill = values['fill-missing'] ?? 'reject';
    if (fill !== 'reject' && fill !== 'mean')
      throw new UsageError(`--fill-missing must be "mean" or "reject", got "${fill}"`);
    const zText = values['anomaly-z'];
    const z = zText === undefined ? 3 : zText.trim() === '' ? NaN : Number(zText);
    if (!Number.isFinite(z) || z <= 0)
      throw new UsageError(`--anomaly-z must be a number > 0, got "${zText}"`);
    const extraFields = values['extra-fields'] ?? 'ignore';
    if (!(EXTRA_FIELD_MODES as readonly string[]).includes(extraFields))
      throw new UsageError(`--extra-fields must be "ignore" or "reject", got "${extraFields}"`);
    const unknownCategory = values['unknown-category'] ?? 'flag';
    if (!(UNKNOWN_CATEGORY_MODES as readonly string[]).includes(unknownCategory))
      throw new UsageError(`--unknown-category must be "flag" or "reject", got "${unknownCategory}"`);
    const options = {
      fillMissing: fill,
      anomalyZ: z,
      extraFields: extraFields as ExtraFields,
      unknownCategory: unknownCategory as UnknownCategory,
    } as const;
    const inputPath = values.input;
    let model: CompiledModel;
    try {
      model = loadModel(values.model);
    } catch (error) {
      if (!(error instanceof NoModelError)) throw error;
      console.error(`factory predict: ${error.message}`);
      return EXIT.noModel;
    }
    const input = inputPath === undefined ? io.stdin : createReadStream(inputPath);
    // A read error (EISDIR, EIO) after the file opened ends the line loop below with that error.
    let readError: unknown;
    const lines = new Promise<void>((resolve, reject) => {
      if (inputPath === undefined) resolve();
      else input.once('open', () => resolve()).once('error', reject);
    });
    await lines.catch((error: unknown) => {
      throw new Error(
        `cannot read ${inputPath}: ${(error as NodeJS.ErrnoException).code ?? firstLine(error)}`,
      );
    });
    input.on('error', (error: Error) => {
      readError = error;
      input.destroy();
    });
    const cannotRead = () =>
      new Error(
        `cannot read ${inputPath ?? 'stdin'}: ${(readError as NodeJS.ErrnoException).code ?? firstLine(readError)}`,
      );
    let result: PredictLinesResult;
    try {
      result = await predictLines(model, input, io.stdout, options);
    } catch (error) {
      throw readError === undefined ? error : cannotRead();
    }
    if (readError !== undefined) throw cannotRead();
    if (result.ignoredFields.length > 0) {
      const names = result.ignoredFields;
      const shown = names.slice(0, 20).map((n) => JSON.stringify(n.length > 60 ? `${n.slice(0, 60)}…` : n));
      console.error(
        `factory predict: ignored ${names.length === 1 ? 'a field' : `${names.length} fields`} that ${names.length === 1 ? 'is' : 'are'} not model inputs: ${shown.join(', ')}${names.length > 20 ? ` and ${names.length - 20} more` : ''}`,
      );
    }
    if (result.invalid > 0) {
      console.error(`factory predict: ${result.invalid} of ${result.rows} rows were invalid`);
      return EXIT.failure;
    }
    return EXIT.ok;
  } catch (error) {
    return fail('predict', error);
  }
}
