import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { inferSchema } from '../../commands/schema-inference';
import { readCsvSample } from '../../commands/schema-sample';
import type { Delimiter } from '../../../lambda/core/cleaning/delimited-input';
import type { DatasetSchema } from '../../../lambda/core/dataset-schema';
import type { RunClock } from '../run-clock';
import { RAW_PREFIX, type RawFile } from './upload-raw';

/** Rows `factory schema` samples to infer a schema, here as there. */
const SAMPLE_ROWS = 10_000;

export interface UserData {
  /** Each input file and the raw key it is uploaded to. */
  readonly files: readonly RawFile[];
  /** Bytes over all files. */
  readonly totalBytes: number;
}

/** A problem with `--input` and its schema flags: one line, naming the file. */
export class UserDataError extends Error {}

/**
 * The user's files for `npm start -- --input`: each checked to exist, keyed under the raw prefix by
 * its file name (`production/<name>`, numbered when two share a name), and the dataset schema they
 * are read with: the one given, else the one `factory schema` infers from the first file with the
 * target (and category) asked for.
 */
export async function userData(
  clock: RunClock,
  options: {
    readonly inputs: readonly string[];
    readonly schema?: DatasetSchema;
    readonly target?: string;
    readonly category?: string;
    readonly delimiter: Delimiter;
  },
): Promise<UserData & { readonly schema: DatasetSchema }> {
  const used = new Set<string>();
  const files = options.inputs.map((input, i) => {
    const path = resolve(input);
    if (!existsSync(path)) throw new UserDataError(`--input ${input}: no such file`);
    if (!statSync(path).isFile()) throw new UserDataError(`--input ${input}: not a file`);
    let name = basename(path);
    if (used.has(name)) name = `${i + 1}-${name}`;
    used.add(name);
    return { path, key: `${RAW_PREFIX}${name}`, bytes: statSync(path).size };
  });
  const totalBytes = files.reduce((sum, f) => sum + f.bytes, 0);
  let schema = options.schema;
  if (schema === undefined) {
    const first = options.inputs[0];
    const inferred = await clock.step('schema', async () => {
      try {
        const sample = await readCsvSample(files[0].path, SAMPLE_ROWS, options.delimiter);
        return inferSchema(sample, { target: options.target, category: options.category });
      } catch (error) {
        throw new UserDataError(`--input ${first}: ${(error as Error).message}`, { cause: error });
      }
    });
    for (const note of inferred.notes) clock.say(`schema: ${note}`);
    schema = inferred.schema;
  }
  clock.say(
    `your data: ${files.length} file(s), ${(totalBytes / 1e6).toFixed(1)} MB; target ${JSON.stringify(schema.target)}, ` +
      `category ${JSON.stringify(schema.category)}, ${schema.features.length} feature(s)`,
  );
  return { files, totalBytes, schema };
}
