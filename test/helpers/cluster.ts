/**
 * A multi-gateway test cluster on one real redis-server: N in-process gateways, each with its own
 * Redis connection, RedisBroker, RedisPresenceManager and stream pipeline (or the direct pipeline),
 * in-process workers publishing back through a RedisBroker, the server HTTP API, a routing
 * WebSocket class that plays the load balancer, gateway child processes for kill -9, and a
 * Prometheus exposition parser.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Centrifuge,
  type ConnectedContext,
  type Options,
  type PublicationContext,
  type SubscribedContext,
  type SubscribingContext,
  type Subscription,
  type SubscriptionErrorContext,
  type UnsubscribedContext,
} from 'centrifuge';
import type { Redis } from 'ioredis';
import WebSocket from 'ws';
import type { Logger } from 'pino';
import {
  ChannelPublisher,
  ControlPlane,
  RedisBroker,
  RedisControlBus,
  RedisNodeRegistry,
  RedisPresenceManager,
  type LocalNode,
} from '../../src/engine/index.js';
import { Gateway, WEBSOCKET_PATH } from '../../src/gateway/index.js';
import { DirectPipeline } from './direct-pipeline.js';
import { createHttpApi } from '../../src/gateway/http-api/create-http-api.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createLogger } from '../../src/log/index.js';
import { GatewayMetrics } from '../../src/metrics/index.js';
import { createRedisPipeline, type MessagePipeline, type StreamMessage } from '../../src/queue/index.js';
import { createRedisWorker, type MessageHandler, type Worker, type WorkerContext } from '../../src/worker/index.js';
import { Registry } from 'prom-client';
import { RedisServer } from './redis-server.js';
import { connectRedis, openRedis } from '../../src/redis/index.js';

export const API_KEY = 'cluster-test-api-key';

/** Channel rules of the cluster tests (CONFIG_FILE JSON): `chat` as built in, plus small and short-lived histories. */
export const CLUSTER_CHANNELS = {
  channel: {
    without_namespace: null,
    namespaces: [
      { name: 'chat', ...openNamespace(), history_size: 100, history_ttl: '5m', force_recovery: true, presence: true, join_leave: true },
      // Five kept publications: missing more than five cannot be recovered.
      { name: 'small', ...openNamespace(), history_size: 5, history_ttl: '5m', force_recovery: true },
      // Publications expire 1 s after the channel's last publication.
      { name: 'brief', ...openNamespace(), history_size: 100, history_ttl: '1s', force_recovery: true },
    ],
  },
};

function openNamespace(): Record<string, boolean> {
  return {
    allow_subscribe_for_client: true,
    allow_publish_for_client: true,
    allow_publish_for_subscriber: true,
    allow_history_for_subscriber: true,
    allow_presence_for_subscriber: true,
  };
}

/** Writes CLUSTER_CHANNELS to a temporary file; returns its path and a cleanup. */
export function writeClusterConfigFile(): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'rm-cluster-'));
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify(CLUSTER_CHANNELS));
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ClusterGatewayOptions {
  redisUrl: string;
  prefix: string;
  nodeId: string;
  /** Extra environment for loadConfig (CONFIG_FILE, ...). */
  env?: Record<string, string>;
  /** 'stream': client publications go through worker streams; 'direct': straight to the channel. */
  pipeline: 'stream' | 'direct';
  /** Presence entry ttl, ms; omitted: the gateway's default (60 s). */
  presenceTtlMs?: number;
  logger?: Logger;
  /** Run the control plane over Redis (commands, heartbeats, forwarded `/emulation` requests) as bin/gateway.ts does. */
  controlPlane?: boolean;
}

/** One gateway of the cluster, composed like bin/gateway.ts in Redis mode, with the HTTP API mounted. */
export interface ClusterGateway {
  nodeId: string;
  wsUrl: string;
  httpUrl: string;
  metricsUrl: string;
  gateway: Gateway;
  config: Config;
  registry: Registry;
  redis: Redis;
  broker: RedisBroker;
  presence: RedisPresenceManager;
  pipeline: MessagePipeline;
  close(): Promise<void>;
}

