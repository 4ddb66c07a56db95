/** The gateway's Node HTTP servers: listening, closing, the bound port, and refusing a WebSocket upgrade. */

import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

export function portOf(server: Server): number {
  const addr = server.address();
  return addr !== null && typeof addr === 'object' ? addr.port : 0;
}

export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

export function rejectUpgrade(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
