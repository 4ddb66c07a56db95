/**
 * Fan-out tail benchmark: `npm run bench:fanout` (issue 12: "fan-out tail: p99 <= 1.3x the batched
 * bare broadcast at 200k deliveries/s with 2,000 subscribers"). Starts its own redis-server, then
 * per run, alternating and each started fresh, the product (the compiled gateway in Redis mode,
 * publications through the server HTTP API) and the floor (`bench/baseline-broadcast.ts`,
 * publications by a direct Redis PUBLISH). FANOUT_SUBSCRIBERS subscribers of one channel in
 * FANOUT_CLIENT_PROCESSES child processes receive FANOUT_RATE publications/s (open loop) from a
 * publisher process; after FANOUT_WARMUP unmeasured seconds, FANOUT_DURATION seconds are measured:
 * delivery latency from the scheduled send time, deliveries and missing ones, and every process's
 * CPU from /proc. Prints the medians; FANOUT_OUTPUT=<path> writes the JSON report
 * (`bench/fanout-report.ts`, which also renders its docs/benchmarks.md section).
 */

import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChildProcesses, nextMessage, stopProcess, waitForPort } from '../bench/child-processes.js';
import { summarizeCpuProfile } from '../bench/cpu-profile-summary.js';
import { buildFanoutReport, fanoutSummary, type FanoutRun, type FanoutSide } from '../bench/fanout-report.js';
import type { PublisherReport } from '../bench/fanout-publisher.js';
import type { SubscriberReport } from '../bench/fanout-subscribers.js';
import { CpuWindow } from '../bench/proc-cpu.js';
import { freePort } from '../src/chaos/index.js';
import { LatencyHistogram } from '../src/loadtest/index.js';

const env = process.env;
const num = (name: string, fallback: number): number => Number(env[name] ?? fallback);
const SUBSCRIBERS = num('FANOUT_SUBSCRIBERS', 2000);
const RATE = num('FANOUT_RATE', 100);
const DURATION_S = num('FANOUT_DURATION', 30);
const WARMUP_S = num('FANOUT_WARMUP', 5);
const RUNS = num('FANOUT_RUNS', 3);
const CLIENT_PROCESSES = Math.max(1, Math.min(num('FANOUT_CLIENT_PROCESSES', 2), SUBSCRIBERS));
/** A channel of a namespace where anonymous clients may subscribe: the built-in `chat:*`. */
const CHANNEL = env.FANOUT_CHANNEL ?? 'chat:fanout';
const OUTPUT = env.FANOUT_OUTPUT;
/** FANOUT_FLOOR=0 skips the floor's runs (the report then has no ratio). */
const FLOOR = env.FANOUT_FLOOR !== '0';
/**
 * How the floor's publisher sends: `http` (default) POSTs to the floor's own /api/publish, which
 * PUBLISHes, as the gateway's HTTP API does; `redis` PUBLISHes directly (one event-loop pass fewer).
 */
const FLOOR_PUBLISH = env.FANOUT_FLOOR_PUBLISH === 'redis' ? 'redis' : 'http';
/** FANOUT_PROFILE=1: CPU-profile the gateway (`--cpu-prof`) and print its self time by file. */
const PROFILE = env.FANOUT_PROFILE === '1';
/** Longest wait for late deliveries after the measured window. */
const DRAIN_MS = 10_000;

const work = mkdtempSync(join(tmpdir(), 'rm-bench-fanout-'));
const procs = new ChildProcesses(work);
const log = (message: string): void => console.error(`[bench:fanout] ${message}`);
const now = (): number => performance.timeOrigin + performance.now();
const compiled = (script: string): string => join('dist', script.replace(/\.ts$/, '.js'));