export async function startClusterGateway(o: ClusterGatewayOptions): Promise<ClusterGateway> {
  const config = loadConfig({
    HOST: '127.0.0.1',
    WEBSOCKET_PORT: '0',
    HTTP_PORT: '0',
    METRICS_PORT: '0',
    LOG_LEVEL: 'silent',
    REDIS_URL: o.redisUrl,
    REDIS_PREFIX: o.prefix,
    NODE_ID: o.nodeId,
    HTTP_API_KEY: API_KEY,
    ...o.env,
  });
  const logger = o.logger ?? createLogger({ level: config.logLevel, name: o.nodeId });
  const redis = openRedis(o.redisUrl, { role: 'producer', name: `gateway:${o.nodeId}` });
  redis.on('error', () => undefined);
  await connectRedis(redis);
  const broker = new RedisBroker({ redis, prefix: o.prefix, logger });
  const presence = new RedisPresenceManager({ redis, prefix: o.prefix });
  const publisher = new ChannelPublisher(broker, config.channel);
  const registry = new Registry();
  const metrics = new GatewayMetrics(registry);
  const pipeline: MessagePipeline =
    o.pipeline === 'direct'
      ? new DirectPipeline(publisher)
      : createRedisPipeline({
          redisUrl: o.redisUrl,
          prefix: o.prefix,
          nodeId: o.nodeId,
          routeCacheTtlMs: config.routeCacheTtlMs,
          routeCacheCounter: metrics.routeCacheTotal,
        });
  const api = createHttpApi({
    config,
    logger,
    publisher,
    broker,
    presence,
    control: new RedisControlBus({ redis, prefix: o.prefix }),
    nodes: new RedisNodeRegistry({ redis, prefix: o.prefix }),
  });
  let controlSub: Redis | null = null;
  if (o.controlPlane === true) {
    controlSub = openRedis(o.redisUrl, { role: 'worker', name: `gateway-control:${o.nodeId}` });
    controlSub.on('error', () => undefined);
    await connectRedis(controlSub);
  }
  const bus = new RedisControlBus({ redis, prefix: o.prefix, ...(controlSub !== null ? { subscriber: controlSub } : {}) });
  const nodeRegistry = new RedisNodeRegistry({ redis, prefix: o.prefix });
  const gateway = new Gateway({
    config,
    logger,
    registry,
    metrics,
    broker,
    presence,
    pipeline,
    httpRoutes: [api],
    ...(o.presenceTtlMs !== undefined ? { presenceTtlMs: o.presenceTtlMs } : {}),
    ...(o.controlPlane === true
      ? {
          emulationBus: bus,
          emulationNodes: nodeRegistry,
          controlPlane: (local: LocalNode) =>
            new ControlPlane({ nodeId: o.nodeId, version: 'test', bus, registry: nodeRegistry, local, logger }),
        }
      : {}),
  });
  await gateway.start();
  const { websocket, http, metrics: metricsPort } = gateway.ports;
  return {
    nodeId: o.nodeId,
    wsUrl: `ws://127.0.0.1:${websocket}${WEBSOCKET_PATH}`,
    httpUrl: `http://127.0.0.1:${http}`,
    metricsUrl: `http://127.0.0.1:${metricsPort}`,
    gateway,
    config,
    registry,
    redis,
    broker,
    presence,
    pipeline,
    close: async () => {
      await gateway.close();
      controlSub?.disconnect();
      redis.disconnect();
    },
  };
}

/** What the cluster's workers do by default, like examples/worker-simple.ts plus one rpc. */
export const echoHandler: MessageHandler = async (msg: StreamMessage, ctx: WorkerContext) => {
  if (msg.kind === 'publish') {
    await ctx.publish(msg.channel, msg.data, { info: { user: msg.user, client: msg.client } });
    return undefined;
  }
  // rpc `announce` {channel, data}: the worker publishes on its own initiative (ctx.publish).
  if (msg.kind === 'rpc' && msg.method === 'announce') {
    const { channel, data } = JSON.parse(msg.data) as { channel: string; data: unknown };
    await ctx.publish(channel, JSON.stringify(data));
    return '"ok"';
  }
  return msg.kind === 'rpc' ? msg.data : undefined;
};

export interface TestClusterOptions {
  /** In-process gateways; omitted: 3. */
  gateways?: number;
  /** In-process workers (stream pipeline); 0: gateways use the direct pipeline. Omitted: 1. */
  workers?: number;
  handler?: MessageHandler;
  presenceTtlMs?: number;
  /** Extra arguments for redis-server. */
  redisArgs?: string[];
  /** Gateways run the control plane (see ClusterGatewayOptions.controlPlane). */
  controlPlane?: boolean;
}

/** One redis-server, N gateways, M workers and a backend publisher, all sharing one key prefix. */
export class TestCluster {
  readonly gateways: ClusterGateway[] = [];
  readonly workers: Worker[] = [];
  /** Publishes like a backend or a worker process would: ChannelPublisher over its own RedisBroker. */
  publisher!: ChannelPublisher;
  backendBroker!: RedisBroker;
  private backendRedis!: Redis;
  private readonly configFile = writeClusterConfigFile();

  private constructor(
    readonly redis: RedisServer,
    readonly prefix: string,
    private readonly o: TestClusterOptions,
  ) {}

