/** Quoted fields' text without its `""` escapes, in one reused buffer. */
export class Unescaper {
  /** The last unescaped text, from 0. */
  bytes = new Uint8Array(256);
  /** `bytes` viewed for 4-byte reads (RowHasher.text). */
  words = new DataView(this.bytes.buffer);

  /** Copies src[s, e) into `bytes` without the second quote of each `""`; returns the length. */
  unescape(src: Uint8Array, s: number, e: number): number {
    if (this.bytes.length < e - s) {
      this.bytes = new Uint8Array(Math.max(e - s, this.bytes.length * 2));
      this.words = new DataView(this.bytes.buffer);
    }
    const out = this.bytes;
    let n = 0;
    for (let i = s; i < e; i++) {
      const c = src[i];
      if (c === 0x22) i++;
      out[n++] = c;
    }
    return n;
  }
}
