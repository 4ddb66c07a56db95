/**
 * Validation of client payloads: publication data is UTF-8 JSON that passes the "text" rule (a
 * JSON object whose `text` is a non-empty string of bounded length, with no duplicate top-level
 * keys); rpc/send data is any UTF-8 JSON. What is stored and delivered is the sender's bytes.
 */

import { Errors, ReplyError, type Bytes } from '../protocol/index.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Number of Unicode code points in `s` (a surrogate pair counts once; a lone surrogate counts once). */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

function bad(message: string): ReplyError {
  return new ReplyError(Errors.badRequest, message);
}

/** Deepest nesting of objects and arrays accepted in a payload; deeper ones are refused with 107. */
export const MAX_JSON_DEPTH = 64;

/** What one pass over valid JSON text finds: its nesting depth and the first repeated top-level key. */
export interface JsonShape {
  depth: number;
  /** The first top-level object key that appears twice, or null. */
  duplicateKey: string | null;
}

/** Scans valid JSON text once (strings skipped, escapes honoured); stops early past `maxDepth`. */
export function jsonShape(json: string, maxDepth = MAX_JSON_DEPTH): JsonShape {
  // Top-level keys seen: a short array for the usual few keys (cheaper than a Set per call), a Set
  // past 16 (a payload with thousands of keys must not cost a quadratic scan).
  const seen: string[] = [];
  let seenSet: Set<string> | null = null;
  let duplicateKey: string | null = null;
  let depth = 0;
  let maxSeen = 0;
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      let escaped = false;
      for (i++; i < json.length && json.charCodeAt(i) !== 0x22; i++) {
        if (json.charCodeAt(i) === 0x5c /* \ */) {
          escaped = true;
          i++;
        }
      }
      if (depth === 1 && expectKey) {
        const key = escaped ? (JSON.parse(json.slice(start, i + 1)) as string) : json.slice(start + 1, i);
        if (seenSet === null) {
          if (duplicateKey === null && seen.includes(key)) duplicateKey = key;
          seen.push(key);
          if (seen.length > 16) seenSet = new Set(seen);
        } else {
          if (duplicateKey === null && seenSet.has(key)) duplicateKey = key;
          seenSet.add(key);
        }
        expectKey = false;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      if (depth > maxSeen) {
        maxSeen = depth;
        if (depth > maxDepth) break;
      }
      expectKey = depth === 1 && c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    } else if (c === 0x2c /* , */ && depth === 1) {
      expectKey = true;
    }
  }
  return { depth: maxSeen, duplicateKey };
}

/** The first top-level key of valid JSON object text that appears twice, or null. */
export function duplicateTopLevelKey(json: string): string | null {
  return jsonShape(json, Number.POSITIVE_INFINITY).duplicateKey;
}

/**
 * The "text" rule for publication payloads: `parsed` (the value of valid JSON text `json`) must
 * be an object whose `text` is a string of 1..maxTextLength code points, and no top-level key
 * may repeat (parsers disagree on which duplicate wins, so `{"text":"<long>","text":"ok"}` could
 * pass here and show the long one elsewhere), and nesting stops at {@link MAX_JSON_DEPTH}
 * (consumers that re-serialise recursively would overflow their stack). Throws ReplyError 107 saying what is wrong.
 */
export function checkTextRule(parsed: unknown, json: string, maxTextLength: number): void {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw bad('publication data must be a JSON object');
  }
  const text: unknown = (parsed as Record<string, unknown>)['text'];
  if (typeof text !== 'string') throw bad('publication data.text must be a string');
  const shape = jsonShape(json);
  if (shape.depth > MAX_JSON_DEPTH) throw bad(`publication data is nested deeper than ${MAX_JSON_DEPTH} levels`);
  const duplicate = shape.duplicateKey;
  if (duplicate !== null) throw bad(`publication data has the key ${JSON.stringify(duplicate.slice(0, 64))} more than once`);
  const length = codePointLength(text);
  if (length === 0) throw bad('publication data.text must not be empty');
  if (length > maxTextLength) {
    throw bad(`publication data.text is too long: ${length} characters, max ${maxTextLength}`);
  }
}

/**
 * Checks a publish payload and returns its JSON text as it will be stored and delivered.
 * `parsedData`: the payload's value when the caller already parsed it (JSON protocol); omitted: parsed here.
 * Throws ReplyError 107 with a message saying what is wrong.
 */
export function validatePublishData(data: Bytes | undefined, maxTextLength: number, parsedData?: unknown): string {
  if (data === undefined || data.length === 0) throw bad('publication data is required: a JSON object with a "text" string');
  let json: string;
  try {
    json = utf8.decode(data);
  } catch {
    throw bad('publication data must be UTF-8 encoded JSON');
  }
  let parsed = parsedData;
  if (parsed === undefined) {
    try {
      parsed = JSON.parse(json);
    } catch {
      throw bad('publication data must be valid JSON');
    }
  }
  checkTextRule(parsed, json, maxTextLength);
  // Stored and delivered as sent: the JSON encoder drops raw CR/LF (insignificant whitespace) when embedding it.
  return json;
}

/**
 * JSON text of an rpc/send payload, as sent; null when it is not UTF-8 JSON or is nested deeper
 * than {@link MAX_JSON_DEPTH}. An absent payload is `null`.
 */
export function jsonPayloadText(data: Bytes | undefined): string | null {
  if (data === undefined || data.length === 0) return 'null';
  let text: string;
  try {
    text = utf8.decode(data);
    JSON.parse(text);
  } catch {
    return null;
  }
  return jsonShape(text).depth > MAX_JSON_DEPTH ? null : text;
}
