/**
 * {@link StreamQueue} on Redis Streams: one stream `messages:worker:<id>` per worker, consumer
 * group `workers`, a dead-letter stream `<stream>:dead`, a lock key per stream, rpc replies on
 * pub/sub. Blocking reads use one duplicated connection per stream being read.
 */

import type { StreamMessage, WorkerId } from './message.js';
import { decodeStreamEntry, encodeStreamEntry } from './stream-entry.js';
import type { DeadLetter, QueueEntry, RpcReply, StreamInfo, StreamQueue } from './stream-queue.js';
import { isLockLostReply, StreamLockLostError } from './stream-lock-lost.js';
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
  type StreamEntryReply,
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

/** Most messages one append-messages call carries; a larger tick is split. */
const maxAppendBatch = 256;

interface PendingAppend {
  resolve: (id: string) => void;
  reject: (err: unknown) => void;
}

/** Appends to one stream collected within one event-loop turn, sent as one script call. */
interface AppendBatch {
  key: string;
  worker: WorkerId;
  /** Each message's field/value strings; sent as one JSON argument. */
  entries: string[][];
  /** Each message's channel last-append key ('' for none: Cluster). */
  lastKeys: string[];
  waiters: PendingAppend[];
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
  /** Replies waiting for the end of this tick, by node id. */
  private readonly replyBatches = new Map<string, { replies: RpcReply[]; sent: Promise<void> }>();
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
  private readonly appendBatches = new Map<string, AppendBatch>();
  private appendScheduled = false;

  constructor(options: RedisStreamQueueOptions) {
    this.redis = options.redis;
    this.keys = options.keys;
    this.maxLen = options.maxLen ?? 0;
    this.deadLetterMaxLen = options.deadLetterMaxLen || 10_000;
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
    const key = this.keys.workerStream(worker);
    let batch = this.appendBatches.get(key);
    if (batch === undefined || batch.waiters.length >= maxAppendBatch) {
      if (batch !== undefined) this.sendAppends(batch);
      batch = { key, worker, entries: [], lastKeys: [], waiters: [] };
      this.appendBatches.set(key, batch);
    }
    batch.entries.push(encodeStreamEntry(message));
    batch.lastKeys.push(this.keys.channelLastAppend(message.channel) ?? '');
    const { waiters } = batch;
    if (!this.appendScheduled) {
      this.appendScheduled = true;
      setImmediate(() => this.flushAppends());
    }
    return new Promise<string>((resolve, reject) => waiters.push({ resolve, reject }));
  }

  private flushAppends(): void {
    this.appendScheduled = false;
    for (const batch of this.appendBatches.values()) this.sendAppends(batch);
    this.appendBatches.clear();
  }

  private sendAppends(batch: AppendBatch): void {
    const { waiters } = batch;
    const fenced = batch.lastKeys.some((k) => k !== '');
    const args = fenced
      ? [this.maxLen, JSON.stringify(batch.entries), JSON.stringify(batch.lastKeys), batch.worker, lastAppendTtlMs]
      : [this.maxLen, JSON.stringify(batch.entries)];
    this.scripts.appendMessages.run(this.redis, [batch.key], args).then(
      (ids) => {
        const list = replyArray(ids, 'append-messages');
        waiters.forEach((w, i) => {
          w.resolve(replyString(list[i], 'append-messages'));
        });
      },
      (err: unknown) => {
        for (const w of waiters) w.reject(err);
      },
    );
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
    if (holder !== undefined) return this.readNewFenced(worker, consumer, count, blockMs, holder);
    const key = this.keys.workerStream(worker);
    const conn = blockMs > 0 ? this.reader(worker) : this.redis;
    const raw: unknown =
      blockMs > 0
        ? await conn.xreadgroup('GROUP', consumerGroup, consumer, 'COUNT', count, 'BLOCK', blockMs, 'STREAMS', key, '>')
        : await conn.xreadgroup('GROUP', consumerGroup, consumer, 'COUNT', count, 'STREAMS', key, '>');
    return toEntries(replyReadOneStream(raw, 'XREADGROUP'), () => 1);
  }

  /**
   * The fenced read: the lock check and a non-blocking XREADGROUP in one script; when that finds
   * nothing, an XREAD BLOCK after the stream's last entry waits for a new one, then the script runs
   * once more. Both on the reading connection, which never resends a command after a reconnect.
   */
  private async readNewFenced(worker: WorkerId, consumer: string, count: number, blockMs: number, holder: string): Promise<QueueEntry[]> {
    const key = this.keys.workerStream(worker);
    const conn = blockMs > 0 ? this.reader(worker) : this.redis;
    const keys = [key, this.keys.streamLock(worker)];
    const args = [consumerGroup, consumer, count, holder];
    const read = async (): Promise<{ last: string; entries: QueueEntry[] }> => {
      let raw: unknown;
      try {
        raw = await this.scripts.readNewFenced.run(conn, keys, args);
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
    let cursor = '0-0';
    let moved = 0;
    if (holder !== undefined) {
      do {
        let raw: unknown;
        try {
          raw = await this.scripts.claimPendingFenced.run(
            this.redis,
            [key, this.keys.streamLock(worker)],
            [consumerGroup, consumer, cursor, holder],
          );
        } catch (err) {
          if (isLockLostReply(err)) throw new StreamLockLostError(worker);
          throw err;
        }
        const [next, count] = replyArray(raw, 'claim-pending-fenced');
        cursor = replyString(next, 'claim-pending-fenced');
        moved += replyInteger(count, 'claim-pending-fenced');
      } while (cursor !== '0-0');
      return moved;
    }
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
    let batch = this.replyBatches.get(nodeId);
    if (batch === undefined) {
      const replies: RpcReply[] = [];
      const sent = new Promise<void>((resolve, reject) => {
        setImmediate(() => {
          this.replyBatches.delete(nodeId);
          const text = replies.length === 1 ? JSON.stringify(replies[0]) : JSON.stringify(replies);
          this.redis.publish(this.keys.rpcReplies(nodeId), text).then(() => resolve(), reject);
        });
      });
      batch = { replies, sent };
      this.replyBatches.set(nodeId, batch);
    }
    batch.replies.push(reply);
    return batch.sent;
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

function toEntries(entries: StreamEntryReply[], deliveries: (entryId: string) => number): QueueEntry[] {
  return entries.map(([entryId, fields]) => ({
    entryId,
    message: fields === null ? null : decodeStreamEntry(fields),
    deliveries: deliveries(entryId),
  }));
}

function isReply(v: unknown): v is RpcReply {
  return typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string';
}

/** Decoder boundary for reply payloads from pub/sub: one reply object, or an array of them (a batch); malformed parts are dropped. */
function parseReplies(text: string): RpcReply[] {
  try {
    const v: unknown = JSON.parse(text);
    if (Array.isArray(v)) return v.filter(isReply);
    return isReply(v) ? [v] : [];
  } catch {
    return [];
  }
}

/** How long a channel's last-append record lives after its last message (the fence needs it only while entries wait). */
const lastAppendTtlMs = 24 * 3600 * 1000;

/** Orders two stream entry ids (`<ms>-<seq>`). */
export function compareEntryIds(a: string, b: string): number {
  const [am, as] = a.split('-');
  const [bm, bs] = b.split('-');
  const d = Number(am) - Number(bm);
  return d !== 0 ? Math.sign(d) : Math.sign(Number(as ?? 0) - Number(bs ?? 0));
}
