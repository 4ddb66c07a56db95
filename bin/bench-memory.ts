/**
 * Memory benchmark: `npm run bench:memory`. Holds MEMORY_CONNECTIONS idle subscribed connections
 * (default 20,000) in one gateway process (Redis mode, presence on) and then in the bare ws server
 * (`bench/baseline-server.ts`), each measured under --expose-gc, and prints heap and RSS per
 * connection and the CPU an idle connection costs (pings), side by side, medians of MEMORY_RUNS.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { median } from '../bench/bench-report.js';
import { processCpuUs } from '../bench/proc-cpu.js';
import { freePort } from '../src/chaos/index.js';

const env = process.env;
const CONNECTIONS = Number(env.MEMORY_CONNECTIONS ?? 20_000);
const RUNS = Number(env.MEMORY_RUNS ?? 1);
/** Seconds the connections sit idle while CPU is measured (one ping each at the default 25 s interval needs >= 25). */
const IDLE_S = Number(env.MEMORY_IDLE_SECONDS ?? 30);
/** Source addresses 127.0.0.1..N, so the client side stays inside the ephemeral-port range. */
const SOURCES = Number(env.MEMORY_SOURCES ?? 4);
/** Connections per client process (each needs one descriptor per connection). */
const PER_CLIENT = 8000;
const WARMUP = Math.min(1000, CONNECTIONS);
const log = (m: string): void => console.error(`[bench:memory] ${m}`);
const children = new Set<ChildProcess>();

interface Heap {
  heapUsed: number;
  rss: number;
}
interface Measured {
  proc: ChildProcess;
  url: string;
  heap(): Promise<Heap>;
}

async function waitForPort(port: number, proc: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`${what} exited with ${proc.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = new Socket();
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => {
        s.destroy();
        resolve(false);
      });
      s.connect(port, '127.0.0.1');
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`${what} did not listen on ${port} within 30 s`);
}

function track(proc: ChildProcess): ChildProcess {
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  return proc;
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function startMeasured(script: string, port: number, extra: Record<string, string>): Promise<Measured> {
  const proc = track(
    spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/measured-child.ts', script], {
      env: { ...env, ...extra },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    }),
  );
  await waitForPort(port, proc, script);
  return {
    proc,
    url: `ws://127.0.0.1:${port}/connection/websocket`,
    heap: () =>
      new Promise((resolve) => {
        proc.once('message', (m) => resolve(m as Heap));
        proc.send('heap');
      }),
  };
}

/** Opens `n` idle subscribed connections from client processes; resolves once all are open (or failed). */
async function openIdle(url: string, n: number): Promise<{ procs: ChildProcess[]; ok: number }> {
  const procs: ChildProcess[] = [];
  const ready: Promise<number>[] = [];
  for (let offset = 0; offset < n; offset += PER_CLIENT) {
    const proc = track(
      spawn(process.execPath, ['--import', 'tsx', 'bench/idle-clients.ts'], {
        env: {
          ...env,
          IDLE_URL: url,
          IDLE_CONNECTIONS: String(Math.min(PER_CLIENT, n - offset)),
          IDLE_OFFSET: String(offset),
          IDLE_TOTAL: String(n),
          IDLE_SOURCES: String(SOURCES),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    );
    procs.push(proc);
    ready.push(
      new Promise((resolve, reject) => {
        let out = '';
        proc.stdout?.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const m = /ready (\d+) (\d+)/.exec(out);
          if (m !== null) resolve(Number(m[1]));
        });
        proc.once('exit', (code) => reject(new Error(`idle clients exited with ${code}`)));
      }),
    );
  }
  const counts = await Promise.all(ready);
  return { procs, ok: counts.reduce((a, b) => a + b, 0) };
}

interface Result {
  heapPerConn: number;
  rssPerConn: number;
  cpuUsPerConnMinute: number;
  ok: number;
}

async function measure(server: Measured): Promise<Result> {
  const warm = await openIdle(server.url, WARMUP);
  await Promise.all(warm.procs.map(stop));
  await sleep(2000);
  const start = await server.heap();
  const idle = await openIdle(server.url, CONNECTIONS);
  await sleep(2000);
  const held = await server.heap();
  const pid = server.proc.pid ?? 0;
  const cpuBefore = processCpuUs(pid) ?? 0;
  await sleep(IDLE_S * 1000);
  const cpu = (processCpuUs(pid) ?? 0) - cpuBefore;
  await Promise.all(idle.procs.map(stop));
  const n = Math.max(1, idle.ok);
  return {
    heapPerConn: (held.heapUsed - start.heapUsed) / n,
    rssPerConn: (held.rss - start.rss) / n,
    cpuUsPerConnMinute: (cpu / n) * (60 / IDLE_S),
    ok: idle.ok,
  };
}

async function main(): Promise<void> {
  if (CONNECTIONS + 100 > 20_000)
    log(`note: ${CONNECTIONS} connections need an open-files limit above ${CONNECTIONS + 100} in the server process (\`ulimit -n\`)`);
  const redisPort = await freePort();
  const redis = track(
    spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' }),
  );
  await waitForPort(redisPort, redis, 'redis-server');
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const product: Result[] = [];
  const bare: Result[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const [ws, http, metrics] = [await freePort(), await freePort(), await freePort()];
    const gateway = await startMeasured('bin/gateway.ts', ws, {
      REDIS_URL: redisUrl,
      REDIS_PREFIX: `mem${randomBytes(3).toString('hex')}`,
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      WEBSOCKET_PORT: String(ws),
      HTTP_PORT: String(http),
      METRICS_PORT: String(metrics),
    });
    try {
      product.push(await measure(gateway));
    } finally {
      await stop(gateway.proc);
    }
    const port = await freePort();
    const baseline = await startMeasured('bench/baseline-server.ts', port, {
      BASELINE_PORT: String(port),
      REDIS_URL: redisUrl,
      REDIS_PREFIX: `memb${randomBytes(3).toString('hex')}`,
    });
    try {
      bare.push(await measure(baseline));
    } finally {
      await stop(baseline.proc);
    }
    log(`run ${run}: gateway ${JSON.stringify(product.at(-1))}, bare ${JSON.stringify(bare.at(-1))}`);
  }
  await stop(redis);
  const kb = (b: number): string => `${(b / 1024).toFixed(1)} KB`;
  const us = (n: number): string => `${n.toFixed(1)} µs`;
  const rows: [string, (r: Result) => number, (n: number) => string][] = [
    ['connections held', (r) => r.ok, (n) => String(Math.round(n))],
    ['heap per idle subscribed connection', (r) => r.heapPerConn, kb],
    ['RSS per idle subscribed connection', (r) => r.rssPerConn, kb],
    ['CPU per idle connection per minute (pings)', (r) => r.cpuUsPerConnMinute, us],
  ];
  console.log(`| ${CONNECTIONS} idle connections, median of ${RUNS} | gateway | bare ws | ratio |`);
  console.log('|---|---:|---:|---:|');
  for (const [label, pick, format] of rows) {
    const g = median(product.map(pick));
    const b = median(bare.map(pick));
    console.log(`| ${label} | ${format(g)} | ${format(b)} | ${b === 0 ? '' : (g / b).toFixed(2)} |`);
  }
}

try {
  await main();
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await Promise.all([...children].map(stop));
}
