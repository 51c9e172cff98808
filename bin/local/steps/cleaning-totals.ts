import type { CleaningTotals, FileOutcome } from '../pipeline-summary';

/** The row counts summed over files. */
export function cleaningTotals(files: readonly FileOutcome[]): CleaningTotals {
  return files.reduce(
    (t, f) => ({
      rowsIn: t.rowsIn + f.rowsIn,
      rowsClean: t.rowsClean + f.rowsClean,
      duplicates: t.duplicates + f.duplicates,
      quarantined: t.quarantined + f.quarantined,
    }),
    { rowsIn: 0, rowsClean: 0, duplicates: 0, quarantined: 0 },
  );
}

/**
 * Every file processed with rows in = clean + duplicates + quarantined, the same over the totals,
 * and the rows in equal to the rows written (when known: the generator's; a user's file is counted
 * by preprocess itself).
 */
export function reconciles(
  files: readonly FileOutcome[],
  totals: CleaningTotals,
  rowsWritten?: number,
): boolean {
  return (
    files.every((f) => f.status === 'processed' && f.rowsIn === f.rowsClean + f.duplicates + f.quarantined) &&
    totals.rowsIn === totals.rowsClean + totals.duplicates + totals.quarantined &&
    (rowsWritten === undefined || totals.rowsIn === rowsWritten)
  );
}
