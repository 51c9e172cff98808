/**
 * Why a row is quarantined instead of cleaned: where pandas would fail or guess. A ragged row
 * (pandas errors on too many fields and pads too few), text in a numeric column (pandas would
 * turn the whole column into text), inf or overflow, an unclosed quote and a stray quote
 * (RFC 4180 violations pandas reads by guessing). JSON Lines records (json-lines.ts) add theirs:
 * a line that is not JSON, JSON that is not an object, a value of the wrong type for its column
 * (a boolean, an object or array, a fraction as an id), a required id missing, a timestamp that
 * does not parse.
 */
export const QUARANTINE_REASONS = [
  'ragged_row',
  'non_numeric',
  'non_finite',
  'unclosed_quote',
  'stray_quote',
  'not_json',
  'not_object',
  'wrong_type',
  'missing_key',
  'bad_timestamp',
] as const;
export type QuarantineReason = (typeof QUARANTINE_REASONS)[number];

/** A reason as a small number (0: none), so the row loops count and return no strings. */
export const REASON_CODE: Readonly<Record<QuarantineReason, number>> = {
  ragged_row: 1,
  non_numeric: 2,
  non_finite: 3,
  unclosed_quote: 4,
  stray_quote: 5,
  not_json: 6,
  not_object: 7,
  wrong_type: 8,
  missing_key: 9,
  bad_timestamp: 10,
};
export const REASON_BY_CODE: readonly QuarantineReason[] = ['ragged_row', ...QUARANTINE_REASONS];
