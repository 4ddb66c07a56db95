export type { Transport, TransportDisconnect, TransportEvents, TransportName } from './transport.js';
export { WebSocketTransport } from './websocket-transport.js';
