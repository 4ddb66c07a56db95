// Issue 11, item 5: sockets that never finish a handshake are closed at the handshake timeout
// (counted from accept), and the client port holds at most CLIENT_CONNECTION_LIMIT sockets; a
// client refused at the limit gets in once a slot frees (its reconnect loop retries).

import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Centrifuge } from 'centrifuge';
import { CLIENT_PROTOCOLS, newClient, rawConnect, startTestGateway, waitUntil, type TestGateway } from '../helpers/gateway.js';

function tcp(port: number): Promise<{ socket: Socket; closed: () => boolean }> {
  return new Promise((resolve, reject) => {
    let closed = false;
    const socket = connect(port, '127.0.0.1');
    socket.on('close', () => {
      closed = true;
    });
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, closed: () => closed }));
    socket.once('error', reject);
  });
}

async function refused(gw: TestGateway, reason: string): Promise<number> {
  const text = await gw.registry.getSingleMetricAsString('gateway_connections_refused_total');
  const m = new RegExp(`reason="${reason}"} (\\d+)`).exec(text);
  return m === null ? 0 : Number(m[1]);
}

void describe('hostile connections: handshake timeout from accept', () => {
  let gw: TestGateway;
  const sockets: Socket[] = [];
  before(async () => {
    gw = await startTestGateway({ CLIENT_HANDSHAKE_TIMEOUT: '300ms' });
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await gw.close();
  });

  void it('closes 50 silent sockets and a half-sent request head; a real client that finished its handshake stays', async () => {
    const port = gw.gateway.ports.websocket;
    const silent = await Promise.all(Array.from({ length: 50 }, () => tcp(port)));
    const partial = await tcp(port);
    partial.socket.write('GET /connection/websocket HTTP/1.1\r\nHost: x\r\n');
    sockets.push(...silent.map((s) => s.socket), partial.socket);
    const real = rawConnect(gw.wsUrl);
    await real.opened;
    real.send('{"connect":{},"id":1}');
    await real.nextFrame();
    await waitUntil(() => silent.every((s) => s.closed()) && partial.closed(), 10_000, 'silent sockets closed');
    assert.equal(real.ws.readyState, real.ws.OPEN, 'the handshake timer stops at the upgrade');
    assert.ok((await refused(gw, 'handshake_timeout')) >= 51);
    real.ws.terminate();
  });
});

void describe('hostile connections: CLIENT_CONNECTION_LIMIT', () => {
  let gw: TestGateway;
  const clients: Centrifuge[] = [];
  before(async () => {
    gw = await startTestGateway({ CLIENT_CONNECTION_LIMIT: '4' });
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await gw.close();
  });

  void it('refuses sockets beyond the limit at accept and admits a waiting client (JSON and protobuf) once one leaves', async () => {
    const first = CLIENT_PROTOCOLS.flatMap((p) => [newClient(gw.wsUrl, p), newClient(gw.wsUrl, p)]);
    clients.push(...first);
    for (const c of first) c.connect();
    await Promise.all(first.map((c) => c.ready(4000)));
    const extra = rawConnect(gw.wsUrl);
    const outcome = await Promise.race([extra.opened.then(() => 'opened'), extra.closed.then(() => 'closed')]).catch(() => 'refused');
    assert.notEqual(outcome, 'opened', 'the fifth socket is not upgraded');
    await waitUntil(async () => (await refused(gw, 'connection_limit')) >= 1, 4000, 'refusal counted');
    for (const protocol of CLIENT_PROTOCOLS) {
      const waiting = newClient(gw.wsUrl, protocol);
      clients.push(waiting);
      waiting.connect();
      const leaver = first.find((c) => c.state === 'connected')!;
      leaver.disconnect();
      await waiting.ready(8000);
      assert.equal(gw.gateway.connectionCount, 4);
    }
  });
});
