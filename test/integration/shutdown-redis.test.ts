// Two gateway processes and a worker process on a real redis-server: the server HTTP API on one
// gateway reaches a user on the other (control plane), and SIGTERM to a gateway under publishing
// load loses no acknowledged message while its clients move to the other gateway.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Centrifuge, DisconnectedContext, UnsubscribedContext } from 'centrifuge';
import WebSocket from 'ws';
import { createReconnectClient, type ReconnectClient } from '../../src/client/index.js';
import { signToken } from '../../src/gateway/index.js';
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

const SECRET = 'shutdown-test-secret-0123456789abcdef';
const API_KEY = 'shutdown-test-api-key';
const token = (user: string): string => signToken({ sub: user, exp: Math.floor(Date.now() / 1000) + 3600 }, SECRET);

async function api(gw: GatewayProcess, method: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${gw.httpUrl}/api/${method}`, {
    method: 'POST',
    headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200);
  const json = (await res.json()) as { result?: Record<string, unknown>; error?: unknown };
  assert.equal(json.error, undefined, JSON.stringify(json));
  return json.result ?? {};
}

/** Texts of `chat:load` messages the worker logged as handled. */
function processedTexts(worker: TsProcess): Set<string> {
  const texts = new Set<string>();
  for (const line of worker.lines) {
    if (!line.includes('"msg":"message"') || !line.includes('chat:load')) continue;
    const entry = JSON.parse(line) as { channel: string; data: string };
    if (entry.channel === 'chat:load') texts.add((JSON.parse(entry.data) as { text: string }).text);
  }
  return texts;
}

void describe('two gateway processes and a worker on Redis', () => {
  let redis: RedisServer;
  let gwA: GatewayProcess;
  let gwB: GatewayProcess;
  let worker: TsProcess;
  const centrifuges: Centrifuge[] = [];
  const reconnecting: ReconnectClient[] = [];

  before(async () => {
    redis = await RedisServer.start();
    const env = {
      REDIS_URL: redis.url,
      REDIS_PREFIX: `sd${randomBytes(3).toString('hex')}`,
      HTTP_API_KEY: API_KEY,
      CENTRIFUGO_TOKEN_HMAC_SECRET_KEY: SECRET,
      SHUTDOWN_TIMEOUT: '8s',
    };
    worker = spawnTs('examples/worker-simple.ts', { ...env, WORKER_ID: 'sd-w0', WORKER_METRICS_PORT: '0', LOG_LEVEL: 'debug' }); // payloads are logged at debug only
    [gwA, gwB] = await Promise.all([spawnGateway({ ...env, NODE_ID: 'gw-a' }), spawnGateway({ ...env, NODE_ID: 'gw-b' })]);
    await waitUntil(
      async () => (await getJson(`${gwA.httpUrl}/ready`)).status === 200 && (await getJson(`${gwB.httpUrl}/ready`)).status === 200,
      20_000,
      'both gateways ready',
    );
  });

  after(async () => {
    for (const c of centrifuges) c.disconnect();
    await Promise.all(reconnecting.map((c) => c.close()));
    await Promise.all([gwA.stop('SIGKILL'), gwB.stop('SIGKILL'), worker.stop('SIGKILL')]);
    await redis.stop();
  });

  void it('applies unsubscribe and disconnect sent to gateway A to a user connected to gateway B', async () => {
    const alice = newClient(gwB.wsUrl, 'json', { token: token('alice') });
    centrifuges.push(alice);
    alice.connect();
    const sub = alice.newSubscription('chat');
    sub.subscribe();
    await sub.ready(5000);

    await waitUntil(
      async () => {
        const info = (await api(gwA, 'info', {})) as { nodes?: { uid: string; num_clients: number }[] };
        return (info.nodes ?? []).some((n) => n.uid === 'gw-b' && n.num_clients === 1);
      },
      15_000,
      'info lists gateway B with alice',
    );

    const unsubscribed = nextEvent<UnsubscribedContext>(sub, 'unsubscribed');
    await api(gwA, 'unsubscribe', { user: 'alice', channel: 'chat' });
    assert.equal((await unsubscribed).code, 2000);

    const disconnected = nextEvent<DisconnectedContext>(alice, 'disconnected');
    await api(gwA, 'disconnect', { user: 'alice', disconnect: { code: 4501, reason: 'kicked' } });
    const ctx = await disconnected;
    assert.equal(ctx.code, 4501);
    assert.equal(ctx.reason, 'kicked');
  });

  void it('on SIGTERM under load: every acknowledged publish is processed, clients move to B, exit 0', async () => {
    const CLIENTS = 3;
    const acked: string[] = [];
    const ackedAfterMove = new Array<number>(CLIENTS).fill(0);
    let running = true;
    let terminated = false;
    const loops: Promise<void>[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const client = createReconnectClient({
        url: [gwA.wsUrl, gwB.wsUrl],
        token: token(`load-${i}`),
        websocket: WebSocket,
        minReconnectDelay: 50,
        maxReconnectDelay: 300,
        timeout: 4000,
      });
      reconnecting.push(client);
      client.connect();
      await client.ready(5000);
      assert.equal(client.url, gwA.wsUrl);
      loops.push(
        (async () => {
          for (let seq = 0; running; seq++) {
            const text = `${i}-${seq}`;
            try {
              await client.publish('chat:load', { text });
              acked.push(text);
              if (terminated && client.url === gwB.wsUrl) ackedAfterMove[i]!++;
            } catch {
              await new Promise((r) => setTimeout(r, 20));
            }
          }
        })(),
      );
    }

    await waitUntil(() => acked.length >= 30, 15_000, 'load on gateway A');
    terminated = true;
    gwA.proc.kill('SIGTERM');
    assert.equal(await gwA.exited, 0, gwA.lines.slice(-5).join('\n'));
    const drainLine = gwA.lines.find((l) => l.includes('closing clients with 3001'));
    assert.ok(drainLine !== undefined);
    assert.equal((JSON.parse(drainLine) as { drained: boolean }).drained, true, 'in-flight publishes settled before the timeout');
    await waitUntil(() => ackedAfterMove.every((n) => n >= 5), 20_000, 'every client publishing through gateway B');
    running = false;
    await Promise.all(loops);
    for (const c of reconnecting) assert.equal(c.url, gwB.wsUrl);

    await waitUntil(
      () => {
        const done = processedTexts(worker);
        return acked.every((t) => done.has(t));
      },
      20_000,
      'the worker processed every acknowledged publish',
    );
    const metrics = await (await fetch(`${gwB.metricsUrl}/metrics`)).text();
    assert.match(metrics, new RegExp(`^gateway_connections\\{transport="websocket"\\} ${CLIENTS}$`, 'm'));
  });
});
