/**
 * `factory drift --model model.json --input rows.jsonl|rows.csv [--json] [--psi 0.2] [--mean-shift-sd 0.5]`
 *
 * The drift step's figures, computed locally: the rows are counted into the model's training bins
 * as the predict function counts what it serves (lambda/core/drift.ts, the same decoder as POST
 * /predict), then PSI and the mean shift in training standard deviations per feature, and the
 * features past either threshold are named. Rows that the API would refuse (a value that is not a
 * number, invalid JSON) are skipped and counted; missing features and unknown categories are
 * counted and reported, never an error.
 *
 * Input: JSON lines (one row object per line, the POST /predict row shape), or a CSV with a header
 * (a `.csv` file: the model's category and feature columns by name, others ignored).
 * Output: a table (text), or with --json one line, last, `{"features": {...}, "drifted": [...]}`.
 * Exit codes: 0 computed (drifted or not); 1 bad usage or input; 2 no usable model (missing,
 * invalid, or without training histograms).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { CsvScanner, fieldText, ROW_OK, type ScannedRow } from '../../lambda/core/csv-scanner';
import {
  DRIFT_DEFAULTS,
  addDecodedRows,
  driftReport,
  driftSummary,
  emptyCounts,
  histogramsOf,
  type DriftReport,
  type DriftThresholds,
  type ServedCounts,
} from '../../lambda/core/drift';
import type { DriftHistograms } from '../../lambda/core/model-artifact';
import { parseDecimal } from '../../lambda/core/parse-decimal';
import { decodeRows, type DecodeOptions } from '../../lambda/core/predict-request';
import { isMissingCell } from '../../lambda/core/preprocess';
import type { CompiledModel } from '../../lambda/core/scoring';
import { EXIT, fail, firstLine, parseFlags, UsageError } from './command-line';
import { loadModel, NoModelError } from './predict';

export const DRIFT_USAGE = `usage: factory drift --model model.json --input rows.jsonl|rows.csv [--json] [options]
  --model PATH          the model artifact (it must hold training histograms: trained with drift)
  --input PATH          JSON lines (the POST /predict row shape) or a .csv with a header
  --psi X               a feature drifted at PSI ≥ X (default ${DRIFT_DEFAULTS.psi}, monitoring.driftPsi)
  --mean-shift-sd X     ... or at |served mean − training mean| ≥ X training SDs
                        (default ${DRIFT_DEFAULTS.meanShiftSd}, monitoring.driftMeanShiftSd)
  --json                print one JSON line: {"features": {"<name>": {"psi", "meanShift", "drifted"}}, "drifted": [...]}
Rows the API would refuse are skipped and counted; missing features and unknown categories are counted.
Exit codes: 0 computed (drifted or not); 1 bad usage or input; 2 no usable model.`;

const BATCH = 1024;
const utf8 = new TextEncoder();

/** What reading the rows found, beside the counts. */
export interface DriftInput {
  readonly counts: ServedCounts;
  /** Rows skipped: the API would refuse them (first reasons kept). */
  readonly skipped: number;
  readonly reasons: readonly string[];
}

class Accumulator {
  readonly counts: ServedCounts;
  skipped = 0;
  readonly reasons: string[] = [];
  private batch: unknown[] = [];
  private first = 0;
  private readonly options: DecodeOptions;

  constructor(
    private readonly model: CompiledModel,
    private readonly histograms: DriftHistograms,
  ) {
    this.counts = emptyCounts(histograms);
    // As the API serves with serving.fillMissing 'mean': a missing feature is filled, so it is
    // counted as missing here instead of refusing the row.
    this.options = { maxRows: Infinity, fillMissing: 'mean', maxListedProblems: 5 };
  }

  refuse(row: number, reason: string): void {
    this.skipped++;
    if (this.reasons.length < 5) this.reasons.push(`row ${row}: ${reason}`);
  }

  push(row: unknown): void {
    this.batch.push(row);
    if (this.batch.length === BATCH) this.flush();
  }

  flush(): void {
    if (this.batch.length === 0) return;
    const decoded = decodeRows(this.batch, this.model, { ...this.options, rowOffset: this.first });
    // The decoder's messages name the row themselves.
    for (const p of decoded.problems) if (this.reasons.length < 5) this.reasons.push(p.message);
    this.skipped += addDecodedRows(this.counts, this.histograms, decoded, (c) => this.model.profiles.has(c));
    this.first += this.batch.length;
    this.batch = [];
  }

  /** A row that never reached the decoder still takes its index. */
  skipIndex(): void {
    this.flush();
    this.first++;
  }

  get next(): number {
    return this.first + this.batch.length;
  }

  result(): DriftInput {
    this.flush();
    return { counts: this.counts, skipped: this.skipped, reasons: this.reasons };
  }
}

/** JSON lines: one row object per non-blank line. */
export async function countJsonLines(model: CompiledModel, input: Readable): Promise<DriftInput> {
  const acc = new Accumulator(model, histogramsOf(model.artifact));
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    if (line.trim() === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (error) {
      acc.refuse(acc.next, `invalid JSON: ${firstLine(error)}`);
      acc.skipIndex();
      continue;
    }
    acc.push(row);
  }
  return acc.result();
}

/**
 * A CSV with a header: each data row becomes the row object the API would get (a numeric cell as
 * its number, an empty or NA cell left out as missing, other text kept, so the decoder names it).
 */
