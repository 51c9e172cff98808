import { DELIMITER_NAMES, type Delimiter } from '../../lambda/core/cleaning/delimited-input';
import { UsageError } from './command-line';

/**
 * `--delimiter` of preprocess, schema and local: a name (comma, tab, semicolon, pipe) or the
 * character itself (`\t` spelled out too).
 */
export function delimiterOf(text: string | undefined): Delimiter | undefined {
  if (text === undefined) return undefined;
  const named = (DELIMITER_NAMES as Record<string, Delimiter>)[text.toLowerCase()];
  if (named !== undefined) return named;
  const char = text === '\\t' ? '\t' : text;
  if ((Object.values(DELIMITER_NAMES) as string[]).includes(char)) return char as Delimiter;
  throw new UsageError(`--delimiter must be comma, tab, semicolon or pipe, got ${JSON.stringify(text)}`);
}
