import { join } from 'node:path';
import { openMaybeGzip } from '../../commands/schema-sample';
import { commaSeparated, type Delimiter } from '../../../lambda/core/cleaning/delimited-input';
import { CsvScanner, fieldText, ROW_OK, type ScannedRow } from '../../../lambda/core/csv-scanner';
import type { ModelArtifact } from '../../../lambda/core/model-artifact';

/** How much of each file is searched for a typical row. */
const SEARCH_BYTES = 1 << 20;

/** Where the typical row comes from: a host's training channel, or the user's own files. */
export type RowSource =
  | { readonly kind: 'channel'; readonly hostRoot: string }
  | { readonly kind: 'files'; readonly paths: readonly string[]; readonly delimiter?: Delimiter };

export type SampleRow = Record<string, string | number | null>;

/**
 * A typical row: the first one whose every feature is a number within 2σ of its category profile
 * (so "no anomaly" is the expected answer). From a training channel, the row holds the category
 * and the features; from the user's files it is the whole row as the file has it (every column,
 * numbers as numbers, empty cells as null), which the API answers with the other keys ignored.
 */
export async function typicalRow(
  source: RowSource,
  artifact: ModelArtifact,
  anomalyZ: number,
): Promise<SampleRow> {
  const files = source.kind === 'files' ? source.paths : await channelFiles(source.hostRoot);
  const limit = Math.min(2, anomalyZ);
  for (const file of files) {
    const delimiter = source.kind === 'files' ? (source.delimiter ?? ',') : ',';
    const row = await firstTypical(file, artifact, limit, source.kind === 'files', delimiter);
    if (row) return row;
  }
  throw new Error(
    `no typical row (every feature a number within ${limit}σ of its category profile) in the first MiB of ${files.join(', ')}`,
  );
}

async function channelFiles(hostRoot: string): Promise<string[]> {
  const { listFiles } = await import('../../../lambda/trainer/sources');
  const channel = join(hostRoot, 'input', 'data', 'train');
  return (await listFiles(channel)).filter((f) => f.endsWith('.csv')).map((f) => join(channel, f));
}

/** The first MiB of a file, gunzipped when it is gzip (a CSV row split by the cut is left unread). */
async function head(path: string, delimiter: Delimiter): Promise<Uint8Array> {
  const stream = await openMaybeGzip(path);
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of commaSeparated(() => stream as AsyncIterable<Uint8Array>, delimiter)()) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= SEARCH_BYTES) break;
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, SEARCH_BYTES);
}

async function firstTypical(
  path: string,
  artifact: ModelArtifact,
  limit: number,
  wholeRow: boolean,
  delimiter: Delimiter,
): Promise<SampleRow | undefined> {
  const bytes = await head(path, delimiter);
  let header: string[] | null = null;
  let found: SampleRow | undefined;
  const scanner = new CsvScanner((row: ScannedRow) => {
    if (found) return;
    if (header === null) {
      header = Array.from({ length: row.fieldCount }, (_, k) => fieldText(row, k));
      return;
    }
    if (row.flags !== ROW_OK || row.fieldCount !== header.length) return;
    const cells = Array.from({ length: row.fieldCount }, (_, k) => fieldText(row, k));
    found = typical(header, cells, artifact, limit, wholeRow);
  });
  // Only whole rows: the scan stops at the last line end.
  const end = bytes.lastIndexOf(0x0a);
  if (end > 0) scanner.push(bytes.subarray(0, end + 1));
  return found;
}

function typical(
  header: readonly string[],
  cells: readonly string[],
  artifact: ModelArtifact,
  limit: number,
  wholeRow: boolean,
): SampleRow | undefined {
  const at = (name: string) => header.indexOf(name);
  const category = cells[at(artifact.category)];
  const profile = category === undefined ? undefined : artifact.profiles[category];
  if (!profile) return undefined;
  const features: SampleRow = {};
  for (const [j, f] of artifact.features.entries()) {
    const text = cells[at(f)];
    const x = text === undefined || text.trim() === '' ? NaN : Number(text);
    if (!Number.isFinite(x) || Math.abs((x - profile.mean[j]) / profile.std[j]) > limit) return undefined;
    features[f] = x;
  }
  if (!wholeRow) return { [artifact.category]: category, ...features };
  const row: SampleRow = {};
  header.forEach((name, k) => {
    const text = cells[k];
    const n = text.trim() === '' ? NaN : Number(text);
    row[name] = name === artifact.category ? text : Number.isFinite(n) ? n : text === '' ? null : text;
  });
  return { ...row, ...features };
}
