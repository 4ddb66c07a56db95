/** Validation of client publication payloads: a JSON object whose `text` is a non-empty string of bounded length. */

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
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw bad('publication data must be a JSON object');
  }
  const text: unknown = (parsed as Record<string, unknown>)['text'];
  if (typeof text !== 'string') throw bad('publication data.text must be a string');
  const length = codePointLength(text);
  if (length === 0) throw bad('publication data.text must not be empty');
  if (length > maxTextLength) {
    throw bad(`publication data.text is too long: ${length} characters, max ${maxTextLength}`);
  }
  // Raw newlines separate messages in JSON frames; valid JSON only has them as whitespace, so re-serialise.
  if (json.includes('\n') || json.includes('\r')) json = JSON.stringify(parsed);
  return json;
}
