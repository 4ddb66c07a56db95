/**
 * The worker runtime behind `createWorker`: registration and heartbeats, consuming its own stream,
 * taking over streams of dead workers and draining those of deregistered ones, handing them back,
 * and running the handler with retries, backoff and dead-lettering.
 */

import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { ReplyError, Errors } from '../protocol/index.js';
import { type QueueEntry, type StreamInfo, type StreamMessage, type StreamQueue, type WorkerId } from '../queue/index.js';
import type { WorkerBeat, WorkerRegistry } from '../routing/index.js';
import { ClientError } from './client-error.js';
import { StreamConsumer, type EntryOutcome } from './stream-consumer.js';
import type { Worker, WorkerContext, WorkerOptions } from './worker-types.js';
import { validateWorkerId } from '../redis/index.js';

const encoder = new TextEncoder();

function defaultBackoff(attempt: number): number {
  const base = Math.min(100 * 2 ** (attempt - 1), 5000);
  return base * (0.8 + Math.random() * 0.4);
}

/**
 * A worker over the queue and registry it is given (composed by composeRedisPipeline, or the
 * memory twins); it closes neither. {@link createRedisWorker} opens its own Redis from a URL.
 */
export function createWorker(options: WorkerOptions): Worker {
  return new StreamWorker(options);
}

class StreamWorker implements Worker {
  readonly id: WorkerId;
  private readonly o: WorkerOptions;
  private readonly logger;
  private readonly token: string;
  private readonly heartbeatMs: number;
  private readonly deadAfterMs: number;
  private readonly lockTtlMs: number;
  private readonly retireAfterMs: number;
  private readonly orphanGraceMs: number;
  private readonly maxAttempts: number;
  private readonly backoff: (attempt: number) => number;
  private readonly queue: StreamQueue;
  private readonly registry: WorkerRegistry;
  private readonly consumers = new Map<WorkerId, StreamConsumer>();
  /** Consumers being stopped (in the background: the supervision tick must keep beating meanwhile). */
  private readonly stopping = new Map<WorkerId, Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private closing = false;
  private healthySince = 0;
  /** When our own last heartbeat was written. */
  private lastBeatAt = 0;

  constructor(options: WorkerOptions) {
    this.id = validateWorkerId(options.id);
    this.o = options;
    this.queue = options.queue;
    this.registry = options.registry;
    this.logger = (options.logger ?? pino({ level: 'silent' })).child({ worker: this.id });
    this.token = `${this.id}:${randomUUID()}`;
    this.heartbeatMs = options.heartbeatMs || 250;
    this.deadAfterMs = options.deadAfterMs || 1250;
    this.lockTtlMs = options.lockTtlMs || this.deadAfterMs;
    this.retireAfterMs = options.retireAfterMs ?? 3_600_000;
    this.orphanGraceMs = options.orphanGraceMs ?? 60_000;
    this.maxAttempts = options.maxAttempts || 5;
    this.backoff = options.backoff ?? defaultBackoff;
  }

  async start(): Promise<void> {
    await this.queue.start();
    await this.registry.start();
    await this.registry.register(this.id);
    this.healthySince = Date.now();
    this.logger.info({ instance: this.token }, 'worker registered');
    await this.tick();
    this.schedule();
  }

