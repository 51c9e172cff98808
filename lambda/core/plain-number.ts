/**
 * The number step the plain-row fast paths share (preprocess's cleaning/plain-row.ts and the
 * trainer's CsvTrainingReader in train.ts), and the bytes they look for. Each reader keeps its
 * own loop over a `-?digits[.digits]` cell (they differ in bounds checks and digit limits);
 * the digits it gathers become a double here, in one place, and parseDecimal's fast path
 * (parse-decimal.ts) ends in the same step, so fast and general paths give the same bits.
 */

/**
 * The bytes they look for. A const enum, so every use is a literal once bundled (esbuild inlines
 * enum members across files): a module constant would be a variable the loops load per byte.
 */
export const enum Byte {
  TAB = 0x09,
  LF = 0x0a,
  CR = 0x0d,
  SPACE = 0x20,
  QUOTE = 0x22,
  COMMA = 0x2c,
  MINUS = 0x2d,
  DOT = 0x2e,
  DIGIT_0 = 0x30,
}

/**
 * Exact powers of ten: 10^k is exact in binary64 for k ≤ 22 (Clinger), so one IEEE multiply or
 * divide of an exact integer mantissa by one of them is correctly rounded.
 */
export const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
  1e20, 1e21, 1e22,
];

/** The digit limit, inlined like Byte. */
export const enum Exact {
  /**
   * Most digits of an exact mantissa: with at most 15 the integer is below 2^53, so exact in a
   * double (the trainer's reader and parseDecimal accumulate in doubles up to this limit).
   */
  DIGITS = 15,
}

/**
 * The value of `-?digits[.digits]` from its digits as one integer `mantissa` (exact: at most
 * Exact.DIGITS digits), the number of them after the point (`fraction`, at most 22) and the
 * sign: mantissa / 10^fraction, correctly rounded, so it equals `Number(text)` bit for bit
 * (`-0` for a negative zero). Small enough for the engine to inline into each hot loop.
 */
export function decimalValue(mantissa: number, fraction: number, negative: boolean): number {
  const v = fraction === 0 ? mantissa : mantissa / POW10[fraction];
  return negative ? -v : v;
}
