/**
 * The connections of one load-test process and the publish schedule it drives: open loop (each
 * client publishes at fixed times; latency counts from the scheduled time, so a stalled server or
 * generator shows up as latency instead of silently lowering the rate) or closed loop (a fixed
 * number of publishes in flight per client, to find the saturation throughput).
 */

import { signToken } from '../gateway/index.js';
import { LoadConnection, now } from './load-connection.js';
import type { LoadTestOptions } from './load-test-options.js';
import { loadWireFor } from './load-wire.js';
import { ShardRecorder, tally } from './shard-result.js';

/** Which share of the connections this process drives: global index % count === index. */
export interface ShardSpec {
  index: number;
  count: number;
}

export interface ShardProgress {
  publishersConnected: number;
  subscribersConnected: number;
  scheduled: number;
  sent: number;
  acked: number;
  failed: number;
  received: number;
  inFlight: number;
  ackP99: number;
}

interface Publisher {
  conn: LoadConnection;
  globalIndex: number;
  channel: string;
  seq: number;
}

/** Stamp every load-test message carries in its data, next to `text`. */
interface MessageStamp {
  ts: number;
  c: number;
  s: number;
  r: string;
}

function isStamp(value: unknown): value is MessageStamp {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as MessageStamp).ts === 'number' &&
    typeof (value as MessageStamp).r === 'string'
  );
}

/** Finds the stamp in a delivered publication, also when a worker wrapped the original message. */
export function findStamp(data: unknown): MessageStamp | null {
  if (isStamp(data)) return data;
  if (typeof data !== 'object' || data === null) return null;
  for (const value of Object.values(data)) {
    if (isStamp(value)) return value;
  }
  return null;
}

export function channelName(options: LoadTestOptions, k: number): string {
  return `${options.channelPrefix}-${options.runId}-${k}`;
}

export class LoadShard {
  readonly recorder = new ShardRecorder();
  private readonly publishers: Publisher[] = [];
  private readonly subscribers: LoadConnection[] = [];
  private readonly textJson: string;
  private closing = false;
  private closedLoopDeadline = 0;

  constructor(
    private readonly options: LoadTestOptions,
    private readonly spec: ShardSpec,
  ) {
    this.textJson = JSON.stringify('x'.repeat(options.textBytes));
  }

