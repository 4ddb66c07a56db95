// Three gateways on one Redis with real workers: publications from clients (stream pipeline ->
// worker -> broker), from workers (ctx.publish) and from the server HTTP API reach subscribers on
// every gateway; concurrent publishers on every gateway leave gapless, strictly increasing offsets.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Centrifuge } from 'centrifuge';
import WebSocket from 'ws';
import { TestCluster, apiCall, watchChannel, type WatchedSubscription } from '../helpers/cluster.js';
import { waitUntil } from '../helpers/gateway.js';

void describe('delivery across three gateways', () => {
  let cluster: TestCluster;
  const clients: Centrifuge[] = [];

  before(async () => {
    cluster = await TestCluster.start({ gateways: 3, workers: 2 });
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await cluster.close();
  });

  const watchOnEvery = async (channel: string): Promise<WatchedSubscription[]> => {
    const watchers = await Promise.all(cluster.gateways.map((g) => watchChannel(g.wsUrl, channel)));
    for (const w of watchers) clients.push(w.client);
    return watchers;
  };

  const connectTo = async (url: string): Promise<Centrifuge> => {
    const c = new Centrifuge(url, { websocket: WebSocket, timeout: 4000 });
    clients.push(c);
    c.connect();
    await c.ready(4000);
    return c;
  };

  void it('delivers client publications through the pipeline to subscribers on every gateway, in one order', async () => {
    const channel = 'chat:fanout';
    const watchers = await watchOnEvery(channel);
    const publishers = await Promise.all(cluster.gateways.map((g) => connectTo(g.wsUrl)));
    for (let round = 0; round < 3; round++) {
      for (const [i, p] of publishers.entries()) await p.publish(channel, { text: 'hi', from: i, round });
    }
    for (const w of watchers) await waitUntil(() => w.pubs.length === 9, 8000, 'nine publications on every gateway');
    const expected = watchers[0]!.pubs;
    assert.deepEqual(
      expected.map((p) => p.offset),
      [1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    for (const w of watchers) assert.deepEqual(w.pubs, expected, 'every gateway delivers the same publications in the same order');
    // Each publisher's own messages keep their order (it awaited each publish).
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(
        expected.filter((p) => (p.data as { from: number }).from === i).map((p) => (p.data as { round: number }).round),
        [0, 1, 2],
      );
    }
    // Presence is cluster-wide: each gateway sees the subscribers of all three.
    const online = await watchers[0]!.client.presenceStats(channel);
    assert.equal(online.numClients, 3);
  });

  void it('subscribes the first subscriber of a fresh gateway at the first attempt', async () => {
    // Regression: the broker's lazily duplicated pub/sub connection refused the first SUBSCRIBE
    // (no offline queue), so the first subscriber of every gateway got error 100 and retried.
    const fresh = await cluster.addGateway();
    const w = await watchChannel(fresh.wsUrl, 'chat:fresh');
    clients.push(w.client);
    assert.deepEqual(w.errors, []);
    assert.equal(w.subscribing.length, 1);
  });

  void it('delivers what a worker publishes with ctx.publish to every gateway', async () => {
    const channel = 'chat:announce';
    const watchers = await watchOnEvery(channel);
    const caller = await connectTo(cluster.gateways[1]!.wsUrl);
    const reply = await caller.rpc('announce', { channel, data: { text: 'from a worker' } });
    assert.equal(reply.data, 'ok');
    for (const w of watchers) {
      await waitUntil(() => w.pubs.length === 1, 5000, 'worker publication');
      assert.deepEqual(w.pubs[0], { data: { text: 'from a worker' }, offset: 1 });
    }
  });

  void it('delivers server HTTP API publications to every gateway', async () => {
    // The API is mounted by the cluster helper itself (as bin/gateway.ts is to do).
    const channel = 'chat:api';
    const watchers = await watchOnEvery(channel);
    const result = await apiCall(cluster.gateways[2]!.httpUrl, 'publish', { channel, data: { text: 'from the backend' } });
    assert.equal((result.result as { offset: number }).offset, 1);
    for (const w of watchers) {
      await waitUntil(() => w.pubs.length === 1, 5000, 'API publication');
      assert.deepEqual(w.pubs[0], { data: { text: 'from the backend' }, offset: 1 });
    }
  });

  void it('assigns strictly increasing, gapless offsets to concurrent publishers on every gateway', async () => {
    const channel = 'chat:race';
    const watchers = await watchOnEvery(channel);
    const publishers = await Promise.all([...cluster.gateways, ...cluster.gateways].map((g) => connectTo(g.wsUrl)));
    const perClient = 25;
    const started = performance.now();
    await Promise.all([
      ...publishers.map(async (p, i) => {
        // Not awaited one by one: each client has many publishes in flight at once.
        await Promise.all(Array.from({ length: perClient }, (_, seq) => p.publish(channel, { text: 'hi', from: `c${i}`, seq })));
      }),
      ...cluster.gateways.map(async (g, i) => {
        for (let seq = 0; seq < perClient; seq++) await apiCall(g.httpUrl, 'publish', { channel, data: { from: `api${i}`, seq } });
      }),
      (async () => {
        for (let seq = 0; seq < perClient; seq++) await cluster.publisher.publish(channel, JSON.stringify({ from: 'backend', seq }));
      })(),
    ]);
    const total = (publishers.length + cluster.gateways.length + 1) * perClient;
    for (const w of watchers) await waitUntil(() => w.pubs.length === total, 15_000, `${total} publications`);
    console.log(
      `# ${total} concurrent publications from 10 publishers via 3 gateways delivered everywhere in ${Math.round(performance.now() - started)} ms`,
    );

    const page = await cluster.backendBroker.history(channel, { limit: -1 }, { size: 100, ttlMs: 300_000 });
    assert.equal(page.position.offset, total);
    // chat keeps the newest 100: offsets total-99 .. total, none missing.
    assert.deepEqual(
      page.publications.map((p) => p.offset),
      Array.from({ length: 100 }, (_, i) => total - 99 + i),
      'history has no gap',
    );
    for (const w of watchers) {
      assert.deepEqual(
        w.pubs.map((p) => p.offset),
        Array.from({ length: total }, (_, i) => i + 1),
        'delivered in offset order',
      );
      assert.deepEqual(
        w.pubs.map((p) => p.data),
        watchers[0]!.pubs.map((p) => p.data),
      );
    }
    // Sequential publishers (API, backend) keep their order in the channel.
    const delivered = watchers[0]!.pubs.map((p) => p.data as { from: string; seq: number });
    for (const from of ['api0', 'api1', 'api2', 'backend']) {
      assert.deepEqual(
        delivered.filter((d) => d.from === from).map((d) => d.seq),
        Array.from({ length: perClient }, (_, i) => i),
      );
    }
    // Every message of every publisher arrived exactly once.
    assert.equal(new Set(delivered.map((d) => `${d.from}/${d.seq}`)).size, total);
  });
});
