// kill -9 of a worker process mid-stream, restarted under the same id: every accepted message is
// processed at least once (pending entries redelivered) and per-channel order holds.
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { useRedisServer } from '../helpers/redis-server.js';
import { createRedisPipeline } from '../../src/queue/index.js';
import { checkOrderAndCoverage, killHard, parseLog, spawnWorker, waitUntil, closeTracked, track } from './pipeline-helpers.js';

const fixture = useRedisServer({ beforeClose: closeTracked });

void it('redelivers what a SIGKILLed worker had not acknowledged, in channel order, after it restarts', async () => {
  const prefix = `t${randomUUID().slice(0, 8)}`;
  const logKey = `${prefix}:log`;
  const env = { REDIS_URL: fixture.server.url, PREFIX: prefix, WORKER_ID: 'worker-k', LOG_KEY: logKey, DELAY_MS: '2', TAKEOVER: '0' };
  let child = await spawnWorker(env);
  const gateway = track(createRedisPipeline({ redisUrl: fixture.server.url, prefix, nodeId: 'node-a', routeCacheTtlMs: 30_000 }));
  await gateway.start();

  const channels = Array.from({ length: 8 }, (_, i) => `chat:k${i}`);
  const accepted = new Map<string, number[]>(channels.map((c) => [c, []]));
  const perChannel = 120;
  const submitting = Promise.all(
    channels.map(async (channel) => {
      for (let seq = 0; seq < perChannel; seq++) {
        await gateway.submit({ kind: 'publish', channel, data: JSON.stringify({ seq }), user: 'u', client: 'c' });
        accepted.get(channel)!.push(seq);
        await new Promise((r) => setTimeout(r, 3));
      }
    }),
  );

  await waitUntil(async () => (await fixture.redis.llen(logKey)) >= 150, 20_000, 'the worker to be mid-stream');
  const firstPid = child.pid;
  await killHard(child);
  const handledBeforeKill = await fixture.redis.llen(logKey);
  await new Promise((r) => setTimeout(r, 300));
  child = await spawnWorker(env);
  await submitting;
  const total = channels.length * perChannel;
  await waitUntil(
    async () => new Set(parseLog(await fixture.redis.lrange(logKey, 0, -1)).map((l) => l.id)).size >= total,
    30_000,
    'every message handled',
  );

  const log = parseLog(await fixture.redis.lrange(logKey, 0, -1));
  assert.deepEqual(checkOrderAndCoverage(log, accepted), []);
  assert.ok(log.some((l) => l.pid === firstPid) && log.some((l) => l.pid === child.pid), 'both incarnations handled messages');
  assert.ok(handledBeforeKill < total, 'the kill happened mid-stream');
  const redelivered = log.length - new Set(log.map((l) => l.id)).size;
  console.log(`# handled ${log.length} entries for ${total} messages (${redelivered} redelivered after the kill)`);
  await gateway.close();
  await killHard(child);
});
