/**
 * Memory benchmark: `npm run bench:memory`. Holds MEMORY_CONNECTIONS idle subscribed connections
 * (default 20,000, capped by the open-files limit) in one gateway process (Redis mode, presence
 * on) and then in the bare ws server (`bench/baseline-server.ts`), both compiled and measured
 * under --expose-gc, and reports heap and RSS per connection and the CPU an idle connection costs
 * (pings, presence refresh), side by side, medians of MEMORY_RUNS; MEMORY_OUTPUT names a JSON
 * report (bench/memory-report.ts renders it).
 */

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChildProcesses, nextMessage, stopProcess, waitForPort } from '../bench/child-processes.js';
import { buildServers } from '../bench/connect-servers.js';
import { buildMemoryReport, memorySummary, type MemoryRun, type MemorySide } from '../bench/memory-report.js';
import { processCpuUs } from '../bench/proc-cpu.js';
import { freePort } from '../src/chaos/index.js';

const env = process.env;
/** Descriptors a server needs besides its connections (Redis, listeners, logs). */
const FD_RESERVE = 200;
const OPEN_FILES = openFilesLimit();
const REQUESTED = Number(env.MEMORY_CONNECTIONS ?? 20_000);
const CONNECTIONS = OPEN_FILES === null ? REQUESTED : Math.min(REQUESTED, OPEN_FILES - FD_RESERVE);
const RUNS = Number(env.MEMORY_RUNS ?? 1);
/** Seconds the connections sit idle while CPU is measured (one ping each at the default 25 s interval needs >= 25). */
const IDLE_S = Number(env.MEMORY_IDLE_SECONDS ?? 30);
/** Source addresses 127.0.0.1..N, so the client side stays inside the ephemeral-port range. */
const SOURCES = Number(env.MEMORY_SOURCES ?? 4);
const OUTPUT = env.MEMORY_OUTPUT;
/** Connections per client process (each needs one descriptor per connection). */
const PER_CLIENT = 8000;
const WARMUP = Math.min(1000, CONNECTIONS);
const log = (m: string): void => console.error(`[bench:memory] ${m}`);
const work = mkdtempSync(join(tmpdir(), 'rm-bench-memory-'));
const procs = new ChildProcesses(work);

interface Heap {
  heapUsed: number;
  rss: number;
}
interface Measured {
  proc: ChildProcess;
  url: string;
  heap(): Promise<Heap>;
}

/** The soft open-files limit this process (and so its children) runs under; null where /proc does not tell. */
function openFilesLimit(): number | null {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m === null ? null : Number(m[1]);
  } catch {
    return null;
  }
}

async function startMeasured(name: string, script: string, port: number, extra: Record<string, string>): Promise<Measured> {
  const proc = procs.start(name, process.execPath, ['--expose-gc', 'dist/bench/measured-child.js', script], extra, true);
  await waitForPort(port, name, proc);
  return {
    proc,
    url: `ws://127.0.0.1:${port}/connection/websocket`,
    heap: () => {
      const answer = nextMessage<Heap>(proc, 'heap');
      proc.send('heap');
      return answer;
    },
  };
}

