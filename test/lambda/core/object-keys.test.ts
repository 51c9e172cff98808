import fc from 'fast-check';
import { FileRejectedError } from '../../../lambda/core/errors';
import {
  inputIdentity,
  isCsvKey,
  isCurrentVersion,
  ATHENA_COPY_KINDS,
  outputFolders,
  outputKeys,
  OUTPUT_KINDS,
  CURATED_PREFIXES,
  parseOutputKey,
  staleOutputKeys,
  type InputObject,
} from '../../../lambda/core/object-keys';
import { athenaTablePrefix, CURATED_TABLES } from '../../../lambda/core/curated-tables';

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
      athenaClean: 'athena/clean/plant a/line+1/v-AbC%2E9_x.jsonl',
      athenaTrain: 'athena/train/plant a/line+1/v-AbC%2E9_x.jsonl',
      athenaQuarantine: 'athena/quarantine/plant a/line+1/v-AbC%2E9_x.jsonl',
      athenaGroupStats: 'athena/group_stats/plant a/line+1/v-AbC%2E9_x.jsonl',
      athenaReport: 'athena/reports/plant a/line+1/v-AbC%2E9_x.jsonl',
    });
  });

  it('falls back to the ETag, then to "unversioned"', () => {
    expect(outputKeys({ key: 'a.csv', etag: 'd41d8cd9-2' }).clean).toBe('clean/a/e-d41d8cd9-2.csv');
    expect(outputKeys({ key: 'a.csv' }).clean).toBe('clean/a/unversioned.csv');
  });

  it("writes only under the five curated prefixes and the Glue tables' locations of Athena's copy", () => {
    expect([...CURATED_PREFIXES].sort()).toEqual([
      'athena/clean/',
      'athena/group_stats/',
      'athena/quarantine/',
      'athena/reports/',
      'athena/train/',
      'clean/',
      'quarantine/',
      'reports/',
      'stats/',
      'train/',
    ]);
    // One folder per curated table, at the location its Glue table reads.
    for (const table of CURATED_TABLES) {
      const key = outputKeys({ key: 'a.csv', versionId: '1' })[
        ATHENA_COPY_KINDS[table.name as keyof typeof ATHENA_COPY_KINDS]
      ];
      expect(key).toBe(`${athenaTablePrefix(table)}a/v-1.jsonl`);
    }
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
    'athena/a/v-1.jsonl',
    'athena/clean/v-1.jsonl',
    'athena/clean/a/v-1.csv',
  ])('returns null for %s, which no input produces', (key) => {
    expect(parseOutputKey(key)).toBeNull();
  });

  it("tells an input under athena/ from Athena's copy: each output parses back to its own kind and input", () => {
    for (const input of [
      { key: 'athena/clean/x.csv', versionId: '1' },
      { key: 'x.csv', versionId: '1' },
    ]) {
      for (const [kind, key] of Object.entries(outputKeys(input)))
        expect(parseOutputKey(key)).toEqual({ kind, input });
    }
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

describe('outputFolders', () => {
  it('names one folder per curated prefix, holding every version of one input key', () => {
    expect(outputFolders('plant a/l1.csv').sort()).toEqual([
      'athena/clean/plant a/l1/',
      'athena/group_stats/plant a/l1/',
      'athena/quarantine/plant a/l1/',
      'athena/reports/plant a/l1/',
      'athena/train/plant a/l1/',
      'clean/plant a/l1/',
      'quarantine/plant a/l1/',
      'reports/plant a/l1/',
      'stats/plant a/l1/',
      'train/plant a/l1/',
    ]);
  });

  it('holds every output key of the input directly (no deeper slash)', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const folders = outputFolders(input.key);
        return Object.values(outputKeys(input)).every((key) =>
          folders.some((f) => key.startsWith(f) && !key.slice(f.length).includes('/')),
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe('staleOutputKeys', () => {
  const v = (key: string, versionId: string) => outputKeys({ key, versionId });

  it('returns the other versions of exactly this key, reports first, never a base that only shares a prefix', () => {
    const mine = v('a.csv', '2');
    const listed = [
      ...Object.values(v('a.csv', '1')),
      ...Object.values(mine),
      ...Object.values(v('a/b.csv', '1')), // base a/b: under clean/a/ only without a delimiter
      ...Object.values(v('ab.csv', '1')),
      ...Object.values(v('a.b.csv', '1')),
      ...Object.values(outputKeys({ key: 'a.csv', etag: 'e1' })),
      'clean/a/notes.txt',
      'clean/a/v-1.csv.bak',
    ];
    const keep = Object.entries(mine)
      .filter(([kind]) => kind !== 'rejection')
      .map(([, key]) => key);
    const old = v('a.csv', '1');
    const byEtag = outputKeys({ key: 'a.csv', etag: 'e1' });
    const stale = staleOutputKeys('a.csv', listed, keep);
    expect(stale.slice(0, 2).sort()).toEqual([old.report, byEtag.report].sort());
    expect(new Set(stale)).toEqual(
      new Set([
        ...Object.values(old),
        ...Object.values(byEtag),
        mine.rejection, // this version's own leftover that the latest run did not write
      ]),
    );
    expect(stale).toHaveLength(25);
  });

  it("returns nothing when only this run's outputs are listed (a replay deletes nothing)", () => {
    const mine = Object.values(v('x/y.csv', 'q'));
    expect(staleOutputKeys('x/y.csv', mine, mine)).toEqual([]);
  });

  it('never returns an output of another input key, and returns all of another version of this key', () => {
    fc.assert(
      fc.property(inputArb, inputArb, (a, b) => {
        const theirs = Object.values(outputKeys(b));
        const stale = staleOutputKeys(a.key, theirs, Object.values(outputKeys(a)));
        if (a.key !== b.key) return stale.length === 0;
        const same = JSON.stringify(inputIdentity(a)) === JSON.stringify(inputIdentity(b));
        return same ? stale.length === 0 : new Set(stale).size === theirs.length;
      }),
      { numRuns: 500 },
    );
  });
});

describe('isCurrentVersion', () => {
  it.each([
    [{ key: 'a.csv', versionId: 'v1' }, { versionId: 'v1', etag: 'x' }, true],
    [{ key: 'a.csv', versionId: 'v1' }, { versionId: 'v2', etag: 'x' }, false],
    [{ key: 'a.csv', versionId: 'v1', etag: 'x' }, { versionId: 'v2', etag: 'x' }, false],
    [{ key: 'a.csv', versionId: 'v1' }, null, false],
    [{ key: 'a.csv', etag: 'e1' }, { etag: 'e1' }, true],
    [{ key: 'a.csv', etag: 'e1' }, { etag: 'e2' }, false],
    [{ key: 'a.csv' }, { etag: 'e2' }, true],
    [{ key: 'a.csv' }, null, false],
  ])('event %j, current %j → %s', (event, current, expected) => {
    expect(isCurrentVersion(event, current)).toBe(expected);
  });
});
