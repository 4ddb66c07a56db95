/**
 * What a worker publishes back through: in practice the engine's `ChannelPublisher` over the
 * broker (delivered to subscribers on every gateway, with the namespace's history settings).
 */

import type { ChannelName, ClientInfo } from '../protocol/index.js';

export interface Publisher {
  publish(channel: ChannelName, data: Uint8Array, options?: { info?: ClientInfo }): Promise<void>;
}
