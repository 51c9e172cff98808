import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../../bin/commands/command-line';
import { readSchemaFile, SCHEMA_HELP } from '../../../bin/commands/schema-file';
import { decodeSchema } from '../../../lambda/core/dataset-schema';

/** The JSON object of the help's example (the lines from `{` to `}`). */
function helpExample(): string {
  const lines = SCHEMA_HELP.split('\n');
  return lines.slice(lines.indexOf('  {'), lines.indexOf('  }') + 1).join('\n');
}

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'schema-file-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the schema file', () => {
  test("the help's example is a valid schema", () => {
    expect(decodeSchema(helpExample())).toEqual({
      timestamp: 'Measured at',
      ids: ['Plant', 'Product ID'],
      category: 'Type',
      features: ['Air temperature [K]', 'Torque [Nm]', 'Rotational speed [rpm]'],
      target: 'Tool wear [min]',
    });
  });

  test("the README's CLI section shows the same example", () => {
    const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## The local CLI'), readme.indexOf('## The API'));
    const block = /```json\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block && JSON.parse(block)).toEqual(JSON.parse(helpExample()));
  });

  test('a file without timestamp and ids is a schema with none', async () => {
    writeFileSync(
      join(dir, 's.json'),
      '{"category":"Type","features":["Torque [Nm]"],"target":"Tool wear [min]"}',
    );
    await expect(readSchemaFile(join(dir, 's.json'))).resolves.toEqual({
      ids: [],
      category: 'Type',
      features: ['Torque [Nm]'],
      target: 'Tool wear [min]',
    });
  });

  test('reads a valid file', async () => {
    writeFileSync(join(dir, 's.json'), helpExample());
    await expect(readSchemaFile(join(dir, 's.json'))).resolves.toMatchObject({ target: 'Tool wear [min]' });
  });

  test.each([
    ['missing.json', undefined, /--schema .*missing\.json: cannot read it \(ENOENT\)/],
    ['bad.json', '{"timestamp":', /--schema .*bad\.json: dataset schema is not valid JSON/],
    [
      'empty-features.json',
      '{"timestamp":"t","ids":[],"category":"c","features":[],"target":"y"}',
      /"features" must not be empty/,
    ],
  ])('a problem with %s is a usage error naming the file', async (name, text, message) => {
    if (text !== undefined) writeFileSync(join(dir, name), text);
    const read = readSchemaFile(join(dir, name));
    await expect(read).rejects.toThrow(UsageError);
    await expect(read).rejects.toThrow(message);
  });
});
