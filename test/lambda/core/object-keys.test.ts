import fc from 'fast-check';
import { FileRejectedError } from '../../../lambda/core/errors';
import {
  inputIdentity,
  isCsvKey,
  outputKeys,
  OUTPUT_KINDS,
  OUTPUT_PREFIXES,
  parseOutputKey,
  type InputObject,
} from '../../../lambda/core/object-keys';

const versionIdArb = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 });
const inputArb: fc.Arbitrary<InputObject> = fc.record(
  {
    key: fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => `${s}.csv`),
    versionId: versionIdArb,
    etag: fc.stringMatching(/^[0-9a-f]{32}(-\d{1,3})?$/),
  },
  { requiredKeys: ['key'] },
);

describe('outputKeys', () => {
  it('derives every output key from the input key and version id', () => {
    expect(outputKeys({ key: 'plant a/line+1.csv', versionId: 'AbC.9_x', etag: 'ffff' })).toEqual({
      clean: 'clean/plant a/line+1/v-AbC%2E9_x.csv',
      train: 'train/plant a/line+1/v-AbC%2E9_x.csv',
      stats: 'stats/plant a/line+1/v-AbC%2E9_x.json',
      groupStats: 'stats/plant a/line+1/v-AbC%2E9_x.groups.csv',
      report: 'reports/plant a/line+1/v-AbC%2E9_x.json',
      quarantine: 'quarantine/plant a/line+1/v-AbC%2E9_x.csv',
      rejection: 'quarantine/plant a/line+1/v-AbC%2E9_x.json',
    });
  });

  it('falls back to the ETag, then to "unversioned"', () => {
    expect(outputKeys({ key: 'a.csv', etag: 'd41d8cd9-2' }).clean).toBe('clean/a/e-d41d8cd9-2.csv');
    expect(outputKeys({ key: 'a.csv' }).clean).toBe('clean/a/unversioned.csv');
  });

  it('writes only under the five curated prefixes', () => {
    expect(OUTPUT_PREFIXES.sort()).toEqual(['clean', 'quarantine', 'reports', 'stats', 'train']);
  });

  it('rejects an input whose output keys would pass 1024 bytes', () => {
    const key = `${'é'.repeat(510)}.csv`; // 1020 UTF-8 bytes: the input fits, its outputs do not
    expect(() => outputKeys({ key, versionId: 'v' })).toThrow(FileRejectedError);
    expect(() => outputKeys({ key, versionId: 'v' })).toThrow(/1024/);
  });

  it('round-trips: every output key parses back to its kind and the input identity', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const keys = outputKeys(input);
        return OUTPUT_KINDS.every((kind) => {
          const parsed = parseOutputKey(keys[kind]);
          return (
            parsed !== null &&
            parsed.kind === kind &&
            JSON.stringify(parsed.input) === JSON.stringify(inputIdentity(input))
          );
        });
      }),
      { numRuns: 500 },
    );
  });

  it('never gives two different inputs the same output key, of any kind', () => {
    fc.assert(
      fc.property(inputArb, inputArb, (a, b) => {
        const ia = JSON.stringify(inputIdentity(a));
        const ib = JSON.stringify(inputIdentity(b));
        const ka = Object.values(outputKeys(a));
        const kb = new Set(Object.values(outputKeys(b)));
        return ia === ib || ka.every((k) => !kb.has(k));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps keys apart that differ only in version kind or nesting', () => {
    const all = [
      { key: 'a.csv', versionId: 'x' },
      { key: 'a.csv', etag: 'x' },
      { key: 'a.csv' },
      { key: 'a/v-x.csv' },
      { key: 'a/unversioned.csv' },
      { key: 'a.csv.csv' },
    ].flatMap((input) => Object.values(outputKeys(input)));
    expect(new Set(all).size).toBe(all.length);
  });

  it('gives the same input the same keys every time', () => {
    fc.assert(
      fc.property(
        inputArb,
        (input) => JSON.stringify(outputKeys(input)) === JSON.stringify(outputKeys({ ...input })),
      ),
    );
  });
});

describe('parseOutputKey', () => {
  it.each([
    'clean/a.csv',
    'other/a/v-1.csv',
    'clean/a/v-1.json',
    'clean/a/x-1.csv',
    'clean/a/v-%E8.csv',
    'clean/a/v-a.b.csv',
  ])('returns null for %s, which no input produces', (key) => {
    expect(parseOutputKey(key)).toBeNull();
  });
});

describe('isCsvKey', () => {
  it.each([
    ['a.csv', true],
    ['dir/b c.csv', true],
    ['a.CSV', false],
    ['a.csv.gz', false],
    ['a.txt', false],
    ['folder/', false],
  ])('%s → %s', (key, expected) => {
    expect(isCsvKey(key)).toBe(expected);
  });
});
