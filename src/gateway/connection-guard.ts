/**
 * Limits on raw connections to the client port, before any protocol runs: a socket must complete
 * its HTTP request head (the WebSocket upgrade, or a request of another transport) within the
 * handshake timeout of being accepted, or it is destroyed; and at most `connectionLimit` sockets
 * are open at once (Node closes the ones beyond it at accept).
 *
 * The deadlines cost nothing once a socket has handshaken: the timeout is the same for every
 * socket, so the sockets waiting for their request head are kept in accept order in one Map, and
 * one timer, armed for the oldest, refuses the late ones (no timer, closure or `once` wrapper per
 * connection for its lifetime).
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

class HandshakeDeadlines {
  /** Sockets without a complete request head, with their deadlines; insertion order is deadline order. */
  private readonly waiting = new Map<Socket, number>();
  private timer: NodeJS.Timeout | null = null;
  /** Shared by every socket: `this` is the socket that closed. */
  private readonly onSocketClose: (this: Socket) => void;

  constructor(private readonly options: ConnectionGuardOptions) {
    const waiting = this.waiting;
    this.onSocketClose = function (this: Socket) {
      waiting.delete(this);
    };
  }

  accepted(socket: Socket): void {
    this.waiting.set(socket, Date.now() + this.options.handshakeTimeoutMs);
    socket.on('close', this.onSocketClose);
    if (this.timer === null) this.arm(this.options.handshakeTimeoutMs);
  }

  handshaken(socket: Socket): void {
    if (!this.waiting.delete(socket)) return;
    socket.removeListener('close', this.onSocketClose);
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(() => this.expire(), Math.max(1, delayMs));
    this.timer.unref();
  }

  private expire(): void {
    this.timer = null;
    const now = Date.now();
    for (const [socket, deadline] of this.waiting) {
      if (deadline > now) {
        this.arm(deadline - now);
        return;
      }
      this.waiting.delete(socket);
      socket.removeListener('close', this.onSocketClose);
      this.options.onRefused('handshake_timeout');
      socket.destroy();
    }
  }
}

export function guardConnections(server: Server, options: ConnectionGuardOptions): void {
  if (options.connectionLimit > 0) {
    server.maxConnections = options.connectionLimit;
    server.on('drop', () => options.onRefused('connection_limit'));
  }
  const deadlines = new HandshakeDeadlines(options);
  server.on('connection', (socket: Socket) => deadlines.accepted(socket));
  const handshaken = (req: { socket: Socket }): void => deadlines.handshaken(req.socket);
  server.on('upgrade', handshaken);
  server.on('request', handshaken);
}