/** Opens `n` idle subscribed connections from client processes; resolves once all are open (or failed). */
async function openIdle(url: string, n: number): Promise<{ clients: ChildProcess[]; ok: number }> {
  const clients: ChildProcess[] = [];
  const ready: Promise<number>[] = [];
  for (let offset = 0; offset < n; offset += PER_CLIENT) {
    const proc = spawn(process.execPath, ['dist/bench/idle-clients.js'], {
      env: {
        ...env,
        IDLE_URL: url,
        IDLE_CONNECTIONS: String(Math.min(PER_CLIENT, n - offset)),
        IDLE_OFFSET: String(offset),
        IDLE_TOTAL: String(n),
        IDLE_SOURCES: String(SOURCES),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    clients.push(proc);
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
  return { clients, ok: counts.reduce((a, b) => a + b, 0) };
}

async function measure(server: Measured, run: number, side: MemorySide): Promise<MemoryRun> {
  const warm = await openIdle(server.url, WARMUP);
  await Promise.all(warm.clients.map(stopProcess));
  await sleep(2000);
  const start = await server.heap();
  const idle = await openIdle(server.url, CONNECTIONS);
  await sleep(2000);
  const held = await server.heap();
  const pid = server.proc.pid ?? 0;
  const cpuBefore = processCpuUs(pid) ?? 0;
  await sleep(IDLE_S * 1000);
  const cpu = (processCpuUs(pid) ?? 0) - cpuBefore;
  await Promise.all(idle.clients.map(stopProcess));
  const n = Math.max(1, idle.ok);
  return {
    run,
    side,
    connections: idle.ok,
    heapPerConn: (held.heapUsed - start.heapUsed) / n,
    rssPerConn: (held.rss - start.rss) / n,
    cpuUsPerConnMinute: (cpu / n) * (60 / IDLE_S),
  };
}

async function runOnce(run: number, redisUrl: string): Promise<MemoryRun[]> {
  const [ws, http, metrics] = [await freePort(), await freePort(), await freePort()];
  const gateway = await startMeasured(`gateway-${run}`, 'dist/bin/gateway.js', ws, {
    REDIS_URL: redisUrl,
    REDIS_PREFIX: `mem${randomBytes(3).toString('hex')}`,
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    WEBSOCKET_PORT: String(ws),
    HTTP_PORT: String(http),
    METRICS_PORT: String(metrics),
  });
  const product = await measure(gateway, run, 'product').finally(() => stopProcess(gateway.proc));
  const port = await freePort();
  const baseline = await startMeasured(`bare-${run}`, 'dist/bench/baseline-server.js', port, {
    BASELINE_PORT: String(port),
    REDIS_URL: redisUrl,
    REDIS_PREFIX: `memb${randomBytes(3).toString('hex')}`,
  });
  const bare = await measure(baseline, run, 'bare').finally(() => stopProcess(baseline.proc));
  log(`run ${run}: gateway ${JSON.stringify(product)}, bare ${JSON.stringify(bare)}`);
  return [product, bare];
}

function versionOf(command: string, args: string[]): string {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

async function main(): Promise<void> {
  if (CONNECTIONS < REQUESTED) log(`${REQUESTED} connections asked, ${CONNECTIONS} held: the open-files limit is ${OPEN_FILES}`);
  log('building (npm run build, tsconfig.bench.json)');
  buildServers();
  const startLoad = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const redisPort = await freePort();
  const redis = procs.start(
    'redis',
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {},
  );
  await waitForPort(redisPort, 'redis-server', redis);
  const runs: MemoryRun[] = [];
  for (let run = 1; run <= RUNS; run++) runs.push(...(await runOnce(run, `redis://127.0.0.1:${redisPort}`)));
  const cpu = cpus();
  const set = ['MEMORY_CONNECTIONS', 'MEMORY_RUNS', 'MEMORY_IDLE_SECONDS', 'MEMORY_SOURCES'].filter((n) => env[n] !== undefined);
  const report = buildMemoryReport(
    {
      date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
      command: [...set.map((n) => `${n}=${env[n]}`), 'npm run bench:memory'].join(' '),
      machine: [
        `CPU: ${cpu[0]?.model ?? 'unknown'}, ${cpu.length} cores; memory ${(totalmem() / 2 ** 30).toFixed(1)} GiB; ${type()} ${release()}`,
        `Node ${process.version}; ${versionOf('redis-server', ['--version']).split(' ').slice(0, 3).join(' ')}; load average at start ${startLoad}`,
      ],
      settings: { connections: CONNECTIONS, runs: RUNS, idleSeconds: IDLE_S, sources: SOURCES, openFilesLimit: OPEN_FILES },
    },
    runs,
  );
  console.log(memorySummary(report).join('\n'));
  if (OUTPUT !== undefined && OUTPUT !== '') {
    writeFileSync(OUTPUT, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${OUTPUT}`);
  }
}

try {
  await main();
  rmSync(work, { recursive: true, force: true });
} catch (err) {
  console.error(err);
  log(`logs kept in ${work}`);
  process.exitCode = 1;
} finally {
  await procs.stopAll();
}
