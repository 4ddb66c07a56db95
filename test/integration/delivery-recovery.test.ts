// Recovery across gateways with the real centrifuge client: a subscriber loses its connection,
// publications go on, and it reconnects through the "load balancer" to ANOTHER gateway: it gets
// exactly what it missed (recovered: true), or recovered: false when the history cannot cover it.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestCluster, watchChannel, type WatchedSubscription } from '../helpers/cluster.js';
import { waitUntil } from '../helpers/gateway.js';

const texts = (w: WatchedSubscription): string[] => w.pubs.map((p) => (p.data as { text: string }).text);

void describe('recovery on another gateway', () => {
  let cluster: TestCluster;
  const watchers: WatchedSubscription[] = [];

  before(async () => {
    cluster = await TestCluster.start({ gateways: 3, workers: 0 });
  });
  after(async () => {
    for (const w of watchers) w.client.disconnect();
    await cluster.close();
  });

  const publish = (channel: string, text: string): Promise<unknown> => cluster.publisher.publish(channel, JSON.stringify({ text }));

  /** Subscribes on gateway `from`, publishes `before`, cuts the connection and keeps the client away until `resume`. */
  const subscribeThenDrop = async (channel: string, from: number): Promise<WatchedSubscription> => {
    const w = await watchChannel(cluster.gateways[from]!.wsUrl, channel);
    watchers.push(w);
    await publish(channel, 'before');
    await waitUntil(() => w.pubs.length === 1, 4000, 'first publication');
    w.router.blackhole();
    w.router.cut();
    await waitUntil(() => w.client.state === 'connecting', 4000, 'client notices the lost connection');
    return w;
  };

  /** Lets the client reconnect to gateway `to`; resolves with ms from the route's return to connected and to subscribed. */
  const resume = async (w: WatchedSubscription, to: number): Promise<{ connectedMs: number; subscribedMs: number }> => {
    const started = performance.now();
    w.router.url = cluster.gateways[to]!.wsUrl;
    await waitUntil(() => w.clientIds.length === 2, 6000, 'reconnected');
    const connectedMs = performance.now() - started;
    await waitUntil(() => w.subscribed.length === 2, 6000, 'resubscribed');
    return { connectedMs, subscribedMs: performance.now() - started };
  };

  void it('delivers exactly the missed publications, in order, with recovered: true', async (t) => {
    const channel = 'chat:recover';
    const w = await subscribeThenDrop(channel, 0);
    const missed = Array.from({ length: 20 }, (_, i) => `missed ${i + 1}`);
    for (const text of missed) await publish(channel, text);
    const took = await resume(w, 1);
    t.diagnostic(
      `route back -> connected to another gateway ${took.connectedMs.toFixed(0)} ms (client backoff), -> recovered 20 publications ${took.subscribedMs.toFixed(0)} ms`,
    );
    const ctx = w.subscribed[1]!;
    assert.equal(ctx.wasRecovering, true);
    assert.equal(ctx.recovered, true);
    await waitUntil(() => w.pubs.length === 21, 4000, 'recovered publications');
    assert.deepEqual(texts(w), ['before', ...missed]);
    assert.deepEqual(
      w.pubs.map((p) => p.offset),
      Array.from({ length: 21 }, (_, i) => i + 1),
    );
    assert.equal(w.clientIds.length, 2);
    assert.equal(cluster.gateways[0]!.gateway.connectionCount, 0, 'the first gateway let the dropped connection go');
    // Live delivery continues from the new gateway, without duplicates.
    await publish(channel, 'live');
    await waitUntil(() => w.pubs.length === 22, 4000, 'live publication');
    await sleep(100);
    assert.deepEqual(texts(w).slice(20), ['missed 20', 'live']);
    assert.equal(w.pubs.length, 22);
  });

  void it('recovers a stream position with nothing missed', async () => {
    const channel = 'chat:quiet';
    const w = await subscribeThenDrop(channel, 2);
    await resume(w, 0);
    assert.equal(w.subscribed[1]!.recovered, true);
    await sleep(100);
    assert.deepEqual(texts(w), ['before']);
  });

  void it('says recovered: false when more than history_size publications were missed', async () => {
    const channel = 'small:overflow';
    const w = await subscribeThenDrop(channel, 1);
    for (let i = 1; i <= 6; i++) await publish(channel, `lost ${i}`);
    await resume(w, 2);
    assert.equal(w.subscribed[1]!.wasRecovering, true);
    assert.equal(w.subscribed[1]!.recovered, false);
    await sleep(100);
    assert.deepEqual(texts(w), ['before'], 'nothing partial is delivered');
    // The client now holds the current top; it recovers from there next time.
    await publish(channel, 'after');
    await waitUntil(() => w.pubs.length === 2, 4000, 'live publication');
    assert.equal(w.pubs[1]!.offset, 8);
  });

  void it('recovers exactly history_size missed publications', async () => {
    const channel = 'small:edge';
    const w = await subscribeThenDrop(channel, 1);
    for (let i = 1; i <= 5; i++) await publish(channel, `kept ${i}`);
    await resume(w, 0);
    assert.equal(w.subscribed[1]!.recovered, true);
    await waitUntil(() => w.pubs.length === 6, 4000, 'recovered publications');
    assert.deepEqual(texts(w), ['before', 'kept 1', 'kept 2', 'kept 3', 'kept 4', 'kept 5']);
  });

  void it('says recovered: false after the missed publications expired (history_ttl)', async (t) => {
    const channel = 'brief:expiry';
    const w = await subscribeThenDrop(channel, 0);
    await publish(channel, 'expires');
    const started = performance.now();
    // brief keeps publications 1 s after the last one; the offset/epoch survive.
    await waitUntil(
      async () => {
        const page = await cluster.backendBroker.history(channel, { limit: -1 }, { size: 100, ttlMs: 1000 });
        return page.publications.length === 0 && page.position.offset === 2;
      },
      5000,
      'history expiry',
    );
    t.diagnostic(`history of a 1 s history_ttl channel gone after ${(performance.now() - started).toFixed(0)} ms`);
    await resume(w, 1);
    assert.equal(w.subscribed[1]!.wasRecovering, true);
    assert.equal(w.subscribed[1]!.recovered, false);
    assert.equal(w.subscribed[1]!.streamPosition?.offset, 2);
    await sleep(100);
    assert.deepEqual(texts(w), ['before']);
  });

  void it('recovers a position older than an expiry when nothing was published since it', async () => {
    const channel = 'brief:idle';
    const w = await subscribeThenDrop(channel, 2);
    await sleep(1300);
    await resume(w, 1);
    assert.equal(w.subscribed[1]!.recovered, true, 'the client is at the top: nothing to recover, nothing lost');
  });
});
