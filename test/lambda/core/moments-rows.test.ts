import fc from 'fast-check';
import { Moments } from '../../../lambda/core/moments';
import { addRows, rowsScratch } from '../../../lambda/core/moments-rows';

describe('addRows', () => {
  test('gives the same bits as adding the same rows one by one with Moments#add', () => {
    const cell = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
      fc.integer({ min: -1000, max: 1000 }).map((i) => i / 10),
    );
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 5 })
          .chain((d) =>
            fc.tuple(
              fc.constant(d),
              fc.array(fc.array(cell, { minLength: d, maxLength: d }), { maxLength: 23 }),
            ),
          ),
        fc.integer({ min: 0, max: 3 }),
        ([d, rows], split) => {
          const columns = Array.from({ length: d }, (_, i) => `c${i}`);
          const one = new Moments(columns);
          for (const row of rows) one.add(Float64Array.from(row));
          // Rows stored out of order in `values`, picked in order through the index list, in two calls.
          const values = new Float64Array(rows.length * d);
          const index = new Int32Array(rows.length);
          rows.forEach((row, t) => {
            const slot = rows.length - 1 - t;
            values.set(row, slot * d);
            index[t] = slot;
          });
          const many = new Moments(columns);
          const cut = Math.min(split * 3, rows.length);
          addRows(many, values, index, cut, rowsScratch(d));
          addRows(many, values, index.subarray(cut), rows.length - cut, rowsScratch(d));
          expect(many.n).toBe(one.n);
          expect(Array.from(many.mean)).toEqual(Array.from(one.mean));
          expect(Array.from(many.c)).toEqual(Array.from(one.c));
        },
      ),
      { numRuns: 500 },
    );
  });
});
