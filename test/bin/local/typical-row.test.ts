import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { typicalRow } from '../../../bin/local/steps/typical-row';
import { artifactFixture } from '../../lambda/model-fixture';

// Profiles of the fixture: A has means 70, 5, 0.2 and spreads 2, 0.5, 0.05.
const artifact = artifactFixture({ category: 'Kind [-]', features: ['T [K]', 'p, "raw" [bar]', 'v'] });
const CSV =
  'UDI,Kind [-],T [K],"p, ""raw"" [bar]",v,Note,quality\n' +
  '1,A,90,5,0.2,far off,70\n' + // T 10σ off: not typical
  '2,A,70.5,,0.2,empty p,70\n' + // a missing feature: not typical
  '3,A,70.5,5.1,0.21,"Zhang, San",71.5\n';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'typical-row-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the typical row of the user files', () => {
  test('is the first row within 2σ on every feature, whole, with quoted names and cells read as CSV', async () => {
    writeFileSync(join(dir, 'a.csv'), CSV);
    await expect(typicalRow({ kind: 'files', paths: [join(dir, 'a.csv')] }, artifact, 3)).resolves.toEqual({
      UDI: 3,
      'Kind [-]': 'A',
      'T [K]': 70.5,
      'p, "raw" [bar]': 5.1,
      v: 0.21,
      Note: 'Zhang, San',
      quality: 71.5,
    });
  });

  test('is read from a gzip file too', async () => {
    writeFileSync(join(dir, 'a.csv.gz'), gzipSync(CSV));
    const row = await typicalRow({ kind: 'files', paths: [join(dir, 'a.csv.gz')] }, artifact, 3);
    expect(row.UDI).toBe(3);
  });

  test('is an error naming the files when no row qualifies', async () => {
    writeFileSync(join(dir, 'a.csv'), CSV.split('\n').slice(0, 3).join('\n') + '\n');
    await expect(typicalRow({ kind: 'files', paths: [join(dir, 'a.csv')] }, artifact, 3)).rejects.toThrow(
      `no typical row (every feature a number within 2σ of its category profile) in the first MiB of ${join(dir, 'a.csv')}`,
    );
  });
});
