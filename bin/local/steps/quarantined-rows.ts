/**
 * The quarantined rows themselves, as the curated quarantine outputs hold them (`line,last_line,
 * reason,raw`, cleaning/outputs.ts): which object, which line of it, why, and the record's own
 * text, so the summary shows where each malformed row or record was found.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { FileOutcome, QuarantinedRow } from '../pipeline-summary';

/** A quarantine row's leading fields; raw follows, CSV-quoted. */
const ROW = /^(\d+),(\d+),([a-z_]+),"((?:[^"]|"")*)"$/;

/** Up to `limit` quarantined rows over the files, in file order. */
export async function quarantinedRows(
  s3: S3Client,
  curatedBucket: string,
  files: readonly FileOutcome[],
  limit = 10,
): Promise<QuarantinedRow[]> {
  const out: QuarantinedRow[] = [];
  for (const f of files) {
    if (f.quarantined === 0 || !f.outputs?.quarantine) continue;
    const res = await s3.send(new GetObjectCommand({ Bucket: curatedBucket, Key: f.outputs.quarantine }));
    const text = await res.Body!.transformToString('utf-8');
    // One quarantined row per line here: the rows these runs quarantine have no line ends in them.
    for (const line of text.split('\n').slice(1)) {
      const m = ROW.exec(line);
      if (m === null) continue;
      out.push({ key: f.key, line: Number(m[1]), reason: m[3], raw: m[4].replace(/""/g, '"') });
      if (out.length === limit) return out;
    }
  }
  return out;
}
