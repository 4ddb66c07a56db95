/**
 * The traffic of a chaos run, on the real `centrifuge` client through the project's reconnecting
 * client (recovery on): publishers that record, per channel and in order, what each gateway
 * acknowledged, and subscribers whose deliveries are checked as they arrive (`SubscriberCheck`).
 */

import WebSocket from 'ws';
import { createReconnectClient, type ReconnectClient } from '../client/index.js';
import { SubscriberCheck } from './checker.js';

export interface ChaosMessage {
  /** Publisher id. */
  p: string;
  /** The publisher's sequence number, unique per publisher. */
  s: number;
}

function client(urls: readonly string[], first: number, name: string): ReconnectClient {
  // Each client starts on its own gateway and moves to the next one on every reconnect attempt.
  const rotated = [...urls.slice(first % urls.length), ...urls.slice(0, first % urls.length)];
  return createReconnectClient({
    url: rotated,
    websocket: WebSocket,
    name,
    minReconnectDelay: 100,
    maxReconnectDelay: 2000,
    timeout: 5000,
    maxServerPingDelay: 5000,
  });
}

/**
 * One publisher: per channel, one publish in flight at a time, paced to `ratePerChannel` a second.
 * `acked` holds, per channel, the sequence numbers acknowledged, in acknowledgement order.
 */
export class ChaosPublisher {
  readonly acked = new Map<string, number[]>();
  failed = 0;
  private seq = 0;
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly client: ReconnectClient;

  constructor(
    readonly id: string,
    urls: readonly string[],
    index: number,
    private readonly channels: readonly string[],
    private readonly ratePerChannel: number,
  ) {
    this.client = client(urls, index, `chaos-${id}`);
    for (const c of channels) this.acked.set(c, []);
  }

  async start(): Promise<void> {
    this.client.connect();
    await this.client.ready(30_000);
    this.running = true;
    this.loops = this.channels.map((c) => this.loop(c));
  }

  get ackedCount(): number {
    let n = 0;
    for (const list of this.acked.values()) n += list.length;
    return n;
  }

  private async loop(channel: string): Promise<void> {
    const list = this.acked.get(channel) as number[];
    const intervalMs = 1000 / this.ratePerChannel;
    let next = performance.now() + Math.random() * intervalMs;
    while (this.running) {
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      next = Math.max(next + intervalMs, performance.now() - intervalMs);
      if (!this.running) break;
      const s = this.seq++;
      const msg: ChaosMessage = { p: this.id, s };
      try {
        await this.client.publish(channel, msg);
        list.push(s);
      } catch {
        // Not acknowledged (temporary error, timeout, disconnect): it may or may not be handled; not counted.
        this.failed++;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** Stops publishing; resolves when the last publishes in flight settled. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** One subscriber of `channels`, checked publication by publication. */
export class ChaosSubscriber {
  readonly check = new SubscriberCheck();
  private readonly client: ReconnectClient;

  constructor(
    readonly id: string,
    urls: readonly string[],
    index: number,
    private readonly channels: readonly string[],
  ) {
    this.client = client(urls, index, `chaos-${id}`);
  }

  async start(): Promise<void> {
    for (const channel of this.channels) {
      this.client.subscribe(channel, {
        subscribed: (ctx) => this.check.subscribed(ctx),
        publication: (ctx) => {
          const data = ctx.data as Partial<ChaosMessage>;
          this.check.publication(
            channel,
            ctx.offset,
            typeof data.p === 'string' && typeof data.s === 'number' ? `${data.p}:${data.s}` : '?',
          );
        },
        unsubscribed: (ctx) => this.check.unsubscribed(ctx.channel, ctx.code),
      });
    }
    this.client.connect();
    await this.client.ready(30_000);
    await Promise.all(this.channels.map((c) => this.client.subscription(c)?.ready(30_000) ?? Promise.resolve()));
  }

  /** The channel's current top as the server reports it (history with limit 0). */
  async top(channel: string): Promise<{ offset: number; epoch: string } | null> {
    const sub = this.client.subscription(channel);
    if (sub === undefined) return null;
    try {
      const result = await sub.history({ limit: 0 });
      return { offset: result.offset, epoch: result.epoch };
    } catch {
      return null;
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
