import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { RendezvousSet, fnv1a32, rendezvousOwner } from '../../src/routing/index.js';
import { PipelineKeys, validateWorkerId } from '../../src/redis/index.js';

const channels = Array.from({ length: 10_000 }, (_, i) => `chat:room-${i}`);
const workersOf = (n: number): string[] => Array.from({ length: n }, (_, i) => `worker-${i}`);

function assignment(workers: string[]): Map<string, string> {
  const set = new RendezvousSet(workers);
  return new Map(channels.map((c) => [c, set.owner(c) ?? '']));
}

void describe('rendezvous hashing', () => {
  void it('is deterministic and independent of the order workers are listed in', () => {
    const a = new RendezvousSet(['w-b', 'w-a', 'w-c']);
    const b = new RendezvousSet(['w-c', 'w-b', 'w-a', 'w-a']);
    for (const c of channels.slice(0, 2000)) assert.equal(a.owner(c), b.owner(c));
    assert.equal(rendezvousOwner('chat', []), undefined);
    // Pinned values: another gateway implementation must produce the same owners.
    assert.equal(fnv1a32(''), 0x811c9dc5);
    assert.equal(fnv1a32('a'), 0xe40c292c);
    assert.equal(new RendezvousSet(workersOf(4)).owner('chat'), new RendezvousSet(workersOf(4)).owner('chat'));
  });

  void it('hashes non-ASCII channels by their UTF-8 bytes', () => {
    assert.notEqual(fnv1a32('chat:房间'), fnv1a32('chat:房问'));
    assert.equal(fnv1a32('é'), fnv1a32('\u00e9'));
  });

  for (const n of [2, 4, 8, 10]) {
    void it(`spreads 10k channels over ${n} workers within 10% of the mean`, () => {
      const counts = new Map<string, number>();
      for (const owner of assignment(workersOf(n)).values()) counts.set(owner, (counts.get(owner) ?? 0) + 1);
      const mean = channels.length / n;
      assert.equal(counts.size, n);
      for (const [w, count] of counts) assert.ok(Math.abs(count - mean) <= mean * 0.1, `${w}: ${count} vs mean ${mean}`);
    });
  }

  for (const n of [3, 5, 9]) {
    void it(`adding a worker to ${n} moves ~1/${n + 1} of channels, all to the new worker; removing it moves them back`, () => {
      const before = assignment(workersOf(n));
      const after = assignment(workersOf(n + 1));
      const added = `worker-${n}`;
      let moved = 0;
      for (const c of channels) {
        if (before.get(c) !== after.get(c)) {
          moved++;
          assert.equal(after.get(c), added, 'only channels taken by the new worker move');
        }
      }
      const expected = channels.length / (n + 1);
      assert.ok(Math.abs(moved - expected) <= expected * 0.1, `moved ${moved}, expected ~${expected}`);
      const removedAgain = assignment(workersOf(n));
      for (const c of channels) assert.equal(removedAgain.get(c), before.get(c));
    });
  }

  void it("removing one of 5 workers moves only that worker's channels", () => {
    const five = assignment(workersOf(5));
    const four = assignment(workersOf(5).filter((w) => w !== 'worker-2'));
    let moved = 0;
    for (const c of channels) {
      if (five.get(c) !== four.get(c)) {
        moved++;
        assert.equal(five.get(c), 'worker-2');
      }
    }
    assert.ok(Math.abs(moved - 2000) <= 200, `moved ${moved}`);
  });
});

void describe('worker ids and keys', () => {
  void it('rejects ids that could escape into other keys', () => {
    for (const bad of ['', 'a b', 'a:b', '{x}', 'a*', 'x'.repeat(65), 'w\n1', 'é']) {
      assert.throws(() => validateWorkerId(bad), { code: 'ERR_REDIS_INVALID_KEY_PART' }, bad);
    }
    for (const good of ['worker-0', 'w_1.eu', 'A'.repeat(64)]) assert.equal(validateWorkerId(good), good);
  });

  void it("names the stream messages:worker:<id> and keeps a worker's keys in one cluster slot with hash tags", () => {
    const plain = new PipelineKeys({ prefix: 'rm' });
    assert.equal(plain.workerStream('worker-0'), 'rm:messages:worker:worker-0');
    assert.equal(plain.deadLetterStream('worker-0'), 'rm:messages:worker:worker-0:dead');
    const tagged = new PipelineKeys({ prefix: 'rm', hashTags: true });
    assert.equal(tagged.workerStream('worker-0'), 'rm:messages:worker:{worker-0}');
    assert.equal(tagged.streamLock('worker-0'), 'rm:messages:worker:{worker-0}:lock');
    assert.equal(tagged.deadLetterStream('worker-0'), 'rm:messages:worker:{worker-0}:dead');
    assert.equal(tagged.orphans(), 'rm:{workers}:orphans');
    assert.throws(() => plain.workerStream('a}b'), { code: 'ERR_REDIS_INVALID_KEY_PART' });
    assert.equal(new PipelineKeys({ prefix: '' }).workerStream('worker-0'), 'messages:worker:worker-0');
    assert.throws(() => new PipelineKeys({ prefix: 'a{b}' }), { code: 'ERR_REDIS_INVALID_KEY_PART' });
  });
});
