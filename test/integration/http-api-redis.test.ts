// The server HTTP API on one gateway driving two gateways through Redis: fan-out, history, presence, control commands, info, Redis restart.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { defaultChannelConfig } from '../../src/config/index.js';
import {
  ChannelPublisher,
  ControlPlane,
  RedisBroker,
  RedisControlBus,
  RedisNodeRegistry,
  RedisPresenceManager,
} from '../../src/engine/index.js';
import { createHttpApi } from '../../src/gateway/http-api/create-http-api.js';
import { RecordingHandler, text } from '../helpers/engine-contract.js';
import { ApiServer, errorOf, RecordingLocalNode, resultOf, until } from '../helpers/http-api.js';
import { RedisServer } from '../helpers/redis-server.js';

const KEY = 'redis-api-key';
const logger = pino({ level: 'silent' });
const channels = defaultChannelConfig();
const prefix = `test-http-api-${process.pid}-${Date.now()}`;

interface TestGateway {
  broker: RedisBroker;
  delivered: RecordingHandler;
  local: RecordingLocalNode;
  plane: ControlPlane;
}

void describe('server HTTP API over Redis (two gateways)', () => {
  let redis: RedisServer;
  let api: ApiServer;
  const connections: Redis[] = [];
  const gateways: TestGateway[] = [];
  let presence: RedisPresenceManager;

  function connect(failFast = false): Redis {
    const conn = failFast ? new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0 }) : new Redis(redis.url);
    conn.on('error', () => {
      /* reconnects on its own; the restart test expects errors */
    });
    connections.push(conn);
    return conn;
  }

  before(async () => {
    redis = await RedisServer.start();
    for (const [i, counts] of [
      { numClients: 4, numUsers: 3, numSubs: 6 },
      { numClients: 1, numUsers: 1, numSubs: 1 },
    ].entries()) {
      const conn = connect();
      const delivered = new RecordingHandler();
      const broker = new RedisBroker({ redis: conn, prefix });
      await broker.start(delivered);
      const local = new RecordingLocalNode(counts);
      const plane = new ControlPlane({
        nodeId: `gateway-${i}`,
        version: '0.1.0',
        bus: new RedisControlBus({ redis: conn, prefix }),
        registry: new RedisNodeRegistry({ redis: conn, prefix }),
        local,
        heartbeatIntervalMs: 200,
      });
      await plane.start();
      gateways.push({ broker, delivered, local, plane });
    }
    // The API's own connection fails fast while Redis is down instead of queueing.
    const apiConn = connect(true);
    await until(() => apiConn.status === 'ready', 'API connection ready');
    const apiBroker = new RedisBroker({ redis: apiConn, prefix });
    presence = new RedisPresenceManager({ redis: apiConn, prefix });
    api = await ApiServer.start(
      createHttpApi({
        config: { httpApiKey: KEY, channel: channels },
        logger,
        publisher: new ChannelPublisher(apiBroker, channels),
        broker: apiBroker,
        presence,
        control: new RedisControlBus({ redis: apiConn, prefix }),
        nodes: new RedisNodeRegistry({ redis: apiConn, prefix }),
      }),
    );
  });

  after(async () => {
    await api.close();
    for (const g of gateways) {
      await g.plane.close();
      await g.broker.close();
    }
    for (const c of connections) c.disconnect();
    await redis.close();
  });

  void it('publishes to subscribers on both gateways and keeps history', async () => {
    const ch = 'chat:fanout';
    await Promise.all(gateways.map((g) => g.broker.subscribe(ch)));
    const first = resultOf(await api.api('publish', KEY, { channel: ch, data: { text: 'one' } }));
    const second = resultOf(await api.api('publish', KEY, { channel: ch, data: { text: 'two' }, tags: { kind: 'chat' } }));
    assert.equal(first.offset, 1);
    assert.equal(second.offset, 2);
    assert.equal(first.epoch, second.epoch);
    for (const g of gateways) {
      await g.delivered.until(() => g.delivered.pubs(ch).length === 2, 'delivery on every gateway');
      assert.deepEqual(
        g.delivered.pubs(ch).map((p) => [text(p.data), p.offset]),
        [
          ['{"text":"one"}', 1],
          ['{"text":"two"}', 2],
        ],
      );
    }
    const history = resultOf(await api.api('history', KEY, { channel: ch, limit: -1, since: { offset: 1, epoch: first.epoch } }));
    assert.deepEqual(history, {
      publications: [{ data: { text: 'two' }, offset: 2, tags: { kind: 'chat' } }],
      offset: 2,
      epoch: first.epoch,
    });
  });

  void it('broadcasts across namespaces', async () => {
    await gateways[1]!.broker.subscribe('user:9');
    const result = resultOf(await api.api('broadcast', KEY, { channels: ['chat:bc', 'user:9', 'nope:x'], data: [1, 2] }));
    const responses = result.responses as { result?: { offset: number }; error?: { code: number } }[];
    assert.deepEqual(
      responses.map((r) => r.result?.offset ?? r.error?.code),
      [1, 0, 102],
    );
    const g = gateways[1]!;
    await g.delivered.until(() => g.delivered.pubs('user:9').length === 1, 'broadcast delivery');
    assert.equal(text(g.delivered.pubs('user:9')[0]!.data), '[1,2]');
  });

  void it('reports presence kept in Redis', async () => {
    await presence.addPresence('chat:online', 'c1', { user: 'ann', client: 'c1' }, 60_000);
    await presence.addPresence('chat:online', 'c2', { user: 'bob', client: 'c2' }, 60_000);
    assert.deepEqual(resultOf(await api.api('presence', KEY, { channel: 'chat:online' })), {
      presence: { c1: { user: 'ann', client: 'c1' }, c2: { user: 'bob', client: 'c2' } },
    });
    assert.deepEqual(resultOf(await api.api('presence_stats', KEY, { channel: 'chat:online' })), { num_clients: 2, num_users: 2 });
  });

  void it('disconnects and unsubscribes a user on every gateway', async () => {
    resultOf(await api.api('disconnect', KEY, { user: 'mallory', disconnect: { code: 4500, reason: 'banned' } }));
    resultOf(await api.api('unsubscribe', KEY, { user: 'eve', channel: 'chat:room' }));
    for (const g of gateways) {
      await until(() => g.local.calls.length >= 2, 'both commands on every gateway');
      assert.deepEqual(g.local.calls.slice(0, 2), [
        { op: 'disconnect', user: 'mallory', code: 4500, reason: 'banned' },
        { op: 'unsubscribe', user: 'eve', channel: 'chat:room' },
      ]);
    }
  });

  void it('lists both gateways in info', async () => {
    const nodes = resultOf(await api.api('info', KEY, {})).nodes as { uid: string; num_clients: number; num_subs: number }[];
    assert.deepEqual(
      nodes.map((n) => [n.uid, n.num_clients, n.num_subs]),
      [
        ['gateway-0', 4, 6],
        ['gateway-1', 1, 1],
      ],
    );
  });

  void it('answers 100 while Redis is down and works again after a restart', async () => {
    const ch = 'chat:restart';
    await Promise.all(gateways.map((g) => g.broker.subscribe(ch)));
    await redis.kill();
    try {
      const err = errorOf(await api.api('publish', KEY, { channel: ch, data: 'lost' })) as { code: number; temporary?: boolean };
      assert.equal(err.code, 100);
      assert.equal(err.temporary, true);
    } finally {
      await redis.restart();
    }
    await until(
      async () => (await api.api('publish', KEY, { channel: ch, data: 'probe' })).body.includes('"result"'),
      'publish after restart',
      20_000,
    );
    // The brokers resubscribe on their own; delivery then reaches both gateways again.
    await until(
      async () => {
        resultOf(await api.api('publish', KEY, { channel: ch, data: 'back' }));
        return gateways.every((g) => g.delivered.pubs(ch).some((p) => text(p.data) === '"back"'));
      },
      'delivery after restart',
      20_000,
    );
    await until(
      async () => {
        const res = resultOf(await api.api('info', KEY, {}));
        return (res.nodes as unknown[]).length === 2;
      },
      'both gateways heartbeating again',
      20_000,
    );
    await until(
      async () => {
        resultOf(await api.api('disconnect', KEY, { user: 'after-restart' }));
        return gateways.every((g) => g.local.calls.some((c) => c.user === 'after-restart'));
      },
      'control commands after restart',
      20_000,
    );
  });
});
