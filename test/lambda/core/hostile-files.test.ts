/**
 * Hostile files (issue 13): each gets a correct result or one short, clear refusal, in bounded
 * memory. The figures (peak RSS, exit code, message) of the same cases on the bundled CLI are in
 * the commit notes; here the behaviour.
 */
import fc from 'fast-check';
import { decodeSchema } from '../../../lambda/core/dataset-schema';
import { PreprocessError, preprocessBytes, preprocessCsv } from '../../../lambda/core/preprocess';

const schema = decodeSchema('{"category":"c","features":["x"],"target":"y"}');
const enc = (text: string) => new TextEncoder().encode(text);

async function refusal(run: () => Promise<unknown>): Promise<PreprocessError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof PreprocessError) return error;
    throw error;
  }
  throw new Error('expected a PreprocessError');
}

const noop = () => undefined;
const sink = { clean: noop, train: noop, quarantine: noop, reset: noop };

describe('hostile files', () => {
  test('a header of 30,000 columns is refused in one line, naming the limit', async () => {
    const header = ['c', 'x', 'y', ...Array.from({ length: 29997 }, (_, i) => `col${i}`)].join(',');
    const error = await refusal(() =>
      preprocessBytes(enc(`${header}\nA,1,2${',1'.repeat(29997)}\n`), schema),
    );
    expect(error.code).toBe('too_many_columns');
    expect(error.message).toBe(
      'too_many_columns: header has 30000 columns, over the limit of 4096 (preprocess.maxColumns)',
    );
  });

  test('a header past 4,096 columns under a higher limit keeps every name exact (no unset offsets)', async () => {
    const width = 5000;
    const names = ['c', 'x', 'y', ...Array.from({ length: width - 3 }, (_, i) => `s${i}`)];
    const row = (v: number) => ['A', v, v * 2, ...Array.from({ length: width - 3 }, () => v)].join(',');
    const csv = `${names.join(',')}\n${row(1)}\n${row(3)}\n${row(1)}\n`;
    const out = await preprocessBytes(enc(csv), schema, { maxColumns: 8192 });
    expect(out.report.extraColumns).toEqual(names.slice(3));
    expect(out.report.extraNumericColumns).toHaveLength(width - 3);
    expect(out.report).toMatchObject({ rowsIn: 3, rowsClean: 2, duplicates: 1, quarantined: 0 });
    expect(out.groupStatsCsv.split('\n')[1]).toBe(['A', 2, 2, 4, ...Array(width - 3).fill(2)].join(','));
  });

  test('150,000 distinct categories are refused past maxCategories, naming the key and the column', async () => {
    const lines = ['c,x,y'];
    for (let i = 0; i < 150000; i++) lines.push(`SN-${i},1,2`);
    const error = await refusal(() => preprocessBytes(enc(lines.join('\n') + '\n'), schema));
    expect(error.code).toBe('too_many_categories');
    expect(error.message).toMatch(
      /^too_many_categories: category column "c" has more than 10000 distinct values, the limit \(preprocess\.maxCategories\)/,
    );
  });

  test('a stray opening quote on row 10 of 1,000 shows the swallowed block: physical lines and first/last line', async () => {
    const lines = ['c,x,y'];
    for (let i = 1; i <= 1000; i++) lines.push(i === 10 ? `"A,${i},1` : `A,${i},1`);
    const out = await preprocessBytes(enc(lines.join('\n') + '\n'), schema);
    expect(out.report).toMatchObject({ rowsIn: 10, linesIn: 1001, quarantined: 1, quarantinedLines: 991 });
    const quarantine = Buffer.from(out.quarantine).toString('utf8').split('\n');
    expect(quarantine[0]).toBe('line,last_line,reason,raw');
    expect(quarantine[1]).toMatch(/^11,1001,unclosed_quote,/);
  });

  test('invalid UTF-8 on line 402 is refused naming the line and the byte', async () => {
    const lines = ['c,x,y'];
    for (let i = 1; i <= 500; i++) lines.push(`A,${i},1`);
    const before = Buffer.from(lines.slice(0, 401).join('\n') + '\n');
    const bad = Buffer.concat([before, Buffer.from('Caf'), Buffer.from([0xe9]), Buffer.from(',1,2\n')]);
    const error = await refusal(() => preprocessBytes(bad, schema, { chunkSize: 1000 }));
    expect(error.code).toBe('invalid_utf8');
    expect(error.message).toBe(
      `invalid_utf8: line 402, byte 4 of the line (byte offset ${before.length + 3} in the file): a byte ` +
        'that is not UTF-8; not UTF-8 text (Latin-1 or Windows-1252? save it as UTF-8)',
    );
  });

  test('names the line and byte of the first invalid UTF-8 byte at any chunk size, across multi-byte characters', async () => {
    const cell = fc.constantFrom('a', 'é', '€', '𝄞', 'x y', '');
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(cell, cell), { minLength: 1, maxLength: 30 }),
        fc.nat(),
        fc.constantFrom(0xff, 0xc3, 0x80, 0xed),
        fc.integer({ min: 1, max: 17 }),
        async (rows, at, bad, chunkSize) => {
          const lines = ['c,x,y', ...rows.map(([a, b]) => `${a}${b},1,2`)];
          const text = Buffer.from(lines.join('\n') + '\n');
          // The invalid byte goes in front of a character, never inside one.
          const starts = [...text.keys()].filter((i) => (text[i] & 0xc0) !== 0x80);
          const offset = starts[at % starts.length];
          const input = Buffer.concat([text.subarray(0, offset), Buffer.from([bad]), text.subarray(offset)]);
          const before = text.subarray(0, offset);
          const line = before.filter((b) => b === 0x0a).length + 1;
          const column = offset - (before.lastIndexOf(0x0a) + 1) + 1;
          const error = await refusal(() => preprocessBytes(input, schema, { chunkSize }));
          expect(error.code).toBe('invalid_utf8');
          expect(error.message).toMatch(
            new RegExp(
              `^invalid_utf8: line ${line}, byte ${column} of the line \\(byte offset ${offset} in the file\\)`,
            ),
          );
        },
      ),
      { numRuns: 400 },
    );
  });

  test('a field over the row limit is said to be long, not an unclosed quote', async () => {
    const csv = enc(`c,x,y\nA,1,${'9'.repeat(5000)}\n`);
    const error = await refusal(() =>
      preprocessCsv({
        schema,
        sink,
        maxRowBytes: 1000,
        open: async function* () {
          for (let i = 0; i < csv.length; i += 512) yield csv.subarray(i, i + 512);
        },
      }),
    );
    expect(error.code).toBe('row_too_long');
    expect(error.message).toMatch(
      /^row_too_long: row at line 2: field 3 is \d+ bytes and not ended, over the row limit of 1000 bytes$/,
    );
    expect(error.message).not.toMatch(/quote/);
  });

  test('an open quote past the row limit is said to be one, with the line it opened on', async () => {
    const csv = enc(`c,x,y\nA,1,2\nB,"1,2\n${'B,1,2\n'.repeat(400)}`);
    const error = await refusal(() =>
      preprocessCsv({
        schema,
        sink,
        maxRowBytes: 1000,
        open: async function* () {
          for (let i = 0; i < csv.length; i += 512) yield csv.subarray(i, i + 512);
        },
      }),
    );
    expect(error.message).toMatch(
      /^row_too_long: row at line 3: the quote opened on line 3 is still open after \d+ bytes, over the row limit of 1000 bytes \(an unclosed quote\?\)$/,
    );
  });
});
