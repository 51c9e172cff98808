/**
 * The dataset contract: which columns a production-line CSV holds and what each is for (the text
 * columns are kept as text; features and the target are numbers; see the README's "Data
 * contract"). Plain data so it travels through Lambda environment variables and the trainer's
 * hyperparameters as JSON.
 *
 * A column name is any non-empty text a CSV header can hold (`Torque [Nm]`, `Rotational speed
 * [rpm]`, commas, quotes, non-ASCII): factories export what they export, and a user is never
 * asked to rename a column. Where AWS needs an identifier, derive one from the name.
 */
export interface DatasetSchema {
  /** Timestamp column, kept as text; absent when the file has none. */
  readonly timestamp?: string;
  /** Identifier columns (e.g. the production line), kept as text; `[]` when there are none. */
  readonly ids: readonly string[];
  /** The one category column that group statistics and Gaussian profiles are keyed by. */
  readonly category: string;
  /** Numeric feature columns, in model order. */
  readonly features: readonly string[];
  /** The numeric target (quality). */
  readonly target: string;
}

// Typed with its timestamp: the built-in schema has one, and its readers may rely on that.
export const DEFAULT_DATASET_SCHEMA: DatasetSchema & { readonly timestamp: string } = {
  timestamp: 'timestamp',
  ids: ['line_id'],
  category: 'category',
  features: [
    'temperature',
    'pressure',
    'vibration',
    'speed',
    'humidity',
    'torque',
    'current',
    'voltage',
    'feed_rate',
    'tool_wear',
  ],
  target: 'quality',
};

/** Numeric columns (features then target): the columns pandas' `mean(numeric_only=True)` covers. */
export function numericColumns(schema: DatasetSchema): string[] {
  return [...schema.features, schema.target];
}

/** The schema's text columns (timestamp if any, ids, category), in the default file order. */
export function textColumns(schema: DatasetSchema): string[] {
  return [...(schema.timestamp === undefined ? [] : [schema.timestamp]), ...schema.ids, schema.category];
}

/** Every column the schema names, in the default file order. */
export function schemaColumns(schema: DatasetSchema): string[] {
  return [...textColumns(schema), ...numericColumns(schema)];
}

/** The schema as one environment-variable value, and back; throws naming the problem. */
export function encodeSchema(schema: DatasetSchema): string {
  return JSON.stringify(schema);
}

const KEYS = ['timestamp', 'ids', 'category', 'features', 'target'] as const;

/**
 * Checks a parsed schema document: `timestamp` may be absent (or null), `ids` may be absent (no
 * ids); everything else is required. Returns a fresh object with `ids` filled in.
 */
export function checkSchema(value: unknown): DatasetSchema {
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new Error('dataset schema must be a JSON object');
  const s = value as Record<string, unknown>;
  const unknownKey = Object.keys(s).find((k) => !(KEYS as readonly string[]).includes(k));
  if (unknownKey !== undefined)
    throw new Error(`dataset schema: unknown key "${unknownKey}" (allowed: ${KEYS.join(', ')})`);
  const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
  for (const key of ['category', 'target'] as const) {
    if (!isName(s[key])) throw new Error(`dataset schema: "${key}" must be a non-empty string`);
  }
  if (s.timestamp !== undefined && s.timestamp !== null && !isName(s.timestamp))
    throw new Error(
      'dataset schema: "timestamp" must be a non-empty string, or left out when the file has none',
    );
  for (const key of ['ids', 'features'] as const) {
    const list = s[key];
    if (key === 'ids' && (list === undefined || list === null)) continue;
    if (!Array.isArray(list) || !list.every(isName)) {
      throw new Error(`dataset schema: "${key}" must be a list of non-empty strings`);
    }
  }
  const features = s.features as string[];
  if (features.length === 0) throw new Error('dataset schema: "features" must not be empty');
  const schema: DatasetSchema = {
    ...(isName(s.timestamp) ? { timestamp: s.timestamp } : {}),
    ids: [...((s.ids as string[] | undefined | null) ?? [])],
    category: s.category as string,
    features: [...features],
    target: s.target as string,
  };
  const all = schemaColumns(schema);
  const dup = all.find((c, i) => all.indexOf(c) !== i);
  if (dup !== undefined) throw new Error(`dataset schema: column "${dup}" is named twice`);
  return schema;
}

export function decodeSchema(text: string): DatasetSchema {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('dataset schema is not valid JSON');
  }
  return checkSchema(value);
}
