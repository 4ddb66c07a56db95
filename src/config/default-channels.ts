/** The built-in channel rules used when no CONFIG_FILE sets `channel`: `chat`, `chat:*` and `user:{userId}`. */

import type { ChannelConfig, ChannelOptions, Namespace } from './config.js';

/** Centrifugo's defaults for a namespace: nothing enabled, nothing allowed. */
export const EMPTY_CHANNEL_OPTIONS: Readonly<ChannelOptions> = Object.freeze({
  historySize: 0,
  historyTtlMs: 0,
  historyMetaTtlMs: 0,
  forceRecovery: false,
  forcePositioning: false,
  presence: false,
  joinLeave: false,
  forcePushJoinLeave: false,
  allowSubscribeForClient: false,
  allowPublishForClient: false,
  allowPublishForSubscriber: false,
  allowHistoryForSubscriber: false,
  allowPresenceForSubscriber: false,
  allowUserLimitedChannels: false,
  userOwned: false,
  subscribeProxyEnabled: false,
  publishProxyEnabled: false,
  subRefreshProxyEnabled: false,
  publishMode: 'append',
  publishTimeoutMs: 0,
  publishData: 'any',
  workerPool: 'default',
});

/** The worker pool of namespaces that do not name one (and of workers without WORKER_POOL). */
export const DEFAULT_WORKER_POOL = 'default';

export const DEFAULT_NAMESPACE_BOUNDARY = ':';
/** Centrifugo's default `channel.max_length`. */
export const DEFAULT_CHANNEL_MAX_LENGTH = 255;
/** Centrifugo's default `channel.history_meta_ttl`: 720h. */
export const DEFAULT_HISTORY_META_TTL_MS = 720 * 3600 * 1000;
/** Longest `history_meta_ttl` accepted: 10 years (it is a Redis PEXPIRE and a timestamp, never a timer). */
export const MAX_HISTORY_META_TTL_MS = 10 * 365 * 24 * 3600 * 1000;

/** Fills every namespace's unset (0) `historyMetaTtlMs` with the channel-level value, in place. */
export function applyHistoryMetaTtl(cfg: ChannelConfig): void {
  const fill = (o: ChannelOptions): void => {
    if (o.historyMetaTtlMs === 0) o.historyMetaTtlMs = cfg.historyMetaTtlMs;
  };
  if (cfg.withoutNamespace !== null) fill(cfg.withoutNamespace);
  for (const ns of cfg.namespaces) fill(ns);
}

/** Every connected user may subscribe, publish, read history and presence; recovery forced. */
const CHAT: ChannelOptions = {
  ...EMPTY_CHANNEL_OPTIONS,
  historySize: 100,
  historyTtlMs: 5 * 60_000,
  forceRecovery: true,
  presence: true,
  joinLeave: true,
  allowSubscribeForClient: true,
  allowPublishForClient: true,
  allowPublishForSubscriber: true,
  allowHistoryForSubscriber: true,
  allowPresenceForSubscriber: true,
  publishData: 'text',
};

/** `user:{userId}`: only that user may subscribe and publish; no history, no presence. */
const USER: ChannelOptions = {
  ...EMPTY_CHANNEL_OPTIONS,
  allowSubscribeForClient: true,
  allowPublishForClient: true,
  allowPublishForSubscriber: true,
  userOwned: true,
  publishData: 'text',
};

/** A fresh (unfrozen) copy of the built-in rules. */
export function defaultChannelConfig(): ChannelConfig {
  const namespaces: Namespace[] = [
    { name: 'chat', ...CHAT },
    { name: 'user', ...USER },
  ];
  return {
    withoutNamespace: { ...CHAT },
    withoutNamespaceChannels: ['chat'],
    namespaces,
    namespaceBoundary: DEFAULT_NAMESPACE_BOUNDARY,
    maxLength: DEFAULT_CHANNEL_MAX_LENGTH,
    historyMetaTtlMs: DEFAULT_HISTORY_META_TTL_MS,
  };
}
