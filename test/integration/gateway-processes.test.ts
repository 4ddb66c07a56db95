// GATEWAY_PROCESSES: the real `bin/gateway.ts` as a group of 2 processes (node:cluster) over a real
// redis-server with a real worker process: clients on several connections land on both processes,
// one metrics endpoint sums their metrics, publishes and history work across processes, readiness
// needs every process, a killed process is restarted, SIGTERM drains the group; embedded mode
// refuses a group.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Centrifuge, PublicationContext } from 'centrifuge';
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

const API_KEY = 'group-test-api-key';

async function api(gw: GatewayProcess, method: string, params: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${gw.httpUrl}/api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
    body: JSON.stringify(params),
  });
  const body = (await res.json()) as { result?: Record<string, unknown>; error?: unknown };
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.result ?? {};
}

function metricValue(text: string, line: RegExp): number {
  const m = line.exec(text);
  return m === null ? Number.NaN : Number(m[1]);
}

void describe('gateway group (GATEWAY_PROCESSES=2)', () => {
  let redis: RedisServer;
  let worker: TsProcess;
  let gw: GatewayProcess;
  const clients: Centrifuge[] = [];

  before(async () => {
    redis = await RedisServer.start();
    const common = { REDIS_URL: redis.url, REDIS_PREFIX: 'group', LOG_LEVEL: 'info' };
    worker = spawnTs('examples/worker-simple.ts', { ...common, WORKER_ID: 'w1', WORKER_METRICS_PORT: 'off' });
    await worker.waitForLine(/consuming/, 30_000);
    gw = await spawnGateway({ ...common, GATEWAY_PROCESSES: '2', HTTP_API_KEY: API_KEY });
    await gw.waitForLine(/gateway group:/, 30_000);
  });

  after(async () => {
    for (const c of clients) c.disconnect();
    await gw.stop('SIGKILL');
    await worker.stop('SIGKILL');
    await redis.close();
  });

  void it('is ready on the metrics port only once both processes serve, and each process reports the group', async () => {
    await waitUntil(async () => (await getJson(`${gw.metricsUrl}/ready`)).status === 200, 30_000, 'group ready');
    const group = (await getJson(`${gw.metricsUrl}/ready`)).body as { checks: { processes: unknown }; members: { pid: number }[] };
    assert.deepEqual(group.checks.processes, { up: 2, of: 2, ready: 2 });
    assert.equal(new Set(group.members.map((m) => m.pid)).size, 2, 'two distinct processes answered');
    const one = await getJson(`${gw.httpUrl}/ready`);
    assert.equal(one.status, 200);
    assert.deepEqual((one.body as { checks: { processes: unknown } }).checks.processes, { up: 2, of: 2 });
    assert.equal((await getJson(`${gw.metricsUrl}/health`)).status, 200);
    assert.equal(gw.lines.filter((l) => l.includes('gateway process serving')).length, 2);
  });

  void it('spreads connections over both processes and sums their metrics on one endpoint', async () => {
    for (let i = 0; i < 8; i++) {
      const c = newClient(gw.wsUrl, 'json');
      clients.push(c);
      c.connect();
    }
    await Promise.all(clients.map((c) => c.ready(5000)));
    const metrics = await (await fetch(`${gw.metricsUrl}/metrics`)).text();
    assert.equal(metricValue(metrics, /^gateway_connections\{transport="websocket"\} (\d+)$/m), 8, 'connections summed over the processes');
    assert.equal(metricValue(metrics, /^gateway_group_processes_up (\d+)$/m), 2);
    assert.equal(metricValue(metrics, /^gateway_connects_total\{transport="websocket",protocol="json"\} (\d+)$/m), 8);
    // Each process is a node of its own: both hold some of the clients.
    await waitUntil(
      async () => {
        const nodes = (await api(gw, 'info', {}))['nodes'] as { num_clients: number }[];
        return nodes.length === 2 && nodes.every((n) => n.num_clients > 0) && nodes.reduce((s, n) => s + n.num_clients, 0) === 8;
      },
      20_000,
      'two nodes sharing the 8 clients',
    );
  });

  void it('carries publishes between clients of different processes and serves the same history from both', async () => {
    const subs = clients.map((c) => {
      const s = c.newSubscription('chat:group');
      s.subscribe();
      return s;
    });
    await Promise.all(subs.map((s) => s.ready(5000)));
    const received = subs.map((s) => nextEvent<PublicationContext>(s, 'publication', 10_000));
    await subs[0]!.publish({ text: 'across processes' });
    for (const pub of await Promise.all(received)) assert.deepEqual(pub.data, { text: 'across processes' });
    for (const s of subs) {
      const h = await s.history({ limit: 10 });
      assert.deepEqual(
        h.publications.map((p): unknown => p.data),
        [{ text: 'across processes' }],
      );
    }
  });

  void it('restarts a process that dies (its clients reconnect to the group) and is ready again with both', async () => {
    const before = ((await getJson(`${gw.metricsUrl}/ready`)).body as { members: { pid: number }[] }).members.map((m) => m.pid);
    const victim = before[0]!;
    process.kill(victim, 'SIGKILL');
    await gw.waitForLine(/gateway process exited unexpectedly; restarting it/, 10_000);
    // While the replacement boots, the metrics endpoint answers from the serving process alone.
    await new Promise((r) => setTimeout(r, 1200));
    const during = await fetch(`${gw.metricsUrl}/metrics`, { signal: AbortSignal.timeout(4000) });
    assert.equal(during.status, 200);
    assert.match(await during.text(), /^gateway_group_processes_up [12]$/m);
    await waitUntil(
      async () => {
        const r = await getJson(`${gw.metricsUrl}/ready`);
        const pids = (r.body as { members?: { pid: number }[] }).members?.map((m) => m.pid) ?? [];
        return r.status === 200 && pids.length === 2 && !pids.includes(victim);
      },
      30_000,
      'group ready again without the killed process',
    );
    await waitUntil(() => clients.every((c) => c.state === 'connected'), 20_000, 'clients reconnected');
    const metrics = await (await fetch(`${gw.metricsUrl}/metrics`)).text();
    assert.equal(metricValue(metrics, /^gateway_group_restarts_total (\d+)$/m), 1);
    assert.equal(metricValue(metrics, /^gateway_connections\{transport="websocket"\} (\d+)$/m), 8);
  });

  void it('on SIGTERM drains every process (clients get 3001) and exits 0', async () => {
    const moved = clients.map((c) => nextEvent<{ code: number }>(c, 'connecting', 20_000));
    gw.proc.kill('SIGTERM');
    for (const m of await Promise.all(moved)) assert.equal(m.code, 3001);
    assert.equal(await gw.exited, 0);
    assert.equal(
      gw.lines.filter((l) => l.includes('"msg":"gateway stopped"')).length,
      2,
      'each process drained (the killed one never logged it)',
    );
    assert.ok(gw.lines.some((l) => l.includes('gateway group stopped')));
    for (const c of clients) c.disconnect();
  });
});

void describe('gateway group in embedded mode', () => {
  void it('refuses to start, saying why and what to set', async () => {
    const gw = await spawnGateway({ GATEWAY_PROCESSES: '2' }, { wait: false });
    assert.equal(await gw.exited, 1);
    assert.ok(
      gw.lines.some((l) => l.includes('GATEWAY_PROCESSES') && l.includes('needs REDIS_URL')),
      gw.lines.join('\n'),
    );
  });
});
