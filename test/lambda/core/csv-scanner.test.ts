import fc from 'fast-check';
import {
  CsvScanner,
  ROW_OK,
  ROW_STRAY_QUOTE,
  ROW_UNCLOSED_QUOTE,
  fieldText,
} from '../../../lambda/core/csv-scanner';
import { PreprocessError } from '../../../lambda/core/preprocess-error';

interface Row {
  line: number;
  fields: string[];
  flags: number;
}

function scan(input: string | Uint8Array, chunkSize = 1 << 20): Row[] {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  const rows: Row[] = [];
  const scanner = new CsvScanner((row) => {
    const fields: string[] = [];
    for (let k = 0; k < row.fieldCount; k++) fields.push(fieldText(row, k));
    rows.push({ line: row.line, fields, flags: row.flags });
  });
  for (let i = 0; i < bytes.length; i += chunkSize) scanner.push(bytes.subarray(i, i + chunkSize));
  scanner.finish();
  return rows;
}

describe('CsvScanner', () => {
  test('splits fields and rows with LF, CRLF and lone CR line ends', () => {
    expect(scan('a,b\n1,2\r\n3,4\r5,6').map((r) => r.fields)).toEqual([
      ['a', 'b'],
      ['1', '2'],
      ['3', '4'],
      ['5', '6'],
    ]);
  });

  test('reads quoted fields with commas, escaped quotes and line ends inside', () => {
    const rows = scan('a,b\n"x, ""y""\r\nz",2\n3,4\n');
    expect(rows[1].fields).toEqual(['x, "y"\r\nz', '2']);
    expect(rows[2]).toEqual({ line: 4, fields: ['3', '4'], flags: ROW_OK });
  });

  test('drops a UTF-8 BOM and skips blank and whitespace-only lines, counting them as lines', () => {
    const rows = scan('\uFEFFa,b\n\n1,2\n \t\n3,4\n\n');
    expect(rows).toEqual([
      { line: 1, fields: ['a', 'b'], flags: ROW_OK },
      { line: 3, fields: ['1', '2'], flags: ROW_OK },
      { line: 5, fields: ['3', '4'], flags: ROW_OK },
    ]);
  });

  test('keeps a trailing empty field and an all-empty row', () => {
    expect(scan('a,b\n1,\n,\n').map((r) => r.fields)).toEqual([
      ['a', 'b'],
      ['1', ''],
      ['', ''],
    ]);
  });

  test('flags an unclosed quote at the end of the input', () => {
    const rows = scan('a,b\n1,"open\n2,3\n');
    expect(rows[1].flags).toBe(ROW_UNCLOSED_QUOTE);
    expect(rows[1].line).toBe(2);
  });

  test('flags stray quotes inside an unquoted field and after a closing quote', () => {
    expect(scan('a\nx"y\n')[1].flags).toBe(ROW_STRAY_QUOTE);
    expect(scan('a,b\n"x"y,2\n')[1]).toEqual({ line: 2, fields: ['x', '2'], flags: ROW_STRAY_QUOTE });
  });

  test('throws row_too_long instead of holding an unbounded row', () => {
    const scanner = new CsvScanner(() => undefined, { maxRowBytes: 16 });
    expect(() => scanner.push(new TextEncoder().encode('a\n"' + 'x'.repeat(64)))).toThrow(PreprocessError);
  });

  test('lets a plain-row reader take rows and still counts their lines for the rows after', () => {
    const bytes = new TextEncoder().encode('h\np1\np2\n"q\nq"\np3\nx\n');
    const lines: number[] = [];
    const reader = {
      taken: 0,
      readPlainRows(buf: Uint8Array, pos: number, n: number): number {
        this.taken = 0;
        while (pos < n && buf[pos] === 0x70) {
          const lf = buf.indexOf(0x0a, pos);
          if (lf < 0) break;
          pos = lf + 1;
          this.taken++;
        }
        return pos;
      },
    };
    const scanner = new CsvScanner((row) => lines.push(row.line), { plainRows: reader });
    for (let i = 0; i < bytes.length; i += 3) scanner.push(bytes.subarray(i, i + 3));
    scanner.finish();
    expect(lines).toEqual([1, 4, 7]);
    expect(scanner.rows).toBe(6);
  });

  test('finds the same rows however the bytes are split into chunks', () => {
    const cell = fc.oneof(
      fc.stringMatching(/^[a-z0-9 .]{0,6}$/),
      fc.stringMatching(/^[a-z,"\r\n]{0,6}$/).map((s) => `"${s.replace(/"/g, '""')}"`),
    );
    const csv = fc
      .array(fc.array(cell, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 })
      .chain((rows) =>
        fc.tuple(
          fc.constant(rows),
          fc.array(fc.constantFrom('\n', '\r\n', '\r'), { minLength: rows.length, maxLength: rows.length }),
        ),
      )
      .map(([rows, ends]) => rows.map((r, i) => r.join(',') + ends[i]).join(''));
    fc.assert(
      fc.property(csv, fc.integer({ min: 1, max: 7 }), (text, chunk) => {
        expect(scan(text, chunk)).toEqual(scan(text));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('fields past maxFields', () => {
  test('are counted, and reading one is an error, not the text between unset offsets', () => {
    const counts: number[] = [];
    const scanner = new CsvScanner(
      (row) => {
        counts.push(row.fieldCount);
        expect(fieldText(row, 99)).toBe('f99');
        expect(() => fieldText(row, 100)).toThrow(
          /row at line 1 has 150 fields; only the first 100 are read/,
        );
      },
      { maxFields: 100 },
    );
    scanner.push(new TextEncoder().encode(Array.from({ length: 150 }, (_, k) => `f${k}`).join(',') + '\n'));
    scanner.finish();
    expect(counts).toEqual([150]);
  });
});
