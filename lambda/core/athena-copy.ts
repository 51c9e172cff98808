/**
 * Athena's copy of the curated outputs (curated-tables.ts says why it has one): each curated CSV
 * as JSON Lines, one object per row with the table's columns under the names preprocess wrote
 * (`"Torque [Nm]": 42.5`), the Glue table's OpenX JSON SerDe mapping them to its SQL names.
 * Numbers are JSON numbers (the same double preprocess parsed, printed shortest), an empty
 * numeric cell is null, text is a JSON string (a line break inside one is `\n`, so a record is
 * always one line), and the file's other columns are left out. The report becomes one line of
 * its counts.
 *
 * Built and tested here (test/lambda/core/athena-copy.test.ts reads the copy back with DuckDB
 * through the Glue tables' mapping and gets every named query's answer the CSV gives); the
 * preprocess handler and CLI do not write it yet.
 */
import { parseDecimal } from './parse-decimal';
import type { DatasetSchema } from './dataset-schema';
import { REPORT_COUNTS, type CuratedTable } from './curated-tables';
import type { QualityReport } from './preprocess-report';

const enc = new TextEncoder();

/**
 * The records of an RFC 4180 text as the cleaning step writes it (`,`, `"` doubled inside a
 * quoted field, line breaks inside quotes kept, LF or CRLF between records, an optional BOM).
 */
export function csvRecords(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  if (i >= n) return records;
  for (;;) {
    // One field from i: quoted (quotes doubled inside) or plain up to `,` or a line end.
    let field: string;
    if (text[i] === '"') {
      field = '';
      let from = i + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q < 0) throw new Error('curated CSV ends inside a quoted field');
        field += text.slice(from, q);
        if (text[q + 1] === '"') {
          field += '"';
          from = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
    } else {
      let e = i;
      while (e < n && text[e] !== ',' && text[e] !== '\n' && text[e] !== '\r') e++;
      field = text.slice(i, e);
      i = e;
    }
    record.push(field);
    if (i >= n) {
      records.push(record);
      return records;
    }
    const c = text[i];
    if (c === ',') {
      i++;
      continue;
    }
    // A line end (CRLF as one): the record is complete.
    i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
    records.push(record);
    record = [];
    if (i >= n) return records;
  }
}

/** A cell as the JSON value its column's type reads; throws naming the cell when it is not one. */
function jsonValue(cell: string, type: 'DOUBLE' | 'VARCHAR' | 'BIGINT', where: () => string): unknown {
  if (type === 'VARCHAR') return cell;
  if (cell.trim() === '') return null;
  const bytes = enc.encode(cell);
  const value = parseDecimal(bytes, 0, bytes.length);
  if (!Number.isFinite(value) || (type === 'BIGINT' && !Number.isInteger(value)))
    throw new Error(
      `${where()}: ${JSON.stringify(cell)} is not a ${type === 'BIGINT' ? 'whole number' : 'number'}`,
    );
  return value;
}

/**
 * One curated CSV (its header row first) as the JSON Lines of Athena's copy of `table`. Throws
 * when the header lacks one of the table's columns or a cell does not read as its column's type.
 */
export function athenaJsonLines(table: CuratedTable, schema: DatasetSchema, csv: string): string {
  const [header, ...rows] = csvRecords(csv);
  if (!header) return '';
  const columns = table.columns(schema);
  const at = columns.map((c) => {
    const k = header.indexOf(c.source);
    if (k < 0) throw new Error(`${table.file}: no column ${JSON.stringify(c.source)} in the header`);
    return k;
  });
  let out = '';
  rows.forEach((row, r) => {
    const record: Record<string, unknown> = {};
    columns.forEach((c, j) => {
      record[c.source] = jsonValue(row[at[j]] ?? '', c.type, () => `${table.file} row ${r + 1}, ${c.source}`);
    });
    out += `${JSON.stringify(record)}\n`;
  });
  return out;
}

/** The report's counts as the one line of Athena's copy of `reports`. */
export function reportJsonLine(report: Pick<QualityReport, (typeof REPORT_COUNTS)[number]>): string {
  return `${JSON.stringify(Object.fromEntries(REPORT_COUNTS.map((k) => [k, report[k]])))}\n`;
}
