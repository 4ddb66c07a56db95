// Redis Cluster end to end on a real 3-master cluster: two in-process gateways and one worker, each
// on its own ioredis Cluster connections; real centrifuge clients chat through the worker's stream,
// recover missed publications, see presence; keys of one channel share a slot, channels and worker
// streams spread over the masters; the control bus and node registry work across the cluster.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { PublicationContext, SubscribedContext, Subscription } from 'centrifuge';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/index.js';
import {
  ChannelPublisher,
  RedisBroker,
  RedisControlBus,
  RedisNodeRegistry,
  RedisPresenceManager,
  type ControlCommand,
} from '../../src/engine/index.js';
import { RedisStreamQueue, StreamPipeline } from '../../src/queue/index.js';
import { RedisWorkerRegistry } from '../../src/routing/index.js';
import { createWorker, type Worker } from '../../src/worker/index.js';
import { simpleHandler } from '../../examples/worker-simple.js';
import { RedisCluster } from '../helpers/redis-cluster.js';
import { newClient, nextEvent, startTestGateway, waitUntil, type TestGateway } from '../helpers/gateway.js';
import { RedisKeys, connectRedis, openRedisCluster, type ClusterConnection, PipelineKeys } from '../../src/redis/index.js';

const silent = pino({ level: 'silent' });

