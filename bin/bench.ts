/**
 * Benchmark: `npm run bench`. Starts its own redis-server, then for each run the product (a
 * gateway with two workers) and the floor (the bare full loop: `bench/baseline-server.ts` with two
 * `bench/baseline-worker.ts`), drives both with the load tester (seed scenario, saturation, and
 * saturation with a group of two gateway processes), measures every process's CPU from /proc, and
 * writes docs/benchmarks.md with the medians (and prints the summary).
 */

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { cpus, loadavg, release, tmpdir, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadTestReport } from '../src/loadtest/index.js';
import { renderBenchmarks, summaryTable, type BenchProfile, type CpuRun, type ScenarioRuns } from '../bench/bench-report.js';
import { CpuWindow } from '../bench/proc-cpu.js';
import { readCommandStats, resetCommandStats } from '../bench/redis-commandstats.js';
import { runSubBenchmarks, SUB_BENCHMARK_NAMES } from '../bench/sub-benchmarks.js';
import { summarizeCpuProfile } from '../bench/cpu-profile-summary.js';
import { freePort } from '../src/chaos/index.js';

const env = process.env;
const seconds = (name: string, fallback: number): number => Number(env[name] ?? fallback);
const SEED_S = seconds('BENCH_DURATION', 60);
const SATURATION_S = seconds('BENCH_SATURATION_DURATION', Math.max(5, SEED_S / 2));
const RUNS = Number(env.BENCH_RUNS ?? 3);
const CLIENTS = Number(env.BENCH_CLIENTS ?? 500);
const RATE = Number(env.BENCH_RATE ?? 20);
const WINDOW = Number(env.BENCH_WINDOW ?? 1);
const CHANNELS = 10;
const SUBSCRIBERS = 1;
const PROFILE = env.BENCH_PROFILE === '1';
/** Seconds of unmeasured load each freshly started server gets first (JIT warm-up, connections, caches); 0: none. */
const WARMUP_S = seconds('BENCH_WARMUP', 5);
const OUTPUT = env.BENCH_OUTPUT ?? 'docs/benchmarks.md';
/** BENCH_BASELINE=0 skips the baseline runs (quicker while profiling; the report then has no ratios). */
const BASELINE = env.BENCH_BASELINE !== '0';
/** Scenarios (comma-separated `seed`, `saturation`, `saturation-2p`: saturation with GATEWAY_PROCESSES=2, product only; `connect`, `fanout`: bench/sub-benchmarks.ts); default all. */
const SCENARIOS = new Set(
  (env.BENCH_SCENARIOS ?? ['seed,saturation,saturation-2p', ...SUB_BENCHMARK_NAMES].join(',')).split(',').map((s) => s.trim()),
);
/** BENCH_PUBLISH_MODE=handled: the load tester's `chat:*` namespace in `publish_mode: "handled"` (acks wait for the worker's handler); default append. */
const PUBLISH_MODE = env.BENCH_PUBLISH_MODE ?? 'append';
if (PUBLISH_MODE !== 'append' && PUBLISH_MODE !== 'handled') throw new Error('BENCH_PUBLISH_MODE must be append or handled');

const work = mkdtempSync(join(tmpdir(), 'rm-bench-'));
const children = new Set<ChildProcess>();

/** The built-in channel rules (config.example.json) with `publish_mode` set on chat, as a CONFIG_FILE in the work directory. */
function channelConfigFile(): Record<string, string> {
  if (PUBLISH_MODE === 'append') return {};
  const doc = JSON.parse(readFileSync('config.example.json', 'utf8')) as {
    channel: { without_namespace: Record<string, unknown>; namespaces: Record<string, unknown>[] };
  };
  doc.channel.without_namespace['publish_mode'] = PUBLISH_MODE;
  for (const ns of doc.channel.namespaces) if (ns['name'] === 'chat') ns['publish_mode'] = PUBLISH_MODE;
  const path = join(work, 'channels.json');
  writeFileSync(path, JSON.stringify(doc));
  return { CONFIG_FILE: path };
}
const log = (message: string): void => console.error(`[bench] ${message}`);

async function waitForPort(port: number, what: string, proc: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`${what} exited with ${proc.exitCode} (log in ${work})`);
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

