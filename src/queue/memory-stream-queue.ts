/**
 * In-process {@link StreamQueue} with the semantics of the Redis one (entry ids, one consumer
 * group per stream, pending lists with delivery counts, locks with expiry, dead letters), for
 * embedded mode and as the reference twin in contract tests.
 */

import { ErrorCodes, RealtimeError } from '../errors/index.js';
import { EventEmitter } from 'node:events';
import type { StreamMessage, WorkerId } from './message.js';
import type { DeadLetter, QueueEntry, RpcReply, StreamInfo, StreamQueue } from './stream-queue.js';
import { StreamLockLostError } from './stream-lock-lost.js';

interface MemEntry {
  id: string;
  ms: number;
  seq: number;
  message: StreamMessage;
}
interface Pending {
  consumer: string;
  deliveries: number;
}

class MemStream {
  entries: MemEntry[] = [];
  lastMs = 0;
  lastSeq = 0;
  hasGroup = false;
  /** Last delivered id as [ms, seq]. */
  deliveredMs = 0;
  deliveredSeq = 0;
  readonly pending = new Map<string, Pending>();
  readonly dead: DeadLetter[] = [];
  readonly waiters = new Set<() => void>();
}

function compareId(ms: number, seq: number, oms: number, oseq: number): number {
  return ms !== oms ? ms - oms : seq - oseq;
}

function parseId(id: string): [number, number] {
  const [ms, seq] = id.split('-');
  return [Number(ms ?? 0), Number(seq ?? 0)];
}

export interface MemoryStreamQueueOptions {
  /** Max dead letters kept per stream; 0/omitted: 10000. */
  deadLetterMaxLen?: number;
}

export class MemoryStreamQueue implements StreamQueue {
  private readonly streams = new Map<WorkerId, MemStream>();
  private readonly locks = new Map<WorkerId, { holder: string; expiresAt: number }>();
  private readonly replies = new EventEmitter();
  private readonly deadLetterMaxLen: number;
  private deadSeq = 0;

  constructor(options: MemoryStreamQueueOptions = {}) {
    this.deadLetterMaxLen = options.deadLetterMaxLen || 10_000;
    this.replies.setMaxListeners(0);
  }

  async start(): Promise<void> {}

  async close(): Promise<void> {
    for (const s of this.streams.values()) for (const wake of s.waiters) wake();
  }

  private stream(worker: WorkerId): MemStream {
    let s = this.streams.get(worker);
    if (s === undefined) {
      s = new MemStream();
      this.streams.set(worker, s);
    }
    return s;
  }

  async appendMessage(worker: WorkerId, message: StreamMessage): Promise<string> {
    const s = this.stream(worker);
    const now = Date.now();
    if (now > s.lastMs) {
      s.lastMs = now;
      s.lastSeq = 0;
    } else {
      s.lastSeq++;
    }
    const id = `${s.lastMs}-${s.lastSeq}`;
    s.entries.push({ id, ms: s.lastMs, seq: s.lastSeq, message: { ...message } });
    for (const wake of s.waiters) wake();
    return id;
  }

  async isHandled(worker: WorkerId, entryId: string): Promise<boolean> {
    const s = this.streams.get(worker);
    if (s === undefined) return true;
    if (!s.hasGroup) return false;
    const [ms, seq] = parseId(entryId);
    if (s.pending.has(entryId)) return false;
    return compareId(s.deliveredMs, s.deliveredSeq, ms, seq) >= 0 || !s.entries.some((e) => e.id === entryId);
  }

  async ensureGroup(worker: WorkerId): Promise<void> {
    this.stream(worker).hasGroup = true;
  }

  private group(worker: WorkerId): MemStream {
    const s = this.streams.get(worker);
    if (s === undefined || !s.hasGroup) throw new RealtimeError(ErrorCodes.QUEUE_NO_GROUP, `no consumer group for the stream of ${worker}`);
    return s;
  }

