// The cluster connection factory without a server: seed parsing, role options split between the
// cluster and its nodes, and duplicate() with standalone-style options (nothing connects: lazy).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { ClusterConnection, duplicateConnection, openRedisCluster, openRedisConnection, SLOTS_REFRESH_MS } from '../../src/redis/index.js';

void describe('openRedisCluster', () => {
  void it('takes comma-separated seeds with the first seed credentials and TLS for every node', () => {
    const c = openRedisCluster('rediss://app:s%3Acret@10.0.0.1:7000, redis://10.0.0.2', { role: 'producer', name: 'gw' });
    assert.ok(c instanceof ClusterConnection);
    assert.equal(c.status, 'wait', 'lazy: not connected');
    assert.equal(c.options.enableOfflineQueue, false);
    assert.equal(c.options.enableAutoPipelining, true);
    const node = c.options.redisOptions ?? {};
    assert.equal(node.username, 'app');
    assert.equal(node.password, 's:cret');
    assert.deepEqual(node.tls, {});
    assert.equal(node.maxRetriesPerRequest, 0);
    assert.equal(node.commandTimeout, 2000);
    assert.equal(node.connectionName, 'gw');
    c.disconnect();
  });

  void it("uses sharded subscribers only when asked (kept by duplicates), and not ioredis' self-re-arming slot refresh", () => {
    const c = openRedisCluster('redis://127.0.0.1:1', { role: 'subscriber' });
    const s = openRedisCluster('redis://127.0.0.1:1', { role: 'subscriber', shardedPubSub: true });
    const d = duplicateConnection(s);
    assert.ok(!c.options.slotsRefreshInterval, "the periodic refresh is ClusterConnection's own");
    assert.ok(SLOTS_REFRESH_MS > 0);
    assert.equal(c.options.shardedSubscribers, false);
    assert.equal(s.options.shardedSubscribers, true);
    assert.ok(d instanceof ClusterConnection);
    assert.equal(d.options.shardedSubscribers, true);
    for (const x of [c, s, d]) x.disconnect();
  });

  void it('refuses a database other than 0 and other schemes', () => {
    assert.throws(() => openRedisCluster('redis://h:1/2', { role: 'worker' }), /database 0/);
    assert.throws(() => openRedisCluster('http://h:1', { role: 'worker' }), /redis:\/\//);
  });

  void it('opens standalone Redis unless the target says cluster', () => {
    const r = openRedisConnection({ url: 'redis://127.0.0.1:1' }, { role: 'worker' });
    assert.ok(r instanceof Redis);
    r.disconnect();
  });

  void it('duplicates with standalone options: cluster-wide ones on the cluster, the rest on every node', () => {
    const c = openRedisCluster('redis://127.0.0.1:1', { role: 'worker' });
    const viaStandaloneCall = duplicateConnection(c, {
      enableAutoPipelining: false,
      maxRetriesPerRequest: 1,
      autoResendUnfulfilledCommands: false,
    });
    const d = duplicateConnection(c, { enableOfflineQueue: false, commandTimeout: 50 });
    const v: unknown = viaStandaloneCall;
    assert.ok(v instanceof ClusterConnection);
    assert.ok(d instanceof ClusterConnection);
    assert.equal(v.options.enableAutoPipelining, false);
    assert.equal(v.options.enableOfflineQueue, true);
    assert.equal(v.options.redisOptions?.maxRetriesPerRequest, 1);
    assert.equal(v.options.redisOptions?.autoResendUnfulfilledCommands, false);
    assert.equal(d.options.enableOfflineQueue, false);
    assert.equal(d.options.redisOptions?.commandTimeout, 50);
    assert.equal(d.options.redisOptions?.maxRetriesPerRequest, null, 'the role options stay');
    for (const x of [c, v, d]) x.disconnect();
  });
});