  /** Opens this shard's subscribers (subscribed) and publishers; failures are counted, not thrown. */
  async prepare(): Promise<void> {
    const o = this.options;
    const subscriberTotal = o.channels * o.subscribersPerChannel;
    const jobs: (() => Promise<void>)[] = [];
    for (let s = this.spec.index; s < subscriberTotal; s += this.spec.count) {
      jobs.push(() => this.openSubscriber(s));
    }
    for (let g = this.spec.index; g < o.numClients; g += this.spec.count) {
      jobs.push(() => this.openPublisher(g));
    }
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < jobs.length) {
        const job = jobs[next++] as () => Promise<void>;
        await job();
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.connectConcurrency, jobs.length) }, lane));
  }

  /** Publishes from `startAt` (epoch ms, see `now`) until done, then waits for replies and deliveries. */
  async run(startAt: number): Promise<void> {
    if (this.options.ratePerClient > 0) await this.runOpenLoop(startAt);
    else await this.runClosedLoop(startAt);
    await this.drain();
  }

  progress(): ShardProgress {
    let inFlight = 0;
    let publishersConnected = 0;
    for (const p of this.publishers) {
      inFlight += p.conn.inFlight;
      if (p.conn.connected) publishersConnected++;
    }
    const r = this.recorder;
    return {
      publishersConnected,
      subscribersConnected: this.subscribers.filter((c) => c.connected).length,
      scheduled: r.scheduled,
      sent: r.sent,
      acked: r.acked,
      failed: Object.values(r.publishErrors).reduce((a, b) => a + b, 0),
      received: r.received,
      inFlight,
      ackP99: r.ackHistogram.percentileMs(99),
    };
  }

  async close(): Promise<void> {
    this.closing = true;
    const all = [...this.subscribers, ...this.publishers.map((p) => p.conn)];
    for (const c of all) c.close();
    await Promise.all(all.map((c) => c.closed()));
  }

  private token(kind: string, index: number): string | null {
    if (this.options.tokenSecret === null) return null;
    const exp = Math.floor(Date.now() / 1000) + 24 * 3600;
    return signToken({ sub: `loadtest-${kind}-${index}`, exp }, this.options.tokenSecret);
  }

  private async openSubscriber(s: number): Promise<void> {
    const r = this.recorder;
    const conn = new LoadConnection(this.options.url, loadWireFor(this.options.protocol), {
      onAck: () => undefined,
      onPublication: (_channel, data, at) => this.onPublication(data, at),
      onClose: (code) => this.onClose(code, 0),
    });
    r.connectAttempted++;
    try {
      r.connectHistogram.recordMs(await conn.connect(this.token('sub', s), 'loadtest', this.options.connectTimeoutMs));
      await conn.subscribe(channelName(this.options, s % this.options.channels), this.options.connectTimeoutMs);
      r.connectOk++;
      this.subscribers.push(conn);
    } catch (err) {
      tally(r.connectErrors, (err as Error).message);
      conn.close();
    }
  }

  private async openPublisher(g: number): Promise<void> {
    const r = this.recorder;
    // Registered before connecting, so its handlers and the schedule see the same object.
    // Kept even when the connect fails: its scheduled publishes then count as `not_connected`.
    const conn = new LoadConnection(this.options.url, loadWireFor(this.options.protocol), {
      onAck: (latencyMs, errorCode) => this.onAck(latencyMs, errorCode, publisher),
      onPublication: () => undefined,
      onClose: (code, _reason, pending) => this.onClose(code, pending),
    });
    const publisher: Publisher = { conn, globalIndex: g, channel: channelName(this.options, g % this.options.channels), seq: 0 };
    this.publishers.push(publisher);
    r.connectAttempted++;
    try {
      r.connectHistogram.recordMs(await conn.connect(this.token('pub', g), 'loadtest', this.options.connectTimeoutMs));
      r.connectOk++;
    } catch (err) {
      tally(r.connectErrors, (err as Error).message);
      conn.close();
    }
  }

  private send(p: Publisher, scheduledAt: number): void {
    const r = this.recorder;
    r.scheduled++;
    if (r.firstSendAt === 0) r.firstSendAt = scheduledAt;
    r.lastSendAt = scheduledAt;
    const data = `{"text":${this.textJson},"ts":${scheduledAt.toFixed(3)},"c":${p.globalIndex},"s":${p.seq++},"r":"${this.options.runId}"}`;
    if (p.conn.publish(p.channel, data, scheduledAt)) {
      r.sent++;
      r.sendLagHistogram.recordMs(now() - scheduledAt);
    } else {
      tally(r.publishErrors, 'not_connected');
    }
  }

  private async runOpenLoop(startAt: number): Promise<void> {
    const count = this.publishers.length;
    if (count === 0) return;
    const total = count * this.options.messagesPerClient;
    // Consecutive sends of the shard are `spacing` apart; shards interleave by a fraction of it.
    // Send times are floored to whole milliseconds: a timer cannot fire more precisely, and a
    // send due mid-millisecond would otherwise always start up to 1 ms late.
    const spacing = 1000 / this.options.ratePerClient / count;
    const offset = (spacing * this.spec.index) / this.spec.count;
    const dueAt = (k: number): number => startAt + Math.floor(offset + k * spacing);
    let k = 0;
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const t = now();
        while (k < total) {
          const scheduledAt = dueAt(k);
          if (scheduledAt > t) break;
          this.send(this.publishers[k % count] as Publisher, scheduledAt);
          k++;
        }
        if (k >= total) {
          resolve();
          return;
        }
        setTimeout(tick, Math.max(0, dueAt(k) - now()));
      };
      setTimeout(tick, Math.max(0, startAt - now()));
    });
  }

  private async runClosedLoop(startAt: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - now())));
    this.closedLoopDeadline = now() + this.options.durationMs;
    for (const p of this.publishers) {
      for (let i = 0; i < this.options.window; i++) this.send(p, now());
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, this.closedLoopDeadline - now())));
  }

  private onAck(latencyMs: number, errorCode: number, publisher: Publisher): void {
    const r = this.recorder;
    if (errorCode === 0) {
      r.acked++;
      r.ackHistogram.recordMs(latencyMs);
      r.lastAckAt = now();
    } else {
      tally(r.publishErrors, `reply:${errorCode}`);
    }
    if (this.closedLoopDeadline > 0 && now() < this.closedLoopDeadline) {
      this.send(publisher, now());
    }
  }

  private onPublication(data: unknown, at: number): void {
    const r = this.recorder;
    const stamp = findStamp(data);
    if (stamp === null || stamp.r !== this.options.runId) {
      r.foreign++;
      return;
    }
    r.received++;
    r.deliveryHistogram.recordMs(at - stamp.ts);
    r.lastDeliveryAt = at;
  }

  private onClose(code: number, pending: number): void {
    if (this.closing) return;
    tally(this.recorder.disconnects, String(code));
    if (pending > 0) tally(this.recorder.publishErrors, `disconnect:${code}`, pending);
  }

  /** Waits until every publish is answered and deliveries stopped arriving, or the drain timeout. */
  private async drain(): Promise<void> {
    const deadline = now() + this.options.drainTimeoutMs;
    const quietMs = 500;
    let lastReceived = -1;
    let quietSince = now();
    while (now() < deadline) {
      const p = this.progress();
      if (p.received !== lastReceived) {
        lastReceived = p.received;
        quietSince = now();
      }
      if (p.inFlight === 0 && now() - quietSince >= quietMs) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const inFlight = this.progress().inFlight;
    if (inFlight > 0) tally(this.recorder.publishErrors, 'timeout', inFlight);
  }
}