/** Builds what runs: the package (`npm run build`) and the bench scripts (`tsconfig.bench.json`). */
function build(): void {
  for (const [command, args] of [
    ['npm', ['run', 'build', '--silent']],
    ['npx', ['tsc', '-p', 'tsconfig.bench.json']],
  ] as const) {
    const r = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed`);
  }
}

/** A server under test: where subscribers connect, how the publisher reaches it, its process. */
interface Server {
  url: string;
  proc: ChildProcess;
  publisherEnv: Record<string, string>;
  profileDir?: string;
}

async function startGateway(redisUrl: string, label: string): Promise<Server> {
  const [ws, http, metrics] = [await freePort(), await freePort(), await freePort()];
  const apiKey = randomBytes(16).toString('hex');
  const profileDir = PROFILE ? join(work, `profile-${label}`) : undefined;
  const args = [...(profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir]), compiled('bin/gateway.ts')];
  const proc = procs.start(`gateway-${label}`, process.execPath, args, {
    REDIS_URL: redisUrl,
    REDIS_PREFIX: `fanout${randomBytes(3).toString('hex')}`,
    HTTP_API_KEY: apiKey,
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    WEBSOCKET_PORT: String(ws),
    HTTP_PORT: String(http),
    METRICS_PORT: String(metrics),
    GATEWAY_PROCESSES: '1',
  });
  await waitForPort(ws, 'gateway', proc);
  await waitForPort(http, 'gateway HTTP API', proc);
  return {
    url: `ws://127.0.0.1:${ws}/connection/websocket`,
    proc,
    publisherEnv: { FANOUT_TARGET: `http://127.0.0.1:${http}/api/publish`, FANOUT_API_KEY: apiKey, FANOUT_CHANNEL: CHANNEL },
    ...(profileDir === undefined ? {} : { profileDir }),
  };
}

async function startFloor(redisUrl: string, label: string): Promise<Server> {
  const port = await freePort();
  const prefix = `floor${randomBytes(3).toString('hex')}`;
  const api = FLOOR_PUBLISH === 'http' ? await freePort() : 0;
  const apiKey = randomBytes(12).toString('hex');
  const proc = procs.start(`floor-${label}`, process.execPath, [compiled('bench/baseline-broadcast.ts')], {
    BROADCAST_PORT: String(port),
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    ...(api === 0 ? {} : { BROADCAST_API_PORT: String(api), BROADCAST_API_KEY: apiKey }),
  });
  await waitForPort(port, 'batched bare broadcast', proc);
  if (api !== 0) await waitForPort(api, 'batched bare broadcast HTTP API', proc);
  return {
    url: `ws://127.0.0.1:${port}/connection/websocket`,
    proc,
    publisherEnv:
      api === 0
        ? { FANOUT_TARGET: redisUrl, FANOUT_REDIS_CHANNEL: `${prefix}:broadcast:${CHANNEL}` }
        : { FANOUT_TARGET: `http://127.0.0.1:${api}/api/publish`, FANOUT_API_KEY: apiKey, FANOUT_CHANNEL: CHANNEL },
  };
}

/** Forks the subscriber processes and waits until each has its connections subscribed. */
async function startSubscribers(url: string, label: string): Promise<{ list: ChildProcess[]; connected: number }> {
  const list: ChildProcess[] = [];
  for (let i = 0; i < CLIENT_PROCESSES; i++) {
    const share = Math.floor(SUBSCRIBERS / CLIENT_PROCESSES) + (i < SUBSCRIBERS % CLIENT_PROCESSES ? 1 : 0);
    const connections = String(share);
    const vars = { FANOUT_URL: url, FANOUT_CONNECTIONS: connections, FANOUT_CHANNEL: CHANNEL };
    list.push(procs.start(`subscribers-${i + 1}-${label}`, process.execPath, [compiled('bench/fanout-subscribers.ts')], vars, true));
  }
  const ready = await Promise.all(list.map((p) => nextMessage<{ connected: number; failed: number }>(p, 'ready')));
  const connected = ready.reduce((sum, r) => sum + r.connected, 0);
  if (connected < SUBSCRIBERS) log(`${label}: only ${connected} of ${SUBSCRIBERS} subscribers connected`);
  return { list, connected };
}

/** Waits until the subscribers have `expected` deliveries, or stop getting more for 2 s, or DRAIN_MS pass. */
async function drain(subscribers: ChildProcess[], expected: number): Promise<void> {
  const deadline = now() + DRAIN_MS;
  let last = -1;
  let lastChange = now();
  while (now() < deadline) {
    const counts = await Promise.all(
      subscribers.map((p) => {
        const reply = nextMessage<{ delivered: number }>(p, 'count', 5000);
        p.send({ type: 'count' });
        return reply;
      }),
    );
    const delivered = counts.reduce((sum, c) => sum + c.delivered, 0);
    if (delivered >= expected) return;
    if (delivered !== last) [last, lastChange] = [delivered, now()];
    else if (now() - lastChange > 2000) return;
    await sleep(200);
  }
}

/** Busy CPU time of the whole machine so far (/proc/stat: all but idle and iowait), µs; 0 without /proc. */
function machineBusyUs(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    // USER_HZ is 100 on Linux; fields 4 and 5 are idle and iowait.
    return (total - (fields[3] ?? 0) - (fields[4] ?? 0)) * 10_000;
  } catch {
    return 0;
  }
}

