/** Append-only byte buffer for one output, handed to the sink between input pieces. */
export class ByteWriter {
  buf = new Uint8Array(1 << 16);
  len = 0;

  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }

  bytes(src: Uint8Array, s: number, e: number): void {
    const n = e - s;
    this.reserve(n);
    if (n > 32) {
      this.buf.set(src.subarray(s, e), this.len);
    } else {
      // A loop beats subarray + set (a view allocated per copy) only for a few bytes.
      const buf = this.buf;
      let o = this.len;
      for (let i = s; i < e; i++) buf[o++] = src[i];
    }
    this.len += n;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b;
  }

  /** A copy of the bytes written so far (the sink may keep it); the buffer is reused. */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.len);
    this.len = 0;
    return out;
  }
}
