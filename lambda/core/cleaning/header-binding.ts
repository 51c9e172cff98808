/**
 * The header row bound to the schema: which columns are numeric (the schema's features and
 * target, in that order, then the extra columns pandas would read as numbers, found by
 * column-typing.ts) and which are text (the schema's timestamp, ids and category, and the other
 * extra columns).
 */
import { type DatasetSchema, schemaColumns, textColumns } from '../dataset-schema';
import { type ScannedRow, ROW_OK, fieldText } from '../csv-scanner';
import { PreprocessError } from '../preprocess-error';
import { missingColumnsMessage } from './header-advice';
import { DEFAULT_MAX_COLUMNS } from './limits';

export interface Binding {
  readonly header: string[];
  /** Per header column: numeric index (0..d-1) or -1 for text. */
  readonly role: Int32Array;
  /** Header indexes of the text columns, in header order. */
  readonly textColumns: Int32Array;
  /** Header index of the category column. */
  readonly categoryAt: number;
  /** Header columns not in the schema (numeric ones among them are in `numeric` too). */
  readonly extras: string[];
  readonly headerBytes: Uint8Array;
}

/**
 * Binds the header row; `numeric` is the schema's numeric columns, then any numeric extra
 * columns. Throws PreprocessError (bad_header, missing_column) for the file.
 */
export function bindHeader(
  row: ScannedRow,
  schema: DatasetSchema,
  numeric: readonly string[],
  maxColumns = DEFAULT_MAX_COLUMNS,
): Binding {
  // Before any name is decoded: a 30,000-column header is refused, not held as 30,000 strings.
  if (row.fieldCount > maxColumns || row.fieldCount > row.capacity) {
    throw new PreprocessError(
      'too_many_columns',
      `header has ${row.fieldCount} columns, over the limit of ${Math.min(maxColumns, row.capacity)} (preprocess.maxColumns)`,
    );
  }
  if (row.flags !== ROW_OK) {
    throw new PreprocessError('bad_header', `header row (line ${row.line}) has a quote error`);
  }
  const header: string[] = [];
  for (let k = 0; k < row.fieldCount; k++) header.push(fieldText(row, k));
  const seen = new Set<string>();
  const dup = header.find((c) => seen.size === seen.add(c).size);
  if (dup !== undefined)
    throw new PreprocessError('bad_header', `column "${dup}" is named twice in the header`);
  const role = new Int32Array(header.length).fill(-1);
  const needed = [...textColumns(schema), ...numeric];
  const missing = needed.filter((c) => !seen.has(c));
  if (missing.length > 0) throw new PreprocessError('missing_column', missingColumnsMessage(header, missing));
  const at = new Map(header.map((name, k) => [name, k]));
  numeric.forEach((name, j) => {
    role[at.get(name)!] = j;
  });
  const texts: number[] = [];
  role.forEach((j, k) => {
    if (j < 0) texts.push(k);
  });
  const known = new Set(schemaColumns(schema));
  return {
    header,
    role,
    textColumns: Int32Array.from(texts),
    categoryAt: at.get(schema.category)!,
    extras: header.filter((c) => !known.has(c)),
    headerBytes: row.bytes.slice(row.start, row.end),
  };
}
