// One connection's publishes are pipelined by the gateway (not each waiting for its append) yet reach
// the worker in the order the client sent them, also while the route cache keeps expiring; a command
// after them (subscribe) still runs after they finished. Real redis-server, gateway, worker and client.
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import type { Centrifuge } from 'centrifuge';
import { signToken } from '../../src/gateway/index.js';
import { createRedisPipeline } from '../../src/queue/index.js';
import { createRedisWorker, type Worker } from '../../src/worker/index.js';
import { newClient, payload, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { RedisServer } from '../helpers/redis-server.js';
import { waitUntil } from './pipeline-helpers.js';

const SECRET = 'order-test-secret';
let server: RedisServer;
before(async () => {
  server = await RedisServer.start();
});
after(async () => {
  await server.close();
});

void it("keeps a connection's pipelined publishes in order per channel into the stream", async () => {
  const prefix = `t${randomUUID().slice(0, 8)}`;
  const seen = new Map<string, number[]>();
  let worker: Worker | null = null;
  let gw: TestGateway | null = null;
  let client: Centrifuge | null = null;
  try {
    worker = createRedisWorker({
      id: 'worker-0',
      redisUrl: server.url,
      prefix,
      heartbeatMs: 200,
      publisher: { publish: async () => {} },
      handler: async (msg) => {
        const list = seen.get(msg.channel) ?? [];
        list.push((JSON.parse(msg.data) as { seq: number }).seq);
        seen.set(msg.channel, list);
      },
    });
    await worker.start();
    // A 1 ms route cache: publishes alternate between cached routes and reloads of the routing set.
    const pipeline = createRedisPipeline({ redisUrl: server.url, prefix, nodeId: 'node-a', routeCacheTtlMs: 1 });
    gw = await startTestGateway({ CENTRIFUGO_TOKEN_HMAC_SECRET_KEY: SECRET, CLIENT_COMMAND_RATE_LIMIT: '100000' }, { pipeline });
    client = newClient(gw.wsUrl, 'json', { token: signToken({ sub: 'u1', exp: Math.floor(Date.now() / 1000) + 3600 }, SECRET) });
    client.connect();
    await client.ready(4000);
    const c = client;
    const total = 600;
    const channels = ['chat:o0', 'chat:o1', 'chat:o2'];
    const publishes = Array.from({ length: total }, (_, seq) =>
      c.publish(channels[seq % channels.length] ?? '', payload('json', { text: 'x', seq })),
    );
    const sub = c.newSubscription('chat:after');
    sub.subscribe();
    await Promise.all(publishes);
    await sub.ready(4000);
    await waitUntil(() => [...seen.values()].reduce((n, l) => n + l.length, 0) >= total, 15_000, 'every publish handled');
    for (const [channel, seqs] of seen) {
      const expected = [...seqs].sort((a, b) => a - b);
      assert.deepEqual(seqs, expected, `${channel} handled in send order`);
    }
    assert.equal(seen.size, channels.length);
  } finally {
    client?.disconnect();
    await gw?.close();
    await worker?.close();
  }
});
