// Stickiness and per-channel order through two gateways' pipelines and two workers, on Redis and in memory; rpc round trips.
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { useRedisServer } from '../helpers/redis-server.js';
import { Errors, ReplyError } from '../../src/protocol/index.js';
import {
  MemoryStreamQueue,
  PipelineError,
  createMemoryPipeline,
  createRedisPipeline,
  type StreamMessage,
  type StreamPipeline,
} from '../../src/queue/index.js';
import { MemoryWorkerRegistry, RendezvousSet } from '../../src/routing/index.js';
import { createRedisWorker, createWorker, type MessageHandler, type Worker } from '../../src/worker/index.js';
import { waitUntil, closeTracked, track } from './pipeline-helpers.js';
import { PipelineKeys } from '../../src/redis/index.js';

const fixture = useRedisServer({ beforeClose: closeTracked });

interface Handled {
  worker: string;
  stream: string;
  msg: StreamMessage;
}

type Setup = (handler: MessageHandler) => Promise<{ gateways: StreamPipeline[]; workers: Worker[]; prefix: string }>;

const setups: [string, Setup][] = [
  [
    'redis',
    async (handler) => {
      const prefix = `t${randomUUID().slice(0, 8)}`;
      const workers = ['worker-0', 'worker-1'].map((id) =>
        track(
          createRedisWorker({
            id,
            redisUrl: fixture.server.url,
            prefix,
            handler,
            publisher: { publish: async () => {} },
            heartbeatMs: 200,
            concurrency: 8,
            batchSize: 20,
          }),
        ),
      );
      for (const w of workers) await w.start();
      const gateways = ['node-a', 'node-b'].map((nodeId) =>
        track(createRedisPipeline({ redisUrl: fixture.server.url, prefix, nodeId, routeCacheTtlMs: 30_000 })),
      );
      for (const g of gateways) await g.start();
      return { gateways, workers, prefix };
    },
  ],
  [
    'memory (embedded)',
    async (handler) => {
      const queue = new MemoryStreamQueue();
      const registry = new MemoryWorkerRegistry();
      const workers = ['worker-0', 'worker-1'].map((id) =>
        track(
          createWorker({
            id,
            queue,
            registry,
            handler,
            publisher: { publish: async () => {} },
            heartbeatMs: 200,
            concurrency: 8,
            batchSize: 20,
          }),
        ),
      );
      for (const w of workers) await w.start();
      const gateways = ['node-a', 'node-b'].map((nodeId) => createMemoryPipeline({ nodeId, queue, registry }));
      for (const g of gateways) await g.start();
      return { gateways, workers, prefix: '' };
    },
  ],
];

for (const [name, setup] of setups) {
  void describe(`pipeline: ${name}`, () => {
    void it("routes every channel to exactly one worker stream and keeps each publisher's order per channel", async () => {
      const handled: Handled[] = [];
      const { gateways, workers, prefix } = await setup(async (msg, ctx) => {
        // Uneven handler times would expose any reordering inside a channel.
        if (Math.random() < 0.1) await new Promise((r) => setTimeout(r, 2));
        handled.push({ worker: ctx.workerId, stream: ctx.stream, msg });
      });
      const channels = Array.from({ length: 30 }, (_, i) => `chat:room-${i}`);
      const perPublisher = 20;
      // 2 gateways x 2 clients each; every client publishes its sequence to every channel.
      const publishers = gateways.flatMap((g, gi) => [0, 1].map((ci) => ({ g, client: `client-${gi}-${ci}` })));
      await Promise.all(
        publishers.flatMap(({ g, client }) =>
          channels.map(async (channel) => {
            for (let seq = 0; seq < perPublisher; seq++) {
              await g.submit({ kind: 'publish', channel, data: JSON.stringify({ seq }), user: 'u', client });
            }
          }),
        ),
      );
      const total = publishers.length * channels.length * perPublisher;
      await waitUntil(() => handled.length >= total, 20_000, 'all messages handled');
      assert.equal(handled.length, total, 'no duplicates without faults');

      const expected = new RendezvousSet(['worker-0', 'worker-1']);
      const streamsOf = new Map<string, Set<string>>();
      const lastSeq = new Map<string, number>();
      for (const h of handled) {
        assert.equal(h.worker, h.stream, 'no takeover happened');
        (streamsOf.get(h.msg.channel) ?? streamsOf.set(h.msg.channel, new Set()).get(h.msg.channel)!).add(h.stream);
        const key = `${h.msg.channel}|${h.msg.client}`;
        const seq = (JSON.parse(h.msg.data) as { seq: number }).seq;
        assert.equal(seq, (lastSeq.get(key) ?? -1) + 1, `order of ${key}`);
        lastSeq.set(key, seq);
        assert.ok(['node-a', 'node-b'].includes(h.msg.node));
      }
      for (const c of channels) assert.deepEqual([...streamsOf.get(c)!], [expected.owner(c)], `${c} in exactly one stream`);
      assert.equal(new Set(handled.map((h) => h.worker)).size, 2, 'both workers got channels');
      if (prefix !== '') {
        const keys = new PipelineKeys({ prefix });
        const lens = await Promise.all(['worker-0', 'worker-1'].map((w) => fixture.redis.xlen(keys.workerStream(w))));
        assert.ok(
          lens.every((l) => l < total),
          'acknowledged entries are trimmed',
        );
      }
      for (const g of gateways) await g.close();
      for (const w of workers) await w.close();
    });

    void it('answers rpcs through the worker, passes handler errors back and times out when nobody answers', async () => {
      const { gateways, workers } = await setup(async (msg, ctx) => {
        if (msg.method === 'echo') return msg.data;
        if (msg.method === 'fail') throw new ReplyError({ code: 1001, message: 'custom failure', temporary: false });
        if (msg.method === 'explicit') {
          await ctx.reply('{"explicit":true}');
          return undefined;
        }
        if (msg.method === 'slow') await new Promise((r) => setTimeout(r, 600));
        return undefined;
      });
      const [a, b] = gateways as [StreamPipeline, StreamPipeline];
      const base = { kind: 'rpc' as const, user: 'u1', client: 'c1' };
      assert.equal(await a.rpc({ ...base, channel: 'user:u1', method: 'echo', data: '{"x":1}' }, 3000), '{"x":1}');
      assert.equal(await b.rpc({ ...base, channel: 'user:u2', method: 'explicit', data: '{}' }, 3000), '{"explicit":true}');
      await assert.rejects(
        a.rpc({ ...base, channel: 'user:u1', method: 'fail', data: '{}' }, 3000),
        (err: unknown) => err instanceof ReplyError && err.code === 1001 && err.message === 'custom failure',
      );
      await assert.rejects(
        a.rpc({ ...base, channel: 'user:u3', method: 'slow', data: '{}' }, 200),
        (err: unknown) =>
          err instanceof PipelineError && err.reason === 'rpc_timeout' && err.code === Errors.internal.code && err.temporary,
      );
      for (const g of gateways) await g.close();
      for (const w of workers) await w.close();
    });
  });
}

void it('rejects with a temporary no_workers error when no worker is registered', async () => {
  const p = createMemoryPipeline({ nodeId: 'n' });
  await p.start();
  await assert.rejects(
    p.submit({ kind: 'publish', channel: 'chat', data: '{}', user: '', client: 'c' }),
    (err: unknown) => err instanceof PipelineError && err.reason === 'no_workers' && err.temporary,
  );
  await p.close();
});
