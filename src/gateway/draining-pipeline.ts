/**
 * A MessagePipeline wrapper that counts calls in flight, so a shutting-down gateway can refuse new
 * client messages and wait until every accepted one has been appended and answered.
 */

import { PipelineError, type MessagePipeline, type StreamMessage, type SubmitOptions } from '../queue/index.js';

type Input = Omit<StreamMessage, 'id' | 'node' | 'ts'>;

export class DrainingPipeline implements MessagePipeline {
  private inFlight = 0;
  private draining = false;
  private idle: (() => void) | null = null;

  constructor(private readonly inner: MessagePipeline) {}

  /** Calls started and not yet settled. */
  get pending(): number {
    return this.inFlight;
  }

  submit(message: Input, options?: SubmitOptions): Promise<void> {
    return this.track(() => this.inner.submit(message, options));
  }

  rpc(message: Input, timeoutMs: number): Promise<string> {
    return this.track(() => this.inner.rpc(message, timeoutMs));
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /**
   * Refuses new calls from now on (temporary error: the client retries elsewhere) and resolves
   * true once every call in flight has settled, or false when `deadline` (Unix ms) passes first.
   */
  async drain(deadline: number): Promise<boolean> {
    this.draining = true;
    if (this.inFlight === 0) return true;
    const settled = new Promise<boolean>((resolve) => {
      this.idle = () => resolve(true);
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
    });
    try {
      return await Promise.race([settled, timedOut]);
    } finally {
      clearTimeout(timer);
      this.idle = null;
    }
  }

  private track<T>(call: () => Promise<T>): Promise<T> {
    if (this.draining) return Promise.reject(new PipelineError('closed', 'gateway shutting down; reconnect and retry'));
    this.inFlight++;
    let result: Promise<T>;
    try {
      result = call();
    } catch (err) {
      this.settled();
      return Promise.reject(err);
    }
    return result.finally(() => this.settled());
  }

  private settled(): void {
    this.inFlight--;
    if (this.inFlight === 0) this.idle?.();
  }
}