  private schedule(): void {
    if (this.closing) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => {
        this.ticking = null;
        this.schedule();
      });
    }, this.heartbeatMs);
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.timer !== null) clearTimeout(this.timer);
    await this.ticking;
    // Deregister first so gateways stop routing here; what still arrives is drained as an orphan.
    await this.registry.deregister(this.id).catch((err: unknown) => this.logger.warn({ err }, 'deregister failed'));
    await Promise.all([...this.consumers.keys()].map((s) => this.stopConsuming(s)));
    await this.registry.close();
    this.logger.info('worker closed');
  }

  info(): Promise<StreamInfo> {
    return this.queue.streamInfo(this.id);
  }

  consumedStreams(): WorkerId[] {
    return [...this.consumers.keys()];
  }

  private async tick(): Promise<void> {
    try {
      await this.registry.heartbeat(this.id);
      const beatAt = Date.now();
      // Commands wait through a Redis outage or pause (and this process can stall) rather than fail:
      // when our own beat came that late, every other worker's beat looks stale too, so take
      // nothing over until they had `deadAfterMs` to beat again.
      if (this.lastBeatAt > 0 && beatAt - this.lastBeatAt > this.deadAfterMs) this.healthySince = beatAt;
      this.lastBeatAt = beatAt;
      await this.renewLocks();
      const [members, orphans] = await Promise.all([this.registry.members(), this.registry.orphans()]);
      if (!this.closing && !members.some((m) => m.id === this.id)) {
        // Retired by another worker while we were unreachable, or Redis lost its data.
        this.logger.warn('not in the routing set any more, registering again');
        await this.registry.register(this.id);
      }
      if (!this.closing && !this.consumers.has(this.id)) await this.tryConsume(this.id, 'own');
      if (this.o.takeover ?? true) await this.superviseOthers(members, orphans);
      if (this.healthySince === 0) this.healthySince = Date.now();
      await this.reportStreamGauges();
    } catch (err) {
      this.healthySince = 0;
      this.o.metrics?.redisErrorsTotal.inc();
      this.logger.warn({ err }, 'supervision tick failed');
    }
  }

  private async renewLocks(): Promise<void> {
    for (const stream of [...this.consumers.keys()]) {
      if (!(await this.queue.claimStream(stream, this.token, this.lockTtlMs)) && !this.stopping.has(stream)) {
        this.logger.warn({ stream }, 'stream lock lost, stopping its consumer');
        this.stopInBackground(stream);
      }
    }
  }

  private async superviseOthers(members: WorkerBeat[], orphans: WorkerBeat[]): Promise<void> {
    const now = Date.now();
    const memberBeat = new Map(members.map((m) => [m.id, m.atMs]));
    const orphanAt = new Map(orphans.map((m) => [m.id, m.atMs]));
    for (const [stream, consumer] of [...this.consumers]) {
      if (stream === this.id || this.stopping.has(stream)) continue;
      const beat = memberBeat.get(stream);
      const deregisteredAt = orphanAt.get(stream);
      if (beat !== undefined && now - beat < this.deadAfterMs) {
        this.logger.info({ stream }, 'owner is back, handing its stream back');
        this.stopInBackground(stream);
      } else if (
        deregisteredAt !== undefined &&
        now - deregisteredAt >= this.orphanGraceMs &&
        consumer.caughtUp &&
        consumer.lastEmptyReadAt > 0 &&
        (await this.queue.dropDrainedStream(stream))
      ) {
        await this.registry.forgetOrphan(stream);
        this.logger.info({ stream }, 'orphan stream drained and removed');
        this.stopInBackground(stream);
      } else if (beat === undefined && deregisteredAt === undefined) {
        this.stopInBackground(stream);
      }
    }
    if (this.closing) return;
    // Right after a Redis outage every heartbeat looks stale: let owners beat again first.
    const steady = this.healthySince > 0 && now - this.healthySince >= this.deadAfterMs;
    for (const m of members) {
      if (m.id === this.id || this.consumers.has(m.id)) continue;
      const silentMs = now - m.atMs;
      if (this.retireAfterMs > 0 && silentMs >= this.retireAfterMs) {
        this.logger.warn({ stream: m.id, silentMs }, 'retiring a worker dead for too long');
        await this.registry.deregister(m.id);
      } else if (steady && silentMs >= this.deadAfterMs) {
        await this.tryConsume(m.id, 'takeover', silentMs);
      }
    }
    for (const orphan of orphans) {
      if (orphan.id !== this.id && !this.consumers.has(orphan.id)) await this.tryConsume(orphan.id, 'orphan');
    }
  }

  private async tryConsume(stream: WorkerId, why: 'own' | 'takeover' | 'orphan', silentMs?: number): Promise<void> {
    if (this.closing || !(await this.queue.claimStream(stream, this.token, this.lockTtlMs))) return;
    if (why !== 'own') {
      this.o.metrics?.takeoversTotal.inc();
      this.logger.warn({ stream, why, silentMs }, 'taking over stream');
    }
    const consumer = new StreamConsumer({
      queue: this.queue,
      stream,
      consumer: this.id,
      holder: this.token,
      batchSize: this.o.batchSize || 100,
      concurrency: this.o.concurrency || 16,
      blockMs: this.heartbeatMs,
      trimIntervalMs: 1000,
      logger: this.logger,
      process: (entry, c) => this.process(entry, c),
      onRedisError: () => this.o.metrics?.redisErrorsTotal.inc(),
    });
    this.consumers.set(stream, consumer);
    consumer.start();
  }

  /**
   * Stops a consumer: lets its in-flight handlers finish and flushes its acknowledgements, then
   * gives the lock up if it is still ours. The lock stays renewed until then, so a stream handed
   * back is not read by its owner while this process still handles entries of it.
   */
  private stopConsuming(stream: WorkerId): Promise<void> {
    const running = this.stopping.get(stream);
    if (running !== undefined) return running;
    const consumer = this.consumers.get(stream);
    if (consumer === undefined) return Promise.resolve();
    const done = (async () => {
      await consumer.stop();
      this.consumers.delete(stream);
      await this.queue.releaseStream(stream, this.token).catch(() => undefined);
    })().finally(() => this.stopping.delete(stream));
    this.stopping.set(stream, done);
    return done;
  }

  /** {@link stopConsuming} without holding up the supervision tick (heartbeats, lock renewals) while handlers finish. */
  private stopInBackground(stream: WorkerId): void {
    this.stopConsuming(stream).catch((err: unknown) => this.logger.warn({ err, stream }, 'stopping a stream consumer failed'));
  }

  private async reportStreamGauges(): Promise<void> {
    const metrics = this.o.metrics;
    if (metrics === undefined || !this.consumers.has(this.id)) return;
    const info = await this.queue.streamInfo(this.id);
    metrics.streamLag.set({ stream: this.id }, info.lag);
    metrics.streamPending.set({ stream: this.id }, info.pending);
  }

  // Long on purpose: one attempt from decode to outcome (dead letter, verdict, retry, ack), read top to bottom.
  private async process(entry: QueueEntry, consumer: StreamConsumer): Promise<EntryOutcome> {
    const msg = entry.message;
    if (msg === null) return this.deadLetter(entry.entryId, consumer, 'undecodable stream entry', entry.deliveries);
    // A handled-mode publication: the client's publish waits for this verdict on `reply_to`.
    const verdictTo = msg.kind === 'publish' ? msg.replyTo : undefined;
    if (entry.deliveries > this.maxAttempts) {
      if (verdictTo !== undefined) await this.sendVerdict(verdictTo, msg.id, new ReplyError(Errors.internal));
      return this.deadLetter(entry.entryId, consumer, `delivered ${entry.deliveries} times without success`, entry.deliveries);
    }
    const metrics = this.o.metrics;
    for (let attempt = entry.deliveries; ; attempt++) {
      const { ctx, issued, replied } = this.handlerContext(msg, entry, consumer, attempt);
      const started = performance.now();
      try {
        const result = await this.o.handler(msg, ctx);
        if (msg.kind === 'rpc' && !replied() && msg.replyTo !== undefined) {
          await this.queue.sendReply(msg.replyTo, result === undefined ? { id: msg.id } : { id: msg.id, data: result });
        } else if (verdictTo !== undefined) {
          await this.sendVerdict(verdictTo, msg.id, null);
        }
        const durationMs = performance.now() - started;
        const latencyMs = Date.now() - msg.ts;
        metrics?.processed[msg.kind].inc();
        metrics?.processingDuration.observe(durationMs / 1000);
        metrics?.endToEndDuration.observe(Math.max(0, latencyMs) / 1000);
        this.o.onProcessed?.(msg, { latencyMs, durationMs, attempt, stream: consumer.stream });
        if (issued.length === 0) return 'ack';
        consumer.ackWhenStored(
          entry.entryId,
          Promise.all(issued).then(() => undefined),
        );
        return 'settled';
      } catch (err) {
        if (err instanceof ClientError) {
          // A refusal is the handler's answer, not a failure: final, never retried or dead-lettered.
          if (msg.kind === 'rpc' && !replied() && msg.replyTo !== undefined) await this.sendVerdict(msg.replyTo, msg.id, err);
          else if (verdictTo !== undefined) await this.sendVerdict(verdictTo, msg.id, err);
          this.logger.debug({ entryId: entry.entryId, kind: msg.kind, code: err.code }, 'handler refused the message');
          return 'ack';
        }
        metrics?.failedTotal.inc();
        const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        if (msg.kind === 'rpc') {
          // The caller waits now; a later retry would answer nobody.
          if (!replied() && msg.replyTo !== undefined) {
            const e = err instanceof ReplyError ? err : new ReplyError(Errors.internal);
            await this.queue
              .sendReply(msg.replyTo, { id: msg.id, error: { code: e.code, message: e.message, temporary: e.temporary } })
              .catch(() => undefined);
          }
          this.logger.warn({ err, entryId: entry.entryId, method: msg.method }, 'rpc handler failed');
          return 'ack';
        }
        this.logger.warn({ err, entryId: entry.entryId, channel: msg.channel, attempt }, 'handler failed');
        if (attempt >= this.maxAttempts) {
          if (verdictTo !== undefined) await this.sendVerdict(verdictTo, msg.id, new ReplyError(Errors.internal));
          return this.deadLetter(entry.entryId, consumer, text, attempt);
        }
        if (consumer.isStopping) return 'abandon';
        await sleep(this.backoff(attempt));
        if (consumer.isStopping) return 'abandon';
        metrics?.retriedTotal.inc();
      }
    }
  }

  /**
   * The handler's `ctx` for one attempt, the publishes it issued without waiting (the entry is
   * acknowledged once they are stored) and whether the handler answered an rpc itself.
   */
  private handlerContext(
    msg: StreamMessage,
    entry: QueueEntry,
    consumer: StreamConsumer,
    attempt: number,
  ): { ctx: WorkerContext; issued: Promise<void>[]; replied: () => boolean } {
    let replied = false;
    const issued: Promise<void>[] = [];
    const bytes = (data: string | Uint8Array): Uint8Array => (typeof data === 'string' ? encoder.encode(data) : data);
    const ctx: WorkerContext = {
      workerId: this.id,
      stream: consumer.stream,
      entryId: entry.entryId,
      attempt,
      publish: (channel, data, opts) => this.o.publisher.publish(channel, bytes(data), opts),
      publishNoWait: (channel, data, opts) => {
        const p = this.o.publisher.publish(channel, bytes(data), opts);
        // Handled here so a failure before the handler returns is not an unhandled rejection; awaited later.
        p.catch(() => undefined);
        issued.push(p);
      },
      publishToUser: (userId, data) => this.o.publisher.publish(`${this.o.userChannelPrefix ?? 'user:'}${userId}`, bytes(data)),
      reply: async (data: string): Promise<void> => {
        if (msg.kind !== 'rpc' || msg.replyTo === undefined) throw new TypeError('reply() is only for rpc messages');
        replied = true;
        await this.queue.sendReply(msg.replyTo, { id: msg.id, data });
      },
    };
    return { ctx, issued, replied: () => replied };
  }

  /** Answers the gateway waiting for a message: success (null) or the error; a lost answer only makes the client's wait time out. */
  private async sendVerdict(nodeId: string, id: string, error: ReplyError | null): Promise<void> {
    const reply = error === null ? { id } : { id, error: { code: error.code, message: error.message, temporary: error.temporary } };
    await this.queue.sendReply(nodeId, reply).catch((err: unknown) => this.logger.warn({ err, id }, 'verdict not sent'));
  }

  private async deadLetter(entryId: string, consumer: StreamConsumer, error: string, attempts: number): Promise<EntryOutcome> {
    for (let i = 0; ; i++) {
      try {
        await this.queue.moveToDeadLetter(consumer.stream, entryId, error, attempts);
        this.o.metrics?.deadLetteredTotal.inc();
        this.logger.error({ entryId, stream: consumer.stream, attempts, error }, 'message moved to dead-letter stream');
        return 'settled';
      } catch (err) {
        this.o.metrics?.redisErrorsTotal.inc();
        if (consumer.isStopping) return 'abandon';
        this.logger.warn({ err, entryId }, 'dead-lettering failed, retrying');
        await sleep(Math.min(100 * 2 ** i, 2000));
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
