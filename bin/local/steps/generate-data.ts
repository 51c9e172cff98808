import { appendFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeSyntheticDataset, type WrittenDataset } from '../../commands/generate';
import type { RunClock } from '../run-clock';

/** Three rows the cleaning step must quarantine, one per reason, appended to one raw file. */
export const BAD_ROWS = [
  // ragged_row: 6 fields where the header has 14
  '2031-01-01T00:00:00.000Z,L01,gear,70.00,6.500,2.600',
  // non_numeric: text in a numeric column
  '2031-01-01T00:00:01.000Z,L02,gear,hot,6.500,2.600,1800.0,46.0,55.00,15.500,400.50,180.0,50.00,71.0000',
  // non_finite: a number word pandas would read as infinity
  '2031-01-01T00:00:02.000Z,L03,gear,70.00,inf,2.600,1800.0,46.0,55.00,15.500,400.50,180.0,50.00,71.0000',
] as const;

export interface GeneratedData {
  readonly written: WrittenDataset;
  /** Malformed rows appended on purpose. */
  readonly badRows: number;
  /** Bytes on disk over all files, malformed rows included. */
  readonly totalBytes: number;
}

/** Synthetic production data (lines L01..L20, known true weights), with the malformed rows in file 2. */
export async function generateData(
  clock: RunClock,
  options: {
    readonly rows: number;
    readonly files: number;
    readonly seed: number;
    readonly dataDir: string;
    readonly badRows: boolean;
  },
): Promise<GeneratedData> {
  const { rows, files, seed } = options;
  const written = await clock.step('generate', async () => {
    const w = writeSyntheticDataset({ rows, files, seed, out: join(options.dataDir, 'line.csv') });
    if (options.badRows) {
      const target = w.paths[Math.min(1, w.paths.length - 1)];
      appendFileSync(target, BAD_ROWS.join('\n') + '\n');
    }
    return w;
  });
  const badRows = options.badRows ? BAD_ROWS.length : 0;
  const totalBytes = written.paths.reduce((sum, p) => sum + statSync(p).size, 0);
  clock.say(
    `generated ${rows} rows (+${badRows} malformed) in ${files} file(s), ${(totalBytes / 1e6).toFixed(1)} MB, ` +
      `seed ${seed}; true weights in ${written.truthPath}`,
  );
  return { written, badRows, totalBytes };
}
