/**
 * `--schema FILE` of preprocess and train: the dataset schema (lambda/core/dataset-schema.ts) as a
 * JSON file, its help text and its reader.
 */
import { existsSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  checkSchema,
  DEFAULT_DATASET_SCHEMA,
  decodeSchema,
  encodeSchema,
  type DatasetSchema,
} from '../../lambda/core/dataset-schema';
import { UsageError } from './command-line';

export const SCHEMA_HELP = `Schema file (--schema FILE): one JSON object naming the CSV's columns by role, e.g.
  {
    "timestamp": "Measured at",
    "ids": ["Plant", "Product ID"],
    "category": "Type",
    "features": ["Air temperature [K]", "Torque [Nm]", "Rotational speed [rpm]"],
    "target": "Tool wear [min]"
  }
  timestamp  optional: one column name, kept as text; leave the key out when the file has none
  ids        optional: a list of column names kept as text (default [])
  category   one column name: group statistics and per-category profiles are keyed by it
  features   a list of numeric column names, at least one, in model order
  target     one numeric column name: what the model predicts
A name is the column's header text exactly as written (spaces, brackets, units, any characters);
no column is named twice. The CSV's header must hold every named column, in any order; other
columns are kept too. \`factory schema FILE.csv --target COL\` writes one from a sample of the file.
The same object is cdk.json's "factory": { "dataset": ... }. Without --schema:
  ${JSON.stringify(DEFAULT_DATASET_SCHEMA)}`;

/** Reads and checks a schema file; any problem is a usage error naming the file. */
export async function readSchemaFile(path: string): Promise<DatasetSchema> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`--schema ${path}: cannot read it (${code ?? (error as Error).message})`);
  }
  try {
    return decodeSchema(text);
  } catch (error) {
    throw new UsageError(`--schema ${path}: ${(error as Error).message}`);
  }
}

/**
 * The schema preprocess recorded in a directory it wrote (`DIR/stats.json`, or the first partial
 * of `DIR/stats/`): its category, features and target, the columns training reads (and the
 * timestamp and ids when the partial holds them). Undefined for a directory without a partial.
 */
export async function recordedSchema(dir: string): Promise<DatasetSchema | undefined> {
  let path = join(dir, 'stats.json');
  if (!existsSync(path)) {
    const stats = join(dir, 'stats');
    if (!existsSync(stats) || !statSync(stats).isDirectory()) return undefined;
    const first = (await readdir(stats)).filter((f) => f.endsWith('.json')).sort()[0];
    if (first === undefined) return undefined;
    path = join(stats, first);
  }
  let value: { timestamp?: unknown; ids?: unknown; category?: unknown; features?: unknown; target?: unknown };
  try {
    value = JSON.parse(await readFile(path, 'utf8')) as typeof value;
  } catch (error) {
    // The words train's own reader uses for a partial that is not JSON.
    throw new Error(`${path}: not valid JSON (a statistics partial from factory preprocess)`, {
      cause: error,
    });
  }
  try {
    const schema = checkSchema({
      ...(value.timestamp !== undefined ? { timestamp: value.timestamp } : {}),
      ids: value.ids ?? [],
      category: value.category,
      features: value.features,
      target: value.target,
    });
    // A partial records its numeric columns and category, not the text ids and timestamp, which
    // the holdout row hash reads: where those are the default schema's, so are the text columns
    // (a file preprocessed without --schema trains as the raw CSV does).
    const d = DEFAULT_DATASET_SCHEMA;
    const isDefault =
      value.ids === undefined &&
      value.timestamp === undefined &&
      schema.category === d.category &&
      schema.target === d.target &&
      schema.features.join('\u0000') === d.features.join('\u0000');
    return isDefault ? d : schema;
  } catch (error) {
    throw new UsageError(`${path}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The schema `factory train` uses: `--schema FILE` when given; else the one preprocess recorded in
 * the input directories (every one must record the same); else the built-in default.
 */
export async function trainingSchema(
  schemaFile: string | undefined,
  inputs: readonly string[],
): Promise<DatasetSchema> {
  if (schemaFile !== undefined) return readSchemaFile(schemaFile);
  let found: { dir: string; schema: DatasetSchema } | undefined;
  for (const input of inputs) {
    if (!existsSync(input) || !statSync(input).isDirectory()) continue;
    const schema = await recordedSchema(input);
    if (schema === undefined) continue;
    if (found && encodeSchema(found.schema) !== encodeSchema(schema))
      throw new UsageError(
        `${found.dir} and ${input} were preprocessed with different schemas: give --schema FILE`,
      );
    found ??= { dir: input, schema };
  }
  return found?.schema ?? DEFAULT_DATASET_SCHEMA;
}
