/**
 * Checks of Redis replies: each narrows an `unknown` reply to the shape a caller relies on or
 * throws {@link RedisLayerError} `ERR_REDIS_UNEXPECTED_REPLY` naming the command.
 */

import { RedisLayerError } from './redis-errors.js';

function unexpected(what: string): never {
  throw new RedisLayerError('UNEXPECTED_REPLY', `unexpected ${what} reply`);
}

export function replyArray(reply: unknown, what: string): unknown[] {
  return Array.isArray(reply) ? reply : unexpected(what);
}

export function replyString(reply: unknown, what: string): string {
  return typeof reply === 'string' ? reply : unexpected(what);
}

/** An integer reply (ioredis gives a number; a string of digits is accepted too). */
export function replyInteger(reply: unknown, what: string): number {
  const n = typeof reply === 'number' ? reply : typeof reply === 'string' && /^-?\d+$/.test(reply) ? Number(reply) : NaN;
  return Number.isInteger(n) ? n : unexpected(what);
}

/** A stream entry `[id, [field, value, ...]]`; fields are null for an entry deleted while pending. */
export type StreamEntryReply = [entryId: string, fields: string[] | null];

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

export function replyStreamEntries(reply: unknown, what: string): StreamEntryReply[] {
  return replyArray(reply, what).map((e) => {
    if (!Array.isArray(e) || typeof e[0] !== 'string' || (e[1] !== null && !isStringArray(e[1]))) unexpected(what);
    return [e[0], e[1]];
  });
}

/** XREADGROUP of one stream: its entries ([] when the reply is nil: nothing new before the block ended). */
export function replyReadOneStream(reply: unknown, what: string): StreamEntryReply[] {
  if (reply === null) return [];
  const first = replyArray(reply, what)[0];
  if (first === undefined) return [];
  if (!Array.isArray(first) || typeof first[0] !== 'string') unexpected(what);
  return replyStreamEntries(first[1], what);
}

/** A flat `[name, value, name, value, ...]` reply (XINFO) as a map. */
export function replyFieldMap(reply: unknown, what: string): Map<string, unknown> {
  const list = replyArray(reply, what);
  const map = new Map<string, unknown>();
  for (let i = 0; i + 1 < list.length; i += 2) map.set(String(list[i]), list[i + 1]);
  return map;
}
