export type * from './config.js';
export { loadConfig } from './load-config.js';
export type { Env, LoadConfigOptions } from './load-config.js';
export { ConfigError } from './config-error.js';
export { readDotEnv } from './read-dot-env.js';
export { parseDuration, MAX_DURATION_MS } from './parse-duration.js';
export { defaultChannelConfig, EMPTY_CHANNEL_OPTIONS, DEFAULT_CHANNEL_MAX_LENGTH, DEFAULT_NAMESPACE_BOUNDARY } from './default-channels.js';
export { resolveChannel, validateChannelName, channelOwner, userLimitedAllows, USER_BOUNDARY, USER_SEPARATOR } from './channel-rules.js';
export type { ResolvedChannel } from './channel-rules.js';
