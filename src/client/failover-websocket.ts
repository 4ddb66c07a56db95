/**
 * A WebSocket constructor handed to centrifuge-js that opens each socket on the endpoint the
 * reconnect client chose, so that failover between gateways happens inside centrifuge's own
 * reconnect loop (centrifuge always asks for the same URL; this picks the real one).
 */

/** The part of a WebSocket (browser or `ws`) this module touches. */
export interface WebSocketLike {
  addEventListener(type: 'close' | 'error' | 'open', listener: () => void): void;
}

/** A WebSocket class: the browser's global or the `ws` package's. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** Called before each socket is opened; returns the URL to open it on. */
export type EndpointPicker = () => string;

export function failoverWebSocket(
  base: WebSocketConstructor,
  pickEndpoint: EndpointPicker,
  onSocket: (socket: WebSocketLike, url: string) => void,
): WebSocketConstructor {
  // A plain function used with `new` returns the object it returns: the real socket.
  function FailoverWebSocket(_url: string, protocols?: string | string[]): WebSocketLike {
    const url = pickEndpoint();
    const socket = protocols === undefined ? new base(url) : new base(url, protocols);
    onSocket(socket, url);
    return socket;
  }
  return FailoverWebSocket as unknown as WebSocketConstructor;
}
