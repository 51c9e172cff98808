import { INPUT_SUFFIXES, inputKind, isGzipMagic, layoutKey } from '../../../lambda/core/input-key';

describe('input keys', () => {
  it.each([
    ['line-7.csv', 'csv', false],
    ['LINE-7.CSV', 'csv', false],
    ['exports/x.csv.gz', 'csv', true],
    ['x.CSV.GZ', 'csv', true],
    ['firehose/2026/12/01/batch.jsonl.gz', 'jsonl', true],
    ['a.NDJSON', 'jsonl', false],
    ['a.jsonl', 'jsonl', false],
  ])('takes %s as %s (gzip name: %s), ignoring case', (key, format, gzipName) => {
    expect(inputKind(key)).toMatchObject({ format, gzipName });
  });

  it.each(['x.txt', 'x.gz', 'x.csv.zip', 'folder/', '.csv', 'a/.csv', 'x.csvx'])(
    'does not take %s',
    (key) => {
      expect(inputKind(key)).toBeNull();
    },
  );

  it('lists every suffix in lower case', () => {
    expect(INPUT_SUFFIXES.every((s) => s === s.toLowerCase() && s.startsWith('.'))).toBe(true);
  });

  it('knows gzip by its magic bytes', () => {
    expect(isGzipMagic(Uint8Array.from([0x1f, 0x8b, 8]))).toBe(true);
    expect(isGzipMagic(new TextEncoder().encode('a,b\n'))).toBe(false);
    expect(isGzipMagic(new Uint8Array(0))).toBe(false);
  });

  it('lays out a key ending in .csv as itself and any other input under the key with .csv appended', () => {
    expect(layoutKey('a/line-7.csv')).toBe('a/line-7.csv');
    expect(layoutKey('LINE-7.CSV')).toBe('LINE-7.CSV.csv');
    expect(layoutKey('x.csv.gz')).toBe('x.csv.gz.csv');
    expect(new Set(['x.csv', 'x.csv.gz', 'X.CSV'].map(layoutKey)).size).toBe(3);
  });
});