  static async start(o: TestClusterOptions = {}): Promise<TestCluster> {
    const redis = await RedisServer.start(o.redisArgs ?? []);
    const cluster = new TestCluster(redis, `cluster-${process.pid}-${Date.now()}`, o);
    try {
      await cluster.startBackend();
      for (let i = 0; i < (o.workers ?? 1); i++) await cluster.addWorker(`w${i}`);
      for (let i = 0; i < (o.gateways ?? 3); i++) await cluster.addGateway();
    } catch (err) {
      await cluster.close();
      throw err;
    }
    return cluster;
  }

  /** Environment a gateway of this cluster is configured with (also for child processes). */
  get env(): Record<string, string> {
    return { REDIS_URL: this.redis.url, REDIS_PREFIX: this.prefix, CONFIG_FILE: this.configFile.path, HTTP_API_KEY: API_KEY };
  }

  get configPath(): string {
    return this.configFile.path;
  }

  private async startBackend(): Promise<void> {
    this.backendRedis = openRedis(this.redis.url, { role: 'worker', name: 'backend' });
    this.backendRedis.on('error', () => undefined);
    await connectRedis(this.backendRedis);
    this.backendBroker = new RedisBroker({ redis: this.backendRedis, prefix: this.prefix });
    await this.backendBroker.start({ handlePublication: () => undefined, handleJoin: () => undefined, handleLeave: () => undefined });
    const config = loadConfig({ CONFIG_FILE: this.configFile.path });
    this.publisher = new ChannelPublisher(this.backendBroker, config.channel);
  }

  async addGateway(): Promise<ClusterGateway> {
    const gw = await startClusterGateway({
      redisUrl: this.redis.url,
      prefix: this.prefix,
      nodeId: `gw${this.gateways.length}`,
      env: { CONFIG_FILE: this.configFile.path },
      pipeline: (this.o.workers ?? 1) > 0 ? 'stream' : 'direct',
      ...(this.o.presenceTtlMs !== undefined ? { presenceTtlMs: this.o.presenceTtlMs } : {}),
      ...(this.o.controlPlane === true ? { controlPlane: true } : {}),
    });
    this.gateways.push(gw);
    return gw;
  }

  async addWorker(id: string): Promise<Worker> {
    const publisher = this.publisher;
    const worker = createRedisWorker({
      id,
      redisUrl: this.redis.url,
      prefix: this.prefix,
      handler: this.o.handler ?? echoHandler,
      publisher: {
        publish: async (channel, data, opts) => {
          await publisher.publish(channel, data, opts ?? {});
        },
      },
      heartbeatMs: 200,
      deadAfterMs: 1000,
    });
    await worker.start();
    this.workers.push(worker);
    return worker;
  }

  async close(): Promise<void> {
    for (const gw of this.gateways) await gw.close().catch(() => undefined);
    for (const w of this.workers) await w.close().catch(() => undefined);
    await this.backendBroker?.close().catch(() => undefined);
    this.backendRedis?.disconnect();
    await this.redis.close();
    this.configFile.remove();
  }
}

/**
 * A load balancer for the real client: a `ws` WebSocket class that connects wherever `route.url`
 * points at the moment of each (re)connect, and keeps the sockets so a test can cut them.
 */
export class Router {
  url: string;
  readonly sockets: WebSocket[] = [];
  readonly WebSocket: typeof WebSocket;

  constructor(url: string) {
    this.url = url;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const router = this;
    this.WebSocket = class RoutedWebSocket extends WebSocket {
      constructor(_address: string, protocols?: string | string[]) {
        super(router.url, protocols);
        router.sockets.push(this);
      }
    } as typeof WebSocket;
  }

  /** Points new connections at a closed port: they are refused until `url` is set again. */
  blackhole(): void {
    this.url = `ws://127.0.0.1:1${WEBSOCKET_PATH}`;
  }

  /** Cuts every open socket without a close frame, as a lost network would. */
  cut(): void {
    for (const s of this.sockets) if (s.readyState === WebSocket.OPEN || s.readyState === WebSocket.CONNECTING) s.terminate();
  }
}

/** A gateway child process (bin/gateway.ts, or the cluster's own composition with a short presence ttl). */
export interface GatewayProcess {
  child: ChildProcess;
  wsUrl: string;
  metricsUrl: string;
  killHard(): Promise<void>;
}

const processScript = fileURLToPath(new URL('./cluster-gateway-process.ts', import.meta.url));

