// redis-server killed (data lost) and restarted under traffic: three gateways and a worker carry
// on without a restart, and every recoverable subscriber is told its stream lost continuity
// (unsubscribe 2500 -> resubscribe -> recovered: false with the new epoch).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Centrifuge } from 'centrifuge';
import WebSocket from 'ws';
import { TestCluster, watchChannel, type WatchedSubscription } from '../helpers/cluster.js';
import { waitUntil } from '../helpers/gateway.js';

void describe('Redis restart during traffic', () => {
  let cluster: TestCluster;
  const watchers: WatchedSubscription[] = [];
  let publisherClient: Centrifuge;

  before(async () => {
    cluster = await TestCluster.start({ gateways: 3, workers: 1 });
  });
  after(async () => {
    for (const w of watchers) w.client.disconnect();
    publisherClient?.disconnect();
    await cluster.close();
  });

  void it('resumes delivery without restarting gateways and resyncs subscribers to the new epoch', async (t) => {
    const channel = 'chat:restart';
    for (const g of cluster.gateways) watchers.push(await watchChannel(g.wsUrl, channel));
    publisherClient = new Centrifuge(cluster.gateways[0]!.wsUrl, {
      websocket: WebSocket,
      timeout: 2000,
      minReconnectDelay: 100,
      maxReconnectDelay: 300,
    });
    publisherClient.connect();
    await publisherClient.ready(4000);

    // Traffic: a backend publishing directly and a client publishing through a worker.
    let running = true;
    let backendSeq = 0;
    let clientSeq = 0;
    let clientFailures = 0;
    const traffic = Promise.all([
      (async () => {
        while (running) {
          await cluster.publisher.publish(channel, JSON.stringify({ text: `backend ${backendSeq++}` })).catch(() => undefined);
          await sleep(20);
        }
      })(),
      (async () => {
        while (running) {
          await publisherClient.publish(channel, { text: `client ${clientSeq}` }).then(
            () => clientSeq++,
            () => clientFailures++,
          );
          await sleep(40);
        }
      })(),
    ]);
    try {
      for (const w of watchers)
        await waitUntil(() => w.pubs.some((p) => (p.data as { text: string }).text.startsWith('client')), 5000, 'traffic flowing');
      const oldEpoch = watchers[0]!.subscribed[0]!.streamPosition!.epoch;
      for (const w of watchers) assert.equal(w.subscribed[0]!.streamPosition!.epoch, oldEpoch);

      await cluster.redis.kill();
      await sleep(300);
      const delivered = watchers.map((w) => w.pubs.length);
      const restartedAt = performance.now();
      await cluster.redis.restart();

      for (const w of watchers) {
        await waitUntil(() => w.subscribing.some((s) => s.code === 2500), 10_000, 'unsubscribe 2500 (insufficient state)');
        await waitUntil(() => w.subscribed.length >= 2, 10_000, 'resubscribed');
      }
      const resyncMs = performance.now() - restartedAt;
      for (const w of watchers) {
        const again = w.subscribed[w.subscribed.length - 1]!;
        assert.equal(again.wasRecovering, true);
        assert.equal(again.recovered, false, 'the stream was lost with Redis: not recoverable');
        assert.notEqual(again.streamPosition!.epoch, oldEpoch, 'a new epoch');
      }
      const newEpoch = watchers[0]!.subscribed.at(-1)!.streamPosition!.epoch;
      for (const w of watchers) assert.equal(w.subscribed.at(-1)!.streamPosition!.epoch, newEpoch, 'every gateway sees the same new epoch');

      // Both kinds of traffic reach every gateway again.
      const clientSeqAtResync = clientSeq;
      for (const w of watchers) {
        await waitUntil(
          () =>
            w.pubs
              .slice(delivered[watchers.indexOf(w)])
              .some((p) => (p.data as { text: string }).text === `client ${clientSeqAtResync + 1}`),
          10_000,
          'client publications after the restart',
        );
        await waitUntil(
          () => w.pubs.slice(delivered[watchers.indexOf(w)]).some((p) => (p.data as { text: string }).text === `backend ${backendSeq - 1}`),
          10_000,
          'backend publications after the restart',
        );
      }
      const resumedMs = performance.now() - restartedAt;
      t.diagnostic(
        `after redis-server restart: every subscriber resynced (2500 -> recovered:false) in ${resyncMs.toFixed(0)} ms, client publications via the worker delivered on all gateways in ${resumedMs.toFixed(0)} ms; ${clientFailures} client publishes refused meanwhile`,
      );

      // Presence was lost with Redis; resubscribing put every subscriber back.
      await waitUntil(async () => (await watchers[1]!.client.presenceStats(channel)).numClients === 3, 5000, 'presence back');
    } finally {
      running = false;
      await traffic;
    }
    // After the resync each subscriber receives the new epoch from the position it was given, without gaps.
    await sleep(200);
    for (const w of watchers) {
      const from = w.subscribed.at(-1)!.streamPosition!.offset;
      const tail = w.pubs.slice(w.subscribedAt.at(-1)).map((p) => p.offset);
      assert.ok(tail.length > 0);
      assert.deepEqual(
        tail,
        Array.from({ length: tail.length }, (_, i) => from + 1 + i),
        'gapless from the new position',
      );
    }
  });
});
