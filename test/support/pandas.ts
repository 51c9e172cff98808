/** Runs test/support/pandas_reference.py with Debian's python (pandas 1.5.3), not the pyenv one. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { DatasetSchema } from '../../lambda/core/dataset-schema';

export const PANDAS_PYTHON = '/usr/bin/python3';
const SCRIPT = join(__dirname, 'pandas_reference.py');

/** Compares our outputs in `outDir` with the pandas reference on `input`; returns the problems found. */
export function compareWithPandas(input: string, outDir: string, schema: DatasetSchema): string[] {
  const stdout = execFileSync(PANDAS_PYTHON, [SCRIPT, 'compare', input, outDir, JSON.stringify(schema)], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  return (JSON.parse(stdout) as { problems: string[] }).problems;
}

/**
 * The same for a JSON Lines input (read_json(lines=True, dtype=False, convert_dates=False), then
 * the schema's typing): the problems found, and the reference's quarantined records by reason.
 */
export function compareJsonLinesWithPandas(
  input: string,
  outDir: string,
  schema: DatasetSchema,
): { problems: string[]; quarantined: Record<string, number> } {
  const stdout = execFileSync(
    PANDAS_PYTHON,
    [SCRIPT, 'compare-jsonl', input, outDir, JSON.stringify(schema)],
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  return JSON.parse(stdout) as { problems: string[]; quarantined: Record<string, number> };
}
