// The engine contract against RedisBroker/RedisPresenceManager on a real redis-server, plus multi-gateway and fault tests.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisBroker, RedisPresenceManager } from '../../src/engine/index.js';
import { RedisServer } from '../helpers/redis-server.js';
import { bytes, engineContract, RecordingHandler, text, uniqueChannel } from '../helpers/engine-contract.js';

let server: RedisServer;
const prefix = `test-engine-${process.pid}-${Date.now()}`;

function connect(enableAutoPipelining = false): Redis {
  const redis = new Redis(server.url, { enableAutoPipelining });
  redis.on('error', () => {
    /* reconnects on its own; the fault test expects errors */
  });
  return redis;
}

void describe('redis engine', () => {
  before(async () => {
    server = await RedisServer.start();
  });
  after(async () => {
    await server.close();
  });

  engineContract(() => {
    const connections: Redis[] = [];
    // Auto-pipelining on, as on the gateway's hot path (it changes how ioredis sends scripts).
    const conn = (): Redis => {
      const c = connect(true);
      connections.push(c);
      return c;
    };
    return {
      sharedBackend: true,
      newBroker: () => new RedisBroker({ redis: conn(), prefix }),
      newPresenceManager: () => new RedisPresenceManager({ redis: conn(), prefix }),
      cleanup: async () => {
        await Promise.all(connections.map((c) => c.quit()));
      },
    };
  });

  void describe('several gateways', () => {
    void it('delivers a publication from one gateway to two others', async () => {
      const connections = [connect(), connect(), connect()];
      const [h1, h2] = [new RecordingHandler(), new RecordingHandler()];
      const [b1, b2, publisher] = connections.map((redis) => new RedisBroker({ redis, prefix }));
      await b1!.start(h1);
      await b2!.start(h2);
      await publisher!.start(new RecordingHandler());
      try {
        const ch = uniqueChannel('fanout');
        await Promise.all([b1!.subscribe(ch), b2!.subscribe(ch)]);
        const pos = await publisher!.publish(ch, bytes('"hello"'), { history: { size: 10, ttlMs: 60_000 } });
        await h1.until(() => h1.pubs(ch).length === 1, 'gateway 1 delivery');
        await h2.until(() => h2.pubs(ch).length === 1, 'gateway 2 delivery');
        for (const h of [h1, h2]) {
          const ev = h.events[0]!;
          assert.ok(ev.type === 'pub');
          assert.equal(text(ev.pub.data), '"hello"');
          assert.equal(ev.pub.offset, pos.offset);
          assert.equal(ev.epoch, pos.epoch);
        }
      } finally {
        for (const b of [b1, b2, publisher]) await b!.close();
        await Promise.all(connections.map((c) => c.quit()));
      }
    });

    void it('batches many subscribes issued together and delivers on each', async () => {
      const redis = connect();
      const h = new RecordingHandler();
      const b = new RedisBroker({ redis, prefix });
      await b.start(h);
      try {
        const channels = Array.from({ length: 50 }, (_, i) => uniqueChannel(`batch${i}`));
        await Promise.all(channels.map((ch) => b.subscribe(ch)));
        await Promise.all(channels.slice(0, 25).map((ch) => b.unsubscribe(ch)));
        for (const ch of channels) await b.publish(ch, bytes('1'), {});
        await h.until(() => h.events.length === 25, '25 deliveries');
        assert.deepEqual(new Set(h.events.map((e) => e.channel)), new Set(channels.slice(25)));
      } finally {
        await b.close();
        await redis.quit();
      }
    });
  });

  void describe('redis restart', () => {
    void it('resubscribes, reports restored delivery and delivers again; the epoch changes', async () => {
      const connections = [connect(), connect()];
      const h = new RecordingHandler();
      const receiver = new RedisBroker({ redis: connections[0]!, prefix });
      const publisher = new RedisBroker({ redis: connections[1]!, prefix });
      await receiver.start(h);
      await publisher.start(new RecordingHandler());
      try {
        const ch = uniqueChannel('restart');
        const history = { size: 10, ttlMs: 60_000 };
        await receiver.subscribe(ch);
        const before = await publisher.publish(ch, bytes('1'), { history });
        await h.until(() => h.pubs(ch).length === 1, 'delivery before the restart');
        await server.kill();
        await server.restart();
        await h.until(() => h.restored === 1, 'handleDeliveryRestored', 15_000);
        const afterRestart = await publisher.publish(ch, bytes('2'), { history });
        await h.until(() => h.pubs(ch).length === 2, 'delivery after the restart', 10_000);
        assert.equal(afterRestart.offset, 1);
        assert.notEqual(afterRestart.epoch, before.epoch);
        const ev = h.events.at(-1)!;
        assert.ok(ev.type === 'pub');
        assert.equal(ev.epoch, afterRestart.epoch);
      } finally {
        await receiver.close();
        await publisher.close();
        await Promise.all(connections.map((c) => c.quit()));
      }
    });
  });
});
