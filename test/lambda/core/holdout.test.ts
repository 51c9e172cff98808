import fc from 'fast-check';
import {
  RowHasher32,
  checkHoldoutFraction,
  hashFraction,
  isHoldout,
  rowHash,
} from '../../../lambda/core/holdout';

describe('holdout split by row hash', () => {
  it('gives the same hash for the same row every time', () => {
    expect(rowHash(['2024-01-01', 'L1', 'A'], [1.5, 2, 3])).toBe(
      rowHash(['2024-01-01', 'L1', 'A'], [1.5, 2, 3]),
    );
  });

  it('hashes values by number, so 1.5 and 1.50 and -0 and 0 split alike', () => {
    expect(rowHash(['A'], [Number('1.50'), -0])).toBe(rowHash(['A'], [Number('1.5'), 0]));
  });

  it('separates text fields so moving a character between fields changes the hash', () => {
    expect(rowHash(['ab', 'c'], [])).not.toBe(rowHash(['a', 'bc'], []));
  });

  it('tells a field from the same bytes with trailing zero bytes (the last word is zero-padded)', () => {
    expect(rowHash(['a\u0000'], [])).not.toBe(rowHash(['a'], []));
    expect(rowHash(['abcd', ''], [])).not.toBe(rowHash(['abcd'], []));
  });

  it('is an unsigned 32-bit integer mapping to a fraction in [0, 1)', () => {
    fc.assert(
      fc.property(fc.array(fc.string()), fc.array(fc.double()), (texts, values) => {
        const h = rowHash(texts, values);
        expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
        const f = hashFraction(h);
        expect(f >= 0 && f < 1).toBe(true);
      }),
    );
  });

  it('puts close to the requested fraction of distinct rows in the holdout', () => {
    let held = 0;
    const n = 100000;
    for (let i = 0; i < n; i++) if (isHoldout(['A', `L${i % 7}`], [i * 0.25, i % 13], 0.2)) held++;
    // Binomial sd at n = 1e5, p = 0.2 is 126 rows; 5 sd either side.
    expect(Math.abs(held - 0.2 * n)).toBeLessThan(5 * 126);
  });

  it('holds out nothing at fraction 0', () => {
    expect(isHoldout(['x'], [1], 0)).toBe(false);
  });

  it('rejects fractions outside [0, 1)', () => {
    expect(() => checkHoldoutFraction(1)).toThrow('holdout fraction must be in [0, 1), got 1');
    expect(() => checkHoldoutFraction(-0.1)).toThrow(RangeError);
    expect(() => checkHoldoutFraction(NaN)).toThrow(RangeError);
  });
});

describe('RowHasher32', () => {
  it('hashes UTF-8 byte ranges exactly as rowHash hashes the strings', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme' })), fc.array(fc.double()), (texts, values) => {
        const h = new RowHasher32();
        for (const t of texts) {
          const b = new TextEncoder().encode(`xx${t}yy`);
          h.bytes(b, 2, b.length - 2);
        }
        for (const v of values) h.number(v);
        expect(h.digest()).toBe(rowHash(texts, values));
      }),
    );
  });
});
