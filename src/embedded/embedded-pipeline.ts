/**
 * Embedded mode's message pipeline: the stream pipeline on the in-memory queue and registry with
 * N workers running in this process on the same queue, publishing back through the given broker.
 */

import type { Logger } from 'pino';
import type { ChannelPublisher } from '../engine/index.js';
import type { WorkerMetrics } from '../metrics/index.js';
import { createMemoryPipeline, MemoryStreamQueue, type MessagePipeline, type StreamMessage, type SubmitOptions } from '../queue/index.js';
import { MemoryWorkerRegistry } from '../routing/index.js';
import { createWorker, type MessageHandler, type Worker } from '../worker/index.js';

type Input = Omit<StreamMessage, 'id' | 'node' | 'ts'>;

export interface EmbeddedPipelineOptions {
  nodeId: string;
  /** In-process workers (config `embeddedWorkers`); at least 1. */
  workers: number;
  handler: MessageHandler;
  /** Where workers publish (the gateway's memory broker, with the namespaces' history settings). */
  publisher: ChannelPublisher;
  logger: Logger;
  metrics?: WorkerMetrics;
  routeCacheTtlMs?: number;
}

/** Starts the workers after the pipeline and closes them (in-flight messages finish and are acknowledged) before it. */
export class EmbeddedPipeline implements MessagePipeline {
  readonly registry = new MemoryWorkerRegistry();
  /** The workers' streams (read by the admin UI). */
  readonly queue = new MemoryStreamQueue();
  readonly workers: readonly Worker[];
  private readonly pipeline: MessagePipeline;

  constructor(options: EmbeddedPipelineOptions) {
    const queue = this.queue;
    this.pipeline = createMemoryPipeline({
      nodeId: options.nodeId,
      queue,
      registry: this.registry,
      ...(options.routeCacheTtlMs === undefined ? {} : { routeCacheTtlMs: options.routeCacheTtlMs }),
    });
    const publisher = options.publisher;
    this.workers = Array.from({ length: options.workers }, (_, i) =>
      createWorker({
        id: `embedded-${i}`,
        queue,
        registry: this.registry,
        handler: options.handler,
        logger: options.logger,
        ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
        publisher: {
          publish: async (channel, data, opts) => {
            await publisher.publish(channel, data, opts ?? {});
          },
        },
      }),
    );
  }

  /** Number of workers currently registered. */
  async registeredWorkers(): Promise<number> {
    return (await this.registry.members()).length;
  }

  /** Every worker pool is served by the in-process workers (they all run the one handler). */
  submit(message: Input, options?: SubmitOptions): Promise<void> {
    return this.pipeline.submit(message, options);
  }

  rpc(message: Input, timeoutMs: number): Promise<string> {
    return this.pipeline.rpc(message, timeoutMs);
  }

  async start(): Promise<void> {
    await this.pipeline.start();
    await Promise.all(this.workers.map((w) => w.start()));
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    await this.pipeline.close();
  }
}
