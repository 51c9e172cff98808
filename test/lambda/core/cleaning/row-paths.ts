/** Test helpers: one row through the plain fast path and through the general path. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CsvScanner } from '../../../../lambda/core/csv-scanner';
import { type DatasetSchema, decodeSchema, numericColumns } from '../../../../lambda/core/dataset-schema';
import { GeneralRowParser } from '../../../../lambda/core/cleaning/general-row';
import { type Binding, bindHeader } from '../../../../lambda/core/cleaning/header-binding';
import { PlainRowParser } from '../../../../lambda/core/cleaning/plain-row';
import { RowHasher } from '../../../../lambda/core/cleaning/row-hash';
import { Unescaper } from '../../../../lambda/core/cleaning/unescaper';

export interface PathResult {
  /** Plain path: the line end offset, or -1. General path: 0 when kept, else the reason code. */
  readonly outcome: number;
  readonly values: number[];
  readonly hash: [number, number];
  readonly textGap: number[];
  readonly fields: [number, number][];
}

const enc = new TextEncoder();

/** Seed of a run's first attempt (cleaning-run.ts). */
export const FIRST_SEED = Math.imul(1, 0x9e3779b9);

/** The small schema of the edge-case fixtures: ts, id, category; features a, b; target y. */
export const SMALL_SCHEMA: DatasetSchema = decodeSchema(
  readFileSync(join(__dirname, '../../../fixtures/csv/schema.json'), 'utf8'),
);

/** `header` bound to `schema` (the small schema unless given). */
export function bind(header: string, schema: DatasetSchema = SMALL_SCHEMA): Binding {
  let binding: Binding | null = null;
  const scanner = new CsvScanner((row) => {
    binding ??= bindHeader(row, schema, numericColumns(schema));
  });
  scanner.push(enc.encode(header + '\n'));
  scanner.finish();
  return binding!;
}

/** `line` (one row and its line end) read by PlainRowParser.parse with hashing. */
export function plainPath(binding: Binding, line: string, seed = FIRST_SEED): PathResult {
  const hasher = new RowHasher(seed);
  const textGap = new Uint8Array(binding.role.length);
  const parser = new PlainRowParser(binding, hasher, textGap);
  const buf = enc.encode(line);
  const limit = parser.lastLineEnd(buf, buf.length, 0);
  const values = new Float64Array(maxRole(binding) + 1);
  // parse() needs an LF after `pos` to stop its loops (FirstPass.readPlainRows checks the same).
  const outcome = limit > 0 ? parser.parse(buf, 0, limit, values, 0, true) : -1;
  const n = binding.role.length;
  return {
    outcome,
    values: Array.from(values),
    hash: [hasher.hi, hasher.lo],
    textGap: Array.from(textGap),
    fields: Array.from({ length: n }, (_, k) => [parser.row.fieldStart[k], parser.row.fieldEnd[k]]),
  };
}

/** `line` scanned by CsvScanner, then GeneralRowParser.classify and (when kept) hash. */
export function generalPath(binding: Binding, line: string, seed = FIRST_SEED): PathResult {
  const hasher = new RowHasher(seed);
  const textGap = new Uint8Array(binding.role.length);
  const parser = new GeneralRowParser(binding, hasher, textGap, new Unescaper());
  const values = new Float64Array(maxRole(binding) + 1);
  let result: PathResult | null = null;
  const scanner = new CsvScanner((row) => {
    if (result !== null) throw new Error(`more than one row in ${JSON.stringify(line)}`);
    const outcome = parser.classify(row, values);
    if (outcome === 0) parser.hash(row, values, 0);
    result = {
      outcome,
      values: Array.from(values),
      hash: [hasher.hi, hasher.lo],
      textGap: Array.from(textGap),
      fields: Array.from({ length: row.fieldCount }, (_, k) => [row.fieldStart[k], row.fieldEnd[k]]),
    };
  });
  scanner.push(enc.encode(line));
  scanner.finish();
  if (result === null) throw new Error(`no row in ${JSON.stringify(line)}`);
  return result;
}

function maxRole(binding: Binding): number {
  return Math.max(-1, ...binding.role);
}
