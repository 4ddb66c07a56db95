/** The per-tick append batcher of {@link RedisStreamQueue}: appends to one stream in one event-loop turn go out as one script call. */

import type { StreamMessage, WorkerId } from './message.js';
import { encodeStreamEntry } from './stream-entry.js';
import { replyArray, replyString, type LuaScript, type PipelineKeys, type RedisConnection } from '../redis/index.js';

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

/** How long a channel's last-append record lives after its last message (the fence needs it only while entries wait). */
const lastAppendTtlMs = 24 * 3600 * 1000;

export class AppendBatcher {
  private readonly batches = new Map<string, AppendBatch>();
  private scheduled = false;

  constructor(
    private readonly redis: RedisConnection,
    private readonly keys: PipelineKeys,
    private readonly script: LuaScript,
    private readonly maxLen: number,
  ) {}

  /**
   * Appends are collected per stream until the event loop's next check phase and sent as one
   * append-messages script call each: in call order, one Redis command (and one reply) per stream
   * and tick instead of one XADD per message.
   */
  append(worker: WorkerId, message: StreamMessage): Promise<string> {
    const key = this.keys.workerStream(worker);
    let batch = this.batches.get(key);
    if (batch === undefined || batch.waiters.length >= maxAppendBatch) {
      if (batch !== undefined) this.send(batch);
      batch = { key, worker, entries: [], lastKeys: [], waiters: [] };
      this.batches.set(key, batch);
    }
    batch.entries.push(encodeStreamEntry(message));
    batch.lastKeys.push(this.keys.channelLastAppend(message.channel) ?? '');
    const { waiters } = batch;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return new Promise<string>((resolve, reject) => waiters.push({ resolve, reject }));
  }

  private flush(): void {
    this.scheduled = false;
    for (const batch of this.batches.values()) this.send(batch);
    this.batches.clear();
  }

  private send(batch: AppendBatch): void {
    const { waiters } = batch;
    const fenced = batch.lastKeys.some((k) => k !== '');
    const args = fenced
      ? [this.maxLen, JSON.stringify(batch.entries), JSON.stringify(batch.lastKeys), batch.worker, lastAppendTtlMs]
      : [this.maxLen, JSON.stringify(batch.entries)];
    this.script.run(this.redis, [batch.key], args).then(
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
}
