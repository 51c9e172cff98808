import fc from 'fast-check';
import { bind, generalPath, plainPath } from './row-paths';

const binding = bind('ts,a,id,b,category,y');
const isNumeric = Array.from(binding.role, (j) => j >= 0);

/** The row with every field quoted: only the general path reads it. */
const quoted = (cells: readonly string[]) => cells.map((c) => `"${c}"`).join(',') + '\n';

describe('the row hash', () => {
  test.each([
    // Hashes computed by the code before it was split into lambda/core/cleaning/ (both paths gave these).
    ['2024-01-01T00:00:01.579Z,1.5,line-0001-x,,bracket-wide,3', [1766392026, 1743338148]],
    ['t,-0,,NA,A,12345678901.25', [-1261851266, -1195510284]],
    ['ab,1e2,c,0.000001,Ünï €,-7.25', [-758292031, -1040457401]],
    ['a long text cell that runs past a few blocks,,null,,,', [-1927092442, -1855380252]],
  ])('gives %j the same bits on the plain fast path and on the general path', (row, bits) => {
    expect(plainPath(binding, row + '\n').hash).toEqual(bits);
    expect(generalPath(binding, row + '\n').hash).toEqual(bits);
  });

  test('gives a row arriving quoted (general path) the bits of its plain twin (fast path)', () => {
    const cell = (numeric: boolean) =>
      numeric
        ? fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }).map(String), fc.constantFrom('', 'NA'))
        : fc.oneof(fc.stringMatching(/^[^",\r\n]{0,30}$/), fc.constantFrom('', 'null'));
    fc.assert(
      fc.property(fc.tuple(...isNumeric.map(cell)), (cells) => {
        const plain = plainPath(binding, cells.join(',') + '\n');
        fc.pre(plain.outcome >= 0);
        expect(generalPath(binding, quoted(cells)).hash).toEqual(plain.hash);
      }),
      { numRuns: 2000 },
    );
  });

  test('hashes an escaped quote by the text it stands for', () => {
    const a = generalPath(binding, 't,1,"say ""hi""",2,A,3\n');
    const b = generalPath(binding, '"t","1","say ""hi""","2","A","3"\n');
    const c = generalPath(binding, 't,1,"say ""hi"" ",2,A,3\n');
    expect(a.hash).toEqual(b.hash);
    expect(a.hash).not.toEqual(c.hash);
  });

  test('tells apart rows whose text moves between fields, missing text from empty-looking text, and -0 from NaN', () => {
    const hash = (line: string) => plainPath(binding, line + '\n').hash;
    expect(hash('ab,1,c,2,A,3')).not.toEqual(hash('a,1,bc,2,A,3'));
    expect(hash('t,1,,2,A,3')).toEqual(hash('t,1,NA,2,A,3'));
    expect(hash('t,1, ,2,A,3')).not.toEqual(hash('t,1,,2,A,3'));
    expect(hash('t,-0,i,2,A,3')).toEqual(hash('t,0,i,2,A,3'));
    expect(hash('t,,i,2,A,3')).not.toEqual(hash('t,0,i,2,A,3'));
  });

  test('changes with the seed', () => {
    const row = 't,1,i,2,A,3\n';
    expect(plainPath(binding, row, 1).hash).not.toEqual(plainPath(binding, row, 2).hash);
  });
});
