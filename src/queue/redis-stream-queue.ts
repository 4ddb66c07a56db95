/**
 * {@link StreamQueue} on Redis Streams: one stream `messages:worker:<id>` per worker, consumer
 * group `workers`, a dead-letter stream `<stream>:dead`, a lock key per stream, rpc replies on
 * pub/sub. Blocking reads use one duplicated connection per stream being read.
 */

import type { StreamMessage, WorkerId } from './message.js';
import { AppendBatcher } from './append-batcher.js';
import { claimPendingFenced, readNewFenced, toEntries, type FencedStream } from './fenced-reads.js';
import { parseReplies, ReplyBatcher } from './reply-batcher.js';
import { decodeStreamEntry } from './stream-entry.js';
import type { DeadLetter, QueueEntry, RpcReply, StreamInfo, StreamQueue } from './stream-queue.js';
import {
  consumerGroup,
  duplicateConnection,
  LuaScript,
  replyArray,
  replyFieldMap,
  replyInteger,
  replyReadOneStream,
  replyString,
  replyStreamEntries,
  type PipelineKeys,
  type RedisConnection,
} from '../redis/index.js';

export interface RedisStreamQueueOptions {
  /** Command connection (not owned: the queue does not close it). */
  redis: RedisConnection;
  keys: PipelineKeys;
  /**
   * Producer-side cap, `XADD MAXLEN ~ maxLen`; 0/omitted: none. A safety valve only: it can drop
   * entries no worker has acknowledged. Normal bounding is {@link RedisStreamQueue.trimAcknowledged}.
   */
  maxLen?: number;
  /** Approximate max length of each dead-letter stream; 0/omitted: 10000. */
  deadLetterMaxLen?: number;
}

/** Dead letters read or deleted per command by replay and purge. */
const deadLetterPage = 100;
const entryIdPattern = /^\d{1,20}-\d{1,20}$/;

/** Most entries counted when Redis does not know a group's lag. */
const lagCountLimit = 10_000;

export class RedisStreamQueue implements StreamQueue {
  private readonly redis: RedisConnection;
  private readonly keys: PipelineKeys;
  private readonly maxLen: number;
  private readonly deadLetterMaxLen: number;
  private readonly readers = new Map<WorkerId, RedisConnection>();
  private readonly subscribers = new Set<RedisConnection>();
  private readonly scripts = {
    appendMessages: LuaScript.load('append-messages'),
    moveToDeadLetter: LuaScript.load('move-to-dead-letter'),
    trimAcknowledged: LuaScript.load('trim-acknowledged'),
    claimStream: LuaScript.load('claim-stream'),
    claimPendingFenced: LuaScript.load('claim-pending-fenced'),
    readNewFenced: LuaScript.load('read-new-fenced'),
    releaseStream: LuaScript.load('release-stream'),
    dropDrainedStream: LuaScript.load('drop-drained-stream'),
    replayDeadLetter: LuaScript.load('replay-dead-letter'),
  };
  private readonly appends: AppendBatcher;
  private readonly replies: ReplyBatcher;

  constructor(options: RedisStreamQueueOptions) {
    this.redis = options.redis;
    this.keys = options.keys;
    this.maxLen = options.maxLen ?? 0;
    this.deadLetterMaxLen = options.deadLetterMaxLen || 10_000;
    this.appends = new AppendBatcher(this.redis, this.keys, this.scripts.appendMessages, this.maxLen);
    this.replies = new ReplyBatcher(this.redis, this.keys);
  }

  async start(): Promise<void> {}

  async close(): Promise<void> {
    for (const reader of this.readers.values()) reader.disconnect();
    this.readers.clear();
    for (const sub of this.subscribers) sub.disconnect();
    this.subscribers.clear();
  }

  /**
   * Appends are collected per stream until the event loop's next check phase and sent as one
   * append-messages script call each: in call order, one Redis command (and one reply) per stream
   * and tick instead of one XADD per message.
   */
  appendMessage(worker: WorkerId, message: StreamMessage): Promise<string> {
    return this.appends.append(worker, message);
  }

