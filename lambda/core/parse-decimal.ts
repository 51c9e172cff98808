/**
 * Exact decimal parsing straight from bytes, so the hot loop allocates no string per numeric cell.
 *
 * Fast path (Clinger): at most 15 significant digits make an integer mantissa below 2^53, and
 * 10^k is exact in binary64 for k ≤ 22, so one IEEE multiply or divide gives the correctly
 * rounded result. Anything else (more digits, bigger exponents) falls back to `Number()` on the
 * already validated text, so the result always equals `Number(text)` bit for bit (a fast-check
 * property proves it in test/lambda/core/parse-decimal.test.ts).
 *
 * Grammar (what pandas' round-trip parser reads as a float, minus inf/nan words, which the
 * caller handles): optional spaces or tabs, `[+-]?`, digits with an optional `.` fraction (or a
 * fraction alone), an optional `[eE][+-]?digits` exponent, optional spaces or tabs.
 */
import { Byte, Exact, POW10, decimalValue } from './plain-number';

/** Parses bytes[start, end) as a decimal literal; NaN when it is not one (never throws). */
export function parseDecimal(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  let e = end;
  while (i < e && (bytes[i] === Byte.SPACE || bytes[i] === Byte.TAB)) i++;
  while (e > i && (bytes[e - 1] === Byte.SPACE || bytes[e - 1] === Byte.TAB)) e--;
  const textStart = i;
  let negative = false;
  if (i < e) {
    const c = bytes[i];
    if (c === 0x2d) {
      negative = true;
      i++;
    } else if (c === 0x2b) {
      i++;
    }
  }
  let mantissa = 0;
  let significant = 0;
  let exp10 = 0;
  let digits = 0;
  let slow = false;
  while (i < e) {
    const d = bytes[i] - 0x30;
    if (d < 0 || d > 9) break;
    digits++;
    if (mantissa !== 0 || d !== 0) {
      if (significant < Exact.DIGITS) {
        mantissa = mantissa * 10 + d;
        significant++;
      } else {
        slow = true;
      }
    }
    i++;
  }
  if (i < e && bytes[i] === 0x2e) {
    i++;
    while (i < e) {
      const d = bytes[i] - 0x30;
      if (d < 0 || d > 9) break;
      digits++;
      if (mantissa !== 0 || d !== 0) {
        if (significant < Exact.DIGITS) {
          mantissa = mantissa * 10 + d;
          significant++;
          exp10--;
        } else {
          slow = true;
        }
      } else {
        exp10--;
      }
      i++;
    }
  }
  if (digits === 0) return NaN;
  if (i < e && (bytes[i] === 0x65 || bytes[i] === 0x45)) {
    i++;
    let expNegative = false;
    if (i < e && (bytes[i] === 0x2d || bytes[i] === 0x2b)) {
      expNegative = bytes[i] === 0x2d;
      i++;
    }
    let expDigits = 0;
    let exp = 0;
    while (i < e) {
      const d = bytes[i] - 0x30;
      if (d < 0 || d > 9) break;
      if (exp < 100000) exp = exp * 10 + d;
      expDigits++;
      i++;
    }
    if (expDigits === 0) return NaN;
    exp10 += expNegative ? -exp : exp;
  }
  if (i !== e) return NaN;
  if (!slow) {
    if (mantissa === 0) return negative ? -0 : 0;
    if (exp10 <= 0 && exp10 >= -22) return decimalValue(mantissa, -exp10, negative);
    if (exp10 > 0 && exp10 <= 22) {
      const value = mantissa * POW10[exp10];
      return negative ? -value : value;
    }
  }
  return Number(latin1(bytes, textStart, e));
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]);
  return s;
}
