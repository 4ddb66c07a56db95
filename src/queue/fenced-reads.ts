/** The fenced read and claim of a worker stream: the lock check and the stream command in one script, refused once the lock is lost. */

import type { WorkerId } from './message.js';
import { decodeStreamEntry } from './stream-entry.js';
import type { QueueEntry } from './stream-queue.js';
import { isLockLostReply, StreamLockLostError } from './stream-lock-lost.js';
import {
  consumerGroup,
  replyArray,
  replyInteger,
  replyString,
  replyStreamEntries,
  type LuaScript,
  type RedisConnection,
  type StreamEntryReply,
} from '../redis/index.js';

/** One worker stream and its lock key. */
export interface FencedStream {
  worker: WorkerId;
  key: string;
  lockKey: string;
}

/**
 * The fenced read: the lock check and a non-blocking XREADGROUP in one script; when that finds
 * nothing, an XREAD BLOCK after the stream's last entry waits for a new one, then the script runs
 * once more. Both on the reading connection (`conn`), which never resends a command after a reconnect.
 */
export async function readNewFenced(
  script: LuaScript,
  conn: RedisConnection,
  stream: FencedStream,
  consumer: string,
  count: number,
  blockMs: number,
  holder: string,
): Promise<QueueEntry[]> {
  const { worker, key } = stream;
  const keys = [key, stream.lockKey];
  const args = [consumerGroup, consumer, count, holder];
  const read = async (): Promise<{ last: string; entries: QueueEntry[] }> => {
    let raw: unknown;
    try {
      raw = await script.run(conn, keys, args);
    } catch (err) {
      if (isLockLostReply(err)) throw new StreamLockLostError(worker);
      throw err;
    }
    const [last, entries] = replyArray(raw, 'read-new-fenced');
    return { last: replyString(last, 'read-new-fenced'), entries: toEntries(replyStreamEntries(entries, 'read-new-fenced'), () => 1) };
  };
  const first = await read();
  if (first.entries.length > 0 || blockMs <= 0) return first.entries;
  await conn.xread('COUNT', 1, 'BLOCK', blockMs, 'STREAMS', key, first.last === '' ? '0-0' : first.last);
  return (await read()).entries;
}

/** Claims every pending entry of the stream's group for `consumer`, page by page, while `holder` holds the lock; the number claimed. */
export async function claimPendingFenced(
  script: LuaScript,
  redis: RedisConnection,
  stream: FencedStream,
  consumer: string,
  holder: string,
): Promise<number> {
  let cursor = '0-0';
  let moved = 0;
  do {
    let raw: unknown;
    try {
      raw = await script.run(redis, [stream.key, stream.lockKey], [consumerGroup, consumer, cursor, holder]);
    } catch (err) {
      if (isLockLostReply(err)) throw new StreamLockLostError(stream.worker);
      throw err;
    }
    const [next, count] = replyArray(raw, 'claim-pending-fenced');
    cursor = replyString(next, 'claim-pending-fenced');
    moved += replyInteger(count, 'claim-pending-fenced');
  } while (cursor !== '0-0');
  return moved;
}

/** Stream entries as queue entries (a null field list: the entry was deleted while pending). */
export function toEntries(entries: StreamEntryReply[], deliveries: (entryId: string) => number): QueueEntry[] {
  return entries.map(([entryId, fields]) => ({
    entryId,
    message: fields === null ? null : decodeStreamEntry(fields),
    deliveries: deliveries(entryId),
  }));
}