  /**
   * True once the entry has been handled: not pending, and delivered to the stream's consumer group
   * or not in the stream any more (trimmed once acknowledged, or the stream dropped when drained,
   * even if it was created again since, empty).
   */
  async isHandled(worker: WorkerId, entryId: string): Promise<boolean> {
    const key = this.keys.workerStream(worker);
    let groups: unknown;
    try {
      groups = await this.redis.xinfo('GROUPS', key);
    } catch (err) {
      if (err instanceof Error && /no such key/i.test(err.message)) return true;
      throw err;
    }
    const group = (groups as unknown[][]).find((g) => g[g.indexOf('name') + 1] === consumerGroup);
    if (group !== undefined) {
      const pending = await this.redis.xpending(key, consumerGroup, entryId, entryId, 1);
      if (!Array.isArray(pending) || pending.length > 0) return false;
      const last = group[group.indexOf('last-delivered-id') + 1];
      if (compareEntryIds(typeof last === 'string' ? last : '0-0', entryId) >= 0) return true;
    }
    return replyArray(await this.redis.xrange(key, entryId, entryId), 'XRANGE').length === 0;
  }

  async ensureGroup(worker: WorkerId): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.keys.workerStream(worker), consumerGroup, '0', 'MKSTREAM');
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('BUSYGROUP')) throw err;
    }
  }

  async readNew(worker: WorkerId, consumer: string, count: number, blockMs: number, holder?: string): Promise<QueueEntry[]> {
    if (holder !== undefined) {
      const conn = blockMs > 0 ? this.reader(worker) : this.redis;
      return readNewFenced(this.scripts.readNewFenced, conn, this.fencedStream(worker), consumer, count, blockMs, holder);
    }
    const key = this.keys.workerStream(worker);
    const conn = blockMs > 0 ? this.reader(worker) : this.redis;
    const raw: unknown =
      blockMs > 0
        ? await conn.xreadgroup('GROUP', consumerGroup, consumer, 'COUNT', count, 'BLOCK', blockMs, 'STREAMS', key, '>')
        : await conn.xreadgroup('GROUP', consumerGroup, consumer, 'COUNT', count, 'STREAMS', key, '>');
    return toEntries(replyReadOneStream(raw, 'XREADGROUP'), () => 1);
  }

  async readPending(worker: WorkerId, consumer: string, afterEntryId: string, count: number): Promise<QueueEntry[]> {
    const key = this.keys.workerStream(worker);
    const start = afterEntryId === '0' ? '0' : afterEntryId;
    const first = replyReadOneStream(
      await this.redis.xreadgroup('GROUP', consumerGroup, consumer, 'COUNT', count, 'STREAMS', key, start),
      'XREADGROUP',
    );
    if (first.length === 0) return [];
    const from = first[0]?.[0] ?? '-';
    const to = first[first.length - 1]?.[0] ?? '+';
    const details = replyArray(await this.redis.xpending(key, consumerGroup, from, to, first.length, consumer), 'XPENDING');
    const deliveries = new Map(
      details.map((d) => {
        const row = replyArray(d, 'XPENDING');
        return [String(row[0]), replyInteger(row[3], 'XPENDING')];
      }),
    );
    return toEntries(first, (id) => deliveries.get(id) ?? 1);
  }

  async claimPending(worker: WorkerId, consumer: string, holder?: string): Promise<number> {
    const key = this.keys.workerStream(worker);
    if (holder !== undefined) {
      return claimPendingFenced(this.scripts.claimPendingFenced, this.redis, this.fencedStream(worker), consumer, holder);
    }
    let cursor = '0-0';
    let moved = 0;
    do {
      const res = replyArray(await this.redis.xautoclaim(key, consumerGroup, consumer, 0, cursor, 'COUNT', 1000, 'JUSTID'), 'XAUTOCLAIM');
      cursor = String(res[0]);
      moved += replyArray(res[1], 'XAUTOCLAIM').length;
    } while (cursor !== '0-0');
    return moved;
  }

  async ackMessages(worker: WorkerId, entryIds: readonly string[]): Promise<void> {
    if (entryIds.length === 0) return;
    await this.redis.xack(this.keys.workerStream(worker), consumerGroup, ...entryIds);
  }

  async moveToDeadLetter(worker: WorkerId, entryId: string, error: string, attempts: number): Promise<void> {
    await this.scripts.moveToDeadLetter.run(
      this.redis,
      [this.keys.workerStream(worker), this.keys.deadLetterStream(worker)],
      [consumerGroup, entryId, error, attempts, Date.now(), this.deadLetterMaxLen],
    );
  }

  async trimAcknowledged(worker: WorkerId): Promise<void> {
    await this.scripts.trimAcknowledged.run(this.redis, [this.keys.workerStream(worker)], [consumerGroup]);
  }

  async streamInfo(worker: WorkerId): Promise<StreamInfo> {
    const key = this.keys.workerStream(worker);
    const [lenRes, groupsRes] = await Promise.all([this.redis.xlen(key), this.redis.xinfo('GROUPS', key).catch((): unknown[] => [])]);
    const length = lenRes;
    for (const g of replyArray(groupsRes, 'XINFO GROUPS')) {
      const info = replyFieldMap(g, 'XINFO GROUPS');
      if (info.get('name') !== consumerGroup) continue;
      const pending = Number(info.get('pending') ?? 0);
      const lag = info.get('lag');
      if (lag !== null && lag !== undefined) return { length, pending, lag: Number(lag) };
      // Redis cannot tell the lag after loading the stream from disk or deleting entries: count what
      // follows the last delivered entry (bounded; length minus pending would count acknowledged entries).
      const last = replyString(info.get('last-delivered-id') ?? '0-0', 'XINFO GROUPS');
      const after = await this.redis.xrange(key, `(${last}`, '+', 'COUNT', lagCountLimit);
      return { length, pending, lag: replyArray(after, 'XRANGE').length };
    }
    return { length, pending: 0, lag: length };
  }

  async readDeadLetters(worker: WorkerId, count: number, afterEntryId?: string): Promise<DeadLetter[]> {
    const from = afterEntryId === undefined ? '-' : `(${afterEntryId}`;
    const raw = replyStreamEntries(await this.redis.xrange(this.keys.deadLetterStream(worker), from, '+', 'COUNT', count), 'XRANGE');
    return raw.map(([entryId, entryFields]) => {
      const fields = entryFields ?? [];
      const f = new Map<string, string>();
      for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i] ?? '', fields[i + 1] ?? '');
      return {
        entryId,
        sourceEntryId: f.get('source_id') ?? '',
        message: decodeStreamEntry(fields),
        error: f.get('error') ?? '',
        attempts: Number(f.get('attempts') ?? 0),
        deadAt: Number(f.get('dead_at') ?? 0),
      };
    });
  }

  async countDeadLetters(worker: WorkerId): Promise<number> {
    return await this.redis.xlen(this.keys.deadLetterStream(worker));
  }

  async replayDeadLetters(worker: WorkerId, entryIds: readonly string[] | 'all', target: WorkerId = worker): Promise<number> {
    const keys = [this.keys.deadLetterStream(worker), this.keys.workerStream(target)];
    let moved = 0;
    for (const batch of await this.deadLetterBatches(worker, entryIds)) {
      for (const id of batch) {
        if ((await this.scripts.replayDeadLetter.run(this.redis, keys, [id])) !== null) moved++;
      }
    }
    return moved;
  }

  async purgeDeadLetters(worker: WorkerId, entryIds: readonly string[] | 'all'): Promise<number> {
    const key = this.keys.deadLetterStream(worker);
    let deleted = 0;
    for (const batch of await this.deadLetterBatches(worker, entryIds)) {
      if (batch.length > 0) deleted += await this.redis.xdel(key, ...batch);
    }
    return deleted;
  }

  /** The ids to act on in batches: as given, or every dead letter present now (paged, bounded by the current length). */
  private async deadLetterBatches(worker: WorkerId, entryIds: readonly string[] | 'all'): Promise<string[][]> {
    if (entryIds !== 'all') {
      // A malformed id names no entry: skip it rather than let Redis refuse the whole command.
      const valid = entryIds.filter((id) => entryIdPattern.test(id));
      const batches: string[][] = [];
      for (let i = 0; i < valid.length; i += deadLetterPage) batches.push(valid.slice(i, i + deadLetterPage));
      return batches;
    }
    const key = this.keys.deadLetterStream(worker);
    const total = await this.redis.xlen(key);
    const batches: string[][] = [];
    let from = '-';
    for (let seen = 0; seen < total;) {
      const ids = replyStreamEntries(
        await this.redis.xrange(key, from, '+', 'COUNT', Math.min(deadLetterPage, total - seen)),
        'XRANGE',
      ).map(([id]) => id);
      if (ids.length === 0) break;
      batches.push(ids);
      seen += ids.length;
      from = `(${ids[ids.length - 1] ?? ''}`;
    }
    return batches;
  }

  async claimStream(worker: WorkerId, holder: string, ttlMs: number): Promise<boolean> {
    return (await this.scripts.claimStream.run(this.redis, [this.keys.streamLock(worker)], [holder, ttlMs])) === 1;
  }

  async releaseStream(worker: WorkerId, holder: string): Promise<void> {
    await this.scripts.releaseStream.run(this.redis, [this.keys.streamLock(worker)], [holder]);
  }

  async dropDrainedStream(worker: WorkerId): Promise<boolean> {
    return (await this.scripts.dropDrainedStream.run(this.redis, [this.keys.workerStream(worker)], [consumerGroup])) === 1;
  }

  async stopReading(worker: WorkerId): Promise<void> {
    const reader = this.readers.get(worker);
    this.readers.delete(worker);
    reader?.disconnect();
  }

  /**
   * Replies sent to one node in the same event-loop tick go out as one PUBLISH (a JSON array when
   * there are several, in the order they were sent); each call resolves once its batch is published.
   */
  sendReply(nodeId: string, reply: RpcReply): Promise<void> {
    return this.replies.send(nodeId, reply);
  }

  async subscribeReplies(nodeId: string, handler: (reply: RpcReply) => void): Promise<() => Promise<void>> {
    const sub = duplicateConnection(this.redis, { enableOfflineQueue: true, maxRetriesPerRequest: null, enableAutoPipelining: false });
    this.subscribers.add(sub);
    sub.on('error', () => {});
    sub.on('message', (_channel: string, text: string) => {
      for (const reply of parseReplies(text)) handler(reply);
    });
    await sub.subscribe(this.keys.rpcReplies(nodeId));
    return async () => {
      this.subscribers.delete(sub);
      sub.disconnect();
    };
  }

  /** The worker's stream and its lock key, for the fenced read and claim. */
  private fencedStream(worker: WorkerId): FencedStream {
    return { worker, key: this.keys.workerStream(worker), lockKey: this.keys.streamLock(worker) };
  }

  private reader(worker: WorkerId): RedisConnection {
    let reader = this.readers.get(worker);
    if (reader === undefined) {
      // No resend after a reconnect: the consumer must see the failure and re-read its pending list.
      reader = duplicateConnection(this.redis, {
        enableAutoPipelining: false,
        enableOfflineQueue: true,
        maxRetriesPerRequest: 1,
        autoResendUnfulfilledCommands: false,
        commandTimeout: undefined,
      });
      reader.on('error', () => {});
      this.readers.set(worker, reader);
    }
    return reader;
  }
}

/** Orders two stream entry ids (`<ms>-<seq>`). */
export function compareEntryIds(a: string, b: string): number {
  const [am, as] = a.split('-');
  const [bm, bs] = b.split('-');
  const d = Number(am) - Number(bm);
  return d !== 0 ? Math.sign(d) : Math.sign(Number(as ?? 0) - Number(bs ?? 0));
}
