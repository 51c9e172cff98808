import fc from 'fast-check';
import { parseDecimal } from '../../../lambda/core/parse-decimal';
import { Exact, decimalValue } from '../../../lambda/core/plain-number';

describe('decimalValue', () => {
  test('gives Number() of -?digits[.digits] bit for bit from the digits as an integer mantissa', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.stringMatching(new RegExp(`^[0-9]{1,${Exact.DIGITS}}$`)),
        fc.nat({ max: Exact.DIGITS }),
        (negative, digits, at) => {
          const fraction = Math.min(at, digits.length - 1);
          const int = digits.slice(0, digits.length - fraction);
          const text = `${negative ? '-' : ''}${int}${fraction > 0 ? `.${digits.slice(int.length)}` : ''}`;
          const value = decimalValue(Number(digits), fraction, negative);
          expect(Object.is(value, Number(text))).toBe(true);
          expect(Object.is(value, parseDecimal(new TextEncoder().encode(text), 0, text.length))).toBe(true);
        },
      ),
      { numRuns: 20000 },
    );
  });

  test('keeps the sign of zero', () => {
    expect(Object.is(decimalValue(0, 3, true), -0)).toBe(true);
    expect(Object.is(decimalValue(0, 0, false), 0)).toBe(true);
  });
});
