/**
 * Why a row is quarantined instead of cleaned: where pandas would fail or guess. A ragged row
 * (pandas errors on too many fields and pads too few), text in a numeric column (pandas would
 * turn the whole column into text), inf or overflow, an unclosed quote and a stray quote
 * (RFC 4180 violations pandas reads by guessing).
 */
export const QUARANTINE_REASONS = [
  'ragged_row',
  'non_numeric',
  'non_finite',
  'unclosed_quote',
  'stray_quote',
] as const;
export type QuarantineReason = (typeof QUARANTINE_REASONS)[number];

/** A reason as a small number (0: none), so the row loops count and return no strings. */
export const REASON_CODE: Readonly<Record<QuarantineReason, number>> = {
  ragged_row: 1,
  non_numeric: 2,
  non_finite: 3,
  unclosed_quote: 4,
  stray_quote: 5,
};
export const REASON_BY_CODE: readonly QuarantineReason[] = [
  'ragged_row',
  'ragged_row',
  'non_numeric',
  'non_finite',
  'unclosed_quote',
  'stray_quote',
];
