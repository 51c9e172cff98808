/**
 * The fast path of json-lines.ts: one JSON Lines record read from its UTF-8 bytes straight into
 * its CSV row, without JSON.parse, an object per record or a number printed back to text. It
 * reads the records line PCs and Firehose send: a flat object whose values are strings without
 * escapes, numbers or null, with spaces or tabs between tokens. It accepts only what it is sure
 * of and returns false, having written nothing, for anything else (an escape, a nested value, a
 * boolean, a string in a numeric column, a number in a text column, a record that would be
 * quarantined, a token JSON would refuse); json-lines.ts then reads that record with JSON.parse
 * and the general typing, which decide. test/lambda/core/cleaning/json-lines.test.ts holds the
 * two equal (a fast-check property over records and number tokens).
 *
 * A number is copied as its bytes when they are what `String(JSON.parse(token))` prints: no
 * exponent, at most 15 digits (any decimal of at most 15 significant digits is the shortest text
 * of the double it reads as: two of them never read as the same double, DBL_DIG = 15), no
 * trailing zero in the fraction, not `-0`, and not below 1e-6 (JavaScript prints those with an
 * exponent). Any other number is read with Number() (as correctly rounded as JSON.parse) and
 * printed with String(), as the general path does.
 */
import type { ByteWriter } from './byte-writer';
import { isMissingCell } from './missing-cells';

/** How a column's values are typed (json-lines.ts's header comment). */
export const COLUMN_KIND = { timestamp: 0, id: 1, text: 2, numeric: 3 } as const;
export type ColumnKind = (typeof COLUMN_KIND)[keyof typeof COLUMN_KIND];

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const RBRACE = 0x7d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const SPACE = 0x20;
const TAB = 0x09;

/** What a column's key held in the record. */
const ABSENT = 0;
const STRING = 1;
const NUMBER = 2;
const NULL = 3;
/** A number whose text is not what String() prints for it: printed again. */
const NUMBER_REPRINT = 4;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Whether the fields of an ISO 8601 date-time name a real day and time of day (undefined: absent). */
export function realDateTime(
  year: number,
  month: number,
  day: number,
  hour?: number,
  minute?: number,
  second?: number,
  offsetHour?: number,
  offsetMinute?: number,
): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 ? (leap ? 29 : 28) : DAYS_IN_MONTH[month - 1])) return false;
  return !(hour! > 23) && !(minute! > 59) && !(second! > 59) && !(offsetHour! > 23) && !(offsetMinute! > 59);
}

const isDigit = (c: number) => c >= ZERO && c <= NINE;

/** Two digits at b[i], or -1. */
function two(b: Uint8Array, i: number): number {
  const x = b[i] - ZERO;
  const y = b[i + 1] - ZERO;
  return x >= 0 && x <= 9 && y >= 0 && y <= 9 ? x * 10 + y : -1;
}

/**
 * Whether b[s, e) is `YYYY-MM-DDTHH:MM:SS`, an optional fraction of 1-9 digits and an optional
 * `Z`, naming a real day and time: the common shape of what json-lines.ts's isIsoTimestamp
 * accepts. False says only "not this shape or not real" (the general path decides).
 */
function isCommonTimestamp(b: Uint8Array, s: number, e: number): boolean {
  if (e - s < 19 || b[s + 4] !== MINUS || b[s + 7] !== MINUS || b[s + 10] !== 0x54) return false;
  if (b[s + 13] !== COLON || b[s + 16] !== COLON) return false;
  const hi = two(b, s);
  const lo = two(b, s + 2);
  const month = two(b, s + 5);
  const day = two(b, s + 8);
  const hour = two(b, s + 11);
  const minute = two(b, s + 14);
  const second = two(b, s + 17);
  if ((hi | lo | month | day | hour | minute | second) < 0) return false;
  let i = s + 19;
  if (i < e && b[i] === DOT) {
    const f = ++i;
    while (i < e && isDigit(b[i])) i++;
    if (i === f || i - f > 9) return false;
  }
  if (i < e && b[i] === 0x5a) i++;
  return i === e && realDateTime(hi * 100 + lo, month, day, hour, minute, second);
}

