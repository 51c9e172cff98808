import fc from 'fast-check';
import { DurationParseError, formatDuration, parseDuration } from '../../../lambda/core/duration';

describe('parseDuration', () => {
  test.each([
    ['120', 120],
    ['1.5', 1.5],
    ['90s', 90],
    ['30m', 1800],
    ['2h', 7200],
    ['1d', 86400],
    ['0.5h', 1800],
    [' 45 s ', 45],
    ['2H', 7200],
    ['0', 0],
  ])('"%s" is %d seconds', (input, seconds) => {
    expect(parseDuration(input)).toBe(seconds);
  });

  test.each(['', 'abc', '10x', '-5', '1h30m', 'NaN', 'Infinity', '1e3', 's', '1..2'])(
    '"%s" is rejected with a typed error',
    (input) => {
      expect(() => parseDuration(input)).toThrow(DurationParseError);
    },
  );

  test('whole seconds written with any unit round-trip', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.constantFrom(['s', 1], ['m', 60], ['h', 3600]),
        (n, [u, f]) => {
          expect(parseDuration(`${n}${u}`)).toBe(n * (f as number));
        },
      ),
    );
  });
});

describe('formatDuration', () => {
  test.each([
    [42, '42 s'],
    [725, '12 min 5 s'],
    [3600, '1 h'],
    [7380, '2 h 3 min'],
  ])('%d seconds reads as %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});
