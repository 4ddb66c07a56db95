// A master demoted without Sentinel closing its clients (REPLICAOF by hand, sentinels re-pointed):
// connections opened through the sentinels get READONLY on their next write, reconnect, ask the
// sentinels again and write to the new master — a worker's command is resent, a gateway producer's
// fails once (the client retries).
import { strict as assert } from 'node:assert';
import { after, before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectRedis, openRedisConnection, type RedisConnection, type RedisTarget } from '../../src/redis/index.js';
import { RedisSentinelSet } from '../helpers/redis-sentinel.js';

let set: RedisSentinelSet;
const opened: RedisConnection[] = [];

before(async () => {
  set = await RedisSentinelSet.start({ replicas: 1, password: 'pw' });
});
after(async () => {
  for (const c of opened) c.disconnect();
  await set.close();
});

function target(): RedisTarget {
  return { url: '', sentinel: { sentinels: set.sentinelAddresses, masterName: set.masterName, sentinelUser: null, sentinelPassword: null, user: null, password: 'pw' } };
}

async function open(role: 'worker' | 'producer'): Promise<RedisConnection> {
  const conn = openRedisConnection(target(), { role, name: `readonly-${role}` });
  conn.on('error', () => {});
  opened.push(conn);
  assert.equal(await connectRedis(conn), true);
  return conn;
}

void it('a worker connection and a gateway producer follow a master demoted by hand (READONLY -> reconnect through the sentinels)', { timeout: 60_000 }, async () => {
  const worker = await open('worker');
  const producer = await open('producer');
  const oldPort = await set.masterPort();
  await worker.set('k', 'before');
  await producer.set('p', 'before');
  const newPort = await set.switchByHand();
  assert.notEqual(newPort, oldPort);

  // The worker's write is resent after the reconnect: it succeeds, on the new master.
  await worker.set('k', 'after');
  const master = await set.masterConnection();
  try {
    assert.equal(await master.get('k'), 'after');
    // The producer's first write may fail (READONLY, not resent); a retry lands on the new master.
    let ok = false;
    for (let i = 0; i < 50 && !ok; i++) {
      ok = await producer.set('p', 'after').then(() => true, async () => { await sleep(100); return false; });
    }
    assert.ok(ok, 'the producer writes again');
    assert.equal(await master.get('p'), 'after');
  } finally {
    master.disconnect();
  }
});