/** Reads records of one schema's columns; one instance per input. */
export class FastRecordReader {
  private readonly keys: Uint8Array[];
  private readonly kinds: Uint8Array;
  private readonly type: Uint8Array;
  private readonly start: Int32Array;
  private readonly end: Int32Array;
  /** The column after the last key matched: records mostly keep one key order. */
  private guess = 0;
  /** Set by numberEnd: the token is printed as it is written. */
  private canonical = false;

  constructor(columns: readonly { readonly name: string; readonly kind: ColumnKind }[]) {
    const enc = new TextEncoder();
    this.keys = columns.map((c) => enc.encode(c.name));
    this.kinds = Uint8Array.from(columns.map((c) => c.kind));
    const n = columns.length;
    this.type = new Uint8Array(n);
    this.start = new Int32Array(n);
    this.end = new Int32Array(n);
  }

  /**
   * Record b[s, e) (from `{` to `}`, no line end) as its CSV row and LF into `out`; false, with
   * nothing written, when the general path must read it.
   */
  row(b: Uint8Array, s: number, e: number, out: ByteWriter): boolean {
    if (!this.fields(b, s, e)) return false;
    // Room for the whole row at once: the record's bytes, plus per cell two quotes or a number
    // printed longer than written (String() prints at most 25 characters) and a comma.
    out.reserve(e - s + 28 * this.kinds.length + 1);
    const at = out.len;
    const end = this.cells(b, out.buf, at);
    if (end < 0) return false;
    out.buf[end] = 0x0a;
    out.len = end + 1;
    return true;
  }

  /** Notes where each column's value is; false when the record is not the simple kind. */
  private fields(b: Uint8Array, s: number, e: number): boolean {
    const type = this.type;
    type.fill(ABSENT);
    let p = skipSpace(b, s + 1, e);
    if (b[p] === RBRACE) return p + 1 === e;
    for (;;) {
      if (p >= e || b[p] !== QUOTE) return false;
      const ks = p + 1;
      const ke = stringEnd(b, ks, e);
      if (ke < 0) return false;
      const col = this.column(b, ks, ke);
      p = skipSpace(b, ke + 1, e);
      if (b[p] !== COLON) return false;
      p = skipSpace(b, p + 1, e);
      if (p >= e) return false;
      const c = b[p];
      let t: number;
      let vs = p;
      let ve: number;
      if (c === QUOTE) {
        vs = p + 1;
        ve = stringEnd(b, vs, e);
        if (ve < 0) return false;
        p = ve + 1;
        t = STRING;
      } else if (c === MINUS || isDigit(c)) {
        ve = p = this.numberEnd(b, p, e);
        if (p < 0) return false;
        t = this.canonical ? NUMBER : NUMBER_REPRINT;
      } else if (c === 0x6e && p + 4 <= e && b[p + 1] === 0x75 && b[p + 2] === 0x6c && b[p + 3] === 0x6c) {
        ve = p += 4;
        t = NULL;
      } else return false;
      // A key given twice: the last value counts, as JSON.parse keeps it.
      if (col >= 0) {
        type[col] = t;
        this.start[col] = vs;
        this.end[col] = ve;
      }
      p = skipSpace(b, p, e);
      if (p >= e) return false;
      if (b[p] === COMMA) {
        p = skipSpace(b, p + 1, e);
        continue;
      }
      return b[p] === RBRACE && p + 1 === e;
    }
  }

  /** The column named by key b[s, e), or -1. */
  private column(b: Uint8Array, s: number, e: number): number {
    const keys = this.keys;
    const n = keys.length;
    for (let k = 0, c = this.guess; k < n; k++, c = c + 1 === n ? 0 : c + 1) {
      const key = keys[c];
      if (key.length !== e - s) continue;
      let i = 0;
      while (i < key.length && key[i] === b[s + i]) i++;
      if (i === key.length) {
        this.guess = c + 1 === n ? 0 : c + 1;
        return c;
      }
    }
    return -1;
  }

