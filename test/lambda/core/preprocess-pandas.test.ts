/**
 * Exactness against pandas 1.5.3 (Debian python): clean.csv holds the same rows in the same order
 * as drop_duplicates() + fillna(mean), and group_stats.csv equals groupby(category).mean(), each
 * value within 1e-12 relative (pandas sums pairwise or with bottleneck, we with Neumaier).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { preprocessFile } from '../../../bin/commands/preprocess';
import { DEFAULT_DATASET_SCHEMA, decodeSchema } from '../../../lambda/core/dataset-schema';
import { SyntheticDataset } from '../../../lambda/core/synthetic-data';
import { compareWithPandas } from '../../support/pandas';

const FIXTURES = join(__dirname, '../../fixtures/csv');
const SCHEMA_PATH = join(FIXTURES, 'schema.json');
const schema = decodeSchema(readFileSync(SCHEMA_PATH, 'utf8'));
const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.csv'));

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'preprocess-pandas-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the cleaning core agrees with pandas', () => {
  test.each(fixtures)('on the edge-case fixture %s', async (name) => {
    const out = join(work, name);
    await preprocessFile(join(FIXTURES, name), out, { schemaPath: SCHEMA_PATH });
    expect(compareWithPandas(join(FIXTURES, name), out, schema)).toEqual([]);
  });

  // Real-shaped files with their own schemas: names with spaces and brackets, no timestamp,
  // extra columns of numbers (gaps, NA words, `1E-06` and `-0.00000142` spellings) that pandas
  // fills, compares as numbers and averages, and extra text columns holding number-like text.
  const OWN = join(FIXTURES, 'own-data');
  test.each(readdirSync(OWN).filter((f) => f.endsWith('.csv')))(
    'on the real-shaped file %s',
    async (name) => {
      const schemaPath = join(OWN, name.replace(/\.csv$/, '.schema.json'));
      const out = join(work, name);
      const { report } = await preprocessFile(join(OWN, name), out, { schemaPath });
      expect(report.extraNumericColumns.length).toBeGreaterThan(0);
      expect(report.duplicates).toBeGreaterThan(0);
      expect(compareWithPandas(join(OWN, name), out, decodeSchema(readFileSync(schemaPath, 'utf8')))).toEqual(
        [],
      );
    },
  );

  // Extra columns typed over the whole file, as pandas types them.
  const SMALL = decodeSchema('{"category":"c","features":["x"],"target":"y"}');
  const lateText = [
    'c,x,y,serial,load [%]',
    ...Array.from({ length: 3000 }, (_, i) => `A${i % 3},${i % 7},${i % 5},${i},${i % 2 ? '' : '1E-06'}`),
    'A1,1,1,SN-9,2',
  ];
  test.each([
    ['a header only, with extra columns', 'c,x,y,extra,note\n', []],
    [
      'an extra column of missing cells only',
      'c,x,y,extra,note\nA,1,2,,a\nB,3,4,NA,b\nA,1,2,n/a,a\n',
      ['extra'],
    ],
    ['an extra column whose one text cell is its last', lateText.join('\n') + '\n', ['load [%]']],
  ])('on %s', async (name, csv, numericExtras) => {
    const input = join(work, `${name}.csv`);
    writeFileSync(input, csv);
    const out = join(work, name);
    const { report } = await preprocessFile(input, out, { schema: SMALL });
    expect(report.extraNumericColumns).toEqual(numericExtras);
    expect(compareWithPandas(input, out, SMALL)).toEqual([]);
  });

  test('on 20,000 generated production rows with duplicates and gaps', async () => {
    const input = join(work, 'generated.csv');
    const dataset = new SyntheticDataset({ rows: 20000, seed: 7 });
    writeFileSync(input, Buffer.concat([...dataset.fileChunks(0)]));
    const out = join(work, 'generated');
    const { report } = await preprocessFile(input, out);
    expect(report.duplicates).toBeGreaterThan(0);
    expect(report.filledCells).toBeGreaterThan(0);
    expect(compareWithPandas(input, out, DEFAULT_DATASET_SCHEMA)).toEqual([]);
  });
});
