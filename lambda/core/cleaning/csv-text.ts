/** Text written into the CSV outputs. */

/** CSV-quotes a text (always quoted). */
export function quoteCsv(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}

/** A CSV field: quoted only when it must be. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? quoteCsv(text) : text;
}

/** A number as JavaScript prints it (the shortest text that reads back the same double); empty when not finite. */
export function formatNumber(v: number): string {
  return Number.isFinite(v) ? String(v) : '';
}
