/**
 * The checks of a chaos run, from records only: what publishers were acknowledged (per channel, in
 * order), the workers' handling records (one Redis list, so in the order handlings happened) and
 * what each subscriber received. Pure: no I/O.
 */

/** Per subscriber: every publication of a channel exactly once, in offset order, or a `recovered: false` first. */
export class SubscriberCheck {
  delivered = 0;
  /** A publication at or below an offset already delivered. */
  duplicates = 0;
  /** An offset skipped without a `recovered: false` (or an epoch change without one): a silent gap. */
  silentGaps = 0;
  recoveredTrue = 0;
  recoveredFalse = 0;
  unsubscribes = 0;
  unpositioned = 0;
  readonly examples: string[] = [];
  private readonly state = new Map<string, { offset: number | null; epoch: string | null }>();

  subscribed(ctx: {
    channel: string;
    resubscribe: boolean;
    recovered: boolean;
    wasRecovering: boolean;
    streamPosition?: { offset: number; epoch: string };
  }): void {
    const pos = ctx.streamPosition;
    const st = this.state.get(ctx.channel);
    if (!ctx.resubscribe || st === undefined) {
      this.state.set(ctx.channel, { offset: pos?.offset ?? null, epoch: pos?.epoch ?? null });
      return;
    }
    if (ctx.recovered) {
      this.recoveredTrue++;
      if (pos !== undefined && st.epoch !== null && pos.epoch !== st.epoch)
        this.fail(`${ctx.channel}: recovered: true with a new epoch ${st.epoch} -> ${pos.epoch}`);
      return;
    }
    // Told: what was missed is not coming. The client continues from the current top.
    this.recoveredFalse++;
    this.state.set(ctx.channel, { offset: pos?.offset ?? null, epoch: pos?.epoch ?? null });
  }

  unsubscribed(_channel: string, _code: number): void {
    this.unsubscribes++;
  }

  publication(channel: string, offset: number | undefined, _key: string): void {
    this.delivered++;
    if (offset === undefined) {
      this.unpositioned++;
      return;
    }
    const st = this.state.get(channel) ?? { offset: null, epoch: null };
    this.state.set(channel, st);
    if (st.offset === null) {
      st.offset = offset;
    } else if (offset <= st.offset) {
      this.duplicates++;
      if (this.examples.length < 10) this.examples.push(`${channel}: offset ${offset} again after ${st.offset}`);
    } else {
      if (offset !== st.offset + 1) this.fail(`${channel}: offset ${st.offset} -> ${offset} without recovered: false`);
      st.offset = offset;
    }
  }

  /** The last offset delivered on `channel` and the epoch of the last subscribe. */
  position(channel: string): { offset: number | null; epoch: string | null } {
    return this.state.get(channel) ?? { offset: null, epoch: null };
  }

  private fail(example: string): void {
    this.silentGaps++;
    if (this.examples.length < 10) this.examples.push(example);
  }
}

export interface HandledRecord {
  ts: number;
  worker: string;
  stream: string;
  channel: string;
  /** `<publisher>:<seq>`, or '' for a record that is not a chaos message. */
  key: string;
}

/** Parses `<ms>|<worker>|<stream>|<channel>|<data>` (bin/chaos-worker.ts). */
export function parseHandled(line: string): HandledRecord | null {
  const parts = line.split('|');
  if (parts.length < 5) return null;
  const [ts, worker, stream, channel] = parts as [string, string, string, string];
  let key = '';
  try {
    const data = JSON.parse(parts.slice(4).join('|')) as { p?: unknown; s?: unknown };
    if (typeof data.p === 'string' && typeof data.s === 'number') key = `${data.p}:${data.s}`;
  } catch {
    // not JSON: not ours
  }
  return { ts: Number(ts), worker, stream, channel, key };
}

/** Watches the handling records: first handlings, duplicates, and takeovers after a worker kill. */
export class HandledLog {
  /** Key -> index of its first handling in the global order. */
  private readonly first = new Map<string, number>();
  private readonly firstTs: number[] = [];
  records = 0;
  duplicates = 0;
  readonly perWorker = new Map<string, number>();
  readonly takeoverMs: number[] = [];
  private readonly killedAt = new Map<string, number>();

  add(rec: HandledRecord): void {
    this.records++;
    this.perWorker.set(rec.worker, (this.perWorker.get(rec.worker) ?? 0) + 1);
    const killed = this.killedAt.get(rec.stream);
    if (killed !== undefined && rec.worker !== rec.stream && rec.ts >= killed) {
      this.takeoverMs.push(rec.ts - killed);
      this.killedAt.delete(rec.stream);
    }
    if (rec.key === '') return;
    if (this.first.has(rec.key)) {
      this.duplicates++;
      return;
    }
    this.first.set(rec.key, this.firstTs.length);
    this.firstTs.push(rec.ts);
  }

  /** A worker was killed at `ts`: the first record of its stream by another worker ends the takeover. */
  workerKilled(worker: string, ts: number): void {
    this.killedAt.set(worker, ts);
  }

  /** True while the takeover of `worker`'s stream has not been seen. */
  takeoverPending(worker: string): boolean {
    return this.killedAt.has(worker);
  }

  /** Gives up waiting for a takeover (counted as not observed). */
  abandonTakeover(worker: string): boolean {
    return this.killedAt.delete(worker);
  }

  firstIndex(key: string): number | undefined {
    return this.first.get(key);
  }

  firstHandledAt(index: number): number | undefined {
    return this.firstTs[index];
  }

  get distinct(): number {
    return this.first.size;
  }
}

export interface OrderViolation {
  publisher: string;
  channel: string;
  /** This acknowledged sequence number was first handled before `before`, acknowledged earlier. */
  seq: number;
  before: number;
  /** When `before` was first handled (ms since epoch), to match against the fault timeline. */
  ts: number;
}

export interface PublisherRecords {
  id: string;
  acked: ReadonlyMap<string, readonly number[]>;
}

/** Every acknowledged publish handled at least once, and first handlings in acknowledgement order per publisher and channel. */
export function checkPipeline(
  publishers: readonly PublisherRecords[],
  handled: HandledLog,
): {
  acked: number;
  lost: number;
  lostExamples: string[];
  orderViolations: number;
  violations: OrderViolation[];
} {
  let acked = 0;
  let lost = 0;
  let orderViolations = 0;
  const lostExamples: string[] = [];
  const violations: OrderViolation[] = [];
  for (const p of publishers) {
    for (const [channel, seqs] of p.acked) {
      let maxIndex = -1;
      let maxSeq = -1;
      for (const s of seqs) {
        acked++;
        const idx = handled.firstIndex(`${p.id}:${s}`);
        if (idx === undefined) {
          lost++;
          if (lostExamples.length < 10) lostExamples.push(`${p.id}:${s} on ${channel}`);
          continue;
        }
        if (idx < maxIndex) {
          orderViolations++;
          if (violations.length < 20)
            violations.push({ publisher: p.id, channel, seq: s, before: maxSeq, ts: handled.firstHandledAt(maxIndex) ?? 0 });
        } else {
          maxIndex = idx;
          maxSeq = s;
        }
      }
    }
  }
  return { acked, lost, lostExamples, orderViolations, violations };
}

/** The q-quantile (0..1) of `values`, nearest rank; null when empty. */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}
