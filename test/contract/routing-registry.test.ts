// One contract suite for WorkerRegistry (memory and Redis), plus the gateway's route cache on top of it.
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { useRedisServer } from '../helpers/redis-server.js';
import {
  ChannelRouter,
  MemoryWorkerRegistry,
  NoWorkersError,
  RedisWorkerRegistry,
  RendezvousSet,
  type WorkerRegistry,
} from '../../src/routing/index.js';
import { PipelineKeys } from '../../src/redis/index.js';

const fixture = useRedisServer();

const waitFor = async (cond: () => boolean, ms = 2000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

for (const [name, make] of [
  [
    'memory',
    () => {
      const r = new MemoryWorkerRegistry();
      return [r, r] as const;
    },
  ],
  [
    'redis',
    () => {
      const keys = new PipelineKeys({ prefix: `t${randomUUID().slice(0, 8)}` });
      return [new RedisWorkerRegistry({ redis: fixture.redis, keys }), new RedisWorkerRegistry({ redis: fixture.redis, keys })] as const;
    },
  ],
] as [string, () => readonly [WorkerRegistry, WorkerRegistry]][]) {
  void describe(`WorkerRegistry contract: ${name}`, () => {
    void it('keeps members with heartbeats, turns deregistered ones into orphans, and announces changes to other processes', async () => {
      const [a, b] = make();
      await a.start();
      await b.start();
      let changes = 0;
      const off = b.onChange(() => changes++);
      await a.register('w1');
      await a.register('w2');
      await waitFor(() => changes >= 2);
      const before = (await b.members()).find((m) => m.id === 'w1')!.atMs;
      await new Promise((r) => setTimeout(r, 5));
      await a.heartbeat('w1');
      assert.ok((await b.members()).find((m) => m.id === 'w1')!.atMs > before);
      await a.deregister('w1');
      await waitFor(() => changes >= 3);
      assert.deepEqual(
        (await b.members()).map((m) => m.id),
        ['w2'],
      );
      assert.deepEqual(
        (await b.orphans()).map((m) => m.id),
        ['w1'],
      );
      await a.heartbeat('w1');
      assert.deepEqual(
        (await b.members()).map((m) => m.id),
        ['w2'],
        'a heartbeat does not re-add a deregistered worker',
      );
      await a.register('w1');
      assert.deepEqual(
        (await b.orphans()).map((m) => m.id),
        [],
        'a returning worker is no orphan',
      );
      await a.deregister('w1');
      await a.forgetOrphan('w1');
      assert.deepEqual(await b.orphans(), []);
      await assert.rejects(a.register('bad id'), { code: 'ERR_REDIS_INVALID_KEY_PART' });
      off();
      await a.close();
      await b.close();
    });

    void it('routes like RendezvousSet over the members, and re-routes after an announcement before the cache TTL', async () => {
      const [reg, other] = make();
      await reg.start();
      await other.start();
      const router = new ChannelRouter({ registry: reg, cacheTtlMs: 60_000 });
      await router.start();
      await assert.rejects(router.route('chat'), NoWorkersError);
      await other.register('w1');
      await other.register('w2');
      await waitFor(() => router.cachedWorkers().length === 0);
      assert.equal(await router.route('chat:1'), new RendezvousSet(['w1', 'w2']).owner('chat:1'));
      await other.register('w3');
      await waitFor(() => router.cachedWorkers().length !== 2);
      const set = new RendezvousSet(['w1', 'w2', 'w3']);
      for (let i = 0; i < 100; i++) assert.equal(await router.route(`chat:${i}`), set.owner(`chat:${i}`));
      await router.close();
      await reg.close();
      await other.close();
    });
  });
}

void describe('ChannelRouter cache', () => {
  void it('reloads the set at most cacheTtlMs after a change it was not told about', async () => {
    const keys = new PipelineKeys({ prefix: `t${randomUUID().slice(0, 8)}` });
    const reg = new RedisWorkerRegistry({ redis: fixture.redis, keys });
    await reg.register('w1');
    // Never started: hears no announcements, relies on the TTL alone.
    const router = new ChannelRouter({ registry: reg, cacheTtlMs: 200 });
    assert.equal(await router.route('chat'), 'w1');
    await fixture.redis.zadd(keys.workers(), Date.now(), 'w2');
    await fixture.redis.zrem(keys.workers(), 'w1');
    assert.equal(await router.route('chat'), 'w1', 'served from the cache');
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(await router.route('chat'), 'w2');
  });
});
