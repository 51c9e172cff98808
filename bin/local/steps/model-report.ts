import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { reportBeside } from '../../../lambda/core/models-layout';
import { parseLocation } from '../../../lambda/adapters/model-store';

/**
 * The model report the trainer wrote beside the candidate in the models bucket (read back from
 * S3, where the cloud links it from, rather than from a host's /opt/ml/model).
 */
export async function candidateReport(
  s3: S3Client,
  candidateUri: string,
): Promise<{ uri: string; html: string }> {
  const { bucket, key } = parseLocation(candidateUri);
  const reportKey = reportBeside(key);
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: reportKey }));
  return { uri: `s3://${bucket}/${reportKey}`, html: await res.Body!.transformToString('utf-8') };
}
