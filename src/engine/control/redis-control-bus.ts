/**
 * ControlBus over one Redis pub/sub channel under the prefix: every node subscribes on a dedicated
 * connection and resubscribes after a connection loss; commands are PUBLISHed as JSON.
 */

import type { Logger } from 'pino';
import { PubSubSubscriber } from '../redis/pubsub-subscriber.js';
import { duplicateConnection, RedisKeys, type RedisConnection } from '../../redis/index.js';
import { decodeControlCommand, encodeControlCommand, type ControlBus, type ControlCommand, type ControlHandler } from './control-bus.js';

export interface RedisControlBusOptions {
  /** Connection (standalone or Cluster) for PUBLISH; may be shared; never closed by the bus. */
  redis: RedisConnection;
  /**
   * Dedicated connection for SUBSCRIBE, used by nothing else; not closed by the bus.
   * Omitted: `redis.duplicate()` is created in `start()` and closed in `close()`.
   */
  subscriber?: RedisConnection;
  /** Prefix of every key and pub/sub channel; must not contain `{` or `}`. */
  prefix: string;
  /** Receives connection errors, malformed commands and handler exceptions; omitted: dropped. */
  logger?: Logger;
}

export class RedisControlBus implements ControlBus {
  private readonly redis: RedisConnection;
  private readonly givenSubscriber: RedisConnection | undefined;
  private readonly channel: string;
  private readonly logger: Logger | undefined;
  private subscriberConn: RedisConnection | null = null;
  private subscriber: PubSubSubscriber | null = null;

  constructor(options: RedisControlBusOptions) {
    this.redis = options.redis;
    this.givenSubscriber = options.subscriber;
    this.channel = new RedisKeys(options.prefix).controlChannel();
    this.logger = options.logger;
  }

  async start(handler: ControlHandler): Promise<void> {
    if (this.subscriber !== null) throw new Error('RedisControlBus already started');
    const conn = this.givenSubscriber ?? duplicateConnection(this.redis);
    this.subscriberConn = conn;
    this.subscriber = new PubSubSubscriber(conn, false, {
      message: (redisChannel, message) => {
        if (redisChannel === this.channel) this.dispatch(handler, message);
      },
      restored: () => this.logger?.info('control bus connection restored; resubscribed'),
      error: (err) => this.logger?.warn({ err }, 'control bus connection error'),
    });
    await this.subscriber.subscribe(this.channel);
  }

  async send(command: ControlCommand): Promise<void> {
    await this.redis.publish(this.channel, Buffer.from(encodeControlCommand(command)));
  }

  async close(): Promise<void> {
    this.subscriber?.detach();
    this.subscriber = null;
    const conn = this.subscriberConn;
    this.subscriberConn = null;
    if (conn !== null && this.givenSubscriber === undefined) {
      try {
        await conn.quit();
      } catch {
        conn.disconnect();
      }
    }
  }

  private dispatch(handler: ControlHandler, message: Buffer): void {
    const command = decodeControlCommand(message.toString('utf8'));
    if (command === null) {
      this.logger?.warn({ bytes: message.length }, 'ignored unknown or malformed control command');
      return;
    }
    try {
      handler(command);
    } catch (err) {
      this.logger?.error({ err, command: command.type }, 'control command handling failed');
    }
  }
}
