import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { DatasetSchema } from '../../../lambda/core/dataset-schema';

/** The small schema of the CSV fixtures (test/fixtures/csv/schema.json): ts, id, category, a, b, y. */
export const SMALL_SCHEMA: DatasetSchema = JSON.parse(
  readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'csv', 'schema.json'), 'utf8'),
);

/** Its header line, in schema order. */
export const SMALL_HEADER = 'ts,id,category,a,b,y\n';
