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

  it('reads --input files (repeated, or listed after the first), --target and --category', () => {
    const { options, schemaFile } = parseLocalArgs([
      '--input',
      'a.csv',
      'b.csv',
      '--input',
      'Werk 2 [Mai].csv',
      '--target',
      'Tool wear [min]',
      '--category',
      'Type',
    ]);
    expect(options).toMatchObject({
      inputs: ['a.csv', 'Werk 2 [Mai].csv', 'b.csv'],
      target: 'Tool wear [min]',
      category: 'Type',
    });
    expect(schemaFile).toBeUndefined();
  });

  it('takes --delimiter with --input, by name or as the character', () => {
    expect(parseLocalArgs(['--input', 'a.tsv', '--delimiter', 'tab']).options.delimiter).toBe('\t');
    expect(parseLocalArgs(['--input', 'a.csv', '--delimiter', ';']).options.delimiter).toBe(';');
  });

  it('takes --schema with --input, read later by the command', () => {
    const { options, schemaFile } = parseLocalArgs(['--input', 'a.csv', '--schema', 's.json']);
    expect(options.inputs).toEqual(['a.csv']);
    expect(schemaFile).toBe('s.json');
  });

  it.each([
    [['--target', 'y'], /^--target needs --input FILE\.csv$/],
    [['--schema', 's.json'], /^--schema needs --input FILE\.csv$/],
    [['--delimiter', 'tab'], /^--delimiter needs --input FILE\.csv$/],
    [
      ['--input', 'a.csv', '--delimiter', 'space'],
      /^--delimiter must be comma, tab, semicolon or pipe, got "space"$/,
    ],
    [['--input', 'a.csv', '--rows', '10'], /^--rows is for generated data; it cannot go with --input$/],
    [['--input', 'a.csv', '--seed', '1'], /^--seed is for generated data/],
    [
      ['--input', 'a.csv', '--schema', 's.json', '--target', 'y'],
      /^give --schema or --target\/--category, not both/,
    ],
    [['a.csv'], /^unexpected argument "a\.csv" \(your own files go after --input\)$/],
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
