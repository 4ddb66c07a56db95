// The handshake deadlines of raw sockets: one timer for all, nothing kept per socket after its
// request head; late sockets are destroyed and counted, sockets that left or handshook are not.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { guardConnections } from '../../src/gateway/connection-guard.js';

const refusals: string[] = [];
let server: Server;

function open(): Promise<Socket> {
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  return once(socket, 'connect').then(() => socket);
}

function closed(socket: Socket): Promise<void> {
  return socket.destroyed ? Promise.resolve() : once(socket, 'close').then(() => undefined);
}

void describe('guardConnections: handshake deadlines', () => {
  after(() => server?.close());

  void it('destroys each silent socket at its own deadline, and only those', async () => {
    server = createServer((_req, res) => res.end('ok'));
    guardConnections(server, { handshakeTimeoutMs: 300, connectionLimit: 0, onRefused: (r) => refusals.push(r) });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');

    const first = await open();
    const left = await open();
    const spoke = await open();
    left.destroy();
    spoke.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    await once(spoke, 'data');
    await new Promise((r) => setTimeout(r, 150));
    const later = await open();

    await closed(first);
    assert.equal(later.destroyed, false, 'a socket accepted later keeps its own deadline');
    assert.deepEqual(refusals, ['handshake_timeout']);
    await closed(later);
    assert.deepEqual(refusals, ['handshake_timeout', 'handshake_timeout'], 'the socket that closed itself is not counted');
    assert.equal(spoke.destroyed, false, 'a socket that sent its request head stays open');
    spoke.destroy();
  });
});
