// The engine contract against RedisBroker/RedisPresenceManager on a real 3-master Redis Cluster,
// with classic pub/sub and with sharded pub/sub (SPUBLISH from the publish script, SSUBSCRIBE
// through ioredis' per-master sharded subscribers).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RedisBroker, RedisPresenceManager } from '../../src/engine/index.js';
import { connectRedis, openRedisCluster, type ClusterConnection } from '../../src/redis/index.js';
import { RedisCluster } from '../helpers/redis-cluster.js';
import { RecordingHandler, bytes, engineContract, text, uniqueChannel } from '../helpers/engine-contract.js';

let cluster: RedisCluster;
const prefix = `test-engine-cluster-${process.pid}-${Date.now()}`;

void describe('redis engine on a Redis Cluster', () => {
  before(async () => {
    cluster = await RedisCluster.start();
  });
  after(async () => {
    await cluster.close();
  });

  // A publication without history is a bare PUBLISH, one with history runs the publish script on the
  // channel's slot. On classic pub/sub a bare PUBLISH (no key) could leave from any node and overtake
  // the script's message on the cluster bus; both must leave from the channel's slot.
  void it("keeps one publisher's publications of a channel in order, with and without history, on classic pub/sub", async () => {
    const conn = openRedisCluster(cluster.url, { role: 'worker' });
    conn.on('error', () => {});
    await connectRedis(conn);
    const broker = new RedisBroker({ redis: conn, prefix: `${prefix}o`, sharded: false });
    const handler = new RecordingHandler();
    try {
      await broker.start(handler);
      const channels = [uniqueChannel('order'), uniqueChannel('order'), uniqueChannel('order')];
      for (const c of channels) await broker.subscribe(c);
      const count = 150;
      for (let i = 0; i < count; i++) {
        for (const c of channels) {
          await broker.publish(c, bytes(String(i)), i % 2 === 0 ? {} : { history: { size: 10, ttlMs: 60_000 } });
        }
      }
      await handler.until(() => channels.every((c) => handler.pubs(c).length === count), 'every publication', 10_000);
      for (const c of channels) {
        assert.deepEqual(
          handler.pubs(c).map((p) => Number(text(p.data))),
          Array.from({ length: count }, (_, i) => i),
          `publications of ${c} arrive in publish order`,
        );
      }
    } finally {
      await broker.close();
      conn.disconnect();
    }
  });

  for (const sharded of [false, true]) {
    void describe(sharded ? 'sharded pub/sub' : 'classic pub/sub', () => {
      engineContract(() => {
        const connections: ClusterConnection[] = [];
        // The broker duplicates its connection for pub/sub: a duplicate keeps `shardedPubSub`.
        const conn = (): ClusterConnection => {
          const c = openRedisCluster(cluster.url, { role: 'worker', ...(sharded ? { shardedPubSub: true } : {}) });
          c.on('error', () => {});
          void connectRedis(c);
          connections.push(c);
          return c;
        };
        return {
          sharedBackend: true,
          newBroker: () => new RedisBroker({ redis: conn(), prefix: `${prefix}${sharded ? 's' : 'c'}`, sharded }),
          newPresenceManager: () => new RedisPresenceManager({ redis: conn(), prefix: `${prefix}${sharded ? 's' : 'c'}` }),
          cleanup: async () => {
            for (const c of connections) c.disconnect();
          },
        };
      });
    });
  }
});
