/**
 * File-level preprocessing failures: the whole object is rejected (no clean output) with a code
 * a handler can log, count and alarm on. Row-level problems are not errors: they are
 * quarantined with a reason code (see `QuarantineReason` in preprocess.ts).
 */
export type PreprocessErrorCode =
  /** No bytes, or only a BOM and blank lines: there is no header. */
  | 'empty_file'
  /** The header row is malformed (a quote error) or names a column twice. */
  | 'bad_header'
  /** A column the dataset schema needs is not in the header. */
  | 'missing_column'
  /** More header columns than the configured limit (preprocess.maxColumns). */
  | 'too_many_columns'
  /** More distinct categories than the configured limit (preprocess.maxCategories). */
  | 'too_many_categories'
  /** More bytes than the configured limit. */
  | 'too_large'
  /** Not UTF-8 text. */
  | 'invalid_utf8'
  /** NUL bytes: a binary file, or UTF-16. */
  | 'nul_byte'
  /** Gzip by its first bytes, but the stream is damaged or cut short. */
  | 'bad_gzip'
  /** One row longer than the scanner accepts (usually an unclosed quote early in a big file). */
  | 'row_too_long'
  /** The second read returned different bytes from the first. */
  | 'source_changed'
  /** Three independent 64-bit row hashes collided on different rows (never expected). */
  | 'hash_collision';

export class PreprocessError extends Error {
  override readonly name = 'PreprocessError';
  constructor(
    readonly code: PreprocessErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
