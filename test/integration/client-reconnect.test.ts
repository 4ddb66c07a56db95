import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { createReconnectClient, type ReconnectClient, type WebSocketConstructor } from '../../src/client/index.js';
import { RedisBroker } from '../../src/engine/index.js';
import { newClient, startTestGateway, waitUntil, type TestGateway } from '../helpers/gateway.js';
import { freePort, RedisServer } from '../helpers/redis-server.js';

const websocket = WebSocket as unknown as WebSocketConstructor;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

let redis: RedisServer;
const prefix = `rc${randomBytes(3).toString('hex')}`;
const connections: Redis[] = [];

/** A gateway on `port` whose history lives in the shared Redis, so it survives a restart. */
async function gatewayOn(port: number): Promise<TestGateway> {
  const conn = new Redis(redis.url, { lazyConnect: false });
  connections.push(conn);
  return startTestGateway(
    { WEBSOCKET_PORT: String(port), WS_PING_INTERVAL: '2s', WS_PONG_TIMEOUT: '1s' },
    {
      broker: new RedisBroker({ redis: conn, prefix }),
    },
  );
}

async function reconnectTotal(gw: TestGateway): Promise<number> {
  const metric = await gw.registry.getSingleMetric('gateway_reconnect_total')?.get();
  return metric?.values[0]?.value ?? 0;
}

/** Records the client's events as short strings, in order. */
function recordEvents(client: ReconnectClient): string[] {
  const events: string[] = [];
  client.on('connected', (e) => events.push(`connected${e.reconnect ? ' (reconnect)' : ''}`));
  client.on('disconnected', (e) => events.push(`disconnected ${e.code} reconnect=${e.reconnect}`));
  client.on('reconnecting', () => {
    if (events.at(-1) !== 'reconnecting') events.push('reconnecting');
  });
  client.on('reconnected', () => events.push('reconnected'));
  client.on('subscribed', (e) =>
    events.push(`subscribed resubscribe=${e.resubscribe} recovering=${e.wasRecovering} recovered=${e.recovered}`),
  );
  client.on('publication', (e) => events.push(`publication ${textOf(e.data)}${e.recovered ? ' (recovered)' : ''}`));
  return events;
}

function textOf(data: unknown): string {
  const value = data instanceof Uint8Array ? (JSON.parse(decoder.decode(data)) as unknown) : data;
  return String((value as { text?: unknown }).text);
}

before(async () => {
  redis = await RedisServer.start();
});

after(async () => {
  for (const c of connections) c.disconnect();
  await redis.close();
});

for (const protocol of ['json', 'protobuf'] as const) {
  void describe(`reconnect client over ${protocol}`, () => {
    const payload = (text: string): unknown => (protocol === 'json' ? { text } : encoder.encode(JSON.stringify({ text })));

    void it('survives a gateway restart: events in order, missed publications recovered, reconnect counted', async () => {
      const portA = await freePort();
      let gatewayA = await gatewayOn(portA);
      const gatewayB = await gatewayOn(await freePort());
      const channel = `chat:restart-${protocol}`;
      const client = createReconnectClient({
        url: gatewayA.wsUrl,
        protocol,
        websocket,
        minReconnectDelay: 50,
        maxReconnectDelay: 200,
        data: payload('me'),
      });
      const events = recordEvents(client);
      const publisher = newClient(gatewayB.wsUrl, protocol);
      try {
        const sub = client.subscribe(channel);
        client.connect();
        await sub.ready(5000);
        publisher.connect();
        await publisher.publish(channel, payload('live-1'));
        await waitUntil(() => events.includes('publication live-1'), 5000, 'live publication');

        await gatewayA.close();
        await waitUntil(() => events.includes('reconnecting'), 5000, 'a reconnect attempt');
        // While A is down, two publications reach the channel's history through B.
        await publisher.publish(channel, payload('missed-1'));
        await publisher.publish(channel, payload('missed-2'));
        gatewayA = await gatewayOn(portA);
        await waitUntil(() => events.includes('publication missed-2 (recovered)'), 10_000, 'recovered publications');
        await publisher.publish(channel, payload('live-2'));
        await waitUntil(() => events.includes('publication live-2'), 5000, 'live publication after the restart');

        assert.deepEqual(events, [
          'connected',
          'subscribed resubscribe=false recovering=false recovered=false',
          'publication live-1',
          'disconnected 3001 reconnect=true',
          'reconnecting',
          'connected (reconnect)',
          'reconnected',
          'subscribed resubscribe=true recovering=true recovered=true',
          'publication missed-1 (recovered)',
          'publication missed-2 (recovered)',
          'publication live-2',
        ]);
        assert.equal(await reconnectTotal(gatewayA), 1, 'the restarted gateway counted one reconnect');
        assert.equal(client.state, 'connected');
        assert.equal(sub.state, 'subscribed');
      } finally {
        publisher.disconnect();
        await client.close();
        await gatewayA.close();
        await gatewayB.close();
      }
      assert.equal(client.state, 'disconnected');
    });
  });
}

void describe('reconnect client failover', () => {
  void it('moves to the next endpoint when its gateway goes away and keeps its subscription', async () => {
    const gatewayA = await gatewayOn(await freePort());
    const gatewayB = await gatewayOn(await freePort());
    const channel = 'chat:failover';
    const client = createReconnectClient({
      url: [gatewayA.wsUrl, gatewayB.wsUrl],
      websocket,
      minReconnectDelay: 50,
      maxReconnectDelay: 200,
    });
    const reconnected: { url: string; previousClientId: string; clientId: string }[] = [];
    client.on('reconnected', (e) => reconnected.push(e));
    const received: string[] = [];
    try {
      const sub = client.subscribe(channel, { publication: (e) => received.push(textOf(e.data)) });
      client.connect();
      await sub.ready(5000);
      assert.equal(client.url, gatewayA.wsUrl);
      const first = client.clientId;
      await gatewayA.close();
      await waitUntil(() => reconnected.length === 1, 10_000, 'reconnect to B');
      assert.equal(reconnected[0]?.url, gatewayB.wsUrl);
      assert.equal(reconnected[0]?.previousClientId, first);
      assert.equal(client.url, gatewayB.wsUrl);
      await sub.ready(5000);
      await client.publish(channel, { text: 'via B' });
      await waitUntil(() => received.includes('via B'), 5000, 'publication via B');
      assert.equal(await reconnectTotal(gatewayB), 1);
    } finally {
      await client.close();
      await gatewayB.close();
    }
  });

  void it('does not count a first connect as a reconnect, and close() leaves nothing running', async () => {
    const gw = await gatewayOn(await freePort());
    const client = createReconnectClient({ url: gw.wsUrl, websocket });
    try {
      client.connect();
      await client.ready(5000);
      assert.equal(await reconnectTotal(gw), 0);
      const sub = client.subscribe('chat:closing');
      await sub.ready(5000);
    } finally {
      await client.close();
    }
    assert.equal(client.state, 'disconnected');
    assert.equal(client.subscription('chat:closing'), undefined);
    await waitUntil(
      async () => {
        const metric = await gw.registry.getSingleMetric('gateway_connections')?.get();
        return (metric?.values[0]?.value ?? 0) === 0;
      },
      5000,
      'the gateway to see the connection closed',
    );
    await gw.close();
  });
});
