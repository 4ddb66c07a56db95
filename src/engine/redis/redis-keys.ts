/**
 * Every Redis key and pub/sub channel name the engine uses. All names of one channel share a Redis
 * Cluster hash tag `{<escaped channel>}`, so a channel's scripts touch a single slot.
 */

import type { ChannelName } from '../../protocol/index.js';

/**
 * The channel as a hash tag body: `%`, `{` and `}` are percent-escaped, so the tag cannot end early
 * and two channels never share a tag. The empty channel becomes `%` (an empty tag would disable tagging).
 */
export function channelTag(channel: ChannelName): string {
  if (channel === '') return '%';
  // Most names have none of the three characters: skip the regex (three keys are built per publication).
  if (channel.indexOf('%') === -1 && channel.indexOf('{') === -1 && channel.indexOf('}') === -1) return channel;
  return channel.replace(/[%{}]/g, (c) => (c === '%' ? '%25' : c === '{' ? '%7B' : '%7D'));
}

/** Key names under one prefix (which must not contain braces, or it would capture the hash tag). */
export class RedisKeys {
  readonly prefix: string;
  /** The prefix with its `:` separator; '' for the empty prefix (keys are then `history:...`). */
  private readonly base: string;

  constructor(prefix: string) {
    if (/[{}]/.test(prefix)) throw new Error(`Redis prefix must not contain "{" or "}": ${prefix}`);
    this.prefix = prefix;
    this.base = prefix === '' ? '' : `${prefix}:`;
  }

  /** Stream of a channel's kept publications; entry id `<offset>-0`, field `d`. */
  historyStream(channel: ChannelName): string {
    return `${this.base}history:{${channelTag(channel)}}:stream`;
  }

  /** Hash with the channel's top offset (`s`) and epoch (`e`). */
  historyMeta(channel: ChannelName): string {
    return `${this.base}history:{${channelTag(channel)}}:meta`;
  }

  /** Pub/sub channel carrying the channel's publications, joins and leaves to every gateway. */
  pubsubChannel(channel: ChannelName): string {
    return `${this.base}pubsub:{${channelTag(channel)}}`;
  }

  /** Presence keys of a channel, in the order the presence scripts take them. */
  presenceKeys(channel: ChannelName): [info: string, expiry: string, userOfClient: string, userCount: string] {
    const base = `${this.base}presence:{${channelTag(channel)}}`;
    return [`${base}:info`, `${base}:expiry`, `${base}:client-user`, `${base}:user-count`];
  }

  /** Result of one server API call with an idempotency key on a channel (the key follows the tag, so it cannot reach another channel). */
  idempotencyKey(channel: ChannelName, key: string): string {
    return `${this.prefix}:idempotency:{${channelTag(channel)}}:${key}`;
  }

  /** Pub/sub channel carrying control commands (disconnect, unsubscribe) to every gateway node. */
  controlChannel(): string {
    return `${this.base}control`;
  }

  /** Node registry keys (one hash tag): hash nodeId -> info JSON, zset nodeId -> expiry (Redis time, ms). */
  nodeKeys(): [info: string, expiry: string] {
    return [`${this.base}{nodes}:info`, `${this.base}{nodes}:expiry`];
  }
}
