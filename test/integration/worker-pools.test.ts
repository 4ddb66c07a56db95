// Worker pools: a namespace's `worker_pool` decides which workers handle its channels. Two pools each
// see every channel of their own namespaces and none of the other's, with the real client publishing
// through the gateway; a dead worker's stream is taken over by a worker of its own pool only.
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Centrifuge } from 'centrifuge';
import { createRedisPipeline } from '../../src/queue/index.js';
import { createRedisWorker, type Worker } from '../../src/worker/index.js';
import { useRedisServer } from '../helpers/redis-server.js';
import { newClient, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { closeTracked, killHard, parseLog, spawnWorker, track, waitUntil } from './pipeline-helpers.js';
import { PipelineKeys } from '../../src/redis/index.js';

const open = { allow_subscribe_for_client: true, allow_publish_for_client: true, publish_data: 'json' };
const fixture = useRedisServer({ beforeClose: closeTracked });

void describe('worker pools over Redis with the real client', () => {
  let dir: string;
  let gw: TestGateway;
  let client: Centrifuge;
  const prefix = `p${randomUUID().slice(0, 8)}`;
  const logKey = `${prefix}:log`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pools-'));
    const file = join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        channel: {
          namespaces: [
            { name: 'chat', ...open },
            { name: 'roll', worker_pool: 'bots', ...open },
          ],
        },
      }),
    );
    gw = await startTestGateway(
      { CONFIG_FILE: file },
      {
        pipeline: () =>
          createRedisPipeline({ redisUrl: fixture.server.url, prefix, nodeId: 'node-p', routeCacheTtlMs: 500, pools: ['bots'] }),
      },
    );
    client = newClient(gw.wsUrl, 'json');
    client.connect();
    await client.ready(4000);
  });

  after(async () => {
    client.disconnect();
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function poolWorker(id: string, pool: string | undefined): Worker {
    return track(
      createRedisWorker({
        id,
        redisUrl: fixture.server.url,
        prefix,
        heartbeatMs: 200,
        deadAfterMs: 1000,
        ...(pool === undefined ? {} : { pool }),
        publisher: { publish: async () => {} },
        handler: async (msg, ctx) => {
          await fixture.redis.rpush(logKey, `${msg.channel}|${msg.data}|${msg.id}|${id}|${ctx.stream}`);
        },
      }),
    );
  }

  const handledBy = async (): Promise<Map<string, Set<string>>> => {
    const byWorker = new Map<string, Set<string>>();
    for (const line of await fixture.redis.lrange(logKey, 0, '-1')) {
      const [channel = '', , , worker = ''] = line.split('|');
      (byWorker.get(worker) ?? byWorker.set(worker, new Set()).get(worker)!).add(channel);
    }
    return byWorker;
  };

  void it('routes each namespace to its own pool: every channel reaches its pool, none the other', async () => {
    const workers = [
      poolWorker('chat-1', undefined),
      poolWorker('chat-2', 'default'),
      poolWorker('bot-1', 'bots'),
      poolWorker('bot-2', 'bots'),
    ];
    for (const w of workers) await w.start();
    const chatChannels = Array.from({ length: 40 }, (_, i) => `chat:c${i}`);
    const rollChannels = Array.from({ length: 40 }, (_, i) => `roll:r${i}`);
    for (const channel of [...chatChannels, ...rollChannels]) await client.publish(channel, { seq: 0 });
    await waitUntil(async () => (await fixture.redis.llen(logKey)) === 80, 10_000, 'all 80 publications handled');

    const seen = await handledBy();
    const union = (ids: string[]): Set<string> => new Set(ids.flatMap((id) => [...(seen.get(id) ?? [])]));
    assert.deepEqual(
      [...union(['chat-1', 'chat-2'])].sort(),
      [...chatChannels].sort(),
      'the default pool sees all chat channels and nothing else',
    );
    assert.deepEqual(
      [...union(['bot-1', 'bot-2'])].sort(),
      [...rollChannels].sort(),
      'the bots pool sees all roll channels and nothing else',
    );
    // Sticky routing spreads each pool's channels over its own workers.
    for (const id of ['chat-1', 'chat-2', 'bot-1', 'bot-2']) assert.ok((seen.get(id)?.size ?? 0) > 0, `${id} got channels`);

    // The registry keys: the default pool keeps the historical name, the other pool has its own.
    const keys = new PipelineKeys({ prefix });
    assert.deepEqual((await fixture.redis.zrange(keys.workers(), 0, '-1')).sort(), ['chat-1', 'chat-2']);
    assert.deepEqual((await fixture.redis.zrange(keys.workers('bots'), 0, '-1')).sort(), ['bot-1', 'bot-2']);
    for (const w of workers.reverse()) await w.close();
  });

  void it("takes over a dead worker's stream within its pool only", async () => {
    await fixture.redis.del(logKey);
    const chat = poolWorker('chat-3', undefined);
    await chat.start();
    const child = await spawnWorker({
      REDIS_URL: fixture.server.url,
      PREFIX: prefix,
      WORKER_ID: 'bot-dead',
      POOL: 'bots',
      LOG_KEY: logKey,
      TAKEOVER: '0',
      DELAY_MS: '30',
    });
    await waitUntil(
      async () => (await fixture.redis.zrange(new PipelineKeys({ prefix }).workers('bots'), 0, '-1')).includes('bot-dead'),
      5000,
      'bot-dead registered',
    );
    for (let i = 0; i < 60; i++) await client.publish('roll:solo', { seq: i });
    await waitUntil(async () => (await fixture.redis.llen(logKey)) >= 5, 10_000, 'bot-dead to be mid-stream');
    await killHard(child);
    const survivor = poolWorker('bot-3', 'bots');
    await survivor.start();
    await waitUntil(
      async () => {
        const log = parseLog(await fixture.redis.lrange(logKey, 0, '-1'));
        return new Set(log.map((l) => l.seq)).size === 60;
      },
      20_000,
      'every roll:solo publication handled after the takeover',
    );
    const lines = (await fixture.redis.lrange(logKey, 0, '-1')).map((l) => l.split('|'));
    const takers = new Set(lines.filter((l) => l[4] === 'bot-dead').map((l) => l[3]));
    assert.ok(takers.has('bot-3'), 'the bots worker took over the dead stream');
    assert.ok(!takers.has('chat-3'), 'the default-pool worker never touched it');
    assert.deepEqual(
      lines.filter((l) => l[3] === 'chat-3'),
      [],
    );
    await survivor.close();
    await chat.close();
  });
});
