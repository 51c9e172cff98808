/**
 * The category column's values, interned as small indexes in order of first appearance. Their
 * number is bounded (preprocess.maxCategories): every category costs its sums and moments, and a
 * serial number in the category column would otherwise take gigabytes and write a stats.json of
 * hundreds of megabytes.
 */
import { FIELD_ESCAPED, type ScannedRow, fieldText } from '../csv-scanner';
import { PreprocessError } from '../preprocess-error';
import { DEFAULT_MAX_CATEGORIES } from './limits';
import { isMissingCell } from './missing-cells';

const utf8 = new TextDecoder('utf-8');

function latin1OrUtf8(bytes: Uint8Array, s: number, e: number): string {
  let ascii = '';
  for (let i = s; i < e; i++) {
    const c = bytes[i];
    if (c >= 0x80) return utf8.decode(bytes.subarray(s, e));
    ascii += String.fromCharCode(c);
  }
  return ascii;
}

export class Categories {
  /** Names by index. */
  readonly names: string[] = [];
  private readonly index = new Map<string, number>();
  /** The first unescaped categories' bytes, and their indexes, to find them without a string. */
  private readonly knownBytes: Uint8Array[] = [];
  private readonly ofBytes: number[] = [];
  private readonly limit: number;

  constructor(
    maxCategories = DEFAULT_MAX_CATEGORIES,
    private readonly column = 'category',
  ) {
    this.limit = maxCategories;
  }

  get count(): number {
    return this.names.length;
  }

  /** The index of field k's category, or -1 when the cell is missing. */
  of(row: ScannedRow, k: number): number {
    const s = row.fieldStart[k];
    const e = row.fieldEnd[k];
    if (isMissingCell(row.bytes, s, e)) return -1;
    const bytes = row.bytes;
    if (row.quoted[k] !== FIELD_ESCAPED) {
      // Few categories: compare bytes with each known one before building a string.
      const known = this.knownBytes;
      const len = e - s;
      for (let c = 0; c < known.length; c++) {
        const kb = known[c];
        if (kb.length !== len) continue;
        let i = 0;
        while (i < len && kb[i] === bytes[s + i]) i++;
        if (i === len) return this.ofBytes[c];
      }
    }
    const name = row.quoted[k] === FIELD_ESCAPED ? fieldText(row, k) : latin1OrUtf8(row.bytes, s, e);
    let c = this.index.get(name);
    if (c === undefined) {
      c = this.names.length;
      if (c >= this.limit) {
        throw new PreprocessError(
          'too_many_categories',
          `category column "${this.column}" has more than ${this.limit} distinct values, the limit ` +
            `(preprocess.maxCategories); is it a serial number or a measurement?`,
        );
      }
      this.index.set(name, c);
      this.names.push(name);
    }
    if (row.quoted[k] !== FIELD_ESCAPED && this.knownBytes.length < 32) {
      this.knownBytes.push(bytes.slice(s, e));
      this.ofBytes.push(c);
    }
    return c;
  }
}
