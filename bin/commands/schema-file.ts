/**
 * `--schema FILE` of preprocess and train: the dataset schema (lambda/core/dataset-schema.ts) as a
 * JSON file, its help text and its reader.
 */
import { readFile } from 'node:fs/promises';
import { DEFAULT_DATASET_SCHEMA, decodeSchema, type DatasetSchema } from '../../lambda/core/dataset-schema';
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
