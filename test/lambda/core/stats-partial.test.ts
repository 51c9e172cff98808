import fc from 'fast-check';
import { preprocessBytes } from '../../../lambda/core/preprocess';
import { categoryProfiles, mergeStatsPartials, type StatsPartial } from '../../../lambda/core/stats-partial';
import { InvalidStatsPartialError, parseStatsPartial } from '../../../lambda/core/stats-partial-schema';
import { SMALL_HEADER, SMALL_SCHEMA } from '../helpers/small-schema';

const schema = SMALL_SCHEMA;
const HEADER = SMALL_HEADER;
const stats = async (rows: string[]) =>
  (await preprocessBytes(new TextEncoder().encode(HEADER + rows.map((r) => r + '\n').join('')), schema))
    .stats;

/**
 * Within 1e-12 relative, with an absolute floor at the rounding scale of the quantity: a centred
 * co-moment of nearly equal values (99.972, 99.958) is tiny while each Welford/Chan step rounds at
 * eps·|x|·|x - mean|, so co-moments get a 1e-9 floor (n ≤ 60, |x| ≤ 100 here) and other values 1e-12.
 */
const close = (a: number | null, b: number | null, floor: number) =>
  a === b ||
  (a !== null &&
    b !== null &&
    Math.abs(a - b) <= Math.max(1e-12 * Math.max(Math.abs(a), Math.abs(b)), floor));

/** Float-for-float comparison within 1e-12 relative; counts and names exactly. */
function expectClose(x: unknown, y: unknown, path = '$'): void {
  if (typeof x === 'number' || typeof y === 'number') {
    if (!close(x as number, y as number, path.includes('comoments') ? 1e-9 : 1e-12))
      throw new Error(`${path}: ${String(x)} != ${String(y)}`);
    return;
  }
  if (x === null || y === null || typeof x !== 'object') {
    expect(x).toEqual(y);
    return;
  }
  expect(Object.keys(x as object).sort()).toEqual(Object.keys(y as object).sort());
  for (const k of Object.keys(x as object)) {
    expectClose((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], `${path}.${k}`);
  }
}

/** Rows with no duplicates across splits (unique timestamps), some gaps, a few categories. */
const rowsArb = fc.array(
  fc.tuple(
    fc.constantFrom('A', 'B', 'C', ''),
    fc.option(fc.integer({ min: -5000, max: 5000 }), { freq: 8 }),
    fc.option(fc.integer({ min: 0, max: 99999 }), { freq: 8 }),
    fc.integer({ min: -100, max: 100 }),
  ),
  { minLength: 1, maxLength: 60 },
);

describe('stats partials', () => {
  test('merging the partials of k splits equals one pass over complete-row statistics', async () => {
    await fc.assert(
      fc.asyncProperty(
        rowsArb,
        fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
        async (spec, cutSeeds) => {
          // Complete rows only: the mean fill is per file, so only unfilled statistics merge exactly.
          const rows = spec.map(
            ([c, a, b, y], i) => `t${i},i,${c},${(a ?? 7) / 100},${(b ?? 3) / 1000},${y}`,
          );
          const cuts = [...new Set(cutSeeds.map((s) => s % rows.length))].sort((p, q) => p - q);
          const parts: string[][] = [];
          let from = 0;
          for (const cut of [...cuts, rows.length]) {
            if (cut > from) parts.push(rows.slice(from, cut));
            from = Math.max(from, cut);
          }
          const whole = await stats(rows);
          const merged = mergeStatsPartials(await Promise.all(parts.map(stats)));
          expectClose(strip(merged), strip(whole));
        },
      ),
      { numRuns: 150 },
    );
  });

  test('adds counts of rows, duplicates, quarantine and bytes exactly', async () => {
    const p1 = await stats(['t1,i,A,1,2,3', 't1,i,A,1,2,3', 'bad']);
    const p2 = await stats(['t2,i,B,,2,3']);
    const merged = mergeStatsPartials([p1, p2]);
    expect([
      merged.rowsIn,
      merged.rowsClean,
      merged.duplicates,
      merged.quarantined,
      merged.rowsComplete,
    ]).toEqual([4, 2, 1, 1, 1]);
    expect(merged.bytesIn).toBe(p1.bytesIn + p2.bytesIn);
  });

  test('turns a partial into per-category Gaussian profiles of the features', async () => {
    const p = await stats(['t1,i,A,1,10,0', 't2,i,A,3,30,0', 't3,i,B,5,1,0', 't4,i,A,,1,0']);
    expect(categoryProfiles(p)).toEqual({
      A: { count: 2, mean: [2, 20], std: [Math.SQRT2, Math.sqrt(200)] },
      B: { count: 1, mean: [5, 1], std: [NaN, NaN] },
    });
  });

  test('refuses to merge partials over different columns', async () => {
    const p = await stats(['t1,i,A,1,2,3']);
    const other = { ...p, columns: ['x', 'y', 'z'] } as StatsPartial;
    expect(() => mergeStatsPartials([p, other])).toThrow(/different columns/);
  });
});

