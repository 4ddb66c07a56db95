/**
 * Commands sent to every gateway node at once (disconnect a user, unsubscribe a user from a
 * channel), with memory and Redis twins. Delivery is at most once: a node whose bus connection is
 * down while a command is sent does not receive it.
 */

import type { ChannelName, ClientId, UserId } from '../../protocol/index.js';

/** Disconnect a user's connections on every node (only the one client when `client` is set). */
export interface DisconnectCommand {
  type: 'disconnect';
  user: UserId;
  /** WebSocket close code, 3000-4999. */
  code: number;
  /** Plain text of at most 123 bytes. */
  reason: string;
  /** Omitted: every connection of the user. */
  client?: ClientId;
}

/** Unsubscribe a user from a channel on every node (only the one client when `client` is set). */
export interface UnsubscribeCommand {
  type: 'unsubscribe';
  user: UserId;
  channel: ChannelName;
  /** Omitted: every connection of the user. */
  client?: ClientId;
}

/**
 * An `/emulation` request that reached another gateway than the one holding its session: only
 * the node named `node` applies it.
 */
export interface EmulationCommand {
  type: 'emulation';
  node: string;
  session: string;
  /** The command frame, base64. */
  data: string;
}

/** Subscribe a user's connections to a channel on every node (server API `subscribe`). */
export interface SubscribeCommand {
  type: 'subscribe';
  user: UserId;
  channel: ChannelName;
  client?: ClientId;
  /** Channel info (ClientInfo `chan_info`), base64. */
  info?: string;
  /** Subscribe push `data`, base64. */
  data?: string;
  /** Namespace options replaced for this subscription (server API `override`). */
  override?: SubscriptionOverrideFlags;
  /** Recover publications after this position (server API `recover_since`). */
  recoverSince?: { offset: number; epoch: string };
}

/** The namespace options an `override` may replace, each true or false. */
export interface SubscriptionOverrideFlags {
  presence?: boolean;
  joinLeave?: boolean;
  forcePushJoinLeave?: boolean;
  forceRecovery?: boolean;
  forcePositioning?: boolean;
}

const OVERRIDE_FLAGS = ['presence', 'joinLeave', 'forcePushJoinLeave', 'forceRecovery', 'forcePositioning'] as const;

function decodeOverride(value: unknown): SubscriptionOverrideFlags | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const out: SubscriptionOverrideFlags = {};
  for (const flag of OVERRIDE_FLAGS) {
    const v = (value as Record<string, unknown>)[flag];
    if (v === undefined) continue;
    if (typeof v !== 'boolean') return null;
    out[flag] = v;
  }
  return out;
}

/** Change the expiry of a user's connections on every node (server API `refresh`). */
export interface RefreshCommand {
  type: 'refresh';
  user: UserId;
  client?: ClientId;
  /** Close the connections as expired (3005). */
  expired?: boolean;
  /** New expiry, Unix seconds; 0 or omitted: never expires. */
  expireAt?: number;
  /** New connection info, base64. */
  info?: string;
}

/** Asks every node for its channels with subscribers (server API `channels`). */
export interface ChannelsRequestCommand {
  type: 'channels-request';
  requestId: string;
  /** Node that waits for the replies. */
  from: string;
}

/** One node's answer to a ChannelsRequestCommand: subscribed connections per channel. */
export interface ChannelsReplyCommand {
  type: 'channels-reply';
  requestId: string;
  /** The requesting node. */
  to: string;
  /** The answering node. */
  node: string;
  channels: Record<ChannelName, number>;
}

export type ControlCommand =
  | DisconnectCommand
  | UnsubscribeCommand
  | SubscribeCommand
  | RefreshCommand
  | ChannelsRequestCommand
  | ChannelsReplyCommand
  | EmulationCommand;

/** Called for every command received, the node's own included; exceptions are logged, not rethrown. */
export type ControlHandler = (command: ControlCommand) => void;

export interface ControlBus {
  /** Starts receiving commands. */
  start(handler: ControlHandler): Promise<void>;
  /** Sends a command to every started node (this one included). */
  send(command: ControlCommand): Promise<void>;
  close(): Promise<void>;
}

const encoder = new TextEncoder();

/** Wire form of a command: one JSON object. */
export function encodeControlCommand(command: ControlCommand): Uint8Array {
  return encoder.encode(JSON.stringify(command));
}

/**
 * Narrows a received message to a known command; null for malformed messages and for command
 * types this node does not know (sent by a newer node), which are ignored.
 * Long on purpose: a flat table of the command types and the fields each must carry.
 */
export function decodeControlCommand(message: string): ControlCommand | null {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (v.type === 'emulation') {
    if (typeof v.node !== 'string' || typeof v.session !== 'string' || typeof v.data !== 'string') return null;
    return { type: 'emulation', node: v.node, session: v.session, data: v.data };
  }
  if (v.type === 'channels-request') {
    return typeof v.requestId === 'string' && typeof v.from === 'string'
      ? { type: 'channels-request', requestId: v.requestId, from: v.from }
      : null;
  }
  if (v.type === 'channels-reply') {
    if (typeof v.requestId !== 'string' || typeof v.to !== 'string' || typeof v.node !== 'string') return null;
    if (typeof v.channels !== 'object' || v.channels === null || Array.isArray(v.channels)) return null;
    const channels: Record<ChannelName, number> = {};
    for (const [name, n] of Object.entries(v.channels as Record<string, unknown>)) {
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) return null;
      channels[name] = n;
    }
    return { type: 'channels-reply', requestId: v.requestId, to: v.to, node: v.node, channels };
  }
  if (typeof v.user !== 'string') return null;
  if (v.client !== undefined && typeof v.client !== 'string') return null;
  const client = typeof v.client === 'string' ? { client: v.client } : {};
  if (v.type === 'disconnect') {
    if (typeof v.code !== 'number' || !Number.isInteger(v.code) || typeof v.reason !== 'string') return null;
    return { type: 'disconnect', user: v.user, code: v.code, reason: v.reason, ...client };
  }
  if (v.type === 'unsubscribe') {
    if (typeof v.channel !== 'string') return null;
    return { type: 'unsubscribe', user: v.user, channel: v.channel, ...client };
  }
  const text = (name: string): Record<string, string> => (typeof v[name] === 'string' ? { [name]: v[name] } : {});
  if (v.type === 'subscribe') {
    if (typeof v.channel !== 'string') return null;
    const override = v.override === undefined ? undefined : decodeOverride(v.override);
    if (override === null) return null;
    const since = v.recoverSince as Record<string, unknown> | undefined;
    if (
      since !== undefined &&
      (typeof since !== 'object' || since === null || typeof since.offset !== 'number' || typeof since.epoch !== 'string')
    )
      return null;
    return {
      type: 'subscribe',
      user: v.user,
      channel: v.channel,
      ...client,
      ...text('info'),
      ...text('data'),
      ...(override !== undefined ? { override } : {}),
      ...(since !== undefined ? { recoverSince: { offset: since.offset as number, epoch: since.epoch as string } } : {}),
    };
  }
  if (v.type === 'refresh') {
    const expireAt = typeof v.expireAt === 'number' && Number.isFinite(v.expireAt) ? { expireAt: v.expireAt } : {};
    return { type: 'refresh', user: v.user, ...client, ...(v.expired === true ? { expired: true } : {}), ...expireAt, ...text('info') };
  }
  return null;
}
