// One contract for both IdempotencyStore twins (memory, Redis with a real redis-server): a repeat
// gets the first result without running again, a concurrent repeat waits for the first call, a
// failed call can be retried, keys are per channel; the Redis twin is shared by two "gateways".
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { MemoryIdempotencyStore, RedisIdempotencyStore, type IdempotencyStore } from '../../src/engine/index.js';
import { useRedisServer } from '../helpers/redis-server.js';

const fixture = useRedisServer();

function contract(name: string, make: () => [IdempotencyStore, IdempotencyStore]): void {
  void describe(`IdempotencyStore contract: ${name}`, () => {
    void it('a repeat gets the first result and does not run', async () => {
      const [a, b] = make();
      let runs = 0;
      const call = (n: number) => async (): Promise<string> => {
        runs++;
        return `{"offset":${n}}`;
      };
      assert.equal(await a.run('chat:x', 'k', call(1)), '{"offset":1}');
      assert.equal(await b.run('chat:x', 'k', call(2)), '{"offset":1}');
      assert.equal(runs, 1);
      assert.equal(await b.run('chat:y', 'k', call(3)), '{"offset":3}', 'keys are per channel');
    });

    void it('a concurrent repeat waits for the first call', async () => {
      const [a, b] = make();
      let release: (v: string) => void = () => undefined;
      const first = a.run(
        'chat:c',
        'k',
        () =>
          new Promise<string>((r) => {
            release = r;
          }),
      );
      let secondRan = false;
      const second = b.run('chat:c', 'k', async () => {
        secondRan = true;
        return 'second';
      });
      await new Promise((r) => setTimeout(r, 50));
      release('first');
      assert.deepEqual(await Promise.all([first, second]), ['first', 'first']);
      assert.equal(secondRan, false);
    });

    void it('a failed call is forgotten, so a retry runs', async () => {
      const [a, b] = make();
      await assert.rejects(
        a.run('chat:f', 'k', async () => {
          throw new Error('redis down');
        }),
        /redis down/,
      );
      assert.equal(await b.run('chat:f', 'k', async () => 'retried'), 'retried');
    });
  });
}

contract('memory', () => {
  const store = new MemoryIdempotencyStore();
  return [store, store];
});
contract('redis (two gateways share it)', () => {
  const prefix = `idem-${randomUUID()}`;
  return [new RedisIdempotencyStore({ redis: fixture.redis, prefix }), new RedisIdempotencyStore({ redis: fixture.redis, prefix })];
});

void it('the memory store expires results after its window', async () => {
  const store = new MemoryIdempotencyStore(30);
  assert.equal(await store.run('chat:w', 'k', async () => 'one'), 'one');
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(await store.run('chat:w', 'k', async () => 'two'), 'two');
});
