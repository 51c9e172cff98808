import { readFileSync } from 'node:fs';
import { EXIT, fail, firstLine, parseFlags, UsageError } from '../../../bin/commands/command-line';

const options = { rows: { type: 'string' }, json: { type: 'boolean' } } as const;

describe('parseFlags', () => {
  test('reads a negative number after a value flag as its value', () => {
    expect(parseFlags({ args: ['--rows', '-5'], options }).values.rows).toBe('-5');
    expect(parseFlags({ args: ['--rows', '-.5'], options }).values.rows).toBe('-.5');
  });

  test('does not swallow a flag after a value flag', () => {
    expect(() => parseFlags({ args: ['--rows', '--json'], options })).toThrow(UsageError);
  });

  test.each([
    [['--bogus'], "Unknown option '--bogus'"],
    [['--rows'], "Option '--rows <value>' argument missing"],
    [['--json=1'], "Option '--json' does not take an argument"],
    [['x'], "Unexpected argument 'x'. This command does not take positional arguments"],
  ])('turns parseArgs errors into one-line usage errors: %j', (args, message) => {
    expect(() => parseFlags({ args, options, allowPositionals: false })).toThrow(
      expect.objectContaining({ constructor: UsageError, message }),
    );
  });
});

describe('firstLine', () => {
  test('leads a file system error with its path', () => {
    let error: unknown;
    try {
      readFileSync('/nonexistent/x.csv');
    } catch (e) {
      error = e;
    }
    expect(firstLine(error)).toBe('/nonexistent/x.csv: no such file or directory (ENOENT)');
  });

  test('keeps only the first line of a message', () => {
    expect(firstLine(new Error('one\ntwo'))).toBe('one');
    expect(firstLine('plain')).toBe('plain');
  });
});

describe('fail', () => {
  let error: jest.SpyInstance;
  beforeEach(() => (error = jest.spyOn(console, 'error').mockImplementation(() => undefined)));
  afterEach(() => {
    error.mockRestore();
    delete process.env.FACTORY_DEBUG;
  });

  test('prints one line naming the command, a usage error pointing at --help, and returns 1', () => {
    expect(fail('plan', new UsageError('--units is required'))).toBe(EXIT.failure);
    expect(error.mock.calls).toEqual([['factory plan: --units is required (factory plan --help)']]);
  });

  test('an unexpected error is one line too, with its stack only under FACTORY_DEBUG', () => {
    expect(fail('train', new TypeError('x is not a function\n  at f'))).toBe(1);
    expect(error.mock.calls).toEqual([['factory train: x is not a function']]);
    process.env.FACTORY_DEBUG = '1';
    fail('train', new TypeError('boom'));
    expect(error.mock.calls[2][0]).toMatch(/^TypeError: boom\n\s+at /);
  });
});
