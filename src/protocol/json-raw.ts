/**
 * Locates the raw text of a member inside a JSON line that JSON.parse has already accepted, so `bytes`
 * fields keep the client's exact bytes (large integers, number formatting) instead of a re-serialisation.
 */

import { ProtocolDecodeError } from './codec-errors.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COMMA = 0x2c;

function skipWs(b: Buffer, i: number): number {
  for (;;) {
    const c = b[i];
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
    else return i;
  }
}

/** `i` is at an opening quote; returns the index after the closing quote. */
function skipString(b: Buffer, i: number): number {
  i++;
  for (;;) {
    const c = b[i];
    if (c === QUOTE || c === undefined) return i + 1;
    i += c === BACKSLASH ? 2 : 1;
  }
}

/** Returns the index just after the value starting at `i`. The input is known to be valid JSON. */
function skipValue(b: Buffer, i: number): number {
  const c = b[i];
  if (c === QUOTE) return skipString(b, i);
  if (c === LBRACE || c === LBRACKET) {
    let depth = 0;
    for (;;) {
      const d = b[i];
      if (d === undefined) return i;
      if (d === QUOTE) {
        i = skipString(b, i);
        continue;
      }
      if (d === LBRACE || d === LBRACKET) depth++;
      else if (d === RBRACE || d === RBRACKET) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
  }
  for (;;) {
    const d = b[i];
    if (d === undefined || d === COMMA || d === RBRACE || d === RBRACKET || d === 0x20 || d === 0x09 || d === 0x0a || d === 0x0d) {
      return i;
    }
    i++;
  }
}

function keyAt(b: Buffer, start: number, end: number): string {
  const inner = b.indexOf(BACKSLASH, start + 1);
  if (inner === -1 || inner >= end) return b.toString('utf8', start + 1, end - 1);
  return JSON.parse(b.toString('utf8', start, end)) as string;
}

/** Start and end of the value of the last member named `key` of the object at `objStart`, or undefined. */
function memberSpan(b: Buffer, objStart: number, key: string): [number, number] | undefined {
  let found: [number, number] | undefined;
  let i = skipWs(b, objStart + 1);
  while (b[i] === QUOTE) {
    const ks = i;
    i = skipString(b, i);
    const ke = i;
    i = skipWs(b, i) + 1;
    const vs = skipWs(b, i);
    i = skipValue(b, vs);
    if (keyAt(b, ks, ke) === key) found = [vs, i];
    i = skipWs(b, i);
    if (b[i] === COMMA) i = skipWs(b, i + 1);
  }
  return found;
}

/**
 * Copies the raw bytes of the value at `path` (object keys from the root) out of a valid JSON line.
 * The caller has already checked through JSON.parse that every step of the path is an object member.
 */
export function rawValueAt(line: Buffer, path: readonly string[]): Buffer {
  let start = skipWs(line, 0);
  let end = line.length;
  for (const key of path) {
    if (line[start] !== LBRACE) throw new ProtocolDecodeError(`raw JSON path step ${key} is not inside an object`);
    const span = memberSpan(line, start, key);
    if (span === undefined) throw new ProtocolDecodeError(`raw JSON member ${key} not found`);
    [start, end] = span;
  }
  return Buffer.from(line.subarray(start, end));
}
