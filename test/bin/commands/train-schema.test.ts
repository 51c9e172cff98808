/**
 * `factory train DIR` trains with the schema preprocess recorded in DIR/stats.json (issue 13,
 * item 5); `--schema` overrides it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as preprocess } from '../../../bin/commands/preprocess';
import { recordedSchema } from '../../../bin/commands/schema-file';
import { run as train } from '../../../bin/commands/train';
import type { ModelArtifact } from '../../../lambda/core/model-artifact';

const MILLING = join(__dirname, '../../fixtures/real-shaped/milling.csv');
const SCHEMA = {
  ids: ['UDI', 'Product ID', 'Operator'],
  category: 'Type',
  features: ['Air temperature [K]', 'Process temperature [K]', 'Rotational speed [rpm]', 'Torque [Nm]'],
  target: 'Tool wear [min]',
};

let dir: string;
let errors: string[];
const read = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as ModelArtifact;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'train-schema-'));
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
  writeFileSync(join(dir, 'schema.json'), JSON.stringify(SCHEMA));
  expect(await preprocess([MILLING, '--out', join(dir, 'pre'), '--schema', join(dir, 'schema.json')])).toBe(
    0,
  );
  jest.restoreAllMocks();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  errors = [];
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  jest.spyOn(console, 'error').mockImplementation((m: string) => void errors.push(m));
});
afterEach(() => jest.restoreAllMocks());

describe('factory train DIR', () => {
  it('reads the category, features and target preprocess recorded in DIR/stats.json', async () => {
    await expect(recordedSchema(join(dir, 'pre'))).resolves.toEqual({ ...SCHEMA, ids: [] });
  });

  it('trains on a preprocessed real-shaped file without --schema, with the names as the header spells them', async () => {
    expect(await train([join(dir, 'pre'), '--out', join(dir, 'recorded.json')])).toBe(0);
    const model = read(join(dir, 'recorded.json'));
    expect([model.category, model.features, model.target]).toEqual([
      SCHEMA.category,
      SCHEMA.features,
      SCHEMA.target,
    ]);
  });

  it('gives the same model as with the recorded schema given explicitly', async () => {
    // stats.json records the category, features and target, not the text ids, which the holdout
    // row hash reads: the same model as --schema with ids [].
    writeFileSync(join(dir, 'recorded-schema.json'), JSON.stringify({ ...SCHEMA, ids: [] }));
    expect(await train([join(dir, 'pre'), '--out', join(dir, 'recorded.json')])).toBe(0);
    expect(
      await train([
        join(dir, 'pre'),
        '--out',
        join(dir, 'given.json'),
        '--schema',
        join(dir, 'recorded-schema.json'),
      ]),
    ).toBe(0);
    const [given, recorded] = [read(join(dir, 'given.json')), read(join(dir, 'recorded.json'))];
    expect(given.weights).toEqual(recorded.weights);
    expect(given.metrics).toEqual(recorded.metrics);
  });

  it('uses --schema instead of the recorded schema when given', async () => {
    writeFileSync(join(dir, 'line.json'), JSON.stringify({ ...SCHEMA, ids: ['Line'] }));
    expect(
      await train([join(dir, 'pre'), '--out', join(dir, 'x.json'), '--schema', join(dir, 'line.json')]),
    ).toBe(1);
    expect(errors).toEqual([expect.stringMatching(/header lacks schema column\(s\): Line/)]);
  });

  it('refuses directories preprocessed with different schemas, in one line', async () => {
    const other = { ...SCHEMA, features: ['Torque [Nm]'] };
    writeFileSync(join(dir, 'other.json'), JSON.stringify(other));
    expect(
      await preprocess([MILLING, '--out', join(dir, 'pre-other'), '--schema', join(dir, 'other.json')]),
    ).toBe(0);
    errors = [];
    expect(await train([join(dir, 'pre'), join(dir, 'pre-other'), '--out', join(dir, 'x.json')])).toBe(1);
    expect(errors).toEqual([
      `factory train: ${join(dir, 'pre')} and ${join(dir, 'pre-other')} were preprocessed with different schemas: give --schema FILE (factory train --help)`,
    ]);
  });
});
