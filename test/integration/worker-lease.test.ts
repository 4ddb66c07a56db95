// A worker that loses its stream lock while it is still running (it was paused, or Redis was paused
// past the lock's ttl) must not take entries the worker that took the stream over cannot see: reads
// and claims are fenced on the lock token, so first handlings per channel stay in order.
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { it } from 'node:test';
import { useRedisServer } from '../helpers/redis-server.js';
import { createRedisPipeline, type StreamPipeline } from '../../src/queue/index.js';
import { RendezvousSet } from '../../src/routing/index.js';
import { createRedisWorker, type Worker } from '../../src/worker/index.js';
import { checkOrderAndCoverage, parseLog, spawnWorker, waitUntil, closeTracked, track } from './pipeline-helpers.js';

const fixture = useRedisServer({ beforeClose: closeTracked });

function loggingWorker(id: string, prefix: string, logKey: string): Worker {
  return track(
    createRedisWorker({
      id,
      redisUrl: fixture.server.url,
      prefix,
      heartbeatMs: 200,
      deadAfterMs: 1000,
      batchSize: 20,
      publisher: { publish: async () => {} },
      handler: async (msg, ctx) => {
        await sleep(2);
        await fixture.redis.rpush(logKey, `${msg.channel}|${msg.data}|${msg.id}|${process.pid}|${ctx.stream}`);
      },
    }),
  );
}

function channelsOwnedBy(owner: string, workers: string[], n: number): string[] {
  const set = new RendezvousSet(workers);
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) if (set.owner(`chat:l${i}`) === owner) out.push(`chat:l${i}`);
  return out;
}

/** Publishes seq 0..count-1 on every channel, back to back per channel; records what was acknowledged. */
async function publishSeqs(
  gateway: StreamPipeline,
  channels: string[],
  count: number,
  accepted: Map<string, number[]>,
  pauseMs: number,
): Promise<void> {
  await Promise.all(
    channels.map(async (channel) => {
      for (let seq = 0; seq < count; seq++) {
        try {
          await gateway.submit({ kind: 'publish', channel, data: JSON.stringify({ seq }), user: 'u', client: 'c' });
          (accepted.get(channel) ?? accepted.set(channel, []).get(channel)!).push(seq);
        } catch {
          // not acknowledged (Redis paused): not counted
        }
        await sleep(pauseMs);
      }
    }),
  );
}

void it('keeps first handlings in order when a paused worker wakes up after another took its stream over', async () => {
  const prefix = `t${randomUUID().slice(0, 8)}`;
  const logKey = `${prefix}:log`;
  const childA = await spawnWorker({
    REDIS_URL: fixture.server.url,
    PREFIX: prefix,
    WORKER_ID: 'worker-a',
    LOG_KEY: logKey,
    DELAY_MS: '2',
    TAKEOVER: '0',
    DEAD_AFTER_MS: '1000',
  });
  const workerB = loggingWorker('worker-b', prefix, logKey);
  await workerB.start();
  const gateway = track(createRedisPipeline({ redisUrl: fixture.server.url, prefix, nodeId: 'node-a', routeCacheTtlMs: 30_000 }));
  await gateway.start();
  const channels = channelsOwnedBy('worker-a', ['worker-a', 'worker-b'], 8);
  const accepted = new Map<string, number[]>();

  let submitted = false;
  const submitting = publishSeqs(gateway, channels, 1500, accepted, 3).finally(() => {
    submitted = true;
  });
  await waitUntil(async () => (await fixture.redis.llen(logKey)) >= 200, 20_000, 'worker-a to be mid-stream');
  // Paused past its lock ttl, worker-a loses its stream; on waking it must read nothing more of it.
  for (let round = 0; round < 3 && !submitted; round++) {
    childA.kill('SIGSTOP');
    await waitUntil(
      () => workerB.consumedStreams().includes('worker-a'),
      10_000,
      'worker-b to take the stream of the paused worker-a over',
    );
    await sleep(300);
    childA.kill('SIGCONT');
    await waitUntil(() => !workerB.consumedStreams().includes('worker-a'), 10_000, 'worker-b to hand the stream back');
    await sleep(500);
  }
  await submitting;
  const total = [...accepted.values()].reduce((n, s) => n + s.length, 0);
  await waitUntil(
    async () => new Set(parseLog(await fixture.redis.lrange(logKey, 0, -1)).map((l) => l.id)).size >= total,
    30_000,
    'every message handled',
  );
  const log = parseLog(await fixture.redis.lrange(logKey, 0, -1));
  assert.deepEqual(checkOrderAndCoverage(log, accepted).slice(0, 10), []);
  assert.ok(
    log.some((l) => l.pid === process.pid && l.stream === 'worker-a'),
    "worker-b handled part of worker-a's stream",
  );
  await gateway.close();
});

void it('keeps first handlings in order through a Redis pause longer than the lock ttl', async () => {
  const prefix = `t${randomUUID().slice(0, 8)}`;
  const logKey = `${prefix}:log`;
  const workers = ['worker-c', 'worker-d'];
  for (const id of workers)
    await spawnWorker({
      REDIS_URL: fixture.server.url,
      PREFIX: prefix,
      WORKER_ID: id,
      LOG_KEY: logKey,
      DELAY_MS: '2',
      DEAD_AFTER_MS: '1000',
    });
  const gateway = track(createRedisPipeline({ redisUrl: fixture.server.url, prefix, nodeId: 'node-b', routeCacheTtlMs: 30_000 }));
  await gateway.start();
  const channels = [...channelsOwnedBy('worker-c', workers, 6), ...channelsOwnedBy('worker-d', workers, 6)];
  const accepted = new Map<string, number[]>();

  const submitting = publishSeqs(gateway, channels, 400, accepted, 3);
  await waitUntil(async () => (await fixture.redis.llen(logKey)) >= 300, 20_000, 'the workers to be mid-stream');
  for (let i = 0; i < 2; i++) {
    fixture.server.pause();
    await sleep(2500);
    fixture.server.resume();
    await sleep(1500);
  }
  await submitting;
  const total = [...accepted.values()].reduce((n, s) => n + s.length, 0);
  await waitUntil(
    async () => new Set(parseLog(await fixture.redis.lrange(logKey, 0, -1)).map((l) => l.id)).size >= total,
    30_000,
    'every message handled',
  );
  const log = parseLog(await fixture.redis.lrange(logKey, 0, -1));
  assert.deepEqual(checkOrderAndCoverage(log, accepted).slice(0, 10), []);
  await gateway.close();
});