export async function countCsv(model: CompiledModel, input: Readable): Promise<DriftInput> {
  const acc = new Accumulator(model, histogramsOf(model.artifact));
  const wanted = new Set([model.categoryKey, ...model.features]);
  let header: string[] | null = null;
  let columns: { k: number; name: string; numeric: boolean }[] = [];
  const onRow = (row: ScannedRow) => {
    if (header === null) {
      header = Array.from({ length: row.fieldCount }, (_, k) => fieldText(row, k));
      const missing = [model.categoryKey, ...model.features].filter((c) => !header!.includes(c));
      if (missing.length > 0)
        throw new UsageError(`the CSV header lacks the model's column(s): ${missing.join(', ')}`);
      columns = header
        .map((name, k) => ({ k, name, numeric: name !== model.categoryKey }))
        .filter((c) => wanted.has(c.name));
      return;
    }
    if (row.flags !== ROW_OK || row.fieldCount !== header.length) {
      acc.refuse(
        acc.next,
        `line ${row.line}: ${row.flags !== ROW_OK ? 'quote error' : `${row.fieldCount} fields, header has ${header.length}`}`,
      );
      acc.skipIndex();
      return;
    }
    const object: Record<string, unknown> = {};
    for (const { k, name, numeric } of columns) {
      const text = fieldText(row, k);
      if (!numeric) {
        object[name] = text;
        continue;
      }
      const bytes = utf8.encode(text);
      if (isMissingCell(bytes, 0, bytes.length)) continue;
      const v = parseDecimal(bytes, 0, bytes.length);
      object[name] = Number.isFinite(v) ? v : text;
    }
    acc.push(object);
  };
  const scanner = new CsvScanner(onRow);
  for await (const chunk of input) scanner.push(chunk as Uint8Array);
  scanner.finish();
  if (header === null) throw new UsageError('the CSV has no header row');
  return acc.result();
}

function threshold(text: string | undefined, fallback: number, flag: string): number {
  if (text === undefined) return fallback;
  const v = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(v) || v <= 0) throw new UsageError(`--${flag} must be a number > 0, got "${text}"`);
  return v;
}

const fixed = (v: number | null, digits: number, sign = false) =>
  v === null ? '—' : `${sign && v >= 0 ? '+' : ''}${v.toFixed(digits)}`;

/** The text table of a report. */
export function formatDriftReport(report: DriftReport, input: DriftInput, sampleRows: number): string {
  const names = Object.keys(report.features);
  const width = Math.max(8, ...names.map((n) => n.length));
  const lines = [
    `${report.rows} rows against model ${report.modelVersion} (training histograms of ${sampleRows} rows): ${input.skipped} skipped as invalid, ${report.unknownCategory} of an unknown category`,
    `${'feature'.padEnd(width)}  ${'PSI'.padStart(7)}  ${'mean shift (SD)'.padStart(15)}  ${'values'.padStart(8)}  ${'missing'.padStart(8)}  drifted`,
  ];
  for (const name of names) {
    const f = report.features[name];
    lines.push(
      `${name.padEnd(width)}  ${fixed(f.psi, 4).padStart(7)}  ${fixed(f.meanShift, 3, true).padStart(15)}  ${String(f.values).padStart(8)}  ${String(f.missing).padStart(8)}  ${f.drifted ? 'yes' : f.note ? 'too few values' : 'no'}`,
    );
  }
  const rule = `PSI ≥ ${report.thresholds.psi} or |mean shift| ≥ ${report.thresholds.meanShiftSd} training SD`;
  lines.push(
    report.drifted.length > 0
      ? `drifted (${rule}): ${report.drifted.join(', ')}`
      : `no feature drifted (${rule})`,
  );
  for (const reason of input.reasons) lines.push(`skipped: ${reason}`);
  return lines.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  try {
    const { values } = parseFlags({
      args: argv,
      options: {
        model: { type: 'string' },
        input: { type: 'string' },
        psi: { type: 'string' },
        'mean-shift-sd': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
    });
    if (values.help) {
      console.log(DRIFT_USAGE);
      return EXIT.ok;
    }
    if (!values.model) throw new UsageError('--model is required');
    if (!values.input) throw new UsageError('--input is required (rows.jsonl or rows.csv)');
    const thresholds: DriftThresholds = {
      psi: threshold(values.psi, DRIFT_DEFAULTS.psi, 'psi'),
      meanShiftSd: threshold(values['mean-shift-sd'], DRIFT_DEFAULTS.meanShiftSd, 'mean-shift-sd'),
    };
    let model: CompiledModel;
    try {
      model = loadModel(values.model);
      histogramsOf(model.artifact);
    } catch (error) {
      if (!(error instanceof NoModelError) && !(error instanceof RangeError)) throw error;
      console.error(`factory drift: ${error.message}`);
      return EXIT.noModel;
    }
    const path = values.input;
    const stream = createReadStream(path);
    await new Promise<void>((resolve, reject) =>
      stream.once('open', () => resolve()).once('error', reject),
    ).catch((error: unknown) => {
      throw new UsageError(
        `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? firstLine(error)}`,
      );
    });
    const input = /\.csv$/i.test(path) ? await countCsv(model, stream) : await countJsonLines(model, stream);
    const report = driftReport(model.artifact, input.counts, thresholds);
    if (values.json) {
      console.error(
        `factory drift: ${report.rows} rows, ${input.skipped} skipped as invalid, ${report.unknownCategory} of an unknown category`,
      );
      console.log(JSON.stringify(driftSummary(report)));
    } else {
      console.log(formatDriftReport(report, input, model.artifact.drift!.sampleRows));
    }
    return EXIT.ok;
  } catch (error) {
    return fail('drift', error);
  }
}
