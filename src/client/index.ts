export { createReconnectClient, ReconnectClient, PREVIOUS_CLIENT_ID_HEADER } from './reconnect-client.js';
export type { ConnectionState, ReconnectClientEvents, ReconnectClientOptions } from './reconnect-client.js';
export { ChannelSubscription } from './channel-subscription.js';
export type {
  PublicationEvent,
  SubscribedEvent,
  SubscribeOptions,
  SubscriptionErrorEvent,
  SubscriptionHandlers,
  UnsubscribedEvent,
} from './channel-subscription.js';
export type { WebSocketConstructor } from './failover-websocket.js';
export type { Listener } from './typed-emitter.js';
