// Issue 11, item 11: memory after clients leave. The real gateway process in Redis mode (measured
// under --expose-gc) holds N idle subscribed connections (presence and join/leave on), then all
// of them disconnect; once the gateway has seen every close, its collected heap must be back
// within 10% of where it started. npm test runs N = 2000; `npm run memory:leave` runs 20,000
// (MEMORY_CONNECTIONS), which needs an open-files limit above 20,000 for both processes
// (`ulimit -n`; MEMORY_OPEN_FILES raises the gateway's with prlimit where that is permitted).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { MB } from '../helpers/memory.js';
import { spawnMeasuredGateway, type MeasuredGateway } from '../helpers/measured-gateway.js';
import { RedisServer } from '../helpers/redis-server.js';

const CONNECTIONS = Number(process.env['MEMORY_CONNECTIONS'] ?? '2000');
const WARMUP = 1000;
const CONCURRENCY = 100;
/** Rooms of about 20 members, so every leave is pushed to the other members of its room. */
const ROOMS = Math.max(1, Math.round(CONNECTIONS / 20));

function open(url: string, i: number, sockets: WebSocket[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'centrifuge-json');
    sockets.push(ws);
    ws.once('open', () => {
      ws.send(`{"connect":{},"id":1}\n{"subscribe":{"channel":"chat:room-${i % ROOMS}"},"id":2}`);
      let answers = 0;
      const onMessage = (data: Buffer): void => {
        answers += data
          .toString()
          .split('\n')
          .filter((l) => l.startsWith('{"id":')).length;
        if (answers >= 2) {
          ws.off('message', onMessage);
          resolve();
        }
      };
      ws.on('message', onMessage);
      // Idle but alive: answer the server's {} pings with {} pongs.
      ws.on('message', (data: Buffer) => {
        if (data.length === 2 && data.toString() === '{}') ws.send('{}');
      });
    });
    ws.once('error', reject);
  });
}

async function openAll(url: string, n: number): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) await open(url, next++, sockets);
    }),
  );
  return sockets;
}

async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === ws.CLOSED) return resolve();
          ws.once('close', () => resolve());
          ws.close(1000);
        }),
    ),
  );
}

async function gatewayConnections(metricsUrl: string): Promise<number> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  // One sample per transport label: the gateway's connections are their sum.
  const samples = [...text.matchAll(/^gateway_connections(?:\{[^}]*\})? (\d+)$/gm)];
  return samples.length === 0 ? Number.NaN : samples.reduce((sum, m) => sum + Number(m[1]), 0);
}

void describe(`memory after ${CONNECTIONS} subscribed connections leave (Redis mode)`, () => {
  let redis: RedisServer;
  let gw: MeasuredGateway;
  before(async () => {
    redis = await RedisServer.start();
    gw = await spawnMeasuredGateway(
      { LOG_LEVEL: 'warn', REDIS_URL: redis.url, REDIS_PREFIX: `ml${process.pid}` },
      process.env['MEMORY_OPEN_FILES'] !== undefined ? { openFiles: Number(process.env['MEMORY_OPEN_FILES']) } : {},
    );
  });
  after(async () => {
    await gw.stop();
    await redis.close();
  });

  void it('the collected heap returns to within 10% of its start', async () => {
    // Warm-up: the first connections compile code and create pooled structures once per process.
    await closeAll(await openAll(gw.wsUrl, WARMUP));
    await waitForConnections(gw, 0);
    const start = await gw.heap();
    const snapshots = process.env['MEMORY_SNAPSHOTS'];
    if (snapshots !== undefined) await gw.request(`snapshot:${snapshots}/start.heapsnapshot`);
    const sockets = await openAll(gw.wsUrl, CONNECTIONS);
    await waitForConnections(gw, CONNECTIONS);
    const held = await gw.heap();
    await closeAll(sockets);
    await waitForConnections(gw, 0);
    // Leaves and presence removals are still going out to Redis for a while after the last close.
    let left = await gw.heap();
    const settleBy = Date.now() + 120_000;
    while (left.heapUsed > start.heapUsed * 1.1 && Date.now() < settleBy) {
      await new Promise((r) => setTimeout(r, 1000));
      left = await gw.heap();
    }
    if (snapshots !== undefined) await gw.request(`snapshot:${snapshots}/left.heapsnapshot`);
    const f = (b: number): string => `${(b / MB).toFixed(1)} MB`;
    console.log(
      `# ${CONNECTIONS} connections: heap start ${f(start.heapUsed)}, held ${f(held.heapUsed)}, after leave ${f(left.heapUsed)}` +
        ` (${(((left.heapUsed - start.heapUsed) / start.heapUsed) * 100).toFixed(1)}%); rss ${f(start.rss)} -> ${f(held.rss)} -> ${f(left.rss)}`,
    );
    assert.ok(held.heapUsed > start.heapUsed, 'the connections were held');
    assert.ok(left.heapUsed <= start.heapUsed * 1.1, `heap after leave ${f(left.heapUsed)} vs start ${f(start.heapUsed)}`);
  });
});

async function waitForConnections(gw: MeasuredGateway, n: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  while ((await gatewayConnections(gw.metricsUrl)) !== n) {
    if (Date.now() > deadline) throw new Error(`gateway did not reach ${n} connections`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
