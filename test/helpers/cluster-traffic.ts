/**
 * Traffic over a Redis Cluster for failover tests: two in-process gateways and two workers, each on
 * its own ioredis Cluster connections (as bin/gateway.ts and runWorker open them), real centrifuge
 * publishers on one gateway and a recovering subscriber on the other, with every acknowledged
 * publish, every handling and every delivery recorded for the checks in {@link checkTraffic}.
 */

import type { Centrifuge, PublicationContext, Subscription } from 'centrifuge';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/index.js';
import { ChannelPublisher, RedisBroker, RedisPresenceManager } from '../../src/engine/index.js';
import { RedisStreamQueue, StreamPipeline } from '../../src/queue/index.js';
import { RedisWorkerRegistry } from '../../src/routing/index.js';
import { createWorker, messageData, type Worker } from '../../src/worker/index.js';
import { connectRedis, openRedisCluster, PipelineKeys, type ClusterConnection, type RedisRole } from '../../src/redis/index.js';
import { newClient, startTestGateway, waitUntil, type TestGateway } from './gateway.js';
import type { RedisCluster } from './redis-cluster.js';

/** RIG_LOG=debug|info|warn shows the workers' and gateways' logs on stderr while a failover test runs. */
const rigLogLevel = process.env.RIG_LOG ?? 'silent';
const rigLogger = pino({ level: rigLogLevel }, pino.destination(2));

export interface RigOptions {
  cluster: RedisCluster;
  prefix: string;
  /** Channels published to, one publisher loop each. */
  channels: string[];
  /** Broker on sharded pub/sub (SSUBSCRIBE/SPUBLISH); omitted: classic. */
  sharded?: boolean;
}

/** What a subscriber saw on one channel, in arrival order. */
export type Seen = { kind: 'pub'; text: string; offset: number } | { kind: 'subscribed'; recovered: boolean; wasRecovering: boolean };

export class FailoverRig {
  readonly gateways: TestGateway[] = [];
  readonly workers: Worker[] = [];
  /** Per channel, texts acknowledged to the publisher, in order. */
  readonly acked = new Map<string, string[]>();
  /** Publishes refused or timed out (the publisher saw an error: nothing was promised). */
  failedPublishes = 0;
  /** The last error a publisher saw, per channel (for the log of a failed run). */
  readonly lastPublishError = new Map<string, string>();
  /** Per channel, texts a worker handled and published back, in order of its publish. */
  readonly handled = new Map<string, string[]>();
  /** Per channel, every successful publish of a worker with the history position it got, in completion order. */
  readonly published = new Map<string, { text: string; offset: number; epoch: string }[]>();
  /** Per channel, what the subscriber saw. */
  readonly seen = new Map<string, Seen[]>();
  private readonly conns: ClusterConnection[] = [];
  private readonly brokers: RedisBroker[] = [];
  private readonly closers: (() => Promise<void>)[] = [];
  private readonly clients: Centrifuge[] = [];
  private publishing = false;
  private loops: Promise<void>[] = [];
  private readonly o: RigOptions;

  constructor(options: RigOptions) {
    this.o = options;
  }

  get channels(): string[] {
    return this.o.channels;
  }

  private async open(role: RedisRole): Promise<ClusterConnection> {
    const conn = openRedisCluster(this.o.cluster.url, { role, ...(this.o.sharded === true ? { shardedPubSub: true } : {}) });
    conn.on('error', () => {});
    this.conns.push(conn);
    await connectRedis(conn);
    return conn;
  }

