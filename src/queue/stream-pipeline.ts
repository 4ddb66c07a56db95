/**
 * The gateway's {@link MessagePipeline}: routes each message's channel to its worker (sticky,
 * rendezvous hashing) and appends it to that worker's stream; rpc replies come back addressed to
 * this node. `createRedisPipeline` and `createMemoryPipeline` build it on either queue twin.
 */

import { randomUUID } from 'node:crypto';
import type { Counter } from 'prom-client';
import { Errors, ReplyError } from '../protocol/index.js';
import { ChannelRouter, MemoryWorkerRegistry, NoWorkersError, type WorkerRegistry } from '../routing/index.js';
import { MemoryStreamQueue } from './memory-stream-queue.js';
import type { MessagePipeline, StreamMessage, SubmitOptions, WorkerId } from './message.js';
import { PipelineError } from './pipeline-error.js';
import { connectRedis, defaultPool, openRedisConnection, type PoolName, type RedisSentinelTarget } from '../redis/index.js';
import { composeRedisPipeline } from './compose-redis-pipeline.js';
import { DeadlineSweep } from './deadline-sweep.js';
import type { RpcReply, StreamQueue } from './stream-queue.js';

export type PipelineInput = Omit<StreamMessage, 'id' | 'node' | 'ts'>;

export interface StreamPipelineOptions {
  queue: StreamQueue;
  /** The default worker pool's routing set. */
  registry: WorkerRegistry;
  /**
   * The other worker pools messages may be routed to (namespace option `worker_pool`), each with its
   * routing set. Omitted: one pool, every message goes to `registry`'s workers whatever its pool
   * (embedded mode). Given: a message for a pool not listed here is refused as having no workers.
   */
  pools?: ReadonlyMap<PoolName, WorkerRegistry>;
  /** This gateway's node id: written to every entry, and where rpc replies are addressed. */
  nodeId: string;
  routeCacheTtlMs: number;
  /** Max time `submit` waits for the queue to accept, ms; 0/omitted: 2000. */
  submitTimeoutMs?: number;
  /** Optional `gateway_route_cache_total{result}`. */
  routeCacheCounter?: Counter<'result'>;
  /** Run before anything else on start (e.g. connecting connections the pipeline owns). */
  onStart?: () => Promise<void>;
  /** Run after everything else on close (e.g. closing connections the pipeline owns). */
  onClose?: () => Promise<void>;
}

/** A reply error from the wire keeps its code when it is one a reply may carry (100-1999), else becomes internal. */
function replyErrorOf(e: { code: number; message: string; temporary?: boolean }): ReplyError {
  const known = Number.isInteger(e.code) && e.code >= 100 && e.code <= 1999 && typeof e.message === 'string';
  return known ? new ReplyError({ code: e.code, message: e.message, temporary: e.temporary === true }) : new ReplyError(Errors.internal);
}

