// The `realtime-message` operator commands against a real redis-server, with REDIS_PREFIX set empty
// so the keys are exactly the seed's (`messages:worker:<id>`): dead-letters list / replay / purge,
// and `worker retire`, which refuses an id that is not in the pool.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { createRedisPipeline, type StreamPipeline } from '../../src/queue/index.js';
import { RedisWorkerRegistry } from '../../src/routing/index.js';
import { ClientError, createRedisWorker, type StreamMessage, type Worker } from '../../src/worker/index.js';
import { spawnProcess } from '../helpers/gateway.js';
import { useRedisServer } from '../helpers/redis-server.js';
import { waitUntil } from './pipeline-helpers.js';
import { PipelineKeys } from '../../src/redis/index.js';

const fixture = useRedisServer();
const repo = new URL('../../', import.meta.url).pathname;

interface Listed {
  entryId: string;
  attempts: number;
  error: string;
  message: { id: string; channel: string; data: string };
}

void describe('operator commands', () => {
  let worker: Worker;
  let pipeline: StreamPipeline;
  let poisoned = true;
  const handled: StreamMessage[] = [];

  /** Runs `realtime-message <args>` (from sources, under tsx) to completion. */
  const cli = async (...args: string[]): Promise<{ code: number | null; lines: string[] }> => {
    const p = spawnProcess(
      process.execPath,
      ['--import', 'tsx', 'bin/realtime-message.ts', ...args],
      { REDIS_URL: fixture.server.url, REDIS_PREFIX: '', WORKER_POOL: 'default', LOG_LEVEL: 'warn' },
      repo,
    );
    const code = await p.exited;
    return { code, lines: p.lines.filter((l) => l !== '') };
  };

  before(async () => {
    worker = createRedisWorker({
      id: 'ops-1',
      redisUrl: fixture.server.url,
      prefix: '',
      heartbeatMs: 200,
      maxAttempts: 2,
      backoff: () => 10,
      publisher: { publish: async () => {} },
      handler: async (msg) => {
        if (poisoned && msg.data.includes('poison')) throw new Error('cannot digest');
        if (msg.data.includes('refuse')) throw new ClientError(1400, 'refused');
        handled.push(msg);
      },
    });
    await worker.start();
    pipeline = createRedisPipeline({ redisUrl: fixture.server.url, prefix: '', nodeId: 'node-ops', routeCacheTtlMs: 30_000 });
    await pipeline.start();
  });

  after(async () => {
    await pipeline.close();
    await worker.close();
  });

  void it("uses the seed's key names with an empty REDIS_PREFIX", async () => {
    await pipeline.submit({ kind: 'publish', channel: 'chat', data: '{"text":"hello"}', user: 'u', client: 'c' });
    await waitUntil(() => handled.length === 1, 5000, 'the message handled');
    assert.equal(await fixture.redis.type('messages:worker:ops-1'), 'stream');
    assert.deepEqual(await fixture.redis.zrange('workers', 0, '-1'), ['ops-1']);
  });

  void it('lists dead letters, replays one (same message id, handled again) and purges the rest', async () => {
    for (const n of [1, 2, 3])
      await pipeline.submit({ kind: 'publish', channel: `room:${n}`, data: `{"poison":${n}}`, user: 'u', client: 'c' });
    await waitUntil(async () => (await fixture.redis.xlen('messages:worker:ops-1:dead')) === 3, 10_000, 'three dead letters');

    const listed = await cli('dead-letters', 'list', '--worker', 'ops-1');
    assert.equal(listed.code, 0);
    const dead = listed.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Listed);
    // Three channels run in three lanes: which one is dead-lettered first is not defined.
    assert.deepEqual(dead.map((d) => d.message.channel).sort(), ['room:1', 'room:2', 'room:3']);
    const room2 = dead.find((d) => d.message.channel === 'room:2')!;
    assert.ok(dead.every((d) => d.attempts === 2 && d.error.includes('cannot digest')));
    assert.ok(listed.lines.includes('3 dead letter(s) for ops-1'));
    const page = await cli('dead-letters', 'list', '--worker', 'ops-1', '--count', '1');
    assert.equal(page.lines.filter((l) => l.startsWith('{')).length, 1);

    poisoned = false;
    const replayed = await cli('dead-letters', 'replay', '--worker', 'ops-1', '--id', room2.entryId);
    assert.equal(replayed.code, 0);
    assert.match(replayed.lines.join('\n'), /^1 dead letter\(s\) of ops-1 replayed/);
    await waitUntil(() => handled.some((m) => m.channel === 'room:2'), 10_000, 'the replayed message handled');
    assert.equal(handled.find((m) => m.channel === 'room:2')?.id, room2.message.id, 'the same message id');

    const purged = await cli('dead-letters', 'purge', '--worker', 'ops-1');
    assert.deepEqual([purged.code, purged.lines], [0, ['2 dead letter(s) of ops-1 deleted']]);
    assert.equal(await fixture.redis.xlen('messages:worker:ops-1:dead'), 0);
    assert.ok(!handled.some((m) => m.channel === 'room:1' || m.channel === 'room:3'), 'purged letters are not handled');

    const bad = await cli('dead-letters', 'explode', '--worker', 'ops-1');
    assert.equal(bad.code, 2);
    assert.match(bad.lines[0] ?? '', /^usage: realtime-message dead-letters/);
  });

  void it('a ClientError in append mode is a refusal: acknowledged, never retried or dead-lettered', async () => {
    await pipeline.submit({ kind: 'publish', channel: 'room:r', data: '{"refuse":true}', user: 'u', client: 'c' });
    await pipeline.submit({ kind: 'publish', channel: 'room:r', data: '{"after":true}', user: 'u', client: 'c' });
    await waitUntil(() => handled.some((m) => m.channel === 'room:r'), 5000, 'the next message on the channel');
    // Acknowledgements are batched (5 ms): wait for them rather than racing the batch.
    await waitUntil(async () => (await worker.info()).pending === 0, 5000, 'both entries acknowledged');
    assert.equal(await fixture.redis.xlen('messages:worker:ops-1:dead'), 0);
  });

  void it('worker retire refuses an unknown id and retires a member', async () => {
    const unknown = await cli('worker', 'retire', 'nobody');
    assert.equal(unknown.code, 1);
    assert.deepEqual(unknown.lines, ['no worker nobody in pool default (members: ops-1; set WORKER_POOL for another pool)']);
    assert.deepEqual(await fixture.redis.zrange('workers', 0, '-1'), ['ops-1']);
    assert.equal(await fixture.redis.zscore('workers:orphans', 'nobody'), null, 'nothing recorded for the unknown id');

    // A worker that died without deregistering: a member with a stale heartbeat and no process.
    await new RedisWorkerRegistry({ redis: fixture.redis, keys: new PipelineKeys({ prefix: '' }) }).register('ghost');
    const retired = await cli('worker', 'retire', 'ghost');
    assert.equal(retired.code, 0);
    assert.match(retired.lines[0] ?? '', /^ghost retired from pool default/);
    assert.deepEqual(await fixture.redis.zrange('workers', 0, '-1'), ['ops-1']);
    const again = await cli('worker', 'retire', 'ghost');
    assert.deepEqual([again.code, again.lines], [1, ['ghost is already retired from pool default; its stream is being drained']]);
  });
});
