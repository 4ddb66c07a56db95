// Redis killed and restarted under load: submit rejects (temporary) while it is down and recovers by
// itself after. With persistence (appendfsync always) no message whose submit resolved is lost; without
// it (all data, consumer groups and the routing set gone) every message accepted after the restart is
// still handled: the group is recreated from the stream's start, so entries appended first are not skipped.
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { after, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisServer } from '../helpers/redis-server.js';
import { PipelineError, createRedisPipeline, type StreamPipeline } from '../../src/queue/index.js';
import { createRedisWorker, type Worker } from '../../src/worker/index.js';
import { waitUntil } from './pipeline-helpers.js';

const servers: RedisServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

type Phase = 'before' | 'down' | 'after';

async function runOutage(persisted: boolean): Promise<void> {
  const server = await RedisServer.start(persisted ? ['--appendonly', 'yes', '--appendfsync', 'always'] : []);
  servers.push(server);
  const prefix = `t${randomUUID().slice(0, 8)}`;
  const handled = new Set<string>();
  let worker: Worker | null = null;
  let gateway: StreamPipeline | null = null;
  let stop = false;
  let load: Promise<unknown> = Promise.resolve();
  try {
    worker = createRedisWorker({
      id: 'worker-0',
      redisUrl: server.url,
      prefix,
      heartbeatMs: 200,
      publisher: { publish: async () => {} },
      handler: async (msg) => {
        handled.add(msg.data);
      },
    });
    await worker.start();
    gateway = createRedisPipeline({ redisUrl: server.url, prefix, nodeId: 'node-a', routeCacheTtlMs: 200, submitTimeoutMs: 500 });
    await gateway.start();
    const pipeline = gateway;

    const accepted = new Map<string, Phase>();
    const errors: unknown[] = [];
    let phase: Phase = 'before';
    const acceptedIn = { before: 0, down: 0, after: 0 };
    load = Promise.all(
      Array.from({ length: 4 }, async (_, client) => {
        for (let seq = 0; !stop; seq++) {
          const data = JSON.stringify({ client, seq });
          const at = phase;
          try {
            await pipeline.submit({ kind: 'publish', channel: `chat:${client}`, data, user: 'u', client: `c${client}` });
            accepted.set(data, at);
            acceptedIn[at]++;
          } catch (err) {
            errors.push(err);
          }
          await new Promise((r) => setTimeout(r, 5));
        }
      }),
    );

    await waitUntil(() => acceptedIn.before >= 100, 10_000, 'load before the outage');
    await server.kill();
    phase = 'down';
    const errorsBefore = errors.length;
    await waitUntil(() => errors.length >= errorsBefore + 20, 10_000, 'submits to fail while Redis is down');
    await server.restart();
    const restartedAt = Date.now();
    await waitUntil(() => acceptedIn.after + acceptedIn.down > 0, 15_000, 'submits to succeed again');
    phase = 'after';
    console.log(`# submits accepted again ${Date.now() - restartedAt} ms after Redis restarted`);
    await waitUntil(() => acceptedIn.after >= 100, 15_000, 'load after the outage');
    stop = true;
    await load;

    assert.ok(errors.length >= 20);
    // Without persistence the routing set is gone too until the worker's next heartbeat re-registers it.
    const allowed = persisted ? ['unavailable'] : ['unavailable', 'no_workers'];
    const odd = errors.find((e) => !(e instanceof PipelineError && e.temporary && allowed.includes(e.reason)));
    assert.equal(odd, undefined, `every failure is a temporary ${allowed.join('/')} error: ${String(odd)}`);
    // Without persistence what was accepted before the crash is legitimately lost; what came after must not be.
    const mustHandle = [...accepted].filter(([, at]) => persisted || at !== 'before').map(([d]) => d);
    await waitUntil(() => mustHandle.every((d) => handled.has(d)), 20_000, 'every accepted message to be handled').catch(
      async (err: unknown) => {
        const missing = mustHandle.filter((d) => !handled.has(d));
        console.log(`# not handled: ${missing.length} of ${mustHandle.length}`, missing.slice(0, 5), await worker?.info());
        console.log('# stream state:', JSON.stringify(await streamState(server.url, prefix, missing)));
        throw err;
      },
    );
    console.log(`# accepted ${accepted.size}, rejected ${errors.length} during the outage, ${mustHandle.length} required and handled`);
  } finally {
    stop = true;
    await load;
    await gateway?.close();
    await worker?.close();
  }
}

/** Raw group and consumer state, and where the missing messages are: for diagnosing a failure. */
async function streamState(url: string, prefix: string, missing: string[]): Promise<unknown> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    const keys = await redis.keys(`${prefix}*`);
    const stream = keys.find((k) => k.endsWith('worker-0'));
    if (stream === undefined) return { keys };
    const entries = await redis.xrange(stream, '-', '+');
    const positions = missing.slice(0, 5).map((d) => entries.find(([, f]) => f.includes(d))?.[0] ?? 'absent');
    return {
      keys,
      length: entries.length,
      first: entries[0]?.[0],
      last: entries[entries.length - 1]?.[0],
      missingAt: positions,
      groups: await redis.xinfo('GROUPS', stream).catch((e: unknown) => String(e)),
      consumers: await redis.xinfo('CONSUMERS', stream, 'workers').catch((e: unknown) => String(e)),
    };
  } finally {
    redis.disconnect();
  }
}

void it('rejects submits while Redis is down, recovers after it restarts, and loses no accepted message', async () => {
  await runOutage(true);
});

void it('after a restart that lost every key, handles every message accepted after the restart', async () => {
  await runOutage(false);
});