/** CPU per delivery of each process, plus `server + redis` and `all`. */
function perDelivery(us: Record<string, number>, delivered: number): Record<string, number> {
  const out: Record<string, number> = {};
  const d = Math.max(1, delivered);
  for (const [name, v] of Object.entries(us)) out[name] = v / d;
  out['server + redis'] = ((us['server'] ?? 0) + (us['redis'] ?? 0)) / d;
  out['all'] = Object.values(us).reduce((a, b) => a + b, 0) / d;
  return out;
}

/** The CPU of each named process and the other processes' load (cores) over [from, to]. */
async function cpuOver(
  roots: Map<string, number>,
  from: number,
  to: number,
): Promise<{ cpuUs: Record<string, number>; otherCores: number }> {
  const cpu = new CpuWindow(roots);
  await sleep(Math.max(0, from - now()));
  cpu.start();
  const machineBefore = machineBusyUs();
  await sleep(Math.max(0, to - now()));
  const { reaped: _reaped, ...cpuUs } = cpu.stop();
  const machineUs = machineBusyUs() - machineBefore;
  const ours = Object.values(cpuUs).reduce((a, b) => a + b, 0);
  return { cpuUs, otherCores: Math.max(0, machineUs - ours) / ((to - from) * 1000) };
}

/** Every subscriber process's report, their histograms merged. */
async function collect(subscribers: ChildProcess[]): Promise<{ latency: LatencyHistogram; delivered: number; closed: number }> {
  const reports = await Promise.all(
    subscribers.map((p) => {
      const reply = nextMessage<SubscriberReport>(p, 'report', 10_000);
      p.send({ type: 'report' });
      return reply;
    }),
  );
  const latency = new LatencyHistogram();
  for (const r of reports) latency.add(LatencyHistogram.decode(r.histogram));
  const sum = (pick: (r: SubscriberReport) => number): number => reports.reduce((total, r) => total + pick(r), 0);
  return { latency, delivered: sum((r) => r.delivered), closed: sum((r) => r.closed) };
}

/** Drives one fresh server: warm-up, the measured window with its CPU, the drain; returns the run's figures. */
async function measure(server: Server, redis: ChildProcess, side: FanoutSide, run: number): Promise<FanoutRun> {
  const label = `${side}-${run}`;
  const subs = await startSubscribers(server.url, label);
  try {
    // Publications are due at start + k / RATE; the window's edges fall half an interval before
    // one, so that rounding the send time in the data cannot move a publication across an edge.
    const start = Math.ceil(now() + 500);
    const from = start + WARMUP_S * 1000 - 500 / RATE;
    const to = from + DURATION_S * 1000;
    for (const p of subs.list) p.send({ type: 'window', from, to });
    const windowVars = { FANOUT_RATE: String(RATE), FANOUT_START: String(start), FANOUT_FROM: String(from), FANOUT_TO: String(to) };
    const script = [compiled('bench/fanout-publisher.ts')];
    const publisher = procs.start(`publisher-${label}`, process.execPath, script, { ...server.publisherEnv, ...windowVars }, true);
    const published = nextMessage<PublisherReport>(publisher, 'result', to - now() + 60_000);
    const roots = new Map<string, number>([
      ['server', server.proc.pid ?? 0],
      ['redis', redis.pid ?? 0],
      ['publisher', publisher.pid ?? 0],
      ...subs.list.map((p, i): [string, number] => [`subscribers ${i + 1}`, p.pid ?? 0]),
    ]);
    const { cpuUs, otherCores } = await cpuOver(roots, from, to);
    const pub = await published;
    const expected = pub.scheduled * SUBSCRIBERS;
    await drain(subs.list, expected);
    const { latency, delivered, closed } = await collect(subs.list);
    return {
      side,
      run,
      subscribersConnected: subs.connected,
      subscribersClosed: closed,
      publications: {
        scheduled: pub.scheduled,
        acked: pub.acked,
        failed: pub.failed,
        errors: pub.errors,
        resent: pub.resent,
        warmup: pub.warmup,
      },
      deliveries: { expected, delivered, missing: Math.max(0, expected - delivered), perSecond: delivered / DURATION_S },
      latency: latency.summary(),
      sendLag: LatencyHistogram.decode(pub.sendLag).summary(),
      publishReply: LatencyHistogram.decode(pub.reply).summary(),
      cpuUs,
      cpuUsPerDelivery: perDelivery(cpuUs, delivered),
      otherCores,
    };
  } finally {
    await Promise.all(subs.list.map(stopProcess));
  }
}