  async start(): Promise<void> {
    const { prefix } = this.o;
    const sharded = this.o.sharded === true;
    const keys = new PipelineKeys({ prefix, hashTags: true });
    for (const id of ['fw1', 'fw2']) {
      const wconn = await this.open('worker');
      const broker = new RedisBroker({ redis: await this.open('worker'), prefix, sharded });
      await broker.start({ handlePublication: () => {}, handleJoin: () => {}, handleLeave: () => {} });
      this.brokers.push(broker);
      const publisher = new ChannelPublisher(broker, loadConfig({}).channel);
      const queue = new RedisStreamQueue({ redis: wconn, keys });
      const registry = new RedisWorkerRegistry({ redis: wconn, keys });
      this.closers.push(
        () => queue.close(),
        () => registry.close(),
      );
      const worker = createWorker({
        id,
        queue,
        registry,
        handler: async (msg) => {
          if (msg.kind !== 'publish') return undefined;
          const data = messageData(msg);
          const position = await publisher.publish(msg.channel, data, {});
          const text = (JSON.parse(msg.data) as { text: string }).text;
          push(this.handled, msg.channel, text);
          push(this.published, msg.channel, { text, offset: position.offset, epoch: position.epoch });
          return undefined;
        },
        publisher: {
          publish: async (channel, data, opts) => {
            await publisher.publish(channel, data, opts ?? {});
          },
        },
        heartbeatMs: 200,
        maxAttempts: 1000,
        backoff: () => 50,
        logger: rigLogger.child({ worker: id }),
      });
      await worker.start();
      this.workers.push(worker);
    }
    for (const nodeId of ['fgw-a', 'fgw-b']) {
      const [engine, subscriber, queueConn] = [await this.open('producer'), await this.open('subscriber'), await this.open('producer')];
      this.gateways.push(
        await startTestGateway(
          { NODE_ID: nodeId, REDIS_PREFIX: prefix, LOG_LEVEL: rigLogLevel },
          {
            broker: new RedisBroker({ redis: engine, subscriber, prefix, sharded }),
            presence: new RedisPresenceManager({ redis: engine, prefix }),
            pipeline: new StreamPipeline({
              queue: new RedisStreamQueue({ redis: queueConn, keys }),
              registry: new RedisWorkerRegistry({ redis: queueConn, keys }),
              nodeId,
              routeCacheTtlMs: 1000,
            }),
          },
        ),
      );
    }
    await this.subscribeAll();
  }

  /** One client on gateway B subscribed to every channel (recovery on through the `chat` namespace). */
  private async subscribeAll(): Promise<void> {
    const client = newClient(this.gateways[1]!.wsUrl, 'json');
    this.clients.push(client);
    let subscribed = 0;
    for (const channel of this.o.channels) {
      const seen: Seen[] = [];
      this.seen.set(channel, seen);
      const sub: Subscription = client.newSubscription(channel);
      sub.on('publication', (ctx: PublicationContext) =>
        seen.push({ kind: 'pub', text: (ctx.data as { text: string }).text, offset: ctx.offset ?? 0 }),
      );
      sub.on('subscribed', (ctx) => {
        subscribed++;
        seen.push({ kind: 'subscribed', recovered: ctx.recovered, wasRecovering: ctx.wasRecovering });
      });
      sub.subscribe();
    }
    client.connect();
    await waitUntil(() => subscribed >= this.o.channels.length, 10_000, 'subscriber on every channel');
  }

  /** Starts one publisher client per channel on gateway A, publishing `<channel>#<n>` back to back. */
  async startPublishing(): Promise<void> {
    this.publishing = true;
    for (const channel of this.o.channels) {
      const client = newClient(this.gateways[0]!.wsUrl, 'json');
      this.clients.push(client);
      const sub = client.newSubscription(channel);
      sub.subscribe();
      client.connect();
      await waitUntil(() => sub.state === 'subscribed', 10_000, `publisher on ${channel}`);
      this.loops.push(this.publishLoop(channel, sub));
    }
  }

