// A poison message is retried with backoff, then moved to the dead-letter stream with its error and
// attempt count, while other channels keep flowing and its own channel continues after it.
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { Registry } from 'prom-client';
import { useRedisServer } from '../helpers/redis-server.js';
import { WorkerMetrics } from '../../src/metrics/index.js';
import { RedisStreamQueue, createRedisPipeline } from '../../src/queue/index.js';
import { createRedisWorker } from '../../src/worker/index.js';
import { waitUntil, closeTracked, track } from './pipeline-helpers.js';
import { PipelineKeys } from '../../src/redis/index.js';

const fixture = useRedisServer({ beforeClose: closeTracked });

void it('dead-letters a poison message after maxAttempts while other channels flow', async () => {
  const prefix = `t${randomUUID().slice(0, 8)}`;
  const handled: string[] = [];
  const attempts: number[] = [];
  let otherDone!: () => void;
  const otherChannelDone = new Promise<void>((r) => {
    otherDone = r;
  });
  const metrics = new WorkerMetrics(new Registry());
  const worker = track(
    createRedisWorker({
      id: 'worker-0',
      redisUrl: fixture.server.url,
      prefix,
      maxAttempts: 3,
      backoff: () => 20,
      heartbeatMs: 200,
      metrics,
      publisher: { publish: async () => {} },
      handler: async (msg, ctx) => {
        const body = JSON.parse(msg.data) as { seq: number; poison?: boolean };
        if (body.poison === true) {
          attempts.push(ctx.attempt);
          // Retrying blocks only this channel: the other channel finishes meanwhile.
          if (ctx.attempt === 2) await otherChannelDone;
          throw new Error(`cannot handle seq ${body.seq}`);
        }
        handled.push(`${msg.channel}#${body.seq}`);
        if (handled.filter((h) => h.startsWith('chat:other#')).length === 20) otherDone();
      },
    }),
  );
  await worker.start();
  const gateway = track(createRedisPipeline({ redisUrl: fixture.server.url, prefix, nodeId: 'node-a', routeCacheTtlMs: 30_000 }));
  await gateway.start();
  const send = (channel: string, body: object): Promise<void> =>
    gateway.submit({ kind: 'publish', channel, data: JSON.stringify(body), user: 'u', client: 'c' });
  await send('chat:poisoned', { seq: 0 });
  await send('chat:poisoned', { seq: 1, poison: true });
  await send('chat:poisoned', { seq: 2 });
  for (let seq = 0; seq < 20; seq++) await send('chat:other', { seq });

  await waitUntil(() => handled.includes('chat:poisoned#2'), 10_000, 'the poisoned channel to continue');
  assert.deepEqual(attempts, [1, 2, 3]);
  assert.deepEqual(
    handled.filter((h) => h.startsWith('chat:poisoned')),
    ['chat:poisoned#0', 'chat:poisoned#2'],
  );
  assert.ok(handled.indexOf('chat:other#19') < handled.indexOf('chat:poisoned#2'), 'the other channel was not held up');

  const queue = new RedisStreamQueue({ redis: fixture.redis, keys: new PipelineKeys({ prefix }) });
  const dead = await queue.readDeadLetters('worker-0', 10);
  assert.equal(dead.length, 1);
  assert.equal(dead[0]!.message?.data, '{"seq":1,"poison":true}');
  assert.equal(dead[0]!.error, 'Error: cannot handle seq 1');
  assert.equal(dead[0]!.attempts, 3);
  await waitUntil(async () => (await worker.info()).pending === 0, 5000, 'acknowledgements');
  assert.equal((await metrics.deadLetteredTotal.get()).values[0]?.value, 1);
  assert.equal((await metrics.retriedTotal.get()).values[0]?.value, 2);
  await gateway.close();
  await worker.close();
});
