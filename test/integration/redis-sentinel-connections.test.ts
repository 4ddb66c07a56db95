// Connections through Redis Sentinel outside the gateway and worker processes: createRedisWorker and
// createRedisPipeline given `redisSentinel`, the `realtime-message dead-letters` command given
// REDIS_SENTINELS; then a master demoted without Sentinel closing its clients (REPLICAOF by hand,
// sentinels re-pointed): connections get READONLY on their next write, reconnect, ask the sentinels
// again and write to the new master — a worker's command is resent, a gateway producer's fails once.
import { strict as assert } from 'node:assert';
import { fileURLToPath } from 'node:url';
import { after, before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runNodeScript } from '../../src/chaos/index.js';
import { createRedisPipeline } from '../../src/queue/index.js';
import {
  connectRedis,
  openRedisConnection,
  type RedisConnection,
  type RedisSentinelTarget,
  type RedisTarget,
} from '../../src/redis/index.js';
import { createRedisWorker } from '../../src/worker/index.js';
import { RedisSentinelSet } from '../helpers/redis-sentinel.js';

const cliScript = fileURLToPath(new URL('../../bin/realtime-message.ts', import.meta.url));

let set: RedisSentinelSet;
const opened: RedisConnection[] = [];

before(async () => {
  set = await RedisSentinelSet.start({ replicas: 1, password: 'pw' });
});
after(async () => {
  for (const c of opened) c.disconnect();
  await set.close();
});

function sentinel(): RedisSentinelTarget {
  return {
    sentinels: set.sentinelAddresses,
    masterName: set.masterName,
    sentinelUser: null,
    sentinelPassword: null,
    user: null,
    password: 'pw',
  };
}

function target(): RedisTarget {
  return { url: '', sentinel: sentinel() };
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 10_000; !(await check()); await sleep(50)) {
    if (Date.now() > deadline) assert.fail(`not within 10 s: ${what}`);
  }
}

void it(
  'createRedisWorker, createRedisPipeline and `realtime-message dead-letters` reach the master through the sentinels',
  { timeout: 60_000 },
  async () => {
    const handled: string[] = [];
    const worker = createRedisWorker({
      id: 'sen-1',
      redisSentinel: sentinel(),
      prefix: 'sen',
      heartbeatMs: 200,
      maxAttempts: 1,
      publisher: { publish: async () => {} },
      handler: async (msg) => {
        if (msg.data.includes('poison')) throw new Error('cannot digest');
        handled.push(msg.channel);
      },
    });
    await worker.start();
    const pipeline = createRedisPipeline({
      redisUrl: '',
      redisSentinel: sentinel(),
      prefix: 'sen',
      nodeId: 'node-sen',
      routeCacheTtlMs: 30_000,
    });
    await pipeline.start();
    const master = await set.masterConnection();
    try {
      await pipeline.submit({ kind: 'publish', channel: 'room:ok', data: '{"ok":1}', user: 'u', client: 'c' });
      await pipeline.submit({ kind: 'publish', channel: 'room:bad', data: '{"poison":1}', user: 'u', client: 'c' });
      await until(
        'one handled, one dead letter',
        async () => handled.includes('room:ok') && (await master.xlen('sen:messages:worker:sen-1:dead')) === 1,
      );

      const env = {
        ...process.env,
        REDIS_URL: '',
        REDIS_SENTINELS: set.sentinelList,
        REDIS_SENTINEL_MASTER_NAME: set.masterName,
        REDIS_PASSWORD: 'pw',
        REDIS_PREFIX: 'sen',
        LOG_LEVEL: 'warn',
      };
      const listed = await runNodeScript(cliScript, ['dead-letters', 'list', '--worker', 'sen-1'], env);
      assert.equal(listed.code, 0, listed.output);
      assert.match(listed.output, /"channel":"room:bad"/);
      assert.match(listed.output, /1 dead letter\(s\) for sen-1/);
      const purged = await runNodeScript(cliScript, ['dead-letters', 'purge', '--worker', 'sen-1'], env);
      assert.equal(purged.code, 0, purged.output);
      assert.equal(await master.xlen('sen:messages:worker:sen-1:dead'), 0);
    } finally {
      master.disconnect();
      await pipeline.close();
      await worker.close();
    }
  },
);

async function open(role: 'worker' | 'producer'): Promise<RedisConnection> {
  const conn = openRedisConnection(target(), { role, name: `readonly-${role}` });
  conn.on('error', () => {});
  opened.push(conn);
  assert.equal(await connectRedis(conn), true);
  return conn;
}

void it(
  'a worker connection and a gateway producer follow a master demoted by hand (READONLY -> reconnect through the sentinels)',
  { timeout: 60_000 },
  async () => {
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
        ok = await producer.set('p', 'after').then(
          () => true,
          async () => {
            await sleep(100);
            return false;
          },
        );
      }
      assert.ok(ok, 'the producer writes again');
      assert.equal(await master.get('p'), 'after');
    } finally {
      master.disconnect();
    }
  },
);
