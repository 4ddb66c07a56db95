/**
 * Channel rules shared by gateway and workers: which namespace a channel belongs to, whether its
 * name is acceptable, who owns a `userOwned` channel and who may join a user-limited channel.
 * Called per command, so each ChannelConfig is compiled once into a Map (cached per object).
 */

import type { ChannelConfig, ChannelOptions } from './config.js';

/** The namespace a channel resolved to (`''` for channels without namespace) and its options. */
export interface ResolvedChannel {
  namespace: string;
  options: ChannelOptions;
}

interface CompiledRules {
  readonly byNamespace: Map<string, ResolvedChannel>;
  readonly withoutNamespace: ResolvedChannel | null;
  /** null: every channel without namespace is known. */
  readonly withoutNamespaceChannels: ReadonlySet<string> | null;
}

const compiled = new WeakMap<ChannelConfig, CompiledRules>();

function rulesOf(cfg: ChannelConfig): CompiledRules {
  let rules = compiled.get(cfg);
  if (rules === undefined) {
    const byNamespace = new Map<string, ResolvedChannel>();
    for (const ns of cfg.namespaces) byNamespace.set(ns.name, { namespace: ns.name, options: ns });
    rules = {
      byNamespace,
      withoutNamespace: cfg.withoutNamespace === null ? null : { namespace: '', options: cfg.withoutNamespace },
      withoutNamespaceChannels: cfg.withoutNamespaceChannels === undefined ? null : new Set(cfg.withoutNamespaceChannels),
    };
    compiled.set(cfg, rules);
  }
  return rules;
}

/**
 * The namespace and options of `channel`, or null when the channel is unknown (reply 102).
 * The namespace is the part before the first boundary (Centrifugo's rule); the returned
 * object is shared, do not mutate it.
 */
export function resolveChannel(cfg: ChannelConfig, channel: string): ResolvedChannel | null {
  const rules = rulesOf(cfg);
  const at = channel.indexOf(cfg.namespaceBoundary);
  if (at < 0) {
    if (rules.withoutNamespaceChannels !== null && !rules.withoutNamespaceChannels.has(channel)) return null;
    return rules.withoutNamespace;
  }
  return rules.byNamespace.get(channel.slice(0, at)) ?? null;
}

// Control characters, any whitespace, format characters (zero-width spaces and joiners, bidi
// overrides and isolates, the BOM), the U+FFFD left by invalid UTF-8 and lone surrogates (a
// `\ud800` JSON escape) would make channel names ambiguous in logs, keys and UIs:
// `chat:lobby` and `chat:lobby\u200b` must not be two rooms that look the same.
const FORBIDDEN = /[\p{Cc}\p{Cf}\s\uFFFD\p{Cs}]/u;

/**
 * The channel-name policy, applied on every path a name enters by (client subscribe, publish,
 * history, presence; the server API): why `channel` is not an acceptable name, or null when it
 * is. Does not check the namespace (unknown namespaces are 102, not 107).
 */
export function validateChannelName(cfg: ChannelConfig, channel: string): string | null {
  if (channel.length === 0) return 'empty channel name';
  // UTF-16 length ≤ UTF-8 length ≤ 3 × UTF-16 length, so byteLength is only needed in between.
  if (channel.length > cfg.maxLength || (channel.length * 3 > cfg.maxLength && Buffer.byteLength(channel, 'utf8') > cfg.maxLength)) {
    return `channel name longer than ${cfg.maxLength} bytes`;
  }
  if (FORBIDDEN.test(channel)) return 'channel name contains whitespace, control, format or invalid characters';
  const at = channel.indexOf(cfg.namespaceBoundary);
  if (at >= 0 && at + cfg.namespaceBoundary.length === channel.length) return 'channel name is empty after the namespace boundary';
  return null;
}

/**
 * The user id owning `channel` (the part after the namespace boundary) when it belongs to a
 * `userOwned` namespace; null otherwise, and null for an empty suffix so that an anonymous
 * user (id `''`) never owns `user:`.
 */
export function channelOwner(cfg: ChannelConfig, channel: string): string | null {
  const resolved = resolveChannel(cfg, channel);
  if (resolved === null || !resolved.options.userOwned || resolved.namespace === '') return null;
  const owner = channel.slice(resolved.namespace.length + cfg.namespaceBoundary.length);
  return owner === '' ? null : owner;
}

/** Separates a channel from its allowed users: `dialog#42,43` (Centrifugo's user boundary). */
export const USER_BOUNDARY = '#';
/** Separates user ids after the user boundary. */
export const USER_SEPARATOR = ',';

/**
 * For namespaces with `allowUserLimitedChannels`: true when `userId` is listed after the last
 * `#` of `channel` (`dialog#42,43` admits users 42 and 43), or when the channel has no `#`.
 * An anonymous user (`''`) is never listed.
 */
export function userLimitedAllows(channel: string, userId: string): boolean {
  const at = channel.lastIndexOf(USER_BOUNDARY);
  if (at < 0) return true;
  if (userId === '') return false;
  const list = channel.slice(at + 1);
  let start = 0;
  while (start <= list.length) {
    let end = list.indexOf(USER_SEPARATOR, start);
    if (end < 0) end = list.length;
    if (end - start === userId.length && list.startsWith(userId, start)) return true;
    start = end + 1;
  }
  return false;
}
