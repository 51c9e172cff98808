import fc from 'fast-check';
import { PreprocessError, preprocessBytes, preprocessCsv } from '../../../lambda/core/preprocess';
import { SMALL_HEADER, SMALL_SCHEMA } from '../helpers/small-schema';

const schema = SMALL_SCHEMA;
const HEADER = SMALL_HEADER;
const enc = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');
const run = (csv: string, options = {}) => preprocessBytes(enc(csv), schema, options);

async function fileError(input: string | Uint8Array, options = {}): Promise<string> {
  try {
    await preprocessBytes(typeof input === 'string' ? enc(input) : input, schema, options);
  } catch (error) {
    if (error instanceof PreprocessError) return error.code;
    throw error;
  }
  throw new Error('expected a PreprocessError');
}

describe('preprocessCsv', () => {
  test('drops rows whose parsed values equal an earlier row, keeping the first', async () => {
    const out = await run(
      HEADER + 't,i,A,1.5,1e2,3\nt,i,A,1.50,100,3.0\nt,"i",A,1.5,100.0,3\nt,i,B,1.5,100,3\n',
    );
    expect(text(out.clean)).toBe(HEADER + 't,i,A,1.5,1e2,3\nt,i,B,1.5,100,3\n');
    expect(out.report.duplicates).toBe(2);
  });

  test('finds a quoted row equal to an unquoted one with long text cells a duplicate, either first', async () => {
    const plain = '2024-01-01T00:00:01.579Z,line-0001-x,bracket-wide,1.5,,3';
    const quoted = '"2024-01-01T00:00:01.579Z","line-0001-x","bracket-wide",1.50,,3';
    const other = '2024-01-01T00:00:01.579Z,line-0001-y,bracket-wide,1.5,,3';
    for (const [first, second] of [
      [plain, quoted],
      [quoted, plain],
    ]) {
      const out = await run(HEADER + `${first}\n${other}\n${second}\n`);
      expect(out.report.duplicates).toBe(1);
      expect(out.report.rowsClean).toBe(2);
    }
  });

  test('treats empty and pandas NA words as the same missing value when deduplicating', async () => {
    const out = await run(HEADER + 't,i,A,,1,2\nt,i,A,NA,1,2\nt,i,A,null,1,2\nt,i,A,4,1,2\n');
    expect(out.report.duplicates).toBe(2);
  });

  test('fills gaps with the mean of the de-duplicated rows at full precision', async () => {
    const out = await run(HEADER + 't1,i,A,1,1,1\nt1,i,A,1,1,1\nt2,i,A,2,1,1\nt3,i,A,,1,1\nt4,i,A,0.1,,1\n');
    // a: mean of 1, 2, 0.1 (the duplicate 1 counted once).
    expect(text(out.clean).split('\n')[3]).toBe(`t3,i,A,${String((1 + 2 + 0.1) / 3)},1,1`);
    expect(out.report.filledCells).toBe(2);
  });

  test('writes train.csv with only the complete rows, unfilled', async () => {
    const out = await run(HEADER + 't1,i,A,1,2,3\nt2,i,A,,2,3\nt3,i,A,1,2,\n');
    expect(text(out.train)).toBe(HEADER + 't1,i,A,1,2,3\n');
    expect(out.report.rowsComplete).toBe(1);
  });

  test('fills a numeric extra column in clean.csv but keeps its row in train.csv unfilled, the partial on the schema', async () => {
    const header = 'ts,id,category,a,b,y,load,note';
    const out = await run(
      `${header}\nt1,i,A,1,2,3,4,x\nt2,i,A,1,2,3,,y\n"t3",i,A,1,2,3,NA,z\nt4,i,A,,2,3,8,w\n`,
    );
    expect(out.report.extraNumericColumns).toEqual(['load']);
    expect(text(out.clean)).toBe(
      `${header}\nt1,i,A,1,2,3,4,x\nt2,i,A,1,2,3,6,y\n"t3",i,A,1,2,3,6,z\nt4,i,A,1,2,3,8,w\n`,
    );
    expect(text(out.train)).toBe(`${header}\nt1,i,A,1,2,3,4,x\nt2,i,A,1,2,3,,y\n"t3",i,A,1,2,3,NA,z\n`);
    expect(out.report.rowsComplete).toBe(3);
    expect(out.stats.columns).toEqual(['a', 'b', 'y']);
    expect(out.stats.moments.n).toBe(3);
    expect(out.groupStatsCsv).toBe('category,count,a,b,y,load\nA,4,1,2,3,6\n');
  });

  test('quarantines bad rows with their first line number, reason and raw text', async () => {
    const csv =
      HEADER +
      't1,i,A,1,2,3\nt2,i,A,1,2\nt3,i,A,x,2,3\nt4,i,A,inf,2,3\nt5,i,A,1"2,2,3\nt6,"a\nb",A,1,2,3,4\nt7,i,A,1,2,"3\n';
    const out = await run(csv);
    expect(text(out.quarantine)).toBe(
      'line,last_line,reason,raw\n' +
        '3,3,ragged_row,"t2,i,A,1,2"\n' +
        '4,4,non_numeric,"t3,i,A,x,2,3"\n' +
        '5,5,non_finite,"t4,i,A,inf,2,3"\n' +
        '6,6,stray_quote,"t5,i,A,1""2,2,3"\n' +
        '7,8,ragged_row,"t6,""a\nb"",A,1,2,3,4"\n' +
        '9,9,unclosed_quote,"t7,i,A,1,2,""3\n"\n',
    );
    expect(out.report.quarantineByReason).toEqual({
      ragged_row: 2,
      non_numeric: 1,
      non_finite: 1,
      unclosed_quote: 1,
      stray_quote: 1,
      // JSON Lines records' reasons (cleaning/json-lines.ts): none in a CSV.
      not_json: 0,
      not_object: 0,
      wrong_type: 0,
      missing_key: 0,
      bad_timestamp: 0,
    });
  });

  test('keeps rows without a category in clean.csv but in no group', async () => {
    const out = await run(HEADER + 't1,i,,1,2,3\nt2,i,NA,2,2,3\nt3,i,A,3,2,3\n');
    expect(out.report.rowsClean).toBe(3);
    expect(out.report.rowsWithoutCategory).toBe(2);
    expect(out.groupStatsCsv).toBe('category,count,a,b,y\nA,1,3,2,3\n');
  });

  test('writes group statistics sorted by code point, CSV-quoted where needed', async () => {
    const out = await run(HEADER + 't1,i,b,1,2,3\nt2,i,"a,b",2,2,3\nt3,i,B,3,2,3\n');
    expect(out.groupStatsCsv.split('\n').map((l) => l.split(',')[0])).toEqual([
      'category',
      'B',
      '"a',
      'b',
      '',
    ]);
  });

  test('confirms every proposed duplicate exactly and restarts after a real hash collision', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => `t${i},i,A,${i},${i % 7},${i % 3}`);
    const csv = HEADER + [...rows, rows[5], rows[17]].join('\n') + '\n';
    const out = await run(csv, { weakHashBitsForTest: 3, chunkSize: 97 });
    expect(out.report.passes).toBe(4);
    expect(out.report.duplicates).toBe(2);
    expect(text(out.clean)).toBe(HEADER + rows.join('\n') + '\n');
  });

  test.each([
    ['empty_file', ''],
    ['empty_file', '\uFEFF\n\n'],
    ['missing_column', 'ts,id,category,a,b\n'],
    ['bad_header', 'ts,id,category,a,b,y,a\n'],
    ['bad_header', 'ts,"id,category,a,b,y\n'],
  ])('rejects the whole file with %s', async (code, csv) => {
    expect(await fileError(csv)).toBe(code);
  });

  test('rejects NUL bytes, invalid UTF-8 and oversized input as files', async () => {
    expect(await fileError(enc(HEADER + 't,i,A,1,2,3\0\n'))).toBe('nul_byte');
    expect(await fileError(Uint8Array.from([...enc(HEADER), 0x74, 0xc3, 0x28, 0x0a]))).toBe('invalid_utf8');
    expect(await fileError(Uint8Array.from([...enc(HEADER), 0x74, 0xe2, 0x82]))).toBe('invalid_utf8');
    expect(await fileError(HEADER + 't,i,A,1,2,3\n', { maxBytes: 10 })).toBe('too_large');
  });

  test('accepts multi-byte UTF-8 split across chunks', async () => {
    const out = await run(HEADER + 't,i,Ünïcødé €,1,2,3\n', { chunkSize: 1 });
    expect(out.groupStatsCsv).toContain('Ünïcødé €,1,1,2,3');
  });

  test('on arbitrary bytes, finishes, throws only PreprocessError, and rows in = clean + duplicates + quarantined', async () => {
    const alphabet = fc.constantFrom(...'ab1.e-,"\r\n \0', '\u00e9', 'NA', HEADER);
    await fc.assert(
      fc.asyncProperty(
        fc.array(alphabet, { maxLength: 60 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 16 }),
        async (parts, withHeader, chunkSize) => {
          const csv = (withHeader ? HEADER : '') + parts.join('');
          try {
            const out = await run(csv, { chunkSize });
            const r = out.report;
            expect(r.rowsIn).toBe(r.rowsClean + r.duplicates + r.quarantined);
          } catch (error) {
            expect(error).toBeInstanceOf(PreprocessError);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  test('rejects a source whose second read moves a line end', async () => {
    const reads = [HEADER + 't1,i,A,1,2,3\nt2,i,A,4,5,6\n', HEADER + 't1,i,A,1,2,33\nt2,i,A,4,5,\n'];
    let call = 0;
    const noop = () => undefined;
    const error = await preprocessCsv({
      schema,
      sink: { clean: noop, train: noop, quarantine: noop, reset: noop },
      open: async function* () {
        yield enc(reads[Math.min(call++, 1)]);
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PreprocessError);
    expect((error as PreprocessError).code).toBe('source_changed');
  });

  test('gives the same outputs however the input is chunked', async () => {
    const csv = HEADER + 't1,"x\r\ny",A,1,2,3\r\nt2,i,B,,2,3\r\n\r\nt1,"x\r\ny",A,1.0,2,3\r\nt3,i,A,2,"",1\n';
    const whole = await run(csv);
    for (const chunkSize of [1, 2, 3, 5, 8]) {
      const split = await run(csv, { chunkSize });
      expect(text(split.clean)).toBe(text(whole.clean));
      expect(text(split.quarantine)).toBe(text(whole.quarantine));
      expect(split.groupStatsCsv).toBe(whole.groupStatsCsv);
    }
  });
});

describe('byte sources that reuse one buffer', () => {
  // bin/commands/preprocess.ts reads a file into one reused buffer: the core must copy whatever
  // it keeps (carried partial rows, output bytes) before it asks for the next chunk.
  test('give the same outputs as fresh chunks, for quoted fields across chunk edges and duplicates', async () => {
    const rows = [HEADER];
    for (let i = 0; i < 400; i++) {
      rows.push(`t${i % 97},"i,${i % 5}",${'ABC'[i % 3]},${(i % 13) / 4},${i % 7 ? i % 11 : ''},${i % 17}\n`);
      if (i % 50 === 0) rows.push('t,i,A,1,"2\n');
      if (i % 61 === 0) rows.push('t1,i,A,oops,1,1\n');
    }
    const bytes = enc(rows.join(''));
    const expected = await preprocessBytes(bytes, schema, { chunkSize: 37 });
    for (const size of [1, 7, 37, 256]) {
      const parts: Record<'clean' | 'train' | 'quarantine', Buffer[]> = {
        clean: [],
        train: [],
        quarantine: [],
      };
      const copy = (kind: 'clean' | 'train' | 'quarantine') => (b: Uint8Array) =>
        void parts[kind].push(Buffer.from(b));
      const reused = new Uint8Array(size);
      const result = await preprocessCsv({
        schema,
        sink: {
          clean: copy('clean'),
          train: copy('train'),
          quarantine: copy('quarantine'),
          reset: () => undefined,
        },
        open: async function* () {
          for (let i = 0; i < bytes.length; i += size) {
            const n = Math.min(size, bytes.length - i);
            reused.set(bytes.subarray(i, i + n));
            yield reused.subarray(0, n);
            reused.fill(0x7e); // scribble over it: anything the core kept by reference would change
          }
        },
      });
      expect(text(Buffer.concat(parts.clean))).toBe(text(expected.clean));
      expect(text(Buffer.concat(parts.train))).toBe(text(expected.train));
      expect(text(Buffer.concat(parts.quarantine))).toBe(text(expected.quarantine));
      expect(result.report.duplicates).toBe(expected.report.duplicates);
      expect(result.groupStatsCsv).toBe(expected.groupStatsCsv);
    }
  });
});
