/**
 * Where preprocessing writes, as a pure function of the input object's key and version, so a
 * replayed event rewrites the same keys (with the same bytes), and two different inputs can never
 * overwrite each other's outputs. In the curated bucket, for input `<base>.csv`:
 *
 *   clean/<base>/<token>.csv          de-duplicated, mean-filled rows (input columns and order)
 *   train/<base>/<token>.csv          de-duplicated complete rows (what the trainer reads)
 *   stats/<base>/<token>.json         the statistics partial (merges exactly across files)
 *   stats/<base>/<token>.groups.csv   group_stats.csv: per-category means
 *   reports/<base>/<token>.json       the data-quality report (also for rejected files)
 *   quarantine/<base>/<token>.csv     quarantined rows: line, reason, raw row
 *   quarantine/<base>/<token>.json    a rejected file: why (only when the whole file is rejected)
 *   athena/<table>/<base>/<token>.jsonl  Athena's copy (athena-copy.ts) of clean, train,
 *                                     quarantine, group_stats and reports: one folder per Glue
 *                                     table (curated-tables.ts athenaTablePrefix); a rejected
 *                                     file gets only its reports row (with the query stack only)
 *
 * `<token>` names the version: `v-<versionId>` when the bucket is versioned, else `e-<etag>`, else
 * `unversioned`; the id is percent-encoded so it never holds `/` or `.` (so the last `/` and first
 * `.` after it split a key unambiguously). Only keys ending exactly in `.csv` are inputs.
 */
import { athenaTablePrefix, curatedTable } from './curated-tables';
import { FileRejectedError } from './errors';

export interface InputObject {
  readonly key: string;
  readonly versionId?: string;
  readonly etag?: string;
}

/** What names an input's outputs: the key plus its version id, or else its ETag. */
export interface InputIdentity {
  readonly key: string;
  readonly versionId?: string;
  readonly etag?: string;
}

export type OutputKind =
  'clean' | 'train' | 'stats' | 'groupStats' | 'report' | 'quarantine' | 'rejection' | AthenaCopyKind;

/** Athena's copy of an output, by the curated table it belongs to. */
export const ATHENA_COPY_KINDS = {
  clean: 'athenaClean',
  train: 'athenaTrain',
  quarantine: 'athenaQuarantine',
  group_stats: 'athenaGroupStats',
  reports: 'athenaReport',
} as const;
export type AthenaCopyKind = (typeof ATHENA_COPY_KINDS)[keyof typeof ATHENA_COPY_KINDS];

export type OutputKeys = Readonly<Record<OutputKind, string>>;

/** The folders of the curated bucket, by what they hold. */
export const CURATED = {
  clean: 'clean/',
  train: 'train/',
  stats: 'stats/',
  reports: 'reports/',
  quarantine: 'quarantine/',
  // The Glue tables' locations (lib/stacks/query-stack.ts reads the same athenaTablePrefix).
  athenaClean: athenaTablePrefix(curatedTable('clean')),
  athenaTrain: athenaTablePrefix(curatedTable('train')),
  athenaQuarantine: athenaTablePrefix(curatedTable('quarantine')),
  athenaGroupStats: athenaTablePrefix(curatedTable('group_stats')),
  athenaReports: athenaTablePrefix(curatedTable('reports')),
} as const;

/** Athena's copy: JSON Lines (one JSON object per line). */
const JSON_LINES = '.jsonl';

/** Each output's folder and file suffix: the one spelling of the curated layout. */
const LAYOUT: Readonly<Record<OutputKind, { folder: string; suffix: string }>> = {
  clean: { folder: CURATED.clean, suffix: '.csv' },
  train: { folder: CURATED.train, suffix: '.csv' },
  stats: { folder: CURATED.stats, suffix: '.json' },
  groupStats: { folder: CURATED.stats, suffix: '.groups.csv' },
  report: { folder: CURATED.reports, suffix: '.json' },
  quarantine: { folder: CURATED.quarantine, suffix: '.csv' },
  rejection: { folder: CURATED.quarantine, suffix: '.json' },
  athenaClean: { folder: CURATED.athenaClean, suffix: JSON_LINES },
  athenaTrain: { folder: CURATED.athenaTrain, suffix: JSON_LINES },
  athenaQuarantine: { folder: CURATED.athenaQuarantine, suffix: JSON_LINES },
  athenaGroupStats: { folder: CURATED.athenaGroupStats, suffix: JSON_LINES },
  athenaReport: { folder: CURATED.athenaReports, suffix: JSON_LINES },
};

export const OUTPUT_KINDS = Object.keys(LAYOUT) as OutputKind[];
/**
 * The curated-bucket folders preprocessing writes under, with their `/` (for IAM grants and
 * listings). A folder may have more than one segment (`athena/clean/`), so none may begin another
 * (parseOutputKey tells a key's folder by its beginning): checked here, at load.
 */
export const CURATED_PREFIXES: readonly string[] = Object.values(CURATED);
for (const a of CURATED_PREFIXES)
  for (const b of CURATED_PREFIXES)
    if (a !== b && b.startsWith(a)) throw new Error(`curated folder ${b} lies inside ${a}`);

/** Where training reads its rows: complete rows (`train/`), or the mean-filled ones (`clean/`). */
export function trainingRowsPrefix(fill: 'none' | 'mean'): typeof CURATED.train | typeof CURATED.clean {
  return fill === 'none' ? CURATED.train : CURATED.clean;
}

/** S3's key length limit, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
const CSV = '.csv';
const encoder = new TextEncoder();
const utf8Length = (text: string): number => encoder.encode(text).length;

/** True for keys preprocessing takes: ending exactly in `.csv` (lower case), not a folder marker. */
export function isCsvKey(key: string): boolean {
  return key.endsWith(CSV);
}

