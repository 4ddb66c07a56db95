// Order through membership changes: when a channel moves to another worker (one joins, one is
// retired), the new owner does not handle it before the old owner's stream has handled every earlier
// message of the channel (the hand-off fence).
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { useRedisServer } from '../helpers/redis-server.js';
import { createRedisPipeline, type StreamPipeline } from '../../src/queue/index.js';
import { PipelineKeys } from '../../src/redis/index.js';
import { RedisWorkerRegistry, RendezvousSet } from '../../src/routing/index.js';
import { createRedisWorker, type Worker } from '../../src/worker/index.js';
import { checkOrderAndCoverage, parseLog, waitUntil, closeTracked, track } from './pipeline-helpers.js';

const fixture = useRedisServer({ beforeClose: closeTracked });

function slowWorker(id: string, prefix: string, logKey: string, delayMs: number): Worker {
  return track(
    createRedisWorker({
      id,
      redisUrl: fixture.server.url,
      prefix,
      heartbeatMs: 200,
      deadAfterMs: 1000,
      batchSize: 20,
      orphanGraceMs: 300,
      publisher: { publish: async () => {} },
      handler: async (msg, ctx) => {
        if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
        await fixture.redis.rpush(logKey, `${msg.channel}|${msg.data}|${msg.id}|${process.pid}|${ctx.stream}`);
      },
    }),
  );
}

async function publish(gateway: StreamPipeline, channel: string, from: number, to: number, accepted: number[]): Promise<void> {
  for (let seq = from; seq < to; seq++) {
    await gateway.submit({ kind: 'publish', channel, data: JSON.stringify({ seq }), user: 'u', client: 'c' });
    accepted.push(seq);
  }
}

void it('keeps per-channel order when a joining worker takes a channel over from a busy one', async () => {
  const prefix = `t${randomUUID().slice(0, 8)}`;
  const logKey = `${prefix}:log`;
  // A channel that worker-a owns alone and worker-b owns once it joins.
  let channel = '';
  for (let i = 0; channel === ''; i++)
    if (new RendezvousSet(['worker-a', 'worker-b']).owner(`chat:h${i}`) === 'worker-b') channel = `chat:h${i}`;
  const a = slowWorker('worker-a', prefix, logKey, 25);
  await a.start();
  const gateway = track(createRedisPipeline({ redisUrl: fixture.server.url, prefix, nodeId: 'node-h', routeCacheTtlMs: 30_000 }));
  await gateway.start();
  const accepted: number[] = [];
  // 40 messages at 25 ms each: about a second of backlog on worker-a's stream.
  await publish(gateway, channel, 0, 40, accepted);
  const b = slowWorker('worker-b', prefix, logKey, 0);
  await b.start();
  // Keep publishing until the gateway routes the channel to worker-b (announcement), then some more.
  let seq = 40;
  const registry = new RedisWorkerRegistry({ redis: fixture.redis, keys: new PipelineKeys({ prefix }) });
  await waitUntil(async () => (await registry.members()).some((m) => m.id === 'worker-b'), 10_000, 'worker-b registered');
  await waitUntil(
    async () => {
      await publish(gateway, channel, seq, seq + 5, accepted);
      seq += 5;
      const log = parseLog(await fixture.redis.lrange(logKey, 0, -1));
      return log.some((l) => l.stream === 'worker-b');
    },
    20_000,
    'worker-b to handle the channel',
  );
  await publish(gateway, channel, seq, seq + 20, accepted);
  const total = accepted.length;
  await waitUntil(
    async () => new Set(parseLog(await fixture.redis.lrange(logKey, 0, -1)).map((l) => l.id)).size >= total,
    30_000,
    'every message handled',
  );
  const log = parseLog(await fixture.redis.lrange(logKey, 0, -1));
  assert.deepEqual(checkOrderAndCoverage(log, new Map([[channel, accepted]])), []);
  const firstOnB = log.findIndex((l) => l.stream === 'worker-b');
  assert.ok(firstOnB > 0 && log.slice(0, firstOnB).every((l) => l.stream === 'worker-a'), 'worker-a handled its backlog first');
  assert.ok(
    log.slice(firstOnB).every((l) => l.stream === 'worker-b'),
    'then worker-b handled the rest',
  );
  console.log(`# ${firstOnB} messages handled by worker-a before worker-b took the channel; ${total} in all`);
  await gateway.close();
});