  /** The end of the JSON number at b[p], or -1 when it is not one; sets `canonical`. */
  private numberEnd(b: Uint8Array, p: number, e: number): number {
    const s = p;
    if (b[p] === MINUS) p++;
    const int = p;
    if (b[p] === ZERO) p++;
    else if (p < e && isDigit(b[p])) while (p < e && isDigit(b[p])) p++;
    else return -1;
    const zeroInt = b[int] === ZERO;
    let digits = p - int;
    let canonical = true;
    if (p < e && b[p] === DOT) {
      const f = ++p;
      while (p < e && isDigit(b[p])) p++;
      if (p === f) return -1;
      digits += p - f;
      if (b[p - 1] === ZERO) canonical = false;
      if (zeroInt) {
        let z = f;
        while (z < p && b[z] === ZERO) z++;
        if (z - f > 5) canonical = false;
      }
    } else if (zeroInt && b[s] === MINUS) canonical = false; // -0 prints as 0
    if (p < e && (b[p] === 0x65 || b[p] === 0x45)) {
      p++;
      if (b[p] === PLUS || b[p] === MINUS) p++;
      const x = p;
      while (p < e && isDigit(b[p])) p++;
      if (p === x) return -1;
      canonical = false;
    }
    this.canonical = canonical && digits <= 15;
    return p;
  }

  /**
   * The row's cells, comma-separated, into `o` from `n` (room reserved); the end, or -1 when a
   * value is not the simple kind.
   */
  private cells(b: Uint8Array, o: Uint8Array, n: number): number {
    const kinds = this.kinds;
    const type = this.type;
    for (let c = 0; c < kinds.length; c++) {
      if (c > 0) o[n++] = COMMA;
      const t = type[c];
      const kind = kinds[c];
      if (t === ABSENT || t === NULL) {
        if (kind === COLUMN_KIND.id) return -1;
        continue;
      }
      const vs = this.start[c];
      const ve = this.end[c];
      if (kind === COLUMN_KIND.numeric) {
        if (t === NUMBER) {
          for (let i = vs; i < ve; i++) o[n++] = b[i];
          continue;
        }
        if (t !== NUMBER_REPRINT) return -1;
        let token = '';
        for (let i = vs; i < ve; i++) token += String.fromCharCode(b[i]);
        const x = Number(token);
        if (!Number.isFinite(x)) return -1;
        const text = String(x);
        for (let i = 0; i < text.length; i++) o[n++] = text.charCodeAt(i);
        continue;
      }
      if (t !== STRING) return -1;
      if (isMissingCell(b, vs, ve)) {
        if (kind === COLUMN_KIND.id) return -1;
        continue;
      }
      if (kind === COLUMN_KIND.timestamp) {
        if (!isCommonTimestamp(b, vs, ve)) return -1;
        for (let i = vs; i < ve; i++) o[n++] = b[i];
        continue;
      }
      // No quote, CR or LF can be in it (stringEnd): only a comma makes it quoted.
      let comma = false;
      for (let i = vs; i < ve; i++)
        if (b[i] === COMMA) {
          comma = true;
          break;
        }
      if (comma) o[n++] = QUOTE;
      for (let i = vs; i < ve; i++) o[n++] = b[i];
      if (comma) o[n++] = QUOTE;
    }
    return n;
  }
}

function skipSpace(b: Uint8Array, p: number, e: number): number {
  while (p < e && (b[p] === SPACE || b[p] === TAB)) p++;
  return p;
}

/** The closing quote of a string starting at b[p], or -1 for an escape or control character. */
function stringEnd(b: Uint8Array, p: number, e: number): number {
  for (; p < e; p++) {
    const c = b[p];
    if (c === QUOTE) return p;
    if (c === BACKSLASH || c < 0x20) return -1;
  }
  return -1;
}
