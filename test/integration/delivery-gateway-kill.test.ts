// kill -9 of a gateway process: its clients reconnect (through the "load balancer") to another
// gateway and recover what was published meanwhile; the dead gateway's presence entries expire.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  TestCluster,
  spawnBinGateway,
  spawnClusterGateway,
  watchChannel,
  type GatewayProcess,
  type WatchedSubscription,
} from '../helpers/cluster.js';
import { Centrifuge } from 'centrifuge';
import WebSocket from 'ws';
import { waitUntil } from '../helpers/gateway.js';

const PRESENCE_TTL_MS = 1500;

void describe('kill -9 of a gateway', () => {
  let cluster: TestCluster;
  let doomed: GatewayProcess;
  const watchers: WatchedSubscription[] = [];

  before(async () => {
    cluster = await TestCluster.start({ gateways: 1, workers: 1 });
    doomed = await spawnClusterGateway({
      redisUrl: cluster.redis.url,
      prefix: cluster.prefix,
      nodeId: 'doomed',
      pipeline: 'direct',
      env: { CONFIG_FILE: cluster.configPath },
      presenceTtlMs: PRESENCE_TTL_MS,
    });
  });
  after(async () => {
    for (const w of watchers) w.client.disconnect();
    await doomed.killHard();
    await cluster.close();
  });

  void it('moves its clients to another gateway with recovery, and its presence entries expire', async (t) => {
    const channel = 'chat:kill';
    for (let i = 0; i < 3; i++) watchers.push(await watchChannel(doomed.wsUrl, channel));
    const survivor = cluster.gateways[0]!;
    const oldIds = watchers.map((w) => w.clientIds[0]!);
    assert.deepEqual(
      Object.keys(await survivor.presence.presence(channel)).sort(),
      [...oldIds].sort(),
      'presence written by the doomed gateway',
    );
    await cluster.publisher.publish(channel, JSON.stringify({ text: 'before' }));
    for (const w of watchers) await waitUntil(() => w.pubs.length === 1, 4000, 'first publication');

    for (const w of watchers) w.router.blackhole();
    await doomed.killHard();
    const killedAt = performance.now();
    for (const w of watchers) await waitUntil(() => w.client.state === 'connecting', 4000, 'client notices the dead gateway');
    const missed = Array.from({ length: 10 }, (_, i) => `missed ${i + 1}`);
    for (const text of missed) await cluster.publisher.publish(channel, JSON.stringify({ text }));
    const routedAt = performance.now();
    for (const w of watchers) w.router.url = survivor.wsUrl;

    for (const w of watchers) {
      await waitUntil(() => w.subscribed.length === 2 && w.pubs.length === 11, 6000, 'recovered on the survivor');
      assert.equal(w.subscribed[1]!.recovered, true);
      assert.deepEqual(
        w.pubs.map((p) => (p.data as { text: string }).text),
        ['before', ...missed],
      );
    }
    t.diagnostic(
      `kill -9 -> 3 clients recovered 10 publications on the survivor ${(performance.now() - routedAt).toFixed(0)} ms after the route changed`,
    );
    assert.equal(survivor.gateway.connectionCount, 3);

    // Entries of the dead gateway stay until their ttl; the new connections' entries replace them.
    const newIds = watchers.map((w) => w.clientIds[1]!);
    await waitUntil(
      async () => {
        const ids = Object.keys(await survivor.presence.presence(channel));
        return oldIds.every((id) => !ids.includes(id));
      },
      PRESENCE_TTL_MS + 3000,
      'dead gateway presence expiry',
    );
    t.diagnostic(
      `dead gateway's presence entries gone ${(performance.now() - killedAt).toFixed(0)} ms after kill -9 (presence ttl ${PRESENCE_TTL_MS} ms)`,
    );
    assert.deepEqual(Object.keys(await survivor.presence.presence(channel)).sort(), [...newIds].sort());
    assert.deepEqual(await survivor.presence.presenceStats(channel), { numClients: 3, numUsers: 1 });
  });

  void it('moves the clients of a killed bin/gateway.ts (Redis mode, stream pipeline) to another gateway with recovery', async (t) => {
    const bin = await spawnBinGateway({ ...cluster.env, NODE_ID: 'bin-doomed' });
    const channel = 'chat:kill-bin';
    const mine: WatchedSubscription[] = [];
    try {
      for (let i = 0; i < 2; i++) mine.push(await watchChannel(bin.wsUrl, channel));
      watchers.push(...mine);
      // A client publication through the bin's pipeline and the cluster's worker.
      const sender = new Centrifuge(bin.wsUrl, { websocket: WebSocket, timeout: 4000 });
      sender.connect();
      await sender.publish(channel, { text: 'before' });
      for (const w of mine) await waitUntil(() => w.pubs.length === 1, 5000, 'publication through the bin');
      for (const w of mine) w.router.blackhole();
      await bin.killHard();
      sender.disconnect();
      for (const w of mine) await waitUntil(() => w.client.state === 'connecting', 4000, 'client notices the dead gateway');
      for (let i = 1; i <= 5; i++) await cluster.publisher.publish(channel, JSON.stringify({ text: `missed ${i}` }));
      const routedAt = performance.now();
      for (const w of mine) w.router.url = cluster.gateways[0]!.wsUrl;
      for (const w of mine) {
        await waitUntil(() => w.subscribed.length === 2 && w.pubs.length === 6, 6000, 'recovered on the survivor');
        assert.equal(w.subscribed[1]!.recovered, true);
        assert.deepEqual(
          w.pubs.map((p) => p.offset),
          [1, 2, 3, 4, 5, 6],
        );
      }
      t.diagnostic(
        `bin/gateway.ts kill -9 -> 2 clients recovered on the survivor ${(performance.now() - routedAt).toFixed(0)} ms after the route changed`,
      );
    } finally {
      await bin.killHard();
    }
  });
});
