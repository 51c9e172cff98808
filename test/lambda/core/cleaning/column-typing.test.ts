/**
 * Extra columns, pandas' way (column-typing.ts and the passes after it), against a direct model of
 * `read_csv; drop_duplicates(); fillna(mean(numeric_only=True)); groupby(c).mean(numeric_only=True)`
 * on random small files: which extra columns are numeric, how many rows are duplicates (numbers
 * compared as numbers, whatever their spelling; NA words missing in every column) and the group
 * means of every numeric column, at any chunk size (the plain fast path and the general path).
 */
import fc from 'fast-check';
import { decodeSchema } from '../../../../lambda/core/dataset-schema';
import { isMissingCell, preprocessBytes } from '../../../../lambda/core/preprocess';

const schema = decodeSchema('{"category":"c","features":["x"],"target":"y"}');
const EXTRAS = ['e1', 'Spindle load [%]', 'e 3'];
const enc = new TextEncoder();

/** Cells an extra column may hold: numbers spelled several ways, pandas NA words, text. */
const NUMBERS = ['1.5', '1.50', '15e-1', '-0.00000142', '-1.42E-06', '2', '2.0', '+2', ' 3 ', '0', '-0'];
const MISSING = ['', 'NA', 'n/a', 'NaN', 'null'];
const TEXT = ['abc', '1.5x', 'True', '0x10'];
const numberCell = fc.constantFrom(...NUMBERS, ...MISSING);
const extraCell = fc.oneof(
  { weight: 6, arbitrary: numberCell },
  { weight: 1, arbitrary: fc.constantFrom(...TEXT) },
);

/** Spellings of one value (or one missing cell), for copies that pandas calls duplicates. */
const SPELLINGS = [
  ['1.5', '1.50', '15e-1'],
  ['-0.00000142', '-1.42E-06'],
  ['2', '2.0', '+2'],
  ['0', '-0'],
  MISSING,
];

function respelled(row: readonly string[], choice: number): string[] {
  return row.map((cell, k) => {
    const group = k >= 3 ? SPELLINGS.find((g) => g.includes(cell)) : undefined;
    return group ? group[(choice + k) % group.length] : cell;
  });
}

const missing = (cell: string) => isMissingCell(enc.encode(cell), 0, enc.encode(cell).length);
const value = (cell: string) => (missing(cell) ? NaN : Number(cell.trim()));

interface Model {
  numericExtras: string[];
  duplicates: number;
  /** category -> mean per numeric column (x, y, then the numeric extras) */
  groups: Map<string, number[]>;
}

function model(rows: string[][]): Model {
  const header = ['c', 'x', 'y', ...EXTRAS];
  const numericExtras = EXTRAS.filter((_, e) =>
    rows.every((r) => missing(r[3 + e]) || NUMBERS.includes(r[3 + e])),
  );
  const numeric = ['x', 'y', ...numericExtras].map((name) => header.indexOf(name));
  const isNumeric = (k: number) => numeric.includes(k);
  const seen = new Set<string>();
  const kept: string[][] = [];
  for (const r of rows) {
    const key = JSON.stringify(
      // Numbers by value (-0 equals 0, every missing cell equals every other), text as written.
      r.map((cell, k) =>
        isNumeric(k) ? (value(cell) === 0 ? '0' : String(value(cell))) : missing(cell) ? null : cell,
      ),
    );
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(r);
  }
  const means = numeric.map((k) => {
    const present = kept.map((r) => value(r[k])).filter((v) => !Number.isNaN(v));
    return present.reduce((a, b) => a + b, 0) / present.length;
  });
  const groups = new Map<string, number[][]>();
  for (const r of kept) {
    if (missing(r[0])) continue;
    const filled = numeric.map((k, j) => (Number.isNaN(value(r[k])) ? means[j] : value(r[k])));
    groups.set(r[0], [...(groups.get(r[0]) ?? []), filled]);
  }
  const out = new Map<string, number[]>();
  for (const [c, list] of groups) {
    out.set(
      c,
      numeric.map((_, j) => list.reduce((a, f) => a + f[j], 0) / list.length),
    );
  }
  return { numericExtras, duplicates: rows.length - kept.length, groups: out };
}

const close = (a: number, b: number) =>
  (Number.isNaN(a) && Number.isNaN(b)) ||
  a === b ||
  Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b));

describe('extra columns typed and cleaned as pandas does', () => {
  test('numeric extras, duplicates and group means equal the model at any chunk size', async () => {
    const row = fc.tuple(
      fc.constantFrom('A', 'B', ''),
      fc.constantFrom('1', '2.5', ''),
      fc.constantFrom('3', '4', 'NA'),
      extraCell,
      extraCell,
      extraCell,
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { minLength: 1, maxLength: 40 }),
        // Copies of earlier rows with their numbers spelled another way: duplicates to pandas.
        fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 12 }),
        fc.integer({ min: 1, max: 64 }),
        async (base, copies, chunkSize) => {
          const rows: string[][] = [...base];
          for (const [pick, spelling] of copies) rows.push(respelled(rows[pick % rows.length], spelling));
          const csv = ['c,x,y,' + EXTRAS.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n';
          const out = await preprocessBytes(enc.encode(csv), schema, { chunkSize });
          const want = model(rows.map((r) => [...r]));
          expect(out.report.extraNumericColumns).toEqual(want.numericExtras);
          expect(out.report.duplicates).toBe(want.duplicates);
          const lines = out.groupStatsCsv.trim().split('\n');
          expect(lines[0]).toBe(['category', 'count', 'x', 'y', ...want.numericExtras].join(','));
          const got = new Map(
            lines.slice(1).map((l) => {
              const [c, , ...means] = l.split(',');
              return [c, means.map((m) => (m === '' ? NaN : Number(m)))] as const;
            }),
          );
          expect([...got.keys()].sort()).toEqual([...want.groups.keys()].sort());
          for (const [c, means] of want.groups) {
            const ours = got.get(c)!;
            means.forEach((m, j) => {
              if (!close(ours[j], m)) throw new Error(`group ${c} column ${j}: ${ours[j]} != ${m}`);
            });
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
