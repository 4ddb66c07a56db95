// Redis killed and restarted under load: submit rejects (temporary) while it is down, recovers by
// itself after, and no message whose submit resolved is lost (Redis runs with appendfsync always).
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import { RedisServer } from '../helpers/redis-server.js';
import { PipelineError, createRedisPipeline } from '../../src/queue/index.js';
import { createWorker } from '../../src/worker/index.js';
import { waitUntil } from './pipeline-helpers.js';

let server: RedisServer;
before(async () => {
  server = await RedisServer.start(['--appendonly', 'yes', '--appendfsync', 'always']);
});
after(async () => {
  await server.close();
});

void it('rejects submits while Redis is down, recovers after it restarts, and loses no accepted message', async () => {
  const prefix = `t${randomUUID().slice(0, 8)}`;
  const handled = new Set<string>();
  const worker = createWorker({
    id: 'worker-0', redisUrl: server.url, prefix, heartbeatMs: 200, publisher: { publish: async () => {} },
    handler: async (msg) => { handled.add(msg.data); },
  });
  await worker.start();
  const gateway = createRedisPipeline({ redisUrl: server.url, prefix, nodeId: 'node-a', routeCacheTtlMs: 200, submitTimeoutMs: 500 });
  await gateway.start();

  const accepted: string[] = [];
  const errors: unknown[] = [];
  let phase: 'before' | 'down' | 'after' = 'before';
  const acceptedIn = { before: 0, down: 0, after: 0 };
  let stop = false;
  const load = Promise.all(Array.from({ length: 4 }, async (_, client) => {
    for (let seq = 0; !stop; seq++) {
      const data = JSON.stringify({ client, seq });
      const at = phase;
      try {
        await gateway.submit({ kind: 'publish', channel: `chat:${client}`, data, user: 'u', client: `c${client}` });
        accepted.push(data);
        acceptedIn[at]++;
      } catch (err) {
        errors.push(err);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }));

  await waitUntil(() => accepted.length >= 100, 10_000, 'load before the outage');
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
  assert.ok(errors.every((e) => e instanceof PipelineError && e.temporary && e.reason === 'unavailable'),
    `every failure is a temporary unavailable error: ${String(errors.find((e) => !(e instanceof PipelineError)))}`);
  await waitUntil(() => accepted.every((d) => handled.has(d)), 20_000, 'every accepted message to be handled').catch(async (err: unknown) => {
    const missing = accepted.filter((d) => !handled.has(d));
    console.log('# not handled:', missing.length, 'of', accepted.length, missing.slice(0, 5), await worker.info());
    throw err;
  });
  console.log(`# accepted ${accepted.length}, rejected ${errors.length} during the outage, all accepted handled`);
  await gateway.close();
  await worker.close();
});
