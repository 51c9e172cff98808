import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelArtifact } from '../../../lambda/core/model-artifact';

/** Splits a simple CSV line (the generator and the cleaner write no quotes in these rows). */
function fields(line: string): string[] {
  return line.split(',');
}

/**
 * A typical row of the training data: the first one, in the first host's channel, whose every
 * feature is within 2σ of its category profile (so "no anomaly" is the expected answer).
 */
export async function typicalRow(
  hostRoot: string,
  artifact: ModelArtifact,
  anomalyZ: number,
): Promise<Record<string, string | number>> {
  const { listFiles } = await import('../../../lambda/trainer/sources');
  const channel = join(hostRoot, 'input', 'data', 'train');
  const csvs = (await listFiles(channel)).filter((f) => f.endsWith('.csv'));
  const limit = Math.min(2, anomalyZ);
  for (const file of csvs) {
    const text = (await readFile(join(channel, file), 'utf8')).slice(0, 1 << 20);
    const lines = text.split('\n');
    const header = fields(lines[0].replace(/^\uFEFF/, '').replace(/\r$/, ''));
    const at = (name: string) => header.indexOf(name);
    for (const line of lines.slice(1, -1)) {
      const cells = fields(line.replace(/\r$/, ''));
      if (cells.length !== header.length || line.includes('"')) continue;
      const category = cells[at(artifact.category)];
      const profile = artifact.profiles[category];
      if (!profile) continue;
      const row: Record<string, string | number> = { [artifact.category]: category };
      let typical = true;
      artifact.features.forEach((f, j) => {
        const x = Number(cells[at(f)]);
        if (!Number.isFinite(x) || Math.abs((x - profile.mean[j]) / profile.std[j]) > limit) typical = false;
        row[f] = x;
      });
      if (typical) return row;
    }
  }
  throw new Error('no typical row found in the training data');
}
