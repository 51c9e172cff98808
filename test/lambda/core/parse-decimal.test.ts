import fc from 'fast-check';
import { parseDecimal } from '../../../lambda/core/parse-decimal';

const bytes = (text: string) => new TextEncoder().encode(text);
const parse = (text: string) => parseDecimal(bytes(text), 0, text.length);

/** Decimal literals in the accepted grammar, biased to the fast path's edges (15-17 digits, e±22). */
const literal = fc
  .tuple(
    fc.constantFrom('', '-', '+'),
    fc.stringMatching(/^[0-9]{0,20}$/),
    fc.option(fc.stringMatching(/^[0-9]{0,20}$/)),
    fc.option(
      fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '-', '+'), fc.integer({ min: 0, max: 400 })),
    ),
  )
  .filter(([, int, frac]) => int.length + (frac ?? '').length > 0)
  .map(([sign, int, frac, exp]) => {
    let text = sign + int;
    if (frac !== null) text += `.${frac}`;
    if (exp !== null) text += `${exp[0]}${exp[1]}${exp[2]}`;
    return text;
  });

describe('parseDecimal', () => {
  test('equals Number() bit for bit on every decimal literal', () => {
    fc.assert(
      fc.property(literal, (text) => {
        expect(Object.is(parse(text), Number(text))).toBe(true);
      }),
      { numRuns: 20000 },
    );
  });

  test('equals Number() on the shortest representation of any double', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        expect(Object.is(parse(String(x)), Number(String(x)))).toBe(true);
      }),
      { numRuns: 20000 },
    );
  });

  test('ignores spaces and tabs around the number, as pandas does', () => {
    expect(parse(' \t1.25 ')).toBe(1.25);
  });

  test('rejects text that is not a decimal literal with NaN', () => {
    for (const text of [
      '',
      ' ',
      '-',
      '.',
      'e5',
      '1e',
      '1e+',
      '0x10',
      '1_0',
      'inf',
      'NaN',
      '1.2.3',
      '1 2',
      '--1',
    ]) {
      expect(parse(text)).toBeNaN();
    }
  });

  test('parses overflow to Infinity so the caller can quarantine it', () => {
    expect(parse('1e999')).toBe(Infinity);
    expect(parse('-1e999')).toBe(-Infinity);
  });

  test('keeps the sign of zero', () => {
    expect(Object.is(parse('-0'), -0)).toBe(true);
    expect(Object.is(parse('-0.000e5'), -0)).toBe(true);
  });
});
