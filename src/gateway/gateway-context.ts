/** What every connection of a gateway shares: configuration, engine parts, the hub and counters. */

import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { Broker, PresenceManager } from '../engine/index.js';
import type { GatewayMetrics } from '../metrics/index.js';
import type { MessagePipeline } from '../queue/index.js';
import type { TokenVerifier } from './auth/index.js';
import type { ConnectionAdmission } from './connection-admission.js';
import type { CleanupLane } from './cleanup-lane.js';
import type { Hub } from './hub.js';
import type { BackendProxies } from './proxy/backend-proxies.js';

export interface GatewayContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly broker: Broker;
  readonly presence: PresenceManager;
  readonly pipeline: MessagePipeline;
  readonly hub: Hub;
  /** Presence removals and leaves of departing subscriptions, with bounded concurrency. */
  readonly cleanup: CleanupLane;
  /** Grace after a connection's or subscription's expiry before it is closed. */
  readonly expiredCloseDelayMs: number;
  /** Lifetime of a presence entry; entries are refreshed well before it ends. */
  readonly presenceTtlMs: number;
  /** Server version reported in ConnectResult. */
  readonly version: string;
  /** jose verifiers built from `config.tokens` (one JWKS cache per gateway). */
  readonly tokens: { readonly connection: TokenVerifier; readonly subscription: TokenVerifier };
  /** Per-user connection counts and the connection rate of this node. */
  readonly admission: ConnectionAdmission;
  /** HTTP proxies to the application backend (`config.proxies`). */
  readonly proxies: BackendProxies;
}
