import { parseLocalArgs } from '../../../bin/commands/local';

describe('factory local flags', () => {
  it('leaves every option to the pipeline defaults when no flag is given', () => {
    const { options, json, help } = parseLocalArgs([]);
    expect({ json, help }).toEqual({ json: false, help: false });
    expect(options).toEqual({ keepRunning: false, keepData: false, verbose: false, plan: {} });
  });

  it('reads rows, files, seed, port, keep-running and the plan overrides', () => {
    const { options } = parseLocalArgs([
      '--rows',
      '5000',
      '--files',
      '3',
      '--seed',
      '0',
      '--port',
      '8080',
      '--keep-running',
      '--deadline',
      '246.5',
      '--max-instances',
      '4',
    ]);
    expect(options).toMatchObject({
      rows: 5000,
      files: 3,
      seed: 0,
      port: 8080,
      keepRunning: true,
      plan: { deadlineSeconds: 246.5, maxInstances: 4 },
    });
  });

  it.each([
    [['--rows', '0'], /--rows must be a whole number ≥ 1, got "0"/],
    [['--rows', '1e5'], /--rows must be a whole number/],
    [['--port', '70000'], /--port must be at most 65535/],
    [['--files', '10', '--rows', '5'], /--files must not exceed --rows \(5\)/],
    [['--deadline=0'], /--deadline must be a number > 0, got "0"/],
    [['--max-instances', '0'], /--max-instances must be a whole number ≥ 1/],
    [['--bogus'], /Unknown option '--bogus'/],
  ])('rejects %j naming the flag', (argv, message) => {
    expect(() => parseLocalArgs(argv as string[])).toThrow(message);
  });
});
