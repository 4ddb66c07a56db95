/** Protobuf wire format primitives: a varint/length-delimited writer and a bounds-checked reader. */

import { ByteWriter } from './byte-writer.js';
import { ProtocolDecodeError } from './codec-errors.js';

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;

const TWO_32 = 4294967296;
const TWO_64 = 18446744073709551616;
export const UINT32_MAX = 0xffffffff;

/** `n` as a uint32 value: fractions dropped, below 0 (and NaN) 0, above 2^32 - 1 that maximum. */
export function clampUint32(n: number): number {
  if (n >= UINT32_MAX) return UINT32_MAX;
  return n > 0 ? Math.floor(n) : 0;
}
/** Groups are long deprecated; nesting deeper than this in skipped data is treated as hostile. */
const MAX_GROUP_DEPTH = 32;

/** Writes protobuf fields into a ByteWriter; zero values are the caller's to skip (proto3 implicit presence). */
export class ProtoWriter extends ByteWriter {
  varint(n: number): void {
    if (n >= 0 && n < 0x80000000) {
      this.ensure(5);
      const buf = this.buf;
      while (n > 0x7f) {
        buf[this.pos++] = (n & 0x7f) | 0x80;
        n >>>= 7;
      }
      buf[this.pos++] = n;
      return;
    }
    // A varint holds at most 64 bits in at most the 10 bytes reserved here.
    if (!(n > -TWO_64 / 2 && n < TWO_64) || !Number.isInteger(n)) throw new RangeError(`varint value out of range: ${n}`);
    this.ensure(10);
    if (n < 0) {
      // int64 two's complement over 10 bytes.
      let lo = n % TWO_32;
      let hi = Math.floor(n / TWO_32);
      lo = lo >>> 0;
      hi = hi >>> 0;
      for (let i = 0; i < 9; i++) {
        this.buf[this.pos++] = (lo & 0x7f) | 0x80;
        lo = ((lo >>> 7) | (hi << 25)) >>> 0;
        hi >>>= 7;
      }
      this.buf[this.pos++] = lo & 0x01;
      return;
    }
    while (n > 0x7f) {
      this.buf[this.pos++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.pos++] = n;
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  uintField(field: number, n: number | undefined): void {
    if (n) {
      this.tag(field, WIRE_VARINT);
      this.varint(n);
    }
  }

  /** A uint32 field: the value is clamped to [0, 2^32 - 1] (a token's `exp: 1e300` must not become a 143-byte varint). */
  uint32Field(field: number, n: number | undefined): void {
    if (n) this.uintField(field, clampUint32(n));
  }

  boolField(field: number, b: boolean | undefined): void {
    if (b) {
      this.tag(field, WIRE_VARINT);
      this.byte(1);
    }
  }

  stringField(field: number, s: string | undefined): void {
    if (s) {
      this.tag(field, WIRE_LEN);
      this.stringValue(s);
    }
  }

  /** A string with its length prefix (written even when empty, as map keys/values need). */
  stringValue(s: string): void {
    const start = this.beginLength();
    this.utf8(s);
    this.endLength(start);
  }

  bytesField(field: number, b: Uint8Array | undefined): void {
    if (b && b.length > 0) {
      this.tag(field, WIRE_LEN);
      this.varint(b.length);
      this.bytes(b);
    }
  }

  /** Reserves one byte for a length prefix; returns the position to pass to `endLength`. */
  beginLength(): number {
    this.byte(0);
    return this.pos;
  }

  /** Writes the length of everything since `beginLength`, moving the body if the varint needs more room. */
  endLength(start: number): void {
    const len = this.pos - start;
    if (len < 0x80) {
      this.buf[start - 1] = len;
      return;
    }
    let extra = 0;
    for (let v = len >>> 7; v > 0x7f; v >>>= 7) extra++;
    extra++;
    this.ensure(extra);
    this.buf.copyWithin(start + extra, start, this.pos);
    // No reallocation can happen in varint() below: the buffer already holds len (>= 128) more bytes.
    this.pos = start - 1;
    this.varint(len);
    this.pos += len;
  }
}

/** Reads protobuf wire data from one buffer; every read is checked against `end` and throws ProtocolDecodeError. */
export class ProtoReader {
  readonly buf: Buffer;
  pos: number;
  /** High 32 bits of the last varint read by `varint()`. */
  private hi = 0;

  constructor(buf: Buffer, pos = 0) {
    this.buf = buf;
    this.pos = pos;
  }

  /** Reads a varint of up to 10 bytes, returning its low 32 bits (unsigned); the high bits go to `this.hi`. */
  private varint(end: number): number {
    const buf = this.buf;
    let pos = this.pos;
    if (pos < end) {
      const b0 = buf[pos] as number;
      if (b0 < 0x80) {
        this.pos = pos + 1;
        this.hi = 0;
        return b0;
      }
    }
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw new ProtocolDecodeError('truncated varint');
      const b = buf[pos++] as number;
      if (i < 4) {
        lo |= (b & 0x7f) << (7 * i);
      } else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi = (b & 0x7f) >>> 4;
      } else if (i === 9 && b > 1) {
        throw new ProtocolDecodeError('varint overflows 64 bits');
      } else {
        hi |= (b & 0x7f) << (7 * i - 32);
      }
      if (b < 0x80) {
        this.pos = pos;
        this.hi = hi >>> 0;
        return lo >>> 0;
      }
    }
    throw new ProtocolDecodeError('varint longer than 10 bytes');
  }

