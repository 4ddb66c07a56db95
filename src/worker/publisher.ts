/** What a worker publishes back through: the broker (delivered to subscribers on every gateway). */

import type { Broker, PublishOptions } from '../engine/index.js';
import type { ChannelName, ClientInfo } from '../protocol/index.js';

export interface Publisher {
  publish(channel: ChannelName, data: Uint8Array, options?: { info?: ClientInfo }): Promise<void>;
}

/**
 * Adapts a started {@link Broker} to {@link Publisher}; `historyFor` gives a channel's history
 * options (e.g. from its namespace), undefined: broadcast only.
 */
export function brokerPublisher(broker: Broker, historyFor: (channel: ChannelName) => PublishOptions['history']): Publisher {
  return {
    async publish(channel, data, options) {
      const history = historyFor(channel);
      await broker.publish(channel, data, {
        ...(history === undefined ? {} : { history }),
        ...(options?.info === undefined ? {} : { info: options.info }),
      });
    },
  };
}
