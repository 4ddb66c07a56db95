/**
 * Limits on raw connections to the client port, before any protocol runs: a socket must complete
 * its HTTP request head (the WebSocket upgrade, or a request of another transport) within the
 * handshake timeout of being accepted, or it is destroyed; and at most `connectionLimit` sockets
 * are open at once (Node closes the ones beyond it at accept).
 */

import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionGuardOptions {
  /** Time from accept to a complete request head. */
  handshakeTimeoutMs: number;
  /** Max open sockets on the server; 0: no limit. */
  connectionLimit: number;
  /** Called for each socket refused: at accept over the limit, or at the handshake timeout. */
  onRefused(reason: 'connection_limit' | 'handshake_timeout'): void;
}

export function guardConnections(server: Server, options: ConnectionGuardOptions): void {
  const pending = new WeakMap<Socket, NodeJS.Timeout>();
  if (options.connectionLimit > 0) {
    server.maxConnections = options.connectionLimit;
    server.on('drop', () => options.onRefused('connection_limit'));
  }
  server.on('connection', (socket: Socket) => {
    const timer = setTimeout(() => {
      pending.delete(socket);
      options.onRefused('handshake_timeout');
      socket.destroy();
    }, options.handshakeTimeoutMs);
    pending.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  });
  const handshaken = (req: { socket: Socket }): void => {
    const timer = pending.get(req.socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    pending.delete(req.socket);
  };
  server.on('upgrade', handshaken);
  server.on('request', handshaken);
}