/** Starts a process whose output goes to a log file in the work directory. */
function start(name: string, command: string, args: string[], extraEnv: Record<string, string>): ChildProcess {
  const out = openSync(join(work, `${name}.log`), 'a');
  const proc = spawn(command, args, { env: { ...env, ...extraEnv }, stdio: ['ignore', out, out] });
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

const tsx = (script: string, profileDir?: string): string[] => [
  ...(profileDir !== undefined ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
  '--import',
  'tsx',
  script,
];

/**
 * The servers under test run compiled, as `npm start` and the Docker image run them: `script`
 * (a .ts path) as its JavaScript in dist/. tsx's on-the-fly transform wraps every function it
 * creates in a naming helper, which costs the product's per-message closures a few percent.
 */
const compiled = (script: string, profileDir?: string): string[] => [
  ...(profileDir !== undefined ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
  join('dist', script.replace(/\.ts$/, '.js')),
];

/** Builds what the servers run: the package (`npm run build`) and the floor's two scripts. */
function build(): void {
  for (const [command, args] of [
    ['npm', ['run', 'build', '--silent']],
    ['npx', ['tsc', '-p', 'tsconfig.bench.json']],
  ] as const) {
    const r = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed`);
  }
}

/** The worker entry point the repository has, if any. */
function workerScript(): string | null {
  for (const candidate of ['examples/worker-simple.ts']) if (existsSync(candidate)) return candidate;
  return null;
}

/** A server under test: its URL, its processes by name (for CPU), and how to stop them. */
interface Server {
  url: string;
  pids: Map<string, number>;
  stop(): Promise<void>;
}

function pidsOf(named: [string, ChildProcess][]): Map<string, number> {
  return new Map(named.flatMap(([name, proc]) => (proc.pid === undefined ? [] : [[name, proc.pid] as [string, number]])));
}

async function startGateway(redisUrl: string, label: string, processes: number, profileDir?: string): Promise<Server> {
  const [ws, http, metrics] = [await freePort(), await freePort(), await freePort()];
  const prefix = `bench${randomBytes(3).toString('hex')}`;
  const common = { REDIS_URL: redisUrl, REDIS_PREFIX: prefix, LOG_LEVEL: 'warn', ...channelConfigFile() };
  const gateway = start(`gateway-${label}`, process.execPath, compiled('bin/gateway.ts', profileDir), {
    ...common,
    HOST: '127.0.0.1',
    WEBSOCKET_PORT: String(ws),
    HTTP_PORT: String(http),
    METRICS_PORT: String(metrics),
    GATEWAY_PROCESSES: String(processes),
  });
  await waitForPort(ws, 'gateway', gateway);
  const script = workerScript();
  const workers =
    script === null
      ? []
      : [0, 1].map((i) =>
          start(
            `worker-${i}-${label}`,
            process.execPath,
            compiled(script, profileDir === undefined ? undefined : `${profileDir}-worker-${i}`),
            {
              ...common,
              WORKER_ID: `worker-${i}`,
              WORKER_METRICS_PORT: '0',
            },
          ),
        );
  if (workers.length > 0) await sleep(1500);
  return {
    url: `ws://127.0.0.1:${ws}/connection/websocket`,
    pids: pidsOf([['gateway', gateway], ...workers.map((w, i): [string, ChildProcess] => [`worker ${i}`, w])]),
    stop: async () => {
      await Promise.all([gateway, ...workers].map(stop));
    },
  };
}

/** The floor: the bare full loop (server + two workers, one per stream). */
async function startBaseline(redisUrl: string, label: string): Promise<Server> {
  const port = await freePort();
  const prefix = `base${randomBytes(3).toString('hex')}`;
  const workers = [0, 1].map((i) =>
    start(`baseline-worker-${i}-${label}`, process.execPath, compiled('bench/baseline-worker.ts'), {
      REDIS_URL: redisUrl,
      REDIS_PREFIX: prefix,
      BASELINE_STREAM: String(i),
    }),
  );
  const proc = start(`baseline-${label}`, process.execPath, compiled('bench/baseline-server.ts'), {
    BASELINE_PORT: String(port),
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
  });
  await waitForPort(port, 'baseline server', proc);
  await sleep(500);
  return {
    url: `ws://127.0.0.1:${port}/connection/websocket`,
    pids: pidsOf([['gateway', proc], ...workers.map((w, i): [string, ChildProcess] => [`worker ${i}`, w])]),
    stop: async () => {
      await Promise.all([proc, ...workers].map(stop));
    },
  };
}

/** Drives a fresh server for WARMUP_S seconds with the scenario's load; the report is discarded. */
async function warmUp(url: string, label: string, vars: Record<string, string>): Promise<void> {
  if (WARMUP_S <= 0) return;
  await loadTest(url, `warmup-${label}`, { ...vars, DURATION: String(WARMUP_S) });
}

/**
 * One measured load test with the CPU every process spent meanwhile (from the load generator's
 * start to its exit, connection set-up included): the server's processes, Redis, and the load
 * generator (reaped child).
 */
async function measuredLoadTest(
  server: Server,
  redisPid: number,
  redisPort: number,
  label: string,
  vars: Record<string, string>,
): Promise<{ report: LoadTestReport; cpu: CpuRun }> {
  const window = new CpuWindow(new Map([...server.pids, ['redis', redisPid]]));
  resetCommandStats(redisPort);
  window.start();
  const report = await loadTest(server.url, label, vars);
  const { reaped, ...us } = window.stop();
  const redisCommands = readCommandStats(redisPort);
  return { report, cpu: { messages: report.publish.acked, us: { ...us, 'load generator': reaped ?? 0 }, redisCommands } };
}

async function loadTest(url: string, label: string, vars: Record<string, string>): Promise<LoadTestReport> {
  const output = join(work, `report-${label}.json`);
  const proc = start(`loadtest-${label}`, process.execPath, tsx('bin/loadtest.ts'), {
    GATEWAY_URL: url,
    OUTPUT: output,
    MIN_SUCCESS_RATE: '0',
    PROGRESS_INTERVAL: '5s',
    ...vars,
  });
  const code = await new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
  if (code !== 0 || !existsSync(output)) throw new Error(`load test ${label} exited with ${code} (log in ${work})`);
  return JSON.parse(readFileSync(output, 'utf8')) as LoadTestReport;
}

function summary(r: LoadTestReport): string {
  return (
    `${Math.round(r.publish.throughput)} msg/s, success ${(r.publish.successRate * 100).toFixed(2)}%, ack p50 ${r.publish.ack.p50.toFixed(2)} ` +
    `p99 ${r.publish.ack.p99.toFixed(2)} ms, e2e p99 ${r.delivery.latency.p99.toFixed(2)} ms, send lag p99 ${r.publish.sendLag.p99.toFixed(2)} ms`
  );
}

function versionOf(command: string, args: string[]): string {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

/** The benchmark's script, step by step in the order it runs (longer than ~60 lines on purpose: read top to bottom). */
async function main(): Promise<void> {
  log('building (npm run build, tsconfig.bench.json)');
  build();
  const redisPort = await freePort();
  const redis = start(
    'redis',
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', work],
    {},
  );
  await waitForPort(redisPort, 'redis-server', redis);
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const script = workerScript();
  const startLoad = loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
  const seedVars = { NUM_CLIENTS: String(CLIENTS), RATE: String(RATE), DURATION: String(SEED_S), CHANNELS: String(CHANNELS) };
  const satVars = {
    NUM_CLIENTS: String(CLIENTS),
    RATE: '0',
    DURATION: String(SATURATION_S),
    WINDOW: String(WINDOW),
    CHANNELS: String(CHANNELS),
    SUBSCRIBERS: '0',
  };
  const fresh = (): ScenarioRuns => ({ gateway: [], baseline: [], gatewayCpu: [], baselineCpu: [] });
  const seed = fresh();
  const saturation = fresh();
  const saturation2 = fresh();
  const profiles: BenchProfile[] = [];
  const redisPid = redis.pid ?? 0;
  const scenarios = [
    ['seed', seed, seedVars, 1],
    ['saturation', saturation, satVars, 1],
    ['saturation-2p', saturation2, satVars, 2],
  ] as const;
  for (let run = 1; run <= RUNS; run++) {
    for (const [name, runs, vars, processes] of scenarios) {
      if (!SCENARIOS.has(name)) continue;
      const label = `${name}-${run}`;
      const profileDir = PROFILE && processes === 1 ? join(work, `profile-${label}`) : undefined;
      const subscribers = name === 'seed' ? String(SUBSCRIBERS) : '0';
      const gateway = await startGateway(redisUrl, label, processes, profileDir);
      try {
        await warmUp(gateway.url, `gateway-${label}`, { ...vars, SUBSCRIBERS: subscribers });
        const { report, cpu } = await measuredLoadTest(gateway, redisPid, redisPort, `gateway-${label}`, {
          ...vars,
          SUBSCRIBERS: subscribers,
        });
        runs.gateway.push(report);
        runs.gatewayCpu?.push(cpu);
        log(`${label} product: ${summary(report)}`);
      } finally {
        await gateway.stop();
      }
      if (profileDir !== undefined && run === RUNS && existsSync(profileDir)) {
        const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
        if (file !== undefined) profiles.push({ label: `${name} run ${run}`, ...summarizeCpuProfile(join(profileDir, file)) });
      }
      if (!BASELINE || processes !== 1) continue;
      const baseline = await startBaseline(redisUrl, label);
      try {
        await warmUp(baseline.url, `baseline-${label}`, { ...vars, SUBSCRIBERS: subscribers });
        const { report, cpu } = await measuredLoadTest(baseline, redisPid, redisPort, `baseline-${label}`, {
          ...vars,
          SUBSCRIBERS: subscribers,
        });
        runs.baseline.push(report);
        runs.baselineCpu?.push(cpu);
        log(`${label} floor: ${summary(report)}`);
      } finally {
        await baseline.stop();
      }
    }
  }
  await stop(redis);
  const cpuList = cpus();
  const markdown = renderBenchmarks(
    {
      date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
      machine: [
        `CPU: ${cpuList[0]?.model ?? 'unknown'}, ${cpuList.length} cores; memory ${(totalmem() / 2 ** 30).toFixed(1)} GiB; ${type()} ${release()}`,
        `Node ${process.version}; ${versionOf('redis-server', ['--version']).split(' ').slice(0, 3).join(' ')}; load average at start ${startLoad}`,
      ],
      setup: [
        'Everything on this machine: redis-server (no persistence), one gateway process (REDIS_URL set; a group of two for `saturation-2p`), ' +
          (script === null
            ? "no worker processes (no worker entry point in the repository yet: publishes end in the gateway's pipeline)"
            : `two worker processes (\`${script}\`)`) +
          ', one load-tester process (raw `ws` connections, JSON protocol), and the floor: the bare full loop, `bench/baseline-server.ts`' +
          ' (ws; XADD sticky into 2 streams; pub/sub to its subscribers) with two `bench/baseline-worker.ts` (XREADGROUP, one Lua call' +
          ' INCR offset + XADD history + PUBLISH per message, XACK).' +
          (PUBLISH_MODE === 'handled'
            ? ' The load tester\'s `chat:*` namespace is in `publish_mode: "handled"`: a publish is acknowledged once a worker\'s handler returned.'
            : ''),
        'Every server runs compiled, as `npm start` runs the gateway: `node dist/bin/gateway.js`, the workers and the floor from dist/ too' +
          ' (built by `npm run build` and `tsconfig.bench.json` when the benchmark starts); the load generator runs under tsx.',
        'CPU per message: utime + stime from /proc of every process (gateway with its forked processes, each worker, Redis, the load' +
          " generator) from the load generator's start to its exit (connection set-up included), divided by the acknowledged publishes.",
        'Product and floor are each started fresh for every run; runs alternate product, floor. Each fresh server ' +
          (WARMUP_S > 0
            ? `first gets ${WARMUP_S} s of the same load, not measured (JIT warm-up, caches), as a long-running server would be warm.`
            : 'is measured from its first message (no warm-up).'),
      ],
      seed: { clients: CLIENTS, rate: RATE, durationS: SEED_S, channels: CHANNELS, subscribers: SUBSCRIBERS },
      saturation: { clients: CLIENTS, window: WINDOW, durationS: SATURATION_S },
      command: `${PUBLISH_MODE === 'handled' ? 'BENCH_PUBLISH_MODE=handled ' : ''}BENCH_DURATION=${SEED_S} BENCH_RUNS=${RUNS}${PROFILE ? ' BENCH_PROFILE=1' : ''}${env.BENCH_SCENARIOS === undefined ? '' : ` BENCH_SCENARIOS=${[...SCENARIOS].join(',')}`} npm run bench`,
    },
    seed,
    saturation,
    profiles,
    saturation2,
  );
  const sections = await runSubBenchmarks(SCENARIOS, RUNS, work);
  writeFileSync(OUTPUT, [markdown, ...sections].join('\n'));
  console.log(summaryTable(seed, saturation, saturation2).join('\n'));
  log(`wrote ${OUTPUT}`);
}

try {
  await main();
  if (PROFILE) log(`profiles and logs kept in ${work}`);
  else rmSync(work, { recursive: true, force: true });
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await Promise.all([...children].map(stop));
}
