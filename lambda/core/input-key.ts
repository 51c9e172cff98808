/**
 * Which raw keys are inputs, and how to read them: the suffix decides the format (CSV, or JSON
 * Lines as Firehose writes them) and whether the name says gzip, in any case (`LINE-7.CSV`,
 * `x.csv.gz`, `batch.JSONL.GZ`). One list, read by the preprocess stack's event rule and by the
 * handler, so the two never disagree about what is an input.
 *
 * Whether bytes are gzip is decided by the bytes themselves (the gzip magic number): EventBridge's
 * event does not carry the object's Content-Encoding, a line PC may gzip without renaming, and a
 * `.gz` name over plain bytes is read as it is.
 */
export const INPUT_SUFFIXES = ['.csv', '.csv.gz', '.jsonl', '.jsonl.gz', '.ndjson', '.ndjson.gz'] as const;
export type InputSuffix = (typeof INPUT_SUFFIXES)[number];

/** An input's format: CSV, or JSON Lines (one JSON object per line, as Firehose delivers them). */
export type InputFormat = 'csv' | 'jsonl';

export interface InputKind {
  readonly format: InputFormat;
  /** The name ends in `.gz`. */
  readonly gzipName: boolean;
  /** The matched suffix, lower case. */
  readonly suffix: InputSuffix;
}

/** The kind of a raw key, or null when it is not an input (matched ignoring case). */
export function inputKind(key: string): InputKind | null {
  const lower = key.toLowerCase();
  // Longest first: `.csv.gz` before a bare `.gz` could be mistaken.
  const suffix = [...INPUT_SUFFIXES]
    .sort((a, b) => b.length - a.length)
    .find((s) => lower.endsWith(s) && lower.length > s.length && !lower.endsWith('/' + s));
  if (suffix === undefined) return null;
  return { format: suffix.startsWith('.csv') ? 'csv' : 'jsonl', gzipName: suffix.endsWith('.gz'), suffix };
}

/** The two bytes every gzip member starts with (RFC 1952). */
export function isGzipMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * The key the curated layout (object-keys.ts, which derives outputs from keys ending in lower-case
 * `.csv`) is given for an input: the key itself when it ends in `.csv`, else the key with `.csv`
 * appended, so `LINE-7.CSV` has its outputs under `clean/LINE-7.CSV/` and `x.csv.gz` under
 * `clean/x.csv.gz/`, apart from `x.csv`'s. (Only a raw bucket holding both `A.CSV` and
 * `A.CSV.csv` would share a folder; the layout carrying the suffix itself would end that.)
 */
export function layoutKey(key: string): string {
  return key.endsWith('.csv') ? key : `${key}.csv`;
}