/** Percent-encodes everything but [A-Za-z0-9_-] (UTF-8), so tokens hold no `/` and no `.`. */
function encodeToken(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*.~]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The input's identity: version id wins over ETag (an ETag repeats for identical bytes). */
export function inputIdentity(input: InputObject): InputIdentity {
  if (input.versionId !== undefined) return { key: input.key, versionId: input.versionId };
  if (input.etag !== undefined) return { key: input.key, etag: input.etag };
  return { key: input.key };
}

export function versionToken(input: InputObject): string {
  if (input.versionId !== undefined) return `v-${encodeToken(input.versionId)}`;
  if (input.etag !== undefined) return `e-${encodeToken(input.etag)}`;
  return 'unversioned';
}

/**
 * Every output key for one input. Throws FileRejectedError (`output_key_too_long`) when the
 * input key is so long that an output key would pass S3's 1024-byte limit.
 */
export function outputKeys(input: InputObject): OutputKeys {
  if (!isCsvKey(input.key)) throw new Error(`not a .csv key: ${JSON.stringify(input.key)}`);
  const base = input.key.slice(0, -CSV.length);
  const token = versionToken(input);
  const keys = {} as Record<OutputKind, string>;
  for (const kind of OUTPUT_KINDS) {
    const { folder, suffix } = LAYOUT[kind];
    keys[kind] = `${folder}${base}/${token}${suffix}`;
    if (utf8Length(keys[kind]) > MAX_KEY_BYTES) {
      throw new FileRejectedError(
        'output_key_too_long',
        `output key for ${JSON.stringify(input.key)} would be ${utf8Length(keys[kind])} bytes, over S3's ${MAX_KEY_BYTES}`,
      );
    }
  }
  return keys;
}

/** The inverse of `outputKeys`: which input (identity) and which output a curated key is; null if none. */
export function parseOutputKey(key: string): { kind: OutputKind; input: InputIdentity } | null {
  // The folder is the one curated folder the key begins with (no folder begins another).
  const folder = CURATED_PREFIXES.find((f) => key.startsWith(f));
  if (folder === undefined) return null;
  const last = key.lastIndexOf('/');
  if (last < folder.length) return null;
  const base = key.slice(folder.length, last);
  const file = key.slice(last + 1);
  const dot = file.indexOf('.');
  if (dot < 0) return null;
  const token = file.slice(0, dot);
  const suffix = file.slice(dot);
  const kind = OUTPUT_KINDS.find((k) => LAYOUT[k].folder === folder && LAYOUT[k].suffix === suffix);
  if (!kind) return null;
  const inputKey = base + CSV;
  let decoded: string;
  try {
    decoded = decodeURIComponent(token.slice(2));
  } catch {
    return null;
  }
  if (token === 'unversioned') return { kind, input: { key: inputKey } };
  if (token.startsWith('v-') && encodeToken(decoded) === token.slice(2)) {
    return { kind, input: { key: inputKey, versionId: decoded } };
  }
  if (token.startsWith('e-') && encodeToken(decoded) === token.slice(2)) {
    return { kind, input: { key: inputKey, etag: decoded } };
  }
  return null;
}

/**
 * The folders that hold every output of one input key, whatever its version: one per curated
 * prefix (`clean/<base>/`, `train/<base>/`, ..., `athena/clean/<base>/`, ...). List each with Delimiter `/` so deeper bases
 * (`a/b.csv` under `clean/a/b/` when the base is `a`) stay out; `staleOutputKeys` matches exactly
 * anyway.
 */
export function outputFolders(inputKey: string): string[] {
  if (!isCsvKey(inputKey)) throw new Error(`not a .csv key: ${JSON.stringify(inputKey)}`);
  const base = inputKey.slice(0, -CSV.length);
  return CURATED_PREFIXES.map((prefix) => `${prefix}${base}/`);
}

/**
 * Of the curated keys listed under `outputFolders(inputKey)`, the outputs of that same input key
 * (parsed exactly: `a.csv` never matches `a/b.csv` or `ab.csv`) that are not in `keep`: the
 * outputs of every other version, and any output of this version the latest run did not write
 * (a rejection record left from an earlier decision, say). Keys that are not outputs at all are
 * never returned. Reports come first, so a deletion cut short never leaves a report that claims
 * outputs which are gone.
 */
export function staleOutputKeys(
  inputKey: string,
  listed: Iterable<string>,
  keep: Iterable<string>,
): string[] {
  const kept = new Set(keep);
  const stale = new Set<string>();
  for (const key of listed) {
    if (kept.has(key)) continue;
    const parsed = parseOutputKey(key);
    if (parsed !== null && parsed.input.key === inputKey) stale.add(key);
  }
  const isReport = (key: string) => parseOutputKey(key)!.kind === 'report';
  return [...stale].sort((a, b) => Number(isReport(b)) - Number(isReport(a)) || (a < b ? -1 : a > b ? 1 : 0));
}

/** What S3 says the current version of an object is; null when it is gone or delete-marked. */
export interface CurrentObject {
  readonly versionId?: string;
  readonly etag?: string;
}

/**
 * Whether the event's object is still the current one. A version id must match the current
 * version id; without one, an ETag must match the current ETag (an unversioned bucket
 * overwritten with other bytes); with neither there is nothing to compare, so it is current
 * while the key exists. A gone or delete-marked object is never current.
 */
export function isCurrentVersion(event: InputObject, current: CurrentObject | null): boolean {
  if (current === null) return false;
  if (event.versionId !== undefined) return current.versionId === event.versionId;
  if (event.etag !== undefined) return current.etag === event.etag;
  return true;
}