interface PendingRpc {
  resolve: (data: string) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class StreamPipeline implements MessagePipeline {
  readonly queue: StreamQueue;
  readonly registry: WorkerRegistry;
  /** The default pool's router. */
  readonly router: ChannelRouter;
  /** Routers of the other pools; null: every pool routes with {@link router}. */
  private readonly poolRouters: Map<PoolName, ChannelRouter> | null;
  private readonly poolRegistries: WorkerRegistry[];
  readonly nodeId: string;
  private readonly submitTimeoutMs: number;
  private readonly onStart: (() => Promise<void>) | undefined;
  private readonly onClose: (() => Promise<void>) | undefined;
  private readonly rpcs = new Map<string, PendingRpc>();
  private readonly deadlines: DeadlineSweep;
  private unsubscribeReplies: (() => Promise<void>) | null = null;
  private closed = false;

  constructor(options: StreamPipelineOptions) {
    this.queue = options.queue;
    this.registry = options.registry;
    this.nodeId = options.nodeId;
    this.submitTimeoutMs = options.submitTimeoutMs || 2000;
    this.deadlines = new DeadlineSweep(this.submitTimeoutMs);
    this.onStart = options.onStart;
    this.onClose = options.onClose;
    const routerOf = (registry: WorkerRegistry): ChannelRouter =>
      new ChannelRouter({
        registry,
        cacheTtlMs: options.routeCacheTtlMs,
        ...(options.routeCacheCounter === undefined ? {} : { cacheCounter: options.routeCacheCounter }),
      });
    this.router = routerOf(options.registry);
    this.poolRouters =
      options.pools === undefined
        ? null
        : new Map([...options.pools].filter(([pool]) => pool !== defaultPool).map(([pool, registry]) => [pool, routerOf(registry)]));
    this.poolRegistries = [...(options.pools ?? [])].filter(([pool]) => pool !== defaultPool).map(([, registry]) => registry);
  }

  /** The router of `pool`; undefined when the pool is not one this pipeline routes to. */
  private routerFor(pool: PoolName | undefined): ChannelRouter | undefined {
    if (pool === undefined || pool === defaultPool || this.poolRouters === null) return this.router;
    return this.poolRouters.get(pool);
  }

  async start(): Promise<void> {
    await this.onStart?.();
    await this.queue.start();
    await this.registry.start();
    await this.router.start();
    for (const registry of this.poolRegistries) await registry.start();
    for (const router of this.poolRouters?.values() ?? []) await router.start();
    this.unsubscribeReplies = await this.queue.subscribeReplies(this.nodeId, (reply) => this.handleReply(reply));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.deadlines.close();
    for (const [id, rpc] of this.rpcs) {
      clearTimeout(rpc.timer);
      rpc.reject(new PipelineError('closed', 'pipeline closed'));
      this.rpcs.delete(id);
    }
    await this.unsubscribeReplies?.();
    await this.router.close();
    for (const router of this.poolRouters?.values() ?? []) await router.close();
    await this.registry.close();
    for (const registry of this.poolRegistries) await registry.close();
    await this.queue.close();
    await this.onClose?.();
  }

  submit(message: PipelineInput, options?: SubmitOptions): Promise<void> {
    const full = this.stamp(message);
    if (options?.verdictTimeoutMs === undefined) return this.append(full, options?.pool);
    full.replyTo = this.nodeId;
    return this.awaitReply(
      full,
      options.verdictTimeoutMs,
      options.pool,
      () =>
        new PipelineError(
          'verdict_timeout',
          `publish not handled within ${options.verdictTimeoutMs} ms; it stays queued and will still be handled (message id ${full.id})`,
        ),
    ).then(() => undefined);
  }

  /** The message with its id, node and accept time (built field by field: object spread is slow on this path). */
  private stamp(m: PipelineInput): StreamMessage {
    const full: StreamMessage = {
      id: randomUUID(),
      kind: m.kind,
      channel: m.channel,
      data: m.data,
      user: m.user,
      client: m.client,
      node: this.nodeId,
      ts: Date.now(),
    };
    if (m.connInfo !== undefined) full.connInfo = m.connInfo;
    if (m.method !== undefined) full.method = m.method;
    if (m.replyTo !== undefined) full.replyTo = m.replyTo;
    if (m.dataEncoding !== undefined) full.dataEncoding = m.dataEncoding;
    return full;
  }

  /** Like `submit` in append mode, and resolves with the full message as appended (its id and timestamp). */
  async submitMessage(message: PipelineInput, options?: Pick<SubmitOptions, 'pool'>): Promise<StreamMessage> {
    const full = this.stamp(message);
    await this.append(full, options?.pool);
    return full;
  }

  rpc(message: PipelineInput, timeoutMs: number): Promise<string> {
    const full: StreamMessage = { ...message, kind: 'rpc', id: randomUUID(), node: this.nodeId, ts: Date.now(), replyTo: this.nodeId };
    return this.awaitReply(full, timeoutMs, undefined, () => new PipelineError('rpc_timeout', `rpc not answered within ${timeoutMs} ms`));
  }

  /** Appends a message carrying `reply_to` and resolves with the worker's reply (rejects with its error, or on timeout). */
  private async awaitReply(full: StreamMessage, timeoutMs: number, pool: PoolName | undefined, timeoutError: () => Error): Promise<string> {
    const answer = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.rpcs.delete(full.id);
        reject(timeoutError());
      }, timeoutMs);
      this.rpcs.set(full.id, { resolve, reject, timer });
    });
    try {
      await this.append(full, pool);
    } catch (err) {
      const rpc = this.rpcs.get(full.id);
      this.rpcs.delete(full.id);
      if (rpc !== undefined) clearTimeout(rpc.timer);
      answer.catch(() => undefined);
      throw err;
    }
    return answer;
  }

  /**
   * Issues the append synchronously when the route is cached, so appends leave in call order (a
   * connection's publishes keep their order in the stream without waiting for each other).
   */
  private append(message: StreamMessage, pool?: PoolName): Promise<void> {
    if (this.closed) return Promise.reject(new PipelineError('closed', 'pipeline closed'));
    const router = this.routerFor(pool);
    if (router === undefined) return Promise.reject(new PipelineError('no_workers', `no worker pool ${JSON.stringify(pool)} configured`));
    const worker = router.cachedRoute(message.channel);
    if (worker !== undefined) return this.appendTo(worker, message);
    return router.route(message.channel).then(
      (w) => this.appendTo(w, message),
      (err: unknown) => {
        if (err instanceof NoWorkersError) throw new PipelineError('no_workers', 'no worker registered', { cause: err });
        throw new PipelineError('unavailable', 'message pipeline unavailable', { cause: err });
      },
    );
  }

  private appendTo(worker: WorkerId, message: StreamMessage): Promise<void> {
    return this.deadlines.guard(this.queue.appendMessage(worker, message)).then(
      () => undefined,
      (err: unknown) => {
        throw new PipelineError('unavailable', 'message pipeline unavailable', { cause: err });
      },
    );
  }

  private handleReply(reply: RpcReply): void {
    const rpc = this.rpcs.get(reply.id);
    if (rpc === undefined) return;
    this.rpcs.delete(reply.id);
    clearTimeout(rpc.timer);
    if (reply.error !== undefined) {
      rpc.reject(replyErrorOf(reply.error));
    } else {
      rpc.resolve(reply.data ?? '');
    }
  }
}

