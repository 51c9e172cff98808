/**
 * The dataset contract: which columns a production-line CSV holds and what each is for (the text
 * columns are kept as text; features and the target are numbers; see the README's "Data contract"). Plain data so it travels through Lambda environment variables and the
 * trainer's hyperparameters as JSON.
 */
export interface DatasetSchema {
  /** Timestamp column; kept as text. */
  readonly timestamp: string;
  /** Identifier columns (e.g. the production line); kept as text. */
  readonly ids: readonly string[];
  /** The one category column that group statistics and Gaussian profiles are keyed by. */
  readonly category: string;
  /** Numeric feature columns, in model order. */
  readonly features: readonly string[];
  /** The numeric target (quality). */
  readonly target: string;
}

export const DEFAULT_DATASET_SCHEMA: DatasetSchema = {
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

/** Every column the schema names, in the default file order. */
export function schemaColumns(schema: DatasetSchema): string[] {
  return [schema.timestamp, ...schema.ids, schema.category, ...numericColumns(schema)];
}

/** The schema as one environment-variable value, and back; throws naming the problem. */
export function encodeSchema(schema: DatasetSchema): string {
  return JSON.stringify(schema);
}

export function decodeSchema(text: string): DatasetSchema {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('dataset schema is not valid JSON');
  }
  const s = value as Partial<DatasetSchema>;
  const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
  if (!s || typeof s !== 'object') throw new Error('dataset schema must be an object');
  for (const key of ['timestamp', 'category', 'target'] as const) {
    if (!isName(s[key])) throw new Error(`dataset schema: "${key}" must be a non-empty string`);
  }
  for (const key of ['ids', 'features'] as const) {
    const list = s[key];
    if (!Array.isArray(list) || !list.every(isName)) {
      throw new Error(`dataset schema: "${key}" must be a list of non-empty strings`);
    }
  }
  if ((s.features as string[]).length === 0) throw new Error('dataset schema: "features" must not be empty');
  const all = schemaColumns(s as DatasetSchema);
  const dup = all.find((c, i) => all.indexOf(c) !== i);
  if (dup) throw new Error(`dataset schema: column "${dup}" is named twice`);
  return s as DatasetSchema;
}
