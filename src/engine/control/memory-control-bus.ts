/** ControlBus for one process: buses sharing a MemoryControlNetwork receive each other's commands. */

import type { Logger } from 'pino';
import type { ControlBus, ControlCommand, ControlHandler } from './control-bus.js';

/** The shared medium of memory buses (stands for the Redis pub/sub channel). */
export class MemoryControlNetwork {
  readonly handlers = new Set<ControlHandler>();
}

export interface MemoryControlBusOptions {
  /** Omitted: a private network (the bus only reaches itself). */
  network?: MemoryControlNetwork;
  /** Receives handler exceptions; omitted: they are dropped. */
  logger?: Logger;
}

export class MemoryControlBus implements ControlBus {
  private readonly network: MemoryControlNetwork;
  private readonly logger: Logger | undefined;
  private handler: ControlHandler | null = null;

  constructor(options: MemoryControlBusOptions = {}) {
    this.network = options.network ?? new MemoryControlNetwork();
    this.logger = options.logger;
  }

  async start(handler: ControlHandler): Promise<void> {
    if (this.handler !== null) throw new Error('MemoryControlBus already started');
    const guarded: ControlHandler = (command) => {
      try {
        handler(command);
      } catch (err) {
        this.logger?.error({ err, command: command.type }, 'control command handling failed');
      }
    };
    this.handler = guarded;
    this.network.handlers.add(guarded);
  }

  async send(command: ControlCommand): Promise<void> {
    // Copied so that no receiver shares (or mutates) the sender's object, as over Redis.
    const frozen = Object.freeze({ ...command });
    // Delivered after the caller resumes, as over Redis.
    await Promise.resolve();
    for (const handler of [...this.network.handlers]) handler(frozen);
  }

  async close(): Promise<void> {
    if (this.handler !== null) this.network.handlers.delete(this.handler);
    this.handler = null;
  }
}
