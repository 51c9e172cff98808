/**
 * A finished run's three documents: the statistics partial (stats-partial.ts), the data-quality
 * report and group_stats.csv (pandas' `data.groupby(category).mean(numeric_only=True)` over the
 * filled rows: each category's sums plus its missing cells times the column's fill).
 */
import { Moments } from '../moments';
import {
  type CategoryStats,
  type ColumnStats,
  KahanSum,
  STATS_PARTIAL_FORMAT,
  type StatsPartial,
  compareCodePoints,
} from '../stats-partial';
import type { DatasetSchema } from '../dataset-schema';
import type { ColumnStatistics } from './column-statistics';
import { csvField, formatNumber } from './csv-text';
import type { Binding } from './header-binding';
import type { MeanFill } from './mean-fill';
import { QUARANTINE_REASONS, type QuarantineReason, REASON_CODE } from './quarantine-reasons';
import type { PreprocessResult, QualityReport } from './run-contract';

/** What a run counted and accumulated, from both passes. */
export interface RunTotals {
  readonly schema: DatasetSchema;
  /** The schema's numeric columns, then the extra columns pandas reads as numbers. */
  readonly numeric: readonly string[];
  /** How many of `numeric` are the schema's (the statistics partial covers those). */
  readonly schemaD: number;
  /** Physical lines in the input (the header and blank lines too). */
  readonly linesIn: number;
  /** Physical lines of the quarantined rows (one row may span many: an unclosed quote). */
  readonly quarantinedLines: number;
  /** The header as pass 2 read it. */
  readonly binding: Binding;
  readonly rowsIn: number;
  readonly duplicates: number;
  readonly quarantined: number;
  /** Quarantined rows per reason code. */
  readonly byReason: Float64Array;
  readonly categoryNames: readonly string[];
  readonly stats: ColumnStatistics;
  readonly fill: MeanFill;
  readonly bytesIn: number;
  readonly dedupeTableBytes: number;
}

function jsonNumber(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/** The run's documents; the report's elapsedMs and passes are the caller's to set. */
export function runResult(t: RunTotals): PreprocessResult {
  const { stats: s, fill, numeric: names, binding: b, schemaD } = t;
  const d = names.length;
  const schemaNames = names.slice(0, schemaD);
  const fillValues = fill.values;
  const numeric: ColumnStats[] = schemaNames.map((name, j) => {
    const sum = s.colSum[j] + s.colComp[j];
    const present = s.colPresent[j];
    return { name, present, missing: s.clean - present, sum, mean: jsonNumber(sum / present) };
  });
  const catNames = t.categoryNames;
  const order = catNames.map((_, i) => i).sort((x, y) => compareCodePoints(catNames[x], catNames[y]));
  const categories: Record<string, CategoryStats> = {};
  const groupLines = [['category', 'count', ...names].map(csvField).join(',')];
  for (const c of order) {
    const count = s.catCount[c];
    const filledSum = Array.from({ length: d }, (_, j) => {
      const sum = new KahanSum();
      sum.add(s.catSum[c][j] + s.catComp[c][j]);
      sum.add(s.catMissing[c][j] * fillValues[j]);
      return s.catMissing[c][j] > 0 && Number.isNaN(fillValues[j]) ? NaN : sum.value();
    });
    const mean = filledSum.map((x) => x / count);
    categories[catNames[c]] = {
      count,
      filledSum: filledSum.slice(0, schemaD).map(jsonNumber),
      mean: mean.slice(0, schemaD).map(jsonNumber),
      moments: s.catMoments[c].toJSON(),
    };
    groupLines.push([csvField(catNames[c]), String(count), ...mean.map(formatNumber)].join(','));
  }
  const moments = Moments.mergeAll(schemaNames, [...s.catMoments, s.noCategoryMoments]);
  const missingCells: Record<string, number> = {};
  b.header.forEach((name, k) => {
    const j = b.role[k];
    missingCells[name] = j >= 0 ? s.clean - s.colPresent[j] : s.textMissing[k];
  });
  const quarantineByReason = Object.fromEntries(
    QUARANTINE_REASONS.map((r) => [r, t.byReason[REASON_CODE[r]]]),
  ) as Record<QuarantineReason, number>;
  const partial: StatsPartial = {
    format: STATS_PARTIAL_FORMAT,
    columns: schemaNames,
    features: [...t.schema.features],
    target: t.schema.target,
    category: t.schema.category,
    rowsIn: t.rowsIn,
    rowsClean: s.clean,
    rowsComplete: s.complete,
    duplicates: t.duplicates,
    quarantined: t.quarantined,
    rowsWithoutCategory: s.noCategory,
    bytesIn: t.bytesIn,
    numeric,
    moments: moments.toJSON(),
    filledMoments: Moments.mergeAll(schemaNames, [moments, fill.moments]).toJSON(),
    categories,
  };
  const report: QualityReport = {
    rowsIn: t.rowsIn,
    linesIn: t.linesIn,
    rowsClean: s.clean,
    rowsComplete: s.complete,
    duplicates: t.duplicates,
    quarantined: t.quarantined,
    quarantinedLines: t.quarantinedLines,
    quarantineByReason,
    missingCells,
    filledCells: fill.cells,
    categories: catNames.length,
    rowsWithoutCategory: s.noCategory,
    extraColumns: b.extras,
    extraNumericColumns: names.slice(schemaD),
    bytesIn: t.bytesIn,
    elapsedMs: 0,
    passes: 2,
    dedupeTableBytes: t.dedupeTableBytes,
  };
  return { stats: partial, report, groupStatsCsv: groupLines.join('\n') + '\n' };
}
