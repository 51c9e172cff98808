/**
 * The local stand-in for Athena: `factory query`'s engine (DuckDB) over Athena's copy as the
 * preprocess handler wrote it into curated on moto, read the way the Glue tables declare
 * (bin/commands/query.ts, `athenaCopy`). Only the tables kept per source object are fetched
 * (quarantine, group_stats, reports: small, and all the queries shown here read; a rejected
 * object has only its reports row); each object's copy goes to
 * `<workDir>/athena/<n>/athena/<table>.jsonl`, the layout `factory query --data DIR --athena-copy`
 * reads, and the schema to `<workDir>/dataset-schema.json`, so a user can go on querying them.
 * Without the query stack (`query.enabled: false`) preprocess writes no copy and this step is skipped.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { athenaCopyFile, openCuratedDb, plainValue } from '../../commands/query';
import { curatedTable } from '../../../lambda/core/curated-tables';
import { encodeSchema, type DatasetSchema } from '../../../lambda/core/dataset-schema';
import { namedQueries } from '../../../lambda/core/named-queries';
import { ATHENA_COPY_KINDS } from '../../../lambda/core/object-keys';
import type { FileOutcome, QueryCopySummary } from '../pipeline-summary';
import type { RunClock } from '../run-clock';

/** The per-object tables fetched from curated. */
export const FETCHED_TABLES = ['quarantine', 'group_stats', 'reports'] as const;

/** The named queries the run shows (lambda/core/named-queries.ts). */
export const SHOWN_QUERIES = [
  'quarantine_reasons_by_day',
  'rejected_objects_by_day',
  'cleaning_totals',
] as const;

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
    // Streamed to disk: a mostly quarantined object's copy holds each raw line.
    const fetch = async (key: string, path: string) => {
      const res = await s3.send(new GetObjectCommand({ Bucket: options.curatedBucket, Key: key }));
      await pipeline(res.Body as Readable, createWriteStream(path));
    };
    for (const [i, f] of options.files.entries()) {
      // A processed object has all three; a rejected one only its reports row.
      const keys = FETCHED_TABLES.flatMap((t) => {
        const key = f.outputs?.[ATHENA_COPY_KINDS[t]];
        return key === undefined ? [] : [[t, key] as const];
      });
      if (keys.length === 0) continue;
      const dir = join(options.workDir, 'athena', String(i + 1));
      await mkdir(join(dir, 'athena'), { recursive: true });
      for (const [table, key] of keys) await fetch(key, athenaCopyFile(dir, curatedTable(table)));
      dirs.push(dir);
    }
    // The schema the copy is read with, for going on with factory query --schema.
    const schemaPath = join(options.workDir, 'dataset-schema.json');
    await writeFile(schemaPath, encodeSchema(options.schema) + '\n');
    if (dirs.length === 0) return { dirs, schemaPath, results: [] };
    const db = await openCuratedDb(dirs, options.schema, { athenaCopy: true });
    try {
      const results = [];
      // Those whose tables the fetched copies hold (only reports when every object was refused).
      const shown = namedQueries(options.schema).filter(
        (n) =>
          (SHOWN_QUERIES as readonly string[]).includes(n.name) &&
          n.tables.every((t) => db.tables.includes(t)),
      );
      for (const named of shown) {
        const r = await db.run(named.sql);
        results.push({
          name: named.name,
          columns: r.columns,
          rows: r.rows.map((row) => row.map(plainValue)),
        });
      }
      return { dirs, schemaPath, results };
    } finally {
      db.close();
    }
  });
}
