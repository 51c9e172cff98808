import fc from 'fast-check';
import { bind, generalPath, plainPath } from './row-paths';

// Text and numeric columns interleaved, and an extra (text) column.
const binding = bind('ts,a,id,b,category,note,y');
const isNumeric = Array.from(binding.role, (j) => j >= 0);

/** Numeric cells of every form the fast path parses itself or hands to parseDecimal. */
const numericCell = fc.oneof(
  fc.integer({ min: -999999999, max: 999999999 }).map(String),
  fc
    .tuple(fc.integer({ min: -99999, max: 99999 }), fc.stringMatching(/^[0-9]{1,6}$/))
    .map(([i, f]) => `${i}.${f}`),
  fc.double({ noNaN: true }).map(String),
  fc.stringMatching(/^-?[0-9]{8,20}(\.[0-9]{0,12})?$/),
  fc.constantFrom(
    '',
    'NA',
    'null',
    'NaN',
    'n/a',
    '-0',
    '0.0',
    '1e2',
    '+3',
    ' 2.5',
    '2.5 ',
    '.5',
    '5.',
    '-.5',
  ),
  fc.constantFrom('inf', '-Infinity', '1e400', 'x', '1-2', '--1', '1..2', '0x10', 'nan ', '#N/A'),
);
/** Text cells without a field stop (quote, comma, line end): the only texts a plain row holds. */
const textCell = fc.oneof(
  fc.stringMatching(/^[^",\r\n]{0,40}$/),
  fc.constantFrom('', 'NA', 'null', '<NA>', '2024-01-01T00:00:01.579Z', 'Ünï €', 'a b', ' x', '-'),
);
const plainLine = fc
  .tuple(
    fc.tuple(...isNumeric.map((numeric) => (numeric ? numericCell : textCell))),
    fc.constantFrom('\n', '\r\n'),
  )
  .map(([cells, end]) => cells.join(',') + end);

/** Whether the scanner would skip `line` as blank (only spaces and tabs). */
const blank = (line: string) => /^[ \t]*\r?\n$/.test(line);

describe('the plain-row fast path', () => {
  test('reads a row exactly as the general path does, or leaves it to the general path when it would quarantine it', () => {
    fc.assert(
      fc.property(plainLine, (line) => {
        fc.pre(!blank(line));
        const plain = plainPath(binding, line);
        const general = generalPath(binding, line);
        expect(plain.outcome >= 0).toBe(general.outcome === 0);
        if (plain.outcome < 0) return;
        expect(plain.outcome).toBe(Buffer.byteLength(line) - (line.endsWith('\r\n') ? 2 : 1));
        // Object.is: the same doubles, -0 and NaN included.
        plain.values.forEach((v, j) => expect(Object.is(v, general.values[j])).toBe(true));
        expect(plain.fields).toEqual(general.fields);
        expect(plain.textGap).toEqual(general.textGap);
        expect(plain.hash).toEqual(general.hash);
      }),
      { numRuns: 3000 },
    );
  });

  test('leaves rows with a quote, a missing or an extra field to the general path', () => {
    for (const line of [
      't,1,"i",2,A,n,3\n',
      't,1,i,2,A,n\n',
      't,1,i,2,A,n,3,4\n',
      't,1,i,2,A,n,3\rx\n',
      't,1,i,2,A,n,3',
    ]) {
      expect(plainPath(binding, line).outcome).toBe(-1);
    }
  });
});
