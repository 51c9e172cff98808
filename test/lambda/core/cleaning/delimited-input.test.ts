import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CsvScanner, fieldText } from '../../../../lambda/core/csv-scanner';
import { commaSeparated, type Delimiter } from '../../../../lambda/core/cleaning/delimited-input';
import { decodeSchema } from '../../../../lambda/core/dataset-schema';
import { preprocessBytes } from '../../../../lambda/core/preprocess';

const enc = new TextEncoder();
const OWN = join(__dirname, '../../../fixtures/csv/own-data');

/** Rows written `delimiter`-separated, RFC 4180 quoting where a field needs it. */
function write(rows: string[][], delimiter: string): string {
  const field = (f: string) =>
    f.includes(delimiter) || /["\r\n]/.test(f) || f === '' ? `"${f.replace(/"/g, '""')}"` : f;
  return rows.map((r) => r.map(field).join(delimiter)).join('\n') + '\n';
}

async function readBack(bytes: Uint8Array, delimiter: Delimiter, chunk: number): Promise<string[][]> {
  const rows: string[][] = [];
  const scanner = new CsvScanner((row) => {
    rows.push(Array.from({ length: row.fieldCount }, (_, k) => fieldText(row, k)));
  });
  const open = commaSeparated(async function* () {
    for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
  }, delimiter);
  for await (const piece of open()) scanner.push(piece);
  scanner.finish();
  return rows;
}

describe('delimited input', () => {
  test.each(['\t', ';', '|'] as const)(
    'reads %j-separated fields as the same fields, commas and quotes included',
    async (d) => {
      const text = fc.stringMatching(/^[a-z ,;|\t"é\n]{1,6}$/).filter((s) => s.trim() !== '');
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 5 }).chain((width) =>
            fc.array(fc.array(text, { minLength: width, maxLength: width }), {
              minLength: 1,
              maxLength: 8,
            }),
          ),
          fc.integer({ min: 1, max: 40 }),
          async (rows, chunk) => {
            expect(await readBack(enc.encode(write(rows, d)), d, chunk)).toEqual(rows);
          },
        ),
        { numRuns: 300 },
      );
    },
  );

  test('cleans a tab-separated export exactly as its comma-separated twin, writing comma-separated outputs', async () => {
    const csv = readFileSync(join(OWN, 'predictive-maintenance.csv'), 'utf8');
    const schema = decodeSchema(readFileSync(join(OWN, 'predictive-maintenance.schema.json'), 'utf8'));
    const tsv = csv.replace(/,/g, '\t');
    const comma = await preprocessBytes(enc.encode(csv), schema);
    const tab = await preprocessBytes(enc.encode(tsv), schema, { delimiter: '\t', chunkSize: 97 });
    expect(Buffer.from(tab.clean).toString()).toBe(Buffer.from(comma.clean).toString());
    expect(tab.groupStatsCsv).toBe(comma.groupStatsCsv);
    expect(tab.report.duplicates).toBe(comma.report.duplicates);
  });

  test('keeps a decimal comma of a semicolon file inside one field (a text cell, as pandas reads it)', async () => {
    const schema = decodeSchema('{"category":"c","features":["x"],"target":"y"}');
    const out = await preprocessBytes(enc.encode('c;x;y;note\nA;1;2;4,5\nA;3;4;ok\n'), schema, {
      delimiter: ';',
    });
    expect(Buffer.from(out.clean).toString()).toBe('c,x,y,note\nA,1,2,"4,5"\nA,3,4,ok\n');
    expect(out.report.extraNumericColumns).toEqual([]);
  });

  test('still quarantines a stray quote, on its own physical line', async () => {
    const schema = decodeSchema('{"category":"c","features":["x"],"target":"y"}');
    const out = await preprocessBytes(enc.encode('c\tx\ty\nA\t1\t2\nA\t1"5\t2\nB\t3\t4\n'), schema, {
      delimiter: '\t',
    });
    expect(out.report).toMatchObject({ rowsIn: 3, quarantined: 1, linesIn: 4 });
    expect(Buffer.from(out.quarantine).toString()).toMatch(/^line,last_line,reason,raw\n3,3,stray_quote,/);
  });
});
