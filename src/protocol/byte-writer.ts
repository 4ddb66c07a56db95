/** A growable byte buffer shared by the encoders: write into one scratch buffer, copy the result out once. */

const INITIAL_SIZE = 64 * 1024;
/** A scratch buffer grown past this is dropped after use so one huge reply does not pin memory. */
const KEEP_LIMIT = 1024 * 1024;
/** Strings up to this length are copied in JS: cheaper than a native call for keys and short values. */
const SHORT = 64;

export class ByteWriter {
  buf: Buffer = Buffer.allocUnsafe(INITIAL_SIZE);
  pos = 0;

  /** Starts a new message; the previous result must already have been taken with `finish()`. */
  reset(): void {
    this.pos = 0;
  }

  ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(b: number): void {
    if (this.pos >= this.buf.length) this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** Writes a string known to be ASCII (JSON punctuation, keys, numbers). */
  ascii(s: string): void {
    const n = s.length;
    this.ensure(n);
    if (n > SHORT) {
      this.pos += this.buf.write(s, this.pos, 'latin1');
      return;
    }
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < n; i++) buf[pos++] = s.charCodeAt(i);
    this.pos = pos;
  }

  utf8(s: string): void {
    const n = s.length;
    this.ensure(n * 3);
    if (n <= SHORT) {
      // Short ASCII strings are cheaper to copy here than through a native call.
      const buf = this.buf;
      const start = this.pos;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[start + i] = c;
      }
      if (i === n) {
        this.pos = start + n;
        return;
      }
    }
    this.pos += this.buf.write(s, this.pos);
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Copies the written bytes out and readies the writer for the next message. */
  finish(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    this.pos = 0;
    if (this.buf.length > KEEP_LIMIT) this.buf = Buffer.allocUnsafe(INITIAL_SIZE);
    return out;
  }
}