  private async publishLoop(channel: string, sub: Subscription): Promise<void> {
    let n = 0;
    while (this.publishing) {
      const text = `${channel}#${n++}`;
      try {
        await sub.publish({ text });
        push(this.acked, channel, text);
      } catch (err) {
        this.failedPublishes++;
        this.lastPublishError.set(channel, `${new Date().toISOString()} ${JSON.stringify(err)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
  }

  async stopPublishing(): Promise<void> {
    this.publishing = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  /** Per channel, acknowledged and handled counts and the last publish error, for the log of a failed run. */
  describe(): string {
    return this.channels
      .map((c) => {
        const err = this.lastPublishError.get(c);
        return `${c}: acked ${this.acked.get(c)?.length ?? 0} handled ${this.handled.get(c)?.length ?? 0}${err !== undefined ? ` last error ${err}` : ''}`;
      })
      .join('; ');
  }

  /** Acknowledged publishes so far. */
  ackedCount(): number {
    return [...this.acked.values()].reduce((n, a) => n + a.length, 0);
  }

  handledCount(): number {
    return [...this.handled.values()].reduce((n, a) => n + a.length, 0);
  }

  async close(): Promise<void> {
    this.publishing = false;
    for (const c of this.clients) c.disconnect();
    for (const gw of this.gateways) await gw.close();
    for (const w of this.workers) await w.close();
    for (const close of this.closers) await close();
    for (const b of this.brokers) await b.close();
    for (const c of this.conns) c.disconnect();
  }
}

export interface TrafficReport {
  acked: number;
  handled: number;
  failedPublishes: number;
  /** Acknowledged publishes no worker handled. */
  lost: string[];
  /**
   * Publications (`text@offset`) a worker published that the subscriber missed without a
   * `recovered: false` before the next delivery.
   */
  silentGaps: string[];
  /** `subscribed` events with `recovered: false` after the first subscribe. */
  notRecovered: number;
  /** Resubscriptions that recovered. */
  recovered: number;
  /** Handlings beyond the first of a text. */
  duplicates: number;
}

/**
 * Checks the records once traffic stopped and settled: every acknowledged text handled, and per
 * channel every publication a worker made (in history order) seen by the subscriber unless a
 * `recovered: false` came between the deliveries around it.
 */
export function checkTraffic(rig: FailoverRig): TrafficReport {
  const report: TrafficReport = {
    acked: rig.ackedCount(),
    handled: 0,
    failedPublishes: rig.failedPublishes,
    lost: [],
    silentGaps: [],
    notRecovered: 0,
    recovered: 0,
    duplicates: 0,
  };
  for (const [channel, acked] of rig.acked) {
    const handled = rig.handled.get(channel) ?? [];
    const handledSet = new Set(handled);
    report.handled += handledSet.size;
    report.duplicates += handled.length - handledSet.size;
    for (const text of acked) if (!handledSet.has(text)) report.lost.push(text);
    // The history's order (epoch, then offset) is the order the subscriber must see: what the
    // workers' publishes were given, not the order their replies came back in.
    const epochs = new Map<string, number>();
    const published = (rig.published.get(channel) ?? [])
      .map((p) => {
        if (!epochs.has(p.epoch)) epochs.set(p.epoch, epochs.size);
        return { ...p, rank: epochs.get(p.epoch)! };
      })
      .sort((a, b) => a.rank - b.rank || a.offset - b.offset);
    const label = (p: { text: string; offset: number }): string => `${p.text}@${p.offset}`;
    const index = new Map(published.map((p, i) => [label(p), i]));
    let next = 0;
    let excused = false;
    let first = true;
    for (const event of rig.seen.get(channel) ?? []) {
      if (event.kind === 'subscribed') {
        if (first) {
          first = false;
          continue;
        }
        if (event.recovered) report.recovered++;
        else {
          report.notRecovered++;
          excused = true;
        }
        continue;
      }
      const at = index.get(label(event));
      if (at === undefined || at < next) continue;
      if (at > next && !excused) report.silentGaps.push(...published.slice(next, at).map(label));
      next = at + 1;
      excused = false;
    }
    if (next < published.length && !excused) report.silentGaps.push(...published.slice(next).map(label));
  }
  return report;
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
