export type { Transport, TransportDisconnect, TransportEvents, TransportName } from './transport.js';
export { WebSocketTransport } from './websocket-transport.js';
export { HttpResponseTransport, type HttpResponseTransportName } from './http-response-transport.js';
export { uniConnectFrame, uniMessage } from './uni-message.js';
