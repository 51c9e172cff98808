/**
 * What `factory schema` reads: the header and the first rows of a CSV (optionally gzip), profiled
 * per column with the cleaner's own definitions: a cell is missing when it is empty or one of
 * pandas' NA words (cleaning/missing-cells.ts), a number when the cleaner's decimal parser reads
 * it (parse-decimal.ts). Nothing else is kept: a bounded set of distinct values per column.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { CsvScanner, fieldText, ROW_OK, type ScannedRow } from '../../lambda/core/csv-scanner';
import { commaSeparated, type Delimiter } from '../../lambda/core/cleaning/delimited-input';
import { isMissingCell } from '../../lambda/core/cleaning/missing-cells';
import { parseDecimal } from '../../lambda/core/parse-decimal';

/** Distinct values remembered per column: enough to tell a category from an id. */
export const DISTINCT_LIMIT = 1000;

/** One column of the sample. */
export interface ColumnProfile {
  readonly name: string;
  /** Cells that are empty or a pandas NA word. */
  missing: number;
  /** Cells that parse as finite numbers. */
  numbers: number;
  /** Other cells (text, `inf`). */
  texts: number;
  /** Distinct non-missing values, at most DISTINCT_LIMIT + 1 kept (more means "many"). */
  readonly distinct: Set<string>;
  /** Every number an integer, each one more than the last (a row counter such as `UDI`). */
  counter: boolean;
  /** The last number seen, for `counter`. */
  last: number;
  /** Every non-missing cell parses as a date and time (`Date.parse`) and holds a digit. */
  dates: boolean;
}

export interface CsvSample {
  readonly columns: readonly ColumnProfile[];
  /** Data rows read (rows whose field count matches the header). */
  readonly rows: number;
  /** Rows skipped: another field count than the header, or a quote error. */
  readonly skipped: number;
}

export class SampleError extends Error {}

function profile(name: string): ColumnProfile {
  return {
    name,
    missing: 0,
    numbers: 0,
    texts: 0,
    distinct: new Set(),
    counter: true,
    last: NaN,
    dates: true,
  };
}

const DATE_LIKE = /\d[-/:T]\d|\d{4}/;

/**
 * Reads the header and up to `maxRows` data rows of `path` (gzip when it starts with the magic
 * bytes), read as `delimiter`-separated the way preprocess reads it.
 */
export async function readCsvSample(
  path: string,
  maxRows: number,
  delimiter: Delimiter = ',',
): Promise<CsvSample> {
  let columns: ColumnProfile[] | null = null;
  let rows = 0;
  let skipped = 0;
  let done = false;
  const onRow = (row: ScannedRow) => {
    if (done) return;
    if (columns === null) {
      const names = Array.from({ length: row.fieldCount }, (_, k) => fieldText(row, k));
      const seen = new Set<string>();
      for (const n of names) {
        if (seen.has(n)) throw new SampleError(`the header names the column ${JSON.stringify(n)} twice`);
        seen.add(n);
      }
      columns = names.map(profile);
      return;
    }
    if (row.flags !== ROW_OK || row.fieldCount !== columns.length) {
      skipped++;
      return;
    }
    for (let k = 0; k < columns.length; k++) observe(columns[k], row, k);
    if (++rows >= maxRows) done = true;
  };
  const scanner = new CsvScanner(onRow, { maxFields: 1 << 16 });
  const stream = await openMaybeGzip(path);
  try {
    for await (const chunk of commaSeparated(() => stream as AsyncIterable<Uint8Array>, delimiter)()) {
      scanner.push(chunk);
      if (done) break;
    }
    if (!done) scanner.finish();
  } finally {
    stream.destroy();
  }
  if (columns === null) throw new SampleError('the file is empty: no header row');
  return { columns, rows, skipped };
}

function observe(c: ColumnProfile, row: ScannedRow, k: number): void {
  const s = row.fieldStart[k];
  const e = row.fieldEnd[k];
  if (isMissingCell(row.bytes, s, e)) {
    c.missing++;
    return;
  }
  const text = fieldText(row, k);
  if (c.distinct.size <= DISTINCT_LIMIT) c.distinct.add(text);
  const v = parseDecimal(row.bytes, s, e);
  if (Number.isFinite(v)) {
    c.numbers++;
    c.counter &&= Number.isInteger(v) && (Number.isNaN(c.last) || v === c.last + 1);
    c.last = v;
  } else {
    c.texts++;
    c.counter = false;
  }
  c.dates &&= DATE_LIKE.test(text) && !Number.isFinite(v) && !Number.isNaN(Date.parse(text));
}

/** A read stream of the file's bytes, gunzipped when it starts with the gzip magic bytes. */
export async function openMaybeGzip(path: string): Promise<NodeJS.ReadableStream & { destroy(): void }> {
  const head = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = createReadStream(path, { start: 0, end: 1 });
    s.on('data', (c: Buffer | string) => chunks.push(Buffer.from(c)));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
  });
  const file = createReadStream(path);
  if (head.length === 2 && head[0] === 0x1f && head[1] === 0x8b) {
    const gunzip = createGunzip();
    file.on('error', (error) => gunzip.destroy(error));
    const out = file.pipe(gunzip);
    const destroy = out.destroy.bind(out);
    return Object.assign(out, {
      destroy: () => {
        file.destroy();
        return destroy();
      },
    });
  }
  return file;
}