export interface RedisPipelineOptions {
  /** Ignored with `redisSentinel`. */
  redisUrl: string;
  /** Reach Redis through Sentinel (config `redisSentinel`); omitted: `redisUrl`. */
  redisSentinel?: RedisSentinelTarget;
  /** Key prefix (config `redisPrefix`). */
  prefix: string;
  /** Hash-tag worker ids in keys (Redis Cluster). */
  hashTags?: boolean;
  nodeId: string;
  routeCacheTtlMs: number;
  submitTimeoutMs?: number;
  /** Producer-side `XADD MAXLEN ~`; 0/omitted: none (see RedisStreamQueueOptions.maxLen). */
  maxLen?: number;
  routeCacheCounter?: Counter<'result'>;
  /** Worker pools to route to besides the default one (namespace option `worker_pool`). */
  pools?: readonly PoolName[];
}

/** A pipeline on Redis owning its producer connection (auto-pipelined, fails fast while Redis is down). */
export function createRedisPipeline(options: RedisPipelineOptions): StreamPipeline {
  const target = options.redisSentinel === undefined ? { url: options.redisUrl } : { url: '', sentinel: options.redisSentinel };
  const redis = openRedisConnection(target, {
    role: 'producer',
    commandTimeoutMs: options.submitTimeoutMs ?? 2000,
    name: `gateway:${options.nodeId}`,
  });
  redis.on('error', () => {});
  const { queue, registry, pools } = composeRedisPipeline({
    redis,
    prefix: options.prefix,
    hashTags: options.hashTags ?? false,
    pools: options.pools ?? [],
    ...(options.maxLen === undefined ? {} : { maxLen: options.maxLen }),
  });
  return new StreamPipeline({
    queue,
    registry,
    pools,
    nodeId: options.nodeId,
    routeCacheTtlMs: options.routeCacheTtlMs,
    ...(options.submitTimeoutMs === undefined ? {} : { submitTimeoutMs: options.submitTimeoutMs }),
    ...(options.routeCacheCounter === undefined ? {} : { routeCacheCounter: options.routeCacheCounter }),
    onStart: async () => {
      await connectRedis(redis);
    },
    onClose: async () => {
      redis.disconnect();
    },
  });
}

export interface MemoryPipelineOptions {
  nodeId: string;
  /** Shared with in-process workers; created when omitted. */
  queue?: MemoryStreamQueue;
  registry?: MemoryWorkerRegistry;
  routeCacheTtlMs?: number;
}

/** Embedded mode: a pipeline on the in-memory twins; give `pipeline.queue`/`registry` to `createWorker`. */
export function createMemoryPipeline(options: MemoryPipelineOptions): StreamPipeline {
  return new StreamPipeline({
    queue: options.queue ?? new MemoryStreamQueue(),
    registry: options.registry ?? new MemoryWorkerRegistry(),
    nodeId: options.nodeId,
    routeCacheTtlMs: options.routeCacheTtlMs ?? 30_000,
  });
}
