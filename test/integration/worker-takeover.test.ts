// A worker that stays dead has its stream taken over (and handed back when it returns); a worker that
// deregisters has the rest of its stream drained by another (orphan drain).
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { useRedisServer } from '../helpers/redis-server.js';
import { createRedisPipeline, type StreamPipeline } from '../../src/queue/index.js';
import { RedisWorkerRegistry, RendezvousSet } from '../../src/routing/index.js';
import { createRedisWorker, type Worker } from '../../src/worker/index.js';
import { checkOrderAndCoverage, killHard, parseLog, spawnWorker, waitUntil, closeTracked, track } from './pipeline-helpers.js';
import { PipelineKeys } from '../../src/redis/index.js';

const fixture = useRedisServer({ beforeClose: closeTracked });

function loggingWorker(id: string, prefix: string, logKey: string, extra: Partial<Parameters<typeof createRedisWorker>[0]> = {}): Worker {
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
        await fixture.redis.rpush(logKey, `${msg.channel}|${msg.data}|${msg.id}|${process.pid}|${ctx.stream}`);
      },
      ...extra,
    }),
  );
}

function channelsOwnedBy(owner: string, workers: string[], n: number): string[] {
  const set = new RendezvousSet(workers);
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) if (set.owner(`chat:t${i}`) === owner) out.push(`chat:t${i}`);
  return out;
}

async function publishSeqs(
  gateway: StreamPipeline,
  channels: string[],
  from: number,
  to: number,
  accepted: Map<string, number[]>,
  pauseMs: number,
): Promise<void> {
  await Promise.all(
    channels.map(async (channel) => {
      for (let seq = from; seq < to; seq++) {
        await gateway.submit({ kind: 'publish', channel, data: JSON.stringify({ seq }), user: 'u', client: 'c' });
        (accepted.get(channel) ?? accepted.set(channel, []).get(channel)!).push(seq);
        if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
      }
    }),
  );
}

void it('takes over the stream of a worker that stays dead, in order, and hands it back when it returns', async () => {
  const prefix = `t${randomUUID().slice(0, 8)}`;
  const logKey = `${prefix}:log`;
  const env = {
    REDIS_URL: fixture.server.url,
    PREFIX: prefix,
    WORKER_ID: 'worker-a',
    LOG_KEY: logKey,
    DELAY_MS: '2',
    TAKEOVER: '0',
    DEAD_AFTER_MS: '1000',
  };
  let childA = await spawnWorker(env);
  const workerB = loggingWorker('worker-b', prefix, logKey);
  await workerB.start();
  const gateway = track(createRedisPipeline({ redisUrl: fixture.server.url, prefix, nodeId: 'node-a', routeCacheTtlMs: 30_000 }));
  await gateway.start();
  const channelsA = channelsOwnedBy('worker-a', ['worker-a', 'worker-b'], 6);
  const accepted = new Map<string, number[]>();

  const submitting = publishSeqs(gateway, channelsA, 0, 150, accepted, 5);
  await waitUntil(async () => (await fixture.redis.llen(logKey)) >= 100, 20_000, 'worker-a to be mid-stream');
  await killHard(childA);
  const killedAt = Date.now();
  await waitUntil(
    async () => parseLog(await fixture.redis.lrange(logKey, -50, -1)).some((l) => l.pid === process.pid && l.stream === 'worker-a'),
    20_000,
    'worker-b to take over the stream of worker-a',
  );
  const takeoverMs = Date.now() - killedAt;
  console.log(
    `# takeover: first message of the dead worker's stream handled by another worker ${takeoverMs} ms after kill -9 (heartbeat 200 ms, deadAfter 1000 ms)`,
  );
  await submitting;
  const firstTotal = channelsA.length * 150;
  await waitUntil(
    async () => new Set(parseLog(await fixture.redis.lrange(logKey, 0, -1)).map((l) => l.id)).size >= firstTotal,
    30_000,
    'the stream drained by worker-b',
  );
  assert.deepEqual(workerB.consumedStreams().sort(), ['worker-a', 'worker-b']);

  // worker-a comes back: worker-b hands its stream back, and new messages are handled by worker-a again.
  childA = await spawnWorker(env);
  await waitUntil(() => !workerB.consumedStreams().includes('worker-a'), 10_000, 'worker-b to hand the stream back');
  await publishSeqs(gateway, channelsA, 150, 200, accepted, 0);
  const total = channelsA.length * 200;
  await waitUntil(
    async () => new Set(parseLog(await fixture.redis.lrange(logKey, 0, -1)).map((l) => l.id)).size >= total,
    30_000,
    'every message handled',
  );
  const log = parseLog(await fixture.redis.lrange(logKey, 0, -1));
  assert.deepEqual(checkOrderAndCoverage(log, accepted), []);
  const late = log.filter((l) => l.seq >= 150);
  assert.ok(
    late.every((l) => l.pid === childA.pid && l.stream === 'worker-a'),
    'the returned worker handles its channels again',
  );
  assert.ok(
    log.some((l) => l.pid === process.pid && l.stream === 'worker-a'),
    "worker-b handled part of worker-a's stream",
  );

  await gateway.close();
  await workerB.close();
  await killHard(childA);
});

void it("drains the rest of a gracefully deregistered worker's stream, then forgets it", async () => {
  const prefix = `t${randomUUID().slice(0, 8)}`;
  const logKey = `${prefix}:log`;
  const keys = new PipelineKeys({ prefix });
  const registry = new RedisWorkerRegistry({ redis: fixture.redis, keys });
  const workerB = loggingWorker('worker-b', prefix, logKey);
  await workerB.start();
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  let entered!: () => void;
  const inHandler = new Promise<void>((r) => {
    entered = r;
  });
  const workerC = loggingWorker('worker-c', prefix, logKey, {
    takeover: false,
    handler: async (msg, ctx) => {
      entered();
      await gate;
      await fixture.redis.rpush(logKey, `${msg.channel}|${msg.data}|${msg.id}|c|${ctx.stream}`);
    },
  });
  await workerC.start();
  const gateway = track(createRedisPipeline({ redisUrl: fixture.server.url, prefix, nodeId: 'node-a', routeCacheTtlMs: 30_000 }));
  await gateway.start();
  const [channelC] = channelsOwnedBy('worker-c', ['worker-b', 'worker-c'], 1) as [string];
  const accepted = new Map<string, number[]>();
  await publishSeqs(gateway, [channelC], 0, 20, accepted, 0);
  await inHandler;
  const closing = workerC.close();
  release();
  await closing;
  assert.deepEqual(
    (await registry.members()).map((m) => m.id),
    ['worker-b'],
  );

  await waitUntil(
    async () => new Set(parseLog(await fixture.redis.lrange(logKey, 0, -1)).map((l) => l.id)).size >= 20,
    20_000,
    'the orphan stream drained',
  );
  const log = parseLog(await fixture.redis.lrange(logKey, 0, -1));
  assert.deepEqual(checkOrderAndCoverage(log, accepted), []);
  assert.ok(
    log.some((l) => l.stream === 'worker-c' && l.pid === process.pid),
    "worker-b drained worker-c's stream",
  );
  await waitUntil(async () => (await registry.orphans()).length === 0, 10_000, 'the orphan to be forgotten');
  assert.equal(await fixture.redis.exists(keys.workerStream('worker-c')), 0);
  await gateway.close();
  await workerB.close();
});