/** Starts test/helpers/cluster-gateway-process.ts; resolves once it listens. */
export async function spawnClusterGateway(options: Omit<ClusterGatewayOptions, 'logger'>): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', processScript, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  const ports = JSON.parse(chunk.toString()) as { wsUrl: string; metricsUrl: string };
  return {
    child,
    ...ports,
    killHard: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** One sample of a Prometheus text exposition. */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A metric family: its TYPE and samples (histograms include their _bucket/_sum/_count). */
export interface MetricFamily {
  type: string;
  samples: MetricSample[];
}

/** Parses the Prometheus text format (0.0.4) into families by name. */
export function parseExposition(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const familyOf = (sample: string): MetricFamily | undefined => {
    if (families.has(sample)) return families.get(sample);
    const base = sample.replace(/_(bucket|sum|count)$/, '');
    return families.get(base);
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type !== null) {
      families.set(type[1]!, { type: type[2]!, samples: [] });
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`unparsable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    const family = familyOf(m[1]!);
    if (family === undefined) throw new Error(`sample without TYPE: ${line}`);
    family.samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return families;
}

/** Fetches and parses `<metricsUrl>/metrics`. */
export async function scrape(metricsUrl: string): Promise<Map<string, MetricFamily>> {
  const res = await fetch(`${metricsUrl}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return parseExposition(await res.text());
}

/** POST /api/<method> with the cluster's key; resolves with the parsed JSON body. */
export async function apiCall(httpUrl: string, method: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${httpUrl}/api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
    body: JSON.stringify(body),
  });
  return (await res.json()) as Record<string, unknown>;
}

/** What a subscribed test client has seen on one channel. */
export interface WatchedSubscription {
  client: Centrifuge;
  sub: Subscription;
  router: Router;
  /** Publications in arrival order (data parsed from JSON). */
  pubs: { data: unknown; offset: number | undefined }[];
  subscribed: SubscribedContext[];
  /** `pubs.length` at each `subscribed` event (where each subscription's publications start). */
  subscribedAt: number[];
  unsubscribed: { code: number; reason: string }[];
  /** Every `subscribing` state change (code 0 for the first subscribe, e.g. 2500 when told to resubscribe). */
  subscribing: { code: number; reason: string }[];
  /** Subscription errors (e.g. a refused subscribe the client retries), as code: message. */
  errors: string[];
  /** Client ids of every connect, in order. */
  clientIds: string[];
}

/**
 * A real `centrifuge` JSON client behind a Router pointed at `url`, subscribed to `channel`;
 * resolves once subscribed.
 */
export async function watchChannel(url: string, channel: string, options: Partial<Options> = {}): Promise<WatchedSubscription> {
  const router = new Router(url);
  const client = new Centrifuge(url, {
    websocket: router.WebSocket,
    minReconnectDelay: 100,
    maxReconnectDelay: 300,
    timeout: 4000,
    ...options,
  });
  const w: WatchedSubscription = {
    client,
    sub: client.newSubscription(channel),
    router,
    pubs: [],
    subscribed: [],
    subscribedAt: [],
    unsubscribed: [],
    subscribing: [],
    errors: [],
    clientIds: [],
  };
  w.sub.on('publication', (p: PublicationContext) => w.pubs.push({ data: p.data, offset: p.offset }));
  w.sub.on('subscribed', (ctx: SubscribedContext) => {
    w.subscribed.push(ctx);
    w.subscribedAt.push(w.pubs.length);
  });
  w.sub.on('subscribing', (ctx: SubscribingContext) => w.subscribing.push({ code: ctx.code, reason: ctx.reason }));
  w.sub.on('error', (ctx: SubscriptionErrorContext) => w.errors.push(`${ctx.error.code}: ${ctx.error.message}`));
  w.sub.on('unsubscribed', (ctx: UnsubscribedContext) => w.unsubscribed.push({ code: ctx.code, reason: ctx.reason }));
  client.on('connected', (ctx: ConnectedContext) => w.clientIds.push(ctx.client));
  w.sub.subscribe();
  client.connect();
  await w.sub.ready(5000);
  return w;
}

const binScript = fileURLToPath(new URL('../../bin/gateway.ts', import.meta.url));

/** Starts the real `bin/gateway.ts` with `env` (ports 0); resolves once it logs where it listens. */
export async function spawnBinGateway(env: Record<string, string>): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', binScript], {
    env: { ...process.env, HOST: '127.0.0.1', WEBSOCKET_PORT: '0', HTTP_PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const listening = new Promise<{ websocket: number; metrics: number }>((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString();
      for (const line of buffered.split('\n')) {
        if (!line.includes('gateway listening')) continue;
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve(JSON.parse(line) as { websocket: number; metrics: number });
        return;
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`bin/gateway.ts exited with ${code} before listening`)));
  });
  const ports = await listening;
  return {
    child,
    wsUrl: `ws://127.0.0.1:${ports.websocket}${WEBSOCKET_PATH}`,
    metricsUrl: `http://127.0.0.1:${ports.metrics}`,
    killHard: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}
