// A reader that stops reading: once its socket buffers and outgoing queue exceed the limit it is
// closed with 3008 slow, while another subscriber of the same channel keeps receiving everything.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import type { PublicationContext } from 'centrifuge';
import { newClient, startTestGateway, waitUntil } from '../helpers/gateway.js';

/** Opens a WebSocket by hand, sends one masked text frame, then never reads again. */
function stalledClient(url: string, text: string): Promise<Socket> {
  const { hostname, port, pathname } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({
      hostname,
      port,
      path: pathname,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      },
    });
    req.on('upgrade', (_res, socket: Socket) => {
      const payload = Buffer.from(text);
      assert.ok(payload.length < 126);
      // FIN + text opcode, masked with a zero key (legal, and the payload stays as is).
      socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload]));
      socket.pause();
      resolve(socket);
    });
    req.on('error', reject);
    req.end();
  });
}

void describe('gateway slow reader', () => {
  void it('closes a connection that stops reading with 3008 slow, other subscribers unaffected', async () => {
    const gw = await startTestGateway({ CLIENT_QUEUE_MAX_SIZE: '65536' });
    const healthy = newClient(gw.wsUrl, 'json');
    let stalled: Socket | undefined;
    try {
      const received: unknown[] = [];
      const sub = healthy.newSubscription('chat:slow');
      sub.on('publication', (p: PublicationContext) => received.push(p.data));
      sub.subscribe();
      healthy.connect();
      await sub.ready(4000);
      stalled = await stalledClient(gw.wsUrl, '{"connect":{},"id":1}\n{"subscribe":{"channel":"chat:slow"},"id":2}');
      await waitUntil(async () => (await gw.presence.presenceStats('chat:slow')).numClients === 2, 4000, 'stalled client subscribed');
      const text = 'x'.repeat(16_000);
      let published = 0;
      for (; published < 600; published++) {
        await gw.publisher.publish('chat:slow', JSON.stringify({ text, i: published }));
        await new Promise((r) => setImmediate(r));
        if ((await gw.presence.presenceStats('chat:slow')).numClients === 1) break;
      }
      assert.ok(published < 600, 'the stalled reader was dropped');
      const metric = await gw.registry.getSingleMetric('gateway_disconnect_total')?.get();
      assert.ok(
        metric?.values.some((v) => v.labels['code'] === '3008' && v.value === 1),
        'disconnected with 3008',
      );
      await waitUntil(() => received.length === published + 1, 8000, 'healthy subscriber receives everything');
    } finally {
      stalled?.destroy();
      healthy.disconnect();
      await gw.close();
    }
  });
});
