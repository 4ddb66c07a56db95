/** Protobuf field readers shared by the command decoders: sub-messages, scalars and map entries. */

import { type ProtoReader, WIRE_LEN, WIRE_VARINT, expectWire } from './proto-wire.js';

export type Decoder<T> = (r: ProtoReader, end: number) => T;

/** Decodes a length-delimited sub-message and leaves the reader after it. */
export function message<T>(r: ProtoReader, key: number, end: number, decode: Decoder<T>): T {
  expectWire(key, WIRE_LEN);
  const stop = r.lengthEnd(end);
  const value = decode(r, stop);
  r.pos = stop;
  return value;
}

export function str(r: ProtoReader, key: number, end: number): string {
  expectWire(key, WIRE_LEN);
  return r.string(end);
}

export function bytes(r: ProtoReader, key: number, end: number): Buffer {
  expectWire(key, WIRE_LEN);
  return r.bytes(end);
}

export function bool(r: ProtoReader, key: number, end: number): boolean {
  expectWire(key, WIRE_VARINT);
  return r.bool(end);
}

/** Map keys come from the client: `__proto__` must become an own entry, not a prototype change. */
export function setEntry<V>(map: Record<string, V>, key: string, value: V): void {
  if (key === '__proto__') {
    Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    map[key] = value;
  }
}

/** A map entry message: key = 1 (string), value = 2; a missing part takes its zero value. */
export function mapEntry<V>(
  r: ProtoReader,
  end: number,
  decodeValue: (r: ProtoReader, key: number, end: number) => V,
  zero: () => V,
): [string, V] {
  let k = '';
  let v: V | undefined;
  while (r.pos < end) {
    const key = r.tag(end);
    switch (key >>> 3) {
      case 1:
        k = str(r, key, end);
        break;
      case 2:
        v = decodeValue(r, key, end);
        break;
      default:
        r.skip(key, end);
    }
  }
  return [k, v ?? zero()];
}