/** The gateway's profile of one run, self time grouped by file (top 15), printed. */
function printProfile(dir: string, label: string): void {
  const file = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.cpuprofile')) : undefined;
  if (file === undefined) return log(`${label}: no CPU profile in ${dir}`);
  const profile = summarizeCpuProfile(join(dir, file), Number.POSITIVE_INFINITY);
  const byFile = new Map<string, number>();
  for (const line of profile.top) {
    // `name file:line` for JavaScript; built-ins and V8's own entries ("(garbage collector)") have no file.
    const m = / (\S+):\d+$/.exec(line.name);
    const key = m?.[1] ?? line.name;
    byFile.set(key, (byFile.get(key) ?? 0) + line.ms);
  }
  log(`${label}: gateway busy ${Math.round(profile.busyMs)} of ${Math.round(profile.totalMs)} ms; self time by file:`);
  for (const [name, ms] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 15))
    console.error(
      `  ${((100 * ms) / Math.max(1, profile.busyMs)).toFixed(1).padStart(5)}%  ${Math.round(ms).toString().padStart(6)} ms  ${name}`,
    );
}

function describe(r: FanoutRun): string {
  const l = r.latency;
  return (
    `${Math.round(r.deliveries.perSecond)} deliveries/s, missing ${r.deliveries.missing} of ${r.deliveries.expected}, ` +
    `p50 ${l.p50.toFixed(2)} p99 ${l.p99.toFixed(2)} p99.9 ${l.p999.toFixed(2)} max ${l.max.toFixed(2)} ms, ` +
    `send lag p99 ${r.sendLag.p99.toFixed(2)} ms, failed publishes ${r.publications.failed} (resent ${r.publications.resent}), other load ${r.otherCores.toFixed(2)} cores, ` +
    `CPU µs/delivery ${Object.entries(r.cpuUsPerDelivery)
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(', ')}`
  );
}

function versionOf(command: string, args: string[]): string {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

function command(): string {
  const names = ['FANOUT_SUBSCRIBERS', 'FANOUT_RATE', 'FANOUT_DURATION', 'FANOUT_WARMUP', 'FANOUT_RUNS', 'FANOUT_CLIENT_PROCESSES'];
  const set = names.filter((n) => env[n] !== undefined).map((n) => `${n}=${env[n]}`);
  return [...set, 'npm run bench:fanout'].join(' ');
}

async function main(): Promise<void> {
  log('building (npm run build, tsconfig.bench.json)');
  build();
  const startLoad = loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
  const redisPort = await freePort();
  const redisArgs = ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', work];
  const redis = procs.start('redis', 'redis-server', redisArgs, {});
  await waitForPort(redisPort, 'redis-server', redis);
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const runs: FanoutRun[] = [];
  for (let run = 1; run <= RUNS; run++) {
    for (const side of FLOOR ? (['product', 'floor'] as const) : (['product'] as const)) {
      const label = `${side}-${run}`;
      const server = side === 'product' ? await startGateway(redisUrl, label) : await startFloor(redisUrl, label);
      try {
        runs.push(await measure(server, redis, side, run));
        log(`run ${run} ${side}: ${describe(runs.at(-1) as FanoutRun)}`);
      } finally {
        await stopProcess(server.proc);
      }
      if (server.profileDir !== undefined) printProfile(server.profileDir, label);
    }
  }
  await stopProcess(redis);
  const cpuList = cpus();
  const report = buildFanoutReport(
    {
      date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
      command: command(),
      machine: [
        `CPU: ${cpuList[0]?.model ?? 'unknown'}, ${cpuList.length} cores; memory ${(totalmem() / 2 ** 30).toFixed(1)} GiB; ${type()} ${release()}`,
        `Node ${process.version}; ${versionOf('redis-server', ['--version']).split(' ').slice(0, 3).join(' ')}; load average at start ${startLoad}`,
      ],
      settings: {
        subscribers: SUBSCRIBERS,
        rate: RATE,
        durationS: DURATION_S,
        warmupS: WARMUP_S,
        runs: RUNS,
        clientProcesses: CLIENT_PROCESSES,
        channel: CHANNEL,
        floorPublish: FLOOR_PUBLISH,
      },
    },
    runs,
  );
  console.log(fanoutSummary(report).join('\n'));
  if (OUTPUT !== undefined && OUTPUT !== '') {
    writeFileSync(OUTPUT, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${OUTPUT}`);
  }
}

try {
  await main();
  if (PROFILE) log(`profiles and logs kept in ${work}`);
  else rmSync(work, { recursive: true, force: true });
} catch (err) {
  console.error(err);
  log(`logs kept in ${work}`);
  process.exitCode = 1;
} finally {
  await procs.stopAll();
}
