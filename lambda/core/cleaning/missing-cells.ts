/**
 * What "missing" means in every column: an empty cell or one of pandas' default NA words, as
 * `pd.read_csv` reads them (`keep_default_na`). Both the de-duplication (a missing cell equals
 * any other missing cell) and the mean fill use this one definition.
 */
const NA_WORDS = new Set([
  '',
  '#N/A',
  '#N/A N/A',
  '#NA',
  '-1.#IND',
  '-1.#QNAN',
  '-NaN',
  '-nan',
  '1.#IND',
  '1.#QNAN',
  '<NA>',
  'N/A',
  'NA',
  'NULL',
  'NaN',
  'n/a',
  'nan',
  'null',
]);
/** First bytes of the NA words, to skip the set lookup for most cells. */
const NA_FIRST = new Uint8Array(256);
for (const w of NA_WORDS) if (w.length > 0) NA_FIRST[w.charCodeAt(0)] = 1;

/** pandas' default NA words (and empty) mean "missing" in every column. */
export function isMissingCell(bytes: Uint8Array, s: number, e: number): boolean {
  const len = e - s;
  if (len === 0) return true;
  if (len > 8 || NA_FIRST[bytes[s]] !== 1) return false;
  let w = '';
  for (let i = s; i < e; i++) w += String.fromCharCode(bytes[i]);
  return NA_WORDS.has(w);
}

/** The same rule for a text already decoded (a JSON Lines string value). */
export function isMissingText(text: string): boolean {
  return text.length <= 8 && NA_WORDS.has(text);
}
