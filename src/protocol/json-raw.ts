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
  // Short strings (keys, small values) in JS; long ones through native indexOf.
  const stop = Math.min(i + 24, b.length);
  let j = i + 1;
  for (; j < stop; j++) {
    const c = b[j];
    if (c === QUOTE) return j + 1;
    if (c === BACKSLASH) j++;
  }
  if (j >= b.length) return b.length;
  for (;;) {
    const q = b.indexOf(QUOTE, j);
    if (q === -1) return b.length;
    let k = q - 1;
    while (b[k] === BACKSLASH) k--;
    // An even run of backslashes before the quote escapes only itself.
    if ((q - 1 - k) % 2 === 0) return q + 1;
    j = q + 1;
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

/** Compares the JSON string token at [start, end) with `key`, decoding only when it holds escapes. */
function keyEquals(b: Buffer, start: number, end: number, key: string): boolean {
  const len = end - start - 2;
  let escaped = false;
  for (let i = start + 1; i < end - 1; i++) {
    if (b[i] === BACKSLASH || (b[i] as number) >= 0x80) {
      escaped = true;
      break;
    }
  }
  if (escaped) return (JSON.parse(b.toString('utf8', start, end)) as string) === key;
  if (len !== key.length) return false;
  for (let i = 0; i < len; i++) {
    if (b[start + 1 + i] !== key.charCodeAt(i)) return false;
  }
  return true;
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
    if (keyEquals(b, ks, ke, key)) found = [vs, i];
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
