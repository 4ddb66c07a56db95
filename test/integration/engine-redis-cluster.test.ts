// The engine contract against RedisBroker/RedisPresenceManager on a real 3-master Redis Cluster,
// with classic pub/sub and with sharded pub/sub (SPUBLISH from the publish script, SSUBSCRIBE
// through ioredis' per-master sharded subscribers).
import { after, before, describe } from 'node:test';
import { RedisBroker, RedisPresenceManager } from '../../src/engine/index.js';
import { connectRedis, openRedisCluster, type ClusterConnection } from '../../src/redis/index.js';
import { RedisCluster } from '../helpers/redis-cluster.js';
import { engineContract } from '../helpers/engine-contract.js';

let cluster: RedisCluster;
const prefix = `test-engine-cluster-${process.pid}-${Date.now()}`;

void describe('redis engine on a Redis Cluster', () => {
  before(async () => {
    cluster = await RedisCluster.start();
  });
  after(async () => {
    await cluster.close();
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