  async readNew(worker: WorkerId, consumer: string, count: number, blockMs: number, holder?: string): Promise<QueueEntry[]> {
    const s = this.group(worker);
    this.checkHolder(worker, holder);
    let out = this.takeNew(s, consumer, count);
    if (out.length > 0 || blockMs <= 0) return out;
    await new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        s.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, blockMs);
      s.waiters.add(wake);
    });
    this.checkHolder(worker, holder);
    out = this.takeNew(s, consumer, count);
    return out;
  }

  /** The fence of a read or claim with `holder`: the lock must be `holder`'s and unexpired. */
  private checkHolder(worker: WorkerId, holder: string | undefined): void {
    if (holder === undefined) return;
    const lock = this.locks.get(worker);
    if (lock === undefined || lock.holder !== holder || lock.expiresAt <= Date.now()) throw new StreamLockLostError(worker);
  }

  private takeNew(s: MemStream, consumer: string, count: number): QueueEntry[] {
    const out: QueueEntry[] = [];
    for (const e of s.entries) {
      if (out.length >= count) break;
      if (compareId(e.ms, e.seq, s.deliveredMs, s.deliveredSeq) <= 0) continue;
      s.deliveredMs = e.ms;
      s.deliveredSeq = e.seq;
      s.pending.set(e.id, { consumer, deliveries: 1 });
      out.push({ entryId: e.id, message: { ...e.message }, deliveries: 1 });
    }
    return out;
  }

  async readPending(worker: WorkerId, consumer: string, afterEntryId: string, count: number): Promise<QueueEntry[]> {
    const s = this.group(worker);
    const [ams, aseq] = afterEntryId === '0' ? [0, 0] : parseId(afterEntryId);
    const ids = [...s.pending]
      .filter(([id, p]) => {
        const [ms, seq] = parseId(id);
        return p.consumer === consumer && compareId(ms, seq, ams, aseq) > 0;
      })
      .map(([id]) => id)
      .sort((a, b) => {
        const [ams2, aseq2] = parseId(a);
        const [bms, bseq] = parseId(b);
        return compareId(ams2, aseq2, bms, bseq);
      })
      .slice(0, count);
    return ids.map((id) => {
      const p = s.pending.get(id);
      if (p !== undefined) p.deliveries++;
      const e = s.entries.find((x) => x.id === id);
      return { entryId: id, message: e === undefined ? null : { ...e.message }, deliveries: p?.deliveries ?? 1 };
    });
  }

  async claimPending(worker: WorkerId, consumer: string, holder?: string): Promise<number> {
    const s = this.group(worker);
    this.checkHolder(worker, holder);
    for (const p of s.pending.values()) p.consumer = consumer;
    return s.pending.size;
  }

  async ackMessages(worker: WorkerId, entryIds: readonly string[]): Promise<void> {
    const s = this.streams.get(worker);
    if (s === undefined) return;
    for (const id of entryIds) s.pending.delete(id);
  }

  async moveToDeadLetter(worker: WorkerId, entryId: string, error: string, attempts: number): Promise<void> {
    const s = this.group(worker);
    const e = s.entries.find((x) => x.id === entryId);
    const now = Date.now();
    s.dead.push({
      entryId: `${now}-${this.deadSeq++}`,
      sourceEntryId: entryId,
      message: e === undefined ? null : { ...e.message },
      error,
      attempts,
      deadAt: now,
    });
    if (s.dead.length > this.deadLetterMaxLen) s.dead.shift();
    s.pending.delete(entryId);
  }

  async trimAcknowledged(worker: WorkerId): Promise<void> {
    const s = this.streams.get(worker);
    if (s === undefined || !s.hasGroup) return;
    let [minMs, minSeq] = [s.deliveredMs, s.deliveredSeq];
    for (const id of s.pending.keys()) {
      const [ms, seq] = parseId(id);
      if (compareId(ms, seq, minMs, minSeq) < 0) [minMs, minSeq] = [ms, seq];
    }
    const keep = s.entries.findIndex((e) => compareId(e.ms, e.seq, minMs, minSeq) >= 0);
    s.entries.splice(0, keep < 0 ? s.entries.length : keep);
  }

  async streamInfo(worker: WorkerId): Promise<StreamInfo> {
    const s = this.streams.get(worker);
    if (s === undefined) return { length: 0, lag: 0, pending: 0 };
    const lag = s.entries.filter((e) => compareId(e.ms, e.seq, s.deliveredMs, s.deliveredSeq) > 0).length;
    return { length: s.entries.length, lag: s.hasGroup ? lag : s.entries.length, pending: s.pending.size };
  }

  async readDeadLetters(worker: WorkerId, count: number, afterEntryId?: string): Promise<DeadLetter[]> {
    const dead = this.streams.get(worker)?.dead ?? [];
    const [ams, aseq] = afterEntryId === undefined ? [-1, -1] : parseId(afterEntryId);
    return dead
      .filter((d) => {
        const [ms, seq] = parseId(d.entryId);
        return compareId(ms, seq, ams, aseq) > 0;
      })
      .slice(0, count)
      .map((d) => ({ ...d }));
  }

  async countDeadLetters(worker: WorkerId): Promise<number> {
    return this.streams.get(worker)?.dead.length ?? 0;
  }

  async replayDeadLetters(worker: WorkerId, entryIds: readonly string[] | 'all', target: WorkerId = worker): Promise<number> {
    const s = this.streams.get(worker);
    if (s === undefined) return 0;
    const wanted = entryIds === 'all' ? null : new Set(entryIds);
    const replay = s.dead.filter((d) => d.message !== null && (wanted === null || wanted.has(d.entryId)));
    for (const d of replay) {
      s.dead.splice(s.dead.indexOf(d), 1);
      await this.appendMessage(target, d.message as StreamMessage);
    }
    return replay.length;
  }

  async purgeDeadLetters(worker: WorkerId, entryIds: readonly string[] | 'all'): Promise<number> {
    const s = this.streams.get(worker);
    if (s === undefined) return 0;
    const before = s.dead.length;
    if (entryIds === 'all') s.dead.length = 0;
    else {
      const wanted = new Set(entryIds);
      const keep = s.dead.filter((d) => !wanted.has(d.entryId));
      s.dead.length = 0;
      s.dead.push(...keep);
    }
    return before - s.dead.length;
  }

  async claimStream(worker: WorkerId, holder: string, ttlMs: number): Promise<boolean> {
    const lock = this.locks.get(worker);
    const now = Date.now();
    if (lock !== undefined && lock.expiresAt > now && lock.holder !== holder) return false;
    this.locks.set(worker, { holder, expiresAt: now + ttlMs });
    return true;
  }

  async releaseStream(worker: WorkerId, holder: string): Promise<void> {
    if (this.locks.get(worker)?.holder === holder) this.locks.delete(worker);
  }

  async dropDrainedStream(worker: WorkerId): Promise<boolean> {
    const s = this.streams.get(worker);
    if (s === undefined) return true;
    const drained = s.pending.size === 0 && compareId(s.deliveredMs, s.deliveredSeq, s.lastMs, s.lastSeq) >= 0;
    if (!drained && (s.hasGroup || s.entries.length > 0)) return false;
    this.streams.delete(worker);
    if (s.dead.length > 0) this.stream(worker).dead.push(...s.dead);
    for (const wake of s.waiters) wake();
    return true;
  }

  async stopReading(worker: WorkerId): Promise<void> {
    const s = this.streams.get(worker);
    if (s !== undefined) for (const wake of s.waiters) wake();
  }

  async sendReply(nodeId: string, reply: RpcReply): Promise<void> {
    this.replies.emit(nodeId, { ...reply });
  }

  async subscribeReplies(nodeId: string, handler: (reply: RpcReply) => void): Promise<() => Promise<void>> {
    this.replies.on(nodeId, handler);
    return async () => {
      this.replies.off(nodeId, handler);
    };
  }
}
