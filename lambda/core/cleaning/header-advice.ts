/**
 * What to tell a user whose header lacks schema columns, when the reason is likely not a missing
 * column at all: a tab- or semicolon-separated export read as comma-separated (every column
 * "missing"), or names that match only after trimming spaces or ignoring case (`Torque [Nm] `,
 * `TORQUE [NM]`): the core matches names exactly, so the user is told which is which.
 */
const DELIMITERS: readonly (readonly [string, string, string])[] = [
  ['\t', 'tab', '--delimiter tab, config preprocess.delimiter "\\t"'],
  [';', 'semicolon', '--delimiter ";", config preprocess.delimiter ";"'],
  ['|', 'pipe', '--delimiter "|", config preprocess.delimiter "|"'],
];

/** Folded for comparison: outer spaces trimmed, case ignored. */
const fold = (name: string) => name.trim().toLowerCase();

/** The missing_column message: the missing names, then the likely cause when one is. */
export function missingColumnsMessage(header: readonly string[], missing: readonly string[]): string {
  let message = `header lacks schema column(s): ${missing.join(', ')}`;
  // A header of few fields holding another delimiter many times: the file is not comma-separated.
  const text = header.join(',');
  const commas = header.length - 1;
  for (const [delimiter, name, how] of DELIMITERS) {
    const count = text.split(delimiter).length - 1;
    if (count >= 2 && count > commas) {
      return `${message}; the header looks ${name}-separated (${count} ${name}s, ${commas} commas): read it with ${how}`;
    }
  }
  const near = missing
    .map((name) => [name, header.find((h) => fold(h) === fold(name))] as const)
    .filter((pair): pair is readonly [string, string] => pair[1] !== undefined);
  if (near.length > 0) {
    message +=
      '; matching only after trimming spaces or ignoring case (names must match exactly; ' +
      'rename in the schema): ' +
      near.map(([name, h]) => `schema ${JSON.stringify(name)} ~ header ${JSON.stringify(h)}`).join(', ');
  }
  return message;
}
