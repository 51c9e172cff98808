/**
 * The header row bound to the schema: which columns are numeric (the schema's features and
 * target, in that order) and which are text (the schema's timestamp, ids and category, and any
 * extra column: the pandas reference reads them with dtype=str).
 */
import { type DatasetSchema, textColumns } from '../dataset-schema';
import { type ScannedRow, ROW_OK, fieldText } from '../csv-scanner';
import { PreprocessError } from '../preprocess-error';

export interface Binding {
  readonly header: string[];
  /** Per header column: numeric index (0..d-1) or -1 for text. */
  readonly role: Int32Array;
  /** Header indexes of the text columns, in header order. */
  readonly textColumns: Int32Array;
  /** Header index of the category column. */
  readonly categoryAt: number;
  /** Header columns not in the schema (kept as text). */
  readonly extras: string[];
  readonly headerBytes: Uint8Array;
}

/** Binds the header row; throws PreprocessError (bad_header, missing_column) for the file. */
export function bindHeader(row: ScannedRow, schema: DatasetSchema, numeric: readonly string[]): Binding {
  if (row.flags !== ROW_OK) {
    throw new PreprocessError('bad_header', `header row (line ${row.line}) has a quote error`);
  }
  const header: string[] = [];
  for (let k = 0; k < row.fieldCount; k++) header.push(fieldText(row, k));
  const dup = header.find((c, i) => header.indexOf(c) !== i);
  if (dup !== undefined)
    throw new PreprocessError('bad_header', `column "${dup}" is named twice in the header`);
  const role = new Int32Array(header.length).fill(-1);
  const needed = [...textColumns(schema), ...numeric];
  const missing = needed.filter((c) => !header.includes(c));
  if (missing.length > 0) {
    throw new PreprocessError('missing_column', `header lacks schema column(s): ${missing.join(', ')}`);
  }
  numeric.forEach((name, j) => {
    role[header.indexOf(name)] = j;
  });
  const texts: number[] = [];
  role.forEach((j, k) => {
    if (j < 0) texts.push(k);
  });
  const known = new Set(needed);
  return {
    header,
    role,
    textColumns: Int32Array.from(texts),
    categoryAt: header.indexOf(schema.category),
    extras: header.filter((c) => !known.has(c)),
    headerBytes: row.bytes.slice(row.start, row.end),
  };
}
