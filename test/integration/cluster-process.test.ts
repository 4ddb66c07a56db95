// The real processes on a real 3-master Redis Cluster: bin/gateway.ts with REDIS_CLUSTER=true and
// comma-separated seed URLs, examples/worker-simple.ts as a worker process; readiness, a chat round
// trip through the worker's (hash-tagged) stream, an rpc, the same on sharded pub/sub
// (REDIS_SHARDED_PUBSUB=true), and SIGTERM exits cleanly.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Centrifuge, PublicationContext } from 'centrifuge';
import {
  getJson,
  newClient,
  nextEvent,
  spawnGateway,
  spawnTs,
  waitUntil,
  type GatewayProcess,
  type TsProcess,
} from '../helpers/gateway.js';
import { RedisCluster } from '../helpers/redis-cluster.js';
import { PipelineKeys, RedisKeys } from '../../src/redis/index.js';

void describe('gateway and worker processes on Redis Cluster', () => {
  let cluster: RedisCluster;
  let env: Record<string, string>;
  let gw: GatewayProcess;
  let worker: TsProcess | undefined;
  const clients: Centrifuge[] = [];
  const prefix = `rmcp${randomBytes(3).toString('hex')}`;

  before(async () => {
    cluster = await RedisCluster.start();
    env = { REDIS_URL: cluster.url, REDIS_CLUSTER: 'true', REDIS_PREFIX: prefix, ROUTE_CACHE_TTL: '1s' };
    gw = await spawnGateway(env);
  });

  after(async () => {
    for (const c of clients) c.disconnect();
    await Promise.all([gw?.stop('SIGKILL'), worker?.stop('SIGKILL')]);
    await cluster?.close();
  });

  void it('starts in cluster mode and becomes ready once a worker process registers', async () => {
    assert.ok(
      gw.lines.some((l) => l.includes('"mode":"redis-cluster"')),
      'cluster mode is logged',
    );
    assert.ok(!gw.lines.some((l) => l.includes('not supported')));
    assert.equal((await getJson(`${gw.httpUrl}/ready`)).status, 503, 'no worker yet');
    worker = spawnTs('examples/worker-simple.ts', { ...env, WORKER_ID: 'cw0', WORKER_METRICS_PORT: '0', LOG_LEVEL: 'info' });
    await waitUntil(async () => (await getJson(`${gw.httpUrl}/ready`)).status === 200, 20_000, 'ready after the worker registers');
    assert.deepEqual((await getJson(`${gw.httpUrl}/ready`)).body, {
      ready: true,
      checks: { redis: 'ok', workers: 1, shuttingDown: false },
    });
  });

  void it('carries a chat message between two clients through the worker process', async () => {
    const alice = newClient(gw.wsUrl, 'json');
    const bob = newClient(gw.wsUrl, 'json');
    clients.push(alice, bob);
    const aliceSub = alice.newSubscription('chat:proc');
    const bobSub = bob.newSubscription('chat:proc');
    const bobSeen: PublicationContext[] = [];
    bobSub.on('publication', (ctx) => bobSeen.push(ctx));
    for (const [c, s] of [
      [alice, aliceSub],
      [bob, bobSub],
    ] as const) {
      s.subscribe();
      c.connect();
      await nextEvent(s, 'subscribed', 8000);
    }
    await aliceSub.publish({ text: 'through the cluster' });
    await waitUntil(() => bobSeen.length === 1, 10_000, 'publication from the worker');
    assert.deepEqual(bobSeen[0]!.data, { text: 'through the cluster' });
    assert.equal(bobSeen[0]!.offset, 1);
    const reply = await alice.rpc('echo', { n: 7 });
    assert.deepEqual(reply.data, { n: 7 });
    // The worker consumed its hash-tagged stream: the entries are there, on the master of its slot.
    const stream = new PipelineKeys({ prefix, hashTags: true }).workerStream('cw0');
    assert.equal(stream, `${prefix}:messages:worker:{cw0}`);
    const port = await cluster.portOfSlot(await cluster.keySlot(stream));
    assert.deepEqual(await cluster.keysOn(port, stream), [stream]);
  });

  void it('runs gateway and worker processes on sharded pub/sub with REDIS_SHARDED_PUBSUB=true', async () => {
    const sprefix = `${prefix}s`;
    const senv = { ...env, REDIS_PREFIX: sprefix, REDIS_SHARDED_PUBSUB: 'true' };
    const sgw = await spawnGateway(senv);
    const sworker = spawnTs('examples/worker-simple.ts', { ...senv, WORKER_ID: 'sw0', WORKER_METRICS_PORT: '0', LOG_LEVEL: 'info' });
    try {
      assert.ok(
        sgw.lines.some((l) => l.includes('"shardedPubSub":true')),
        'sharded pub/sub is logged',
      );
      await waitUntil(async () => (await getJson(`${sgw.httpUrl}/ready`)).status === 200, 20_000, 'ready after the worker registers');
      const client = newClient(sgw.wsUrl, 'json');
      clients.push(client);
      const sub = client.newSubscription('chat:sharded');
      const seen: PublicationContext[] = [];
      sub.on('publication', (ctx) => seen.push(ctx));
      sub.subscribe();
      client.connect();
      await nextEvent(sub, 'subscribed', 8000);
      await sub.publish({ text: 'on its shard' });
      await waitUntil(() => seen.length === 1, 10_000, 'publication from the worker over sharded pub/sub');
      assert.deepEqual(seen[0]!.data, { text: 'on its shard' });
      // The gateway holds a shard channel subscription on the channel's master, and no classic one.
      const pubsub = new RedisKeys(sprefix).pubsubChannel('chat:sharded');
      const port = await cluster.portOfSlot(await cluster.keySlot(pubsub));
      assert.ok((await cluster.cli(port, 'pubsub', 'shardchannels')).split('\n').includes(pubsub), 'SSUBSCRIBEd on the master of its slot');
      for (const p of await cluster.masterPorts()) {
        assert.ok(!(await cluster.cli(p, 'pubsub', 'channels')).split('\n').includes(pubsub), `no classic SUBSCRIBE on ${p}`);
      }
    } finally {
      await Promise.all([sgw.stop('SIGKILL'), sworker.stop('SIGKILL')]);
    }
  });

  void it('stops the worker and the gateway with exit code 0 on SIGTERM', async () => {
    assert.equal(await worker!.stop('SIGTERM'), 0);
    assert.equal(await gw.stop('SIGTERM'), 0);
  });
});
