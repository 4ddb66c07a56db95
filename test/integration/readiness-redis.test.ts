// The gateway and worker processes on a real redis-server: chat through the stream and the worker,
// readiness before and after the worker registers, a Redis outage (503, temporary error 100) and
// recovery without restarting anything, and a gateway started while Redis is down.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Centrifuge, PublicationContext, Subscription } from 'centrifuge';
import {
  getJson,
  newClient,
  nextEvent,
  spawnGateway,
  spawnTs,
  waitUntil,
  type GatewayProcess,
  type TsProcess,
} from '../helpers/gateway.js';
import { RedisServer } from '../helpers/redis-server.js';

interface Ready {
  ready: boolean;
  checks: { redis: string; workers: number; shuttingDown: boolean; starting?: boolean };
}

async function readiness(base: string): Promise<{ status: number; body: Ready }> {
  const { status, body } = await getJson(`${base}/ready`);
  return { status, body: body as Ready };
}

void describe('gateway and worker processes on Redis: delivery and readiness', () => {
  let redis: RedisServer;
  let env: Record<string, string>;
  let gw: GatewayProcess;
  let worker: TsProcess | undefined;
  let late: GatewayProcess | undefined;
  const clients: Centrifuge[] = [];
  let bobSub: Subscription;
  let aliceSub: Subscription;
  const bobSeen: unknown[] = [];

  before(async () => {
    redis = await RedisServer.start();
    env = { REDIS_URL: redis.url, REDIS_PREFIX: `ready${randomBytes(3).toString('hex')}`, ROUTE_CACHE_TTL: '1s' };
    gw = await spawnGateway(env);
  });

  after(async () => {
    for (const c of clients) c.disconnect();
    await Promise.all([gw.stop('SIGKILL'), worker?.stop('SIGKILL'), late?.stop('SIGKILL')]);
    await redis.stop();
  });

  void it('starts in Redis mode and is not ready until a worker registers', async () => {
    assert.ok(
      gw.lines.slice(0, 3).some((l) => l.includes('"mode":"redis"')),
      'mode is among the first log lines',
    );
    const before = await readiness(gw.httpUrl);
    assert.equal(before.status, 503);
    assert.deepEqual(before.body, { ready: false, checks: { redis: 'ok', workers: 0, shuttingDown: false } });
    assert.equal((await getJson(`${gw.httpUrl}/health`)).status, 200, 'liveness does not depend on workers');

    worker = spawnTs('examples/worker-simple.ts', { ...env, WORKER_ID: 'ready-w0', WORKER_METRICS_PORT: '0', LOG_LEVEL: 'debug' }); // payloads are logged at debug only
    await waitUntil(async () => (await readiness(gw.httpUrl)).status === 200, 15_000, 'ready after the worker registers');
    assert.deepEqual((await readiness(gw.metricsUrl)).body, { ready: true, checks: { redis: 'ok', workers: 1, shuttingDown: false } });
  });

  void it('carries a chat message from client A to client B through the stream and the worker', async () => {
    const alice = newClient(gw.wsUrl, 'json');
    const bob = newClient(gw.wsUrl, 'json');
    clients.push(alice, bob);
    alice.connect();
    bob.connect();
    bobSub = bob.newSubscription('chat');
    bobSub.on('publication', (ctx: PublicationContext) => bobSeen.push(ctx.data));
    bobSub.subscribe();
    await bobSub.ready(5000);
    aliceSub = alice.newSubscription('chat');
    aliceSub.subscribe();
    await aliceSub.ready(5000);
    await aliceSub.publish({ text: 'through the worker' });
    await waitUntil(() => bobSeen.length === 1, 10_000, 'bob receives the message');
    assert.deepEqual(bobSeen[0], { text: 'through the worker' });
    await worker!.waitForLine(/"msg":"message".*through the worker|through the worker.*"msg":"message"/, 5000);
  });

  void it('turns not ready and answers publishes with temporary error 100 while Redis is down, then recovers', async () => {
    await redis.kill();
    await waitUntil(async () => (await readiness(gw.httpUrl)).status === 503, 10_000, 'not ready without Redis');
    const down = await readiness(gw.httpUrl);
    assert.equal(down.body.checks.redis, 'unreachable');
    await assert.rejects(aliceSub.publish({ text: 'while down' }), (e: { code: number; temporary?: boolean }) => {
      assert.equal(e.code, 100);
      assert.equal(e.temporary, true);
      return true;
    });

    // A gateway started now waits for Redis: alive, not ready, WebSocket port not yet open.
    late = await spawnGateway(env, { wait: false });
    await waitUntil(async () => (await getJson(`${late!.httpUrl}/health`)).status === 200, 15_000, 'late gateway alive');
    const starting = await readiness(late.httpUrl);
    assert.equal(starting.status, 503);
    assert.equal(starting.body.checks.starting, true);
    await late.waitForLine(/Redis is unreachable at start-up/, 5000);

    await redis.restart();
    await waitUntil(async () => (await readiness(gw.httpUrl)).status === 200, 20_000, 'ready again after Redis returns');
    await late.waitForLine(/gateway listening/, 20_000);
    await waitUntil(async () => (await readiness(late!.httpUrl)).status === 200, 10_000, 'late gateway ready');

    // The subscription is re-established after the outage; keep publishing until one gets through.
    const seenBefore = bobSeen.length;
    await waitUntil(
      async () => {
        await aliceSub.publish({ text: 'after the outage' }).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 200));
        return bobSeen.length > seenBefore;
      },
      20_000,
      'delivery resumes',
    );
    assert.deepEqual(bobSeen.at(-1), { text: 'after the outage' });

    // A client on the late gateway talks to bob on the first one.
    const carol = newClient(late.wsUrl, 'json');
    clients.push(carol);
    carol.connect();
    await nextEvent(carol, 'connected');
    const count = bobSeen.length;
    await carol.publish('chat', { text: 'from the late gateway' });
    await waitUntil(() => bobSeen.length > count, 10_000, 'cross-gateway delivery');
    assert.deepEqual(bobSeen.at(-1), { text: 'from the late gateway' });
  });
});
