import { CURRENT_POINTER_KEY, partialsPrefix, reportBeside } from '../../../lambda/core/models-layout';
import { CURATED } from '../../../lambda/core/object-keys';
import type { FileOutcome, LocalBuckets, S3Output } from '../pipeline-summary';

type CuratedKind = 'clean' | 'train' | 'stats' | 'report' | 'quarantine';
const CURATED_KINDS: readonly CuratedKind[] = ['clean', 'train', 'stats', 'report', 'quarantine'];

/** Where the run left its objects in S3: one line per kind, with an example key where there is one. */
export function s3Outputs(run: {
  readonly buckets: LocalBuckets;
  readonly rawObjects: number;
  /** The raw prefix the objects are under: ingest/ (Firehose) or production/ (uploads). */
  readonly rawPrefix: string;
  readonly files: readonly FileOutcome[];
  readonly job: string;
  readonly candidate: string;
  readonly hosts: number;
  readonly modelKey: string;
}): S3Output[] {
  const { buckets, files } = run;
  // One example key per curated output kind (the quarantine one from a file that has some).
  const exampleOf = (kind: CuratedKind): string | undefined => {
    const file = kind === 'quarantine' ? (files.find((f) => f.quarantined > 0) ?? files[0]) : files[0];
    return file?.outputs?.[kind];
  };
  return [
    {
      what: `raw objects (${run.rawObjects}, versioned)`,
      uri: `s3://${buckets.raw}/${run.rawPrefix}`,
    },
    ...CURATED_KINDS.map((kind) => {
      const key = exampleOf(kind);
      return key
        ? { what: `curated ${kind}, e.g.`, uri: `s3://${buckets.curated}/${key}` }
        : {
            what: `curated ${kind}`,
            uri: `s3://${buckets.curated}/${CURATED[kind === 'report' ? 'reports' : kind]}`,
          };
    }),
    { what: 'training candidate', uri: run.candidate },
    { what: 'model report (HTML)', uri: reportBeside(run.candidate) },
    ...(run.hosts > 1
      ? [{ what: 'shard partials', uri: `s3://${buckets.models}/${partialsPrefix(run.job)}` }]
      : []),
    { what: 'model artifact', uri: `s3://${buckets.models}/${run.modelKey}` },
    { what: 'serving pointer', uri: `s3://${buckets.models}/${CURRENT_POINTER_KEY}` },
  ];
}
