import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parseReport } from '../../../lambda/core/preprocess-report';
import type { FileOutcome } from '../pipeline-summary';

/** Quarantined rows by reason, summed over the files' preprocess reports in the curated bucket. */
export async function quarantineReasons(
  s3: S3Client,
  curatedBucket: string,
  files: readonly FileOutcome[],
): Promise<Record<string, number>> {
  const byReason: Record<string, number> = {};
  for (const f of files) {
    if (!f.outputs?.report) continue;
    const res = await s3.send(new GetObjectCommand({ Bucket: curatedBucket, Key: f.outputs.report }));
    const report = parseReport(JSON.parse(await res.Body!.transformToString('utf-8')), f.outputs.report);
    for (const [reason, n] of Object.entries(report.quality?.quarantineByReason ?? {}))
      if (n > 0) byReason[reason] = (byReason[reason] ?? 0) + n;
  }
  return byReason;
}