describe('parseStatsPartial', () => {
  /** The bytes preprocess writes (the handler's stats/ object, `factory preprocess`'s stats.json). */
  const written = (p: StatsPartial) => JSON.stringify(p, null, 2) + '\n';

  test('a partial as written parses back to the partial and to the same bytes', async () => {
    // Column a has no value at all: its mean, fill and filled moments are NaN, written as null.
    const p = await stats(['t1,i,A,,2,3', 't2,i,B,,4,5', 't3,i,,,1,1']);
    expect(written(p)).toContain('null');
    const parsed = parseStatsPartial(JSON.parse(written(p)), 'stats/x/v-1.json');
    expect(parsed).toEqual(p);
    expect(written(parsed)).toBe(written(p));
  });

  test('a malformed partial is an error naming its key and each bad field once', async () => {
    const p = JSON.parse(JSON.stringify(await stats(['t1,i,A,1,2,3'])));
    const { bytesIn: _bytesIn, ...withoutBytes } = p;
    const bad = {
      ...withoutBytes,
      format: 'aiaas-factory/stats-partial@0',
      rowsComplete: -1,
      moments: { ...p.moments, mean: [1, 2] },
    };
    const error = (() => {
      try {
        parseStatsPartial(bad, 'stats/x/v-1.json');
      } catch (e) {
        return e as InvalidStatsPartialError;
      }
      throw new Error('parsed');
    })();
    expect(error).toBeInstanceOf(InvalidStatsPartialError);
    expect(error).toMatchObject({
      name: 'InvalidStatsPartial',
      code: 'InvalidStatsPartial',
      key: 'stats/x/v-1.json',
    });
    expect(error.problems).toEqual([
      'format: must be "aiaas-factory/stats-partial@1"',
      'rowsComplete: must be a whole number ≥ 0',
      'bytesIn: must be a whole number ≥ 0',
      'moments.mean: has 2 entries, expected 3',
    ]);
    expect(error.message).toMatch(/^stats\/x\/v-1\.json: not a statistics partial: format: /);
  });

  test('entries out of line with the columns are named, once the shape is right', async () => {
    const p = JSON.parse(JSON.stringify(await stats(['t1,i,A,1,2,3'])));
    const short = { ...p, categories: { A: { ...p.categories.A, filledSum: [1] } } };
    expect(() => parseStatsPartial(short)).toThrow(
      'not a statistics partial: categories.A.filledSum: has 1 entries, expected 3 (one per column)',
    );
    expect(() => parseStatsPartial({ ...p, columns: ['a', 'y', 'b'] })).toThrow(
      'statistics partial: not a statistics partial: columns: must be the features then the target; ' +
        'numeric: must hold one entry per column, in the order of columns; ' +
        'moments.columns: must equal columns; filledMoments.columns: must equal columns; ' +
        'categories.A.moments.columns: must equal columns',
    );
    expect(() => parseStatsPartial(null)).toThrow('not a statistics partial: partial: must be an object');
  });
});

/** filledMoments depends on each file's own fill and bytesIn counts each split's header; all else must merge. */
function strip(p: StatsPartial): Omit<StatsPartial, 'filledMoments' | 'bytesIn'> {
  const { filledMoments: _filled, bytesIn: _bytes, ...rest } = p;
  return rest;
}
