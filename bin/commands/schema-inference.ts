/**
 * `factory schema`'s choices, pure: column profiles of a sample in, a dataset schema and one line
 * per choice out (why each column got its role), so a person can check it before using it.
 *
 * - numeric: every non-missing sampled cell is a finite number (as pandas would type it);
 * - a numeric column of consecutive integers (1, 2, 3, ...) is a row counter: an id, not a feature;
 * - the target is the column asked for (else the last numeric column, said so);
 * - the category is the column asked for, else the text column with the fewest distinct values
 *   (2 or more, and at most CATEGORY_MAX_DISTINCT and half the sampled rows);
 * - the timestamp, optional, is the first other text column whose every cell reads as a date;
 * - every other text column is an id (kept as text); every other numeric column a feature.
 */
import type { DatasetSchema } from '../../lambda/core/dataset-schema';
import type { ColumnProfile, CsvSample } from './schema-sample';

/** The most distinct values a column may have in the sample to be picked as the category. */
export const CATEGORY_MAX_DISTINCT = 100;

/** Features the deployable config accepts (lib/config.ts `dataset.features`). */
export const CONFIG_MAX_FEATURES = 64;

export interface InferOptions {
  readonly target?: string;
  readonly category?: string;
}

export interface InferredSchema {
  readonly schema: DatasetSchema;
  /** One line per choice, for stderr. */
  readonly notes: readonly string[];
}

export class InferenceError extends Error {}

const q = (name: string) => JSON.stringify(name);

function isNumeric(c: ColumnProfile): boolean {
  return c.texts === 0 && c.numbers > 0;
}

function describeCount(c: ColumnProfile): string {
  return c.distinct.size > 1000 ? 'over 1000 distinct values' : `${c.distinct.size} distinct values`;
}

export function inferSchema(sample: CsvSample, options: InferOptions = {}): InferredSchema {
  const { columns, rows } = sample;
  const byName = new Map(columns.map((c) => [c.name, c]));
  const notes: string[] = [];
  for (const flag of ['target', 'category'] as const) {
    const name = options[flag];
    if (name !== undefined && !byName.has(name)) {
      throw new InferenceError(
        `--${flag} ${q(name)} is not a column of the header (${columns.length} columns: ${columns
          .slice(0, 8)
          .map((c) => q(c.name))
          .join(', ')}${columns.length > 8 ? ', ...' : ''})`,
      );
    }
  }
  if (rows === 0) throw new InferenceError('the file has a header but no data rows to sample');

  const numeric = columns.filter(isNumeric);
  let target = options.target;
  if (target === undefined) {
    const last = numeric.filter((c) => c.name !== options.category && !isCounter(c, rows)).at(-1);
    if (!last) throw new InferenceError('no numeric column to predict: name the target with --target');
    target = last.name;
    notes.push(`target ${q(target)}: the last numeric column (choose another with --target)`);
  } else {
    const t = byName.get(target)!;
    if (!isNumeric(t)) {
      throw new InferenceError(
        `--target ${q(target)} is not numeric: ${t.texts} of ${rows} sampled cells are not numbers`,
      );
    }
    notes.push(`target ${q(target)}: as asked`);
  }

  let category = options.category;
  if (category === undefined) {
    const candidates = columns
      .filter((c) => c.name !== target && !isNumeric(c) && !c.dates)
      .filter(
        (c) =>
          c.distinct.size >= 2 &&
          c.distinct.size <= CATEGORY_MAX_DISTINCT &&
          c.distinct.size <= Math.max(2, rows / 2),
      )
      .sort((a, b) => a.distinct.size - b.distinct.size);
    if (candidates.length === 0) {
      throw new InferenceError(
        `no text column with 2 to ${CATEGORY_MAX_DISTINCT} distinct values to group by: name the category with --category`,
      );
    }
    category = candidates[0].name;
    notes.push(
      `category ${q(category)}: ${describeCount(candidates[0])}, the fewest of the text columns (choose another with --category)`,
    );
  } else {
    if (category === target) throw new InferenceError(`--category and --target both name ${q(category)}`);
    notes.push(`category ${q(category)}: as asked (${describeCount(byName.get(category)!)})`);
  }

  let timestamp: string | undefined;
  const ids: string[] = [];
  const features: string[] = [];
  for (const c of columns) {
    if (c.name === target || c.name === category) continue;
    if (isNumeric(c)) {
      if (isCounter(c, rows)) {
        ids.push(c.name);
        notes.push(`id ${q(c.name)}: consecutive whole numbers, a row counter rather than a measurement`);
      } else {
        features.push(c.name);
        if (c.distinct.size === 1)
          notes.push(
            `feature ${q(c.name)}: one value in the sample (${[...c.distinct][0]}), so it cannot explain the target there`,
          );
      }
    } else if (timestamp === undefined && c.dates && c.texts > 0) {
      timestamp = c.name;
      notes.push(`timestamp ${q(c.name)}: every sampled cell is a date and time`);
    } else {
      ids.push(c.name);
      notes.push(
        c.texts + c.numbers === 0
          ? `id ${q(c.name)}: every sampled cell is empty, kept as text`
          : `id ${q(c.name)}: text (${describeCount(c)}), kept as text`,
      );
    }
  }
  if (timestamp === undefined) notes.push('timestamp: none (no text column of dates)');
  if (features.length === 0) {
    throw new InferenceError(`no numeric column is left for features besides the target ${q(target)}`);
  }
  notes.push(`features: ${features.length} numeric column${features.length === 1 ? '' : 's'}`);
  if (features.length > CONFIG_MAX_FEATURES) {
    notes.push(
      `warning: ${features.length} features is more than the ${CONFIG_MAX_FEATURES} the deployable config (cdk.json factory.dataset) accepts; the CLI takes them all`,
    );
  }
  return {
    schema: { ...(timestamp !== undefined ? { timestamp } : {}), ids, category, features, target },
    notes,
  };
}

/** A row counter: whole numbers each one more than the last, over more than two rows, all present. */
function isCounter(c: ColumnProfile, rows: number): boolean {
  return c.counter && c.numbers === rows && rows > 2;
}