  uint32(end: number): number {
    const lo = this.varint(end);
    if (this.hi !== 0) throw new ProtocolDecodeError('uint32 value out of range');
    return lo;
  }

  /** uint64 as a JS number; values past 2^53 - 1 are rejected rather than rounded. */
  uint64(end: number): number {
    const lo = this.varint(end);
    if (this.hi > 0x1fffff) throw new ProtocolDecodeError('uint64 value exceeds 2^53 - 1');
    return this.hi * TWO_32 + lo;
  }

  int64(end: number): number {
    const lo = this.varint(end);
    const hi = this.hi;
    if (hi & 0x80000000) {
      const nlo = (~lo + 1) >>> 0;
      const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
      if (nhi > 0x1fffff) throw new ProtocolDecodeError('int64 value below -(2^53 - 1)');
      return -(nhi * TWO_32 + nlo);
    }
    if (hi > 0x1fffff) throw new ProtocolDecodeError('int64 value exceeds 2^53 - 1');
    return hi * TWO_32 + lo;
  }

  /** int32 per the spec: the low 32 bits of a (sign-extended) varint. */
  int32(end: number): number {
    return this.varint(end) | 0;
  }

  bool(end: number): boolean {
    const lo = this.varint(end);
    return lo !== 0 || this.hi !== 0;
  }

  /** Reads a length prefix and returns the end of the delimited body, checked against `end`. */
  lengthEnd(end: number): number {
    const len = this.varint(end);
    if (this.hi !== 0 || len > end - this.pos) throw new ProtocolDecodeError('length past the end of the message');
    return this.pos + len;
  }

  string(end: number): string {
    const stop = this.lengthEnd(end);
    const s = this.buf.toString('utf8', this.pos, stop);
    this.pos = stop;
    return s;
  }

  /** A copy, so decoded payloads do not pin the inbound frame. */
  bytes(end: number): Buffer {
    const stop = this.lengthEnd(end);
    const out = Buffer.from(this.buf.subarray(this.pos, stop));
    this.pos = stop;
    return out;
  }

  /** Reads a field key; returns `field * 8 + wireType` after validating both parts. */
  tag(end: number): number {
    const key = this.varint(end);
    if (this.hi !== 0 || key >>> 3 === 0) throw new ProtocolDecodeError('invalid field number');
    return key;
  }

  /** Skips the value of an unknown field of any wire type. */
  skip(key: number, end: number, depth = 0): void {
    switch (key & 7) {
      case WIRE_VARINT:
        this.varint(end);
        return;
      case WIRE_FIXED64:
        this.advance(8, end);
        return;
      case WIRE_LEN:
        this.pos = this.lengthEnd(end);
        return;
      case WIRE_FIXED32:
        this.advance(4, end);
        return;
      case WIRE_START_GROUP: {
        if (depth >= MAX_GROUP_DEPTH) throw new ProtocolDecodeError('groups nested too deeply');
        for (;;) {
          const inner = this.tag(end);
          if ((inner & 7) === WIRE_END_GROUP) {
            if (inner >>> 3 !== key >>> 3) throw new ProtocolDecodeError('mismatched end group');
            return;
          }
          this.skip(inner, end, depth + 1);
        }
      }
      default:
        throw new ProtocolDecodeError(`invalid wire type ${key & 7}`);
    }
  }

  private advance(n: number, end: number): void {
    if (n > end - this.pos) throw new ProtocolDecodeError('truncated fixed-width field');
    this.pos += n;
  }
}

/** Throws unless a known field arrived with the wire type its declaration implies. */
export function expectWire(key: number, wireType: number): void {
  if ((key & 7) !== wireType) {
    throw new ProtocolDecodeError(`field ${key >>> 3}: wire type ${key & 7}, expected ${wireType}`);
  }
}
