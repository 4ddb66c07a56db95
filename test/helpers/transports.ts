/**
 * The real `centrifuge` client over the HTTP transports (HTTP-streaming with Node's fetch and
 * ReadableStream, SSE with the `eventsource` package), and the URLs of the WebSocket port's
 * HTTP routes.
 */

import { Centrifuge, type Options } from 'centrifuge';
import { Centrifuge as ProtobufCentrifuge } from 'centrifuge/build/protobuf';
import { EventSource } from 'eventsource';
import type { ClientProtocol } from './gateway.js';

export type EmulationTransport = 'http_stream' | 'sse';

/** `http://127.0.0.1:<port>` of the WebSocket port, from its `ws://` URL. */
export function wsPortHttpUrl(wsUrl: string): string {
  const u = new URL(wsUrl);
  return `http://${u.host}`;
}

/**
 * A client that may only use `transport` (its endpoint on the gateway's WebSocket port) and
 * posts commands to that port's `/emulation`; short reconnect delays for tests.
 */
export function newTransportClient(
  wsUrl: string,
  transport: EmulationTransport,
  protocol: ClientProtocol,
  options: Partial<Options> = {},
): Centrifuge {
  const base = wsPortHttpUrl(wsUrl);
  const opts: Partial<Options> = {
    emulationEndpoint: `${base}/emulation`,
    eventsource: EventSource,
    minReconnectDelay: 50,
    maxReconnectDelay: 300,
    timeout: 4000,
    ...options,
  };
  const endpoints = [{ transport, endpoint: `${base}/connection/${transport}` }];
  return protocol === 'json' ? new Centrifuge(endpoints, opts) : (new ProtobufCentrifuge(endpoints, opts) as unknown as Centrifuge);
}
