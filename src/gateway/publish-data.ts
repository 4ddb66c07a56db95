/**
 * The namespace option `publish_data` applied to a client publication: 'text' is the seed's rule
 * (publish-validation.ts), 'json' takes any JSON value, 'any' takes the bytes as they are.
 */

import type { PublishData } from '../config/index.js';
import { Errors, ReplyError, type Bytes } from '../protocol/index.js';
import { MAX_JSON_DEPTH, jsonShape, validatePublishData } from './publish-validation.js';

/** A publication's payload as it goes into the worker stream. */
export interface PublishPayload {
  /** JSON text ('text', 'json'); for 'any' the bytes as UTF-8 text, or base64 when they are not UTF-8. */
  data: string;
  /** Set when `data` is base64 (bytes that are not valid UTF-8). */
  dataEncoding?: 'base64';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Checks `data` against `rule` and returns what to store; throws ReplyError 107 saying what is wrong.
 * `parsedData`: the value the JSON decoder already parsed, if any.
 */
export function publishPayload(rule: PublishData, data: Bytes | undefined, maxTextLength: number, parsedData?: unknown): PublishPayload {
  if (rule === 'text') return { data: validatePublishData(data, maxTextLength, parsedData) };
  if (rule === 'json') return { data: jsonPayload(data, parsedData) };
  if (data === undefined || data.length === 0) return { data: '' };
  try {
    return { data: utf8.decode(data) };
  } catch {
    return { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'), dataEncoding: 'base64' };
  }
}

function jsonPayload(data: Bytes | undefined, parsedData: unknown): string {
  const bad = (message: string): ReplyError => new ReplyError(Errors.badRequest, message);
  if (data === undefined || data.length === 0) throw bad('publication data is required: a JSON value');
  let json: string;
  try {
    json = utf8.decode(data);
  } catch {
    throw bad('publication data must be UTF-8 encoded JSON');
  }
  if (parsedData === undefined) {
    try {
      JSON.parse(json);
    } catch {
      throw bad('publication data must be valid JSON');
    }
  }
  if (jsonShape(json).depth > MAX_JSON_DEPTH) throw bad(`publication data is nested deeper than ${MAX_JSON_DEPTH} levels`);
  // Stored and delivered as sent: the JSON encoder drops raw CR/LF (insignificant whitespace) when embedding it.
  return json;
}
