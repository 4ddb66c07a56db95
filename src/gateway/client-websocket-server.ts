/** The client WebSocket server of the gateway: subprotocol negotiation and the protocol a connection speaks. */

import { WebSocketServer, type WebSocket } from 'ws';
import type { ProtocolType } from '../protocol/index.js';

const PROTOBUF_SUBPROTOCOL = 'centrifuge-protobuf';
const JSON_SUBPROTOCOL = 'centrifuge-json';

/** The upgrade-only WebSocket server (no client tracking, no compression); offered subprotocols: protobuf first, then JSON. */
export function createClientWebSocketServer(maxPayload: number): WebSocketServer {
  return new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload,
    handleProtocols: (offered: Set<string>) => {
      if (offered.has(PROTOBUF_SUBPROTOCOL)) return PROTOBUF_SUBPROTOCOL;
      if (offered.has(JSON_SUBPROTOCOL)) return JSON_SUBPROTOCOL;
      return false;
    },
  });
}

/** Protobuf when negotiated as subprotocol or asked for in the query (`cf_protocol` or `format`); JSON otherwise. */
export function websocketProtocol(ws: WebSocket, query: URLSearchParams): ProtocolType {
  return ws.protocol === PROTOBUF_SUBPROTOCOL || query.get('cf_protocol') === 'protobuf' || query.get('format') === 'protobuf'
    ? 'protobuf'
    : 'json';
}
