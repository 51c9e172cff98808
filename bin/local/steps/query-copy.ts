/**
 * The local stand-in for Athena: `factory query`'s engine (DuckDB) over Athena's copy as the
 * preprocess handler wrote it into curated on moto, read the way the Glue tables declare
 * (bin/commands/query.ts, `athenaCopy`). Only the tables kept per source object are fetched
 * (quarantine, group_stats, reports: small, and all the queries shown here read); each object's
 * copy goes to `<workDir>/athena/<n>/athena/<table>.jsonl` and its statistics partial (which
 * records the schema) to `<workDir>/athena/<n>/stats.json`, the layout
 * `factory query --data DIR --athena-copy` reads, so a user can go on querying them after the run.
 * Without the query stack (`query.enabled: false`) preprocess writes no copy and this step is skipped.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { athenaCopyFile, openCuratedDb } from '../../commands/query';
import { curatedTable } from '../../../lambda/core/curated-tables';
import type { DatasetSchema } from '../../../lambda/core/dataset-schema';
import { namedQueries } from '../../../lambda/core/named-queries';
import { ATHENA_COPY_KINDS } from '../../../lambda/core/object-keys';
import type { FileOutcome, QueryCopySummary } from '../pipeline-summary';
import type { RunClock } from '../run-clock';

/** The per-object tables fetched from curated. */
export const FETCHED_TABLES = ['quarantine', 'group_stats', 'reports'] as const;

/** The named queries the run shows (lambda/core/named-queries.ts). */
export const SHOWN_QUERIES = ['quarantine_reasons_by_day', 'cleaning_totals'] as const;

const plain = (value: unknown): unknown => (typeof value === 'bigint' ? Number(value) : value);

export async function queryCopy(
  clock: RunClock,
  s3: S3Client,
  options: {
    readonly curatedBucket: string;
    readonly schema: DatasetSchema;
    readonly files: readonly FileOutcome[];
    readonly workDir: string;
  },
): Promise<QueryCopySummary> {
  return clock.step('query', async () => {
    const dirs: string[] = [];
    for (const [i, f] of options.files.entries()) {
      const outputs = (f.outputs ?? {}) as Readonly<Record<string, string | undefined>>;
      const keys = FETCHED_TABLES.map((t) => [t, outputs[ATHENA_COPY_KINDS[t]]] as const);
      if (keys.some(([, key]) => key === undefined)) continue;
      const dir = join(options.workDir, 'athena', String(i + 1));
      await mkdir(join(dir, 'athena'), { recursive: true });
      const fetch = async (key: string, path: string) => {
        const res = await s3.send(new GetObjectCommand({ Bucket: options.curatedBucket, Key: key }));
        await writeFile(path, await res.Body!.transformToByteArray());
      };
      for (const [table, key] of keys) await fetch(key!, athenaCopyFile(dir, curatedTable(table)));
      // The statistics partial records the schema, which factory query then reads the copy with.
      if (outputs.stats !== undefined) await fetch(outputs.stats, join(dir, 'stats.json'));
      dirs.push(dir);
    }
    if (dirs.length === 0) return { dirs, results: [] };
    const db = await openCuratedDb(dirs, options.schema, { athenaCopy: true });
    try {
      const results = [];
      for (const named of namedQueries(options.schema).filter((n) =>
        (SHOWN_QUERIES as readonly string[]).includes(n.name),
      )) {
        const r = await db.run(named.sql);
        results.push({ name: named.name, columns: r.columns, rows: r.rows.map((row) => row.map(plain)) });
      }
      return { dirs, results };
    } finally {
      db.close();
    }
  });
}