void describe('Redis Cluster end to end', () => {
  let cluster: RedisCluster;
  const prefix = `rmc${randomUUID().slice(0, 8)}`;
  const conns: ClusterConnection[] = [];
  const gateways: TestGateway[] = [];
  let worker: Worker;
  let workerBroker: RedisBroker;
  let workerQueue: RedisStreamQueue;
  const clients: { disconnect(): void }[] = [];

  const open = async (role: 'producer' | 'worker' | 'subscriber'): Promise<ClusterConnection> => {
    const conn = openRedisCluster(cluster.url, { role });
    conn.on('error', () => {});
    conns.push(conn);
    assert.equal(await connectRedis(conn), true);
    return conn;
  };

  const startGateway = async (nodeId: string): Promise<TestGateway> => {
    const [engine, subscriber, queueConn] = [await open('producer'), await open('subscriber'), await open('producer')];
    const keys = new PipelineKeys({ prefix, hashTags: true });
    const gw = await startTestGateway(
      { NODE_ID: nodeId, REDIS_PREFIX: prefix },
      {
        broker: new RedisBroker({ redis: engine, subscriber, prefix }),
        presence: new RedisPresenceManager({ redis: engine, prefix }),
        pipeline: new StreamPipeline({
          queue: new RedisStreamQueue({ redis: queueConn, keys }),
          registry: new RedisWorkerRegistry({ redis: queueConn, keys }),
          nodeId,
          routeCacheTtlMs: 1000,
        }),
      },
    );
    gateways.push(gw);
    return gw;
  };

  before(async () => {
    cluster = await RedisCluster.start();
    const keys = new PipelineKeys({ prefix, hashTags: true });
    const wconn = await open('worker');
    workerQueue = new RedisStreamQueue({ redis: wconn, keys });
    workerBroker = new RedisBroker({ redis: await open('worker'), prefix });
    await workerBroker.start({ handlePublication: () => {}, handleJoin: () => {}, handleLeave: () => {} });
    const publisher = new ChannelPublisher(workerBroker, loadConfig({}).channel);
    const simple = simpleHandler(silent);
    worker = createWorker({
      id: 'w1',
      queue: workerQueue,
      registry: new RedisWorkerRegistry({ redis: wconn, keys }),
      handler: async (msg, ctx) => {
        if (msg.channel === 'chat:poison') throw new Error('poisoned');
        return simple(msg, ctx);
      },
      publisher: {
        publish: async (channel, data, opts) => {
          await publisher.publish(channel, data, opts ?? {});
        },
      },
      heartbeatMs: 200,
      maxAttempts: 2,
      backoff: () => 10,
      logger: silent,
    });
    await worker.start();
    await startGateway('gw-a');
    await startGateway('gw-b');
  });

  after(async () => {
    for (const c of clients) c.disconnect();
    for (const gw of gateways) await gw.close();
    await worker?.close();
    await workerQueue?.close();
    await workerBroker?.close();
    for (const c of conns) c.disconnect();
    await cluster?.close();
  });

  const subscribe = async (gw: TestGateway, channel: string) => {
    const client = newClient(gw.wsUrl, 'json');
    clients.push(client);
    const sub: Subscription = client.newSubscription(channel);
    const pubs: PublicationContext[] = [];
    const subscribed: SubscribedContext[] = [];
    const clientIds: string[] = [];
    client.on('connected', (ctx) => clientIds.push(ctx.client));
    sub.on('publication', (ctx) => pubs.push(ctx));
    sub.on('subscribed', (ctx) => subscribed.push(ctx));
    sub.subscribe();
    client.connect();
    await waitUntil(() => subscribed.length === 1, 8000, `subscribed to ${channel}`);
    return { client, sub, pubs, subscribed, clientIds };
  };

  void it('carries a chat message from a client on one gateway through the stream and the worker to a client on the other', async () => {
    const channel = 'chat:cluster-room';
    const alice = await subscribe(gateways[0]!, channel);
    const bob = await subscribe(gateways[1]!, channel);
    await alice.sub.publish({ text: 'hello over the cluster' });
    await waitUntil(() => bob.pubs.length === 1 && alice.pubs.length === 1, 8000, 'publication on both gateways');
    assert.deepEqual(bob.pubs[0]!.data, { text: 'hello over the cluster' });
    assert.equal(bob.pubs[0]!.offset, 1);
    // The handler publishes before it returns and the acknowledgement follows: wait for it.
    await waitUntil(async () => (await worker.info()).pending === 0, 5000, 'the worker acknowledged the entry');
  });

  void it('recovers the publications a client missed while disconnected', async () => {
    const channel = 'chat:cluster-recover';
    const alice = await subscribe(gateways[0]!, channel);
    const bob = await subscribe(gateways[1]!, channel);
    await alice.sub.publish({ text: 'before' });
    await waitUntil(() => bob.pubs.length === 1, 8000, 'first publication');
    bob.client.disconnect();
    for (const text of ['missed 1', 'missed 2', 'missed 3']) await alice.sub.publish({ text });
    await waitUntil(() => alice.pubs.length === 4, 8000, 'publications through the worker');
    bob.client.connect();
    await waitUntil(() => bob.subscribed.length === 2, 8000, 'resubscribed');
    assert.equal(bob.subscribed[1]!.wasRecovering, true);
    assert.equal(bob.subscribed[1]!.recovered, true);
    await waitUntil(() => bob.pubs.length === 4, 8000, 'recovered publications');
    assert.deepEqual(
      bob.pubs.map((p) => (p.data as { text: string }).text),
      ['before', 'missed 1', 'missed 2', 'missed 3'],
    );
    assert.deepEqual(
      bob.pubs.map((p) => p.offset),
      [1, 2, 3, 4],
    );
    const history = await alice.sub.history({ limit: -1 });
    assert.equal(history.publications.length, 4);
  });

  void it('keeps presence of clients on both gateways', async () => {
    const channel = 'chat:cluster-presence';
    const subs = [await subscribe(gateways[0]!, channel), await subscribe(gateways[1]!, channel), await subscribe(gateways[1]!, channel)];
    const alice = subs[0]!;
    const presence = await alice.sub.presence();
    assert.deepEqual(Object.keys(presence.clients).sort(), subs.map((c) => c.clientIds[0]).sort());
    // Anonymous connections: three clients, one (empty) user.
    assert.deepEqual(await alice.sub.presenceStats(), { numClients: 3, numUsers: 1 });
  });

  void it('puts every key of one channel in one slot, spreads channels and worker streams over the masters', async () => {
    const keys = new RedisKeys(prefix);
    const channel = 'chat:cluster-room';
    const names = [keys.historyStream(channel), keys.historyMeta(channel), ...keys.presenceKeys(channel), keys.pubsubChannel(channel)];
    const slots = new Set(await Promise.all(names.map((k) => cluster.keySlot(k))));
    assert.equal(slots.size, 1, `one slot for ${names.join(', ')}`);
    // The keys exist where the slot says, on exactly one master.
    const [slot] = [...slots];
    const port = await cluster.portOfSlot(slot!);
    assert.deepEqual(await cluster.keysOn(port, keys.historyStream(channel)), [keys.historyStream(channel)]);

    const pk = new PipelineKeys({ prefix, hashTags: true });
    const workerSlots = new Set(
      await Promise.all([pk.workerStream('w1'), pk.streamLock('w1'), pk.deadLetterStream('w1')].map((k) => cluster.keySlot(k))),
    );
    assert.equal(workerSlots.size, 1, 'a worker stream, its lock and its dead-letter stream share a slot');
    const registrySlots = new Set(await Promise.all([pk.workers(), pk.orphans()].map((k) => cluster.keySlot(k))));
    assert.equal(registrySlots.size, 1, 'the routing set and the orphans share a slot');

    const masters = new Set<number>();
    for (let i = 0; i < 12; i++) masters.add(await cluster.portOfSlot(await cluster.keySlot(keys.historyStream(`chat:spread-${i}`))));
    assert.equal(masters.size, 3, '12 channels land on all three masters');
    const workerMasters = new Set<number>();
    for (let i = 0; i < 12; i++) workerMasters.add(await cluster.portOfSlot(await cluster.keySlot(pk.workerStream(`w${i}`))));
    assert.ok(workerMasters.size >= 2, 'worker streams land on several masters');
  });

  void it('delivers control commands to every node and lists nodes through the registry', async () => {
    const [a, b] = [await open('worker'), await open('worker')];
    const received: ControlCommand[] = [];
    const busA = new RedisControlBus({ redis: a, prefix });
    const busB = new RedisControlBus({ redis: b, prefix });
    await busA.start(() => {});
    await busB.start((cmd) => received.push(cmd));
    try {
      const command: ControlCommand = { type: 'disconnect', user: 'mallory', code: 3000, reason: 'test' };
      await busA.send(command);
      await waitUntil(() => received.length === 1, 5000, 'control command');
      assert.deepEqual(received[0], command);
      const nodes = new RedisNodeRegistry({ redis: a, prefix: `${prefix}n` });
      for (const nodeId of ['n1', 'n2']) {
        await nodes.heartbeat({ nodeId, name: nodeId, version: 't', numClients: 0, numUsers: 0, numSubs: 0, uptime: 1 }, 5000);
      }
      assert.deepEqual(
        (await nodes.list()).map((n) => n.nodeId),
        ['n1', 'n2'],
      );
      await nodes.remove('n1');
      assert.deepEqual(
        (await nodes.list()).map((n) => n.nodeId),
        ['n2'],
      );
    } finally {
      await busA.close();
      await busB.close();
    }
  });

  void it('dead-letters a failing message in the slot of the worker stream', async () => {
    const poisoned = await subscribe(gateways[0]!, 'chat:poison');
    await poisoned.sub.publish({ text: 'never handled' });
    await waitUntil(async () => (await workerQueue.readDeadLetters('w1', 10)).length === 1, 8000, 'dead letter');
    const [dead] = await workerQueue.readDeadLetters('w1', 10);
    assert.match(dead!.error, /poisoned/);
    assert.equal(dead!.attempts, 2);
    assert.equal(dead!.message?.channel, 'chat:poison');
    await waitUntil(async () => (await worker.info()).pending === 0, 5000, 'dead-lettered entry acknowledged');
  });

  void it('answers rpc through the worker', async () => {
    const client = newClient(gateways[1]!.wsUrl, 'json');
    clients.push(client);
    client.connect();
    await nextEvent(client, 'connected', 8000);
    const reply = await client.rpc('echo', { ping: 1 });
    assert.deepEqual(reply.data, { ping: 1 });
  });
});
