/**
 * `npm run chaos`: the whole system as real processes (redis-server with AOF, 3 gateways, 3 workers),
 * publishers and subscribers on the reconnecting client, faults on a schedule (src/chaos/schedule.ts),
 * then the checks of src/chaos/checker.ts from the records. Prints a report, writes JSON to
 * CHAOS_OUTPUT, exits 1 when a guarantee was broken. Settings: docs/chaos.md.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ChaosNode,
  ChaosOptionsError,
  ChaosPublisher,
  ChaosRedis,
  ChaosSubscriber,
  HandledLog,
  HandledReader,
  freePort,
  parseChaosOptions,
  planFaults,
  runNodeScript,
  type ChaosOptions,
  type Fault,
} from '../src/chaos/index.js';
import { brokenGuarantees, buildReport, printReport, settle, type TimelineEntry } from './chaos-phases.js';

const here = dirname(fileURLToPath(import.meta.url));
const HANDLED_KEY = 'chaos:handled';
const CHANNELS = Array.from({ length: 12 }, (_, i) => `chaos:c${i}`);
const GATEWAYS = 3;
const WORKERS = 3;
const PUBLISHERS = 6;
const SUBSCRIBERS = 4;

const CHANNEL_RULES = {
  channel: {
    without_namespace: null,
    namespaces: [
      {
        name: 'chaos',
        history_size: 5000,
        history_ttl: '10m',
        force_recovery: true,
        publish_data: 'json',
        allow_subscribe_for_client: true,
        allow_publish_for_client: true,
        allow_history_for_subscriber: true,
      },
    ],
  },
};

function log(line: string): void {
  process.stdout.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

/** Every process started, so a failed run still kills them all. */
const everything: ChaosNode[] = [];
let stopRedis: () => Promise<void> = async () => {};

async function killAll(): Promise<void> {
  await Promise.all(everything.map((p) => p.kill9()));
  await stopRedis();
}

/** The processes of a run: Redis, the gateways and the workers (those running, and those retired). */
interface Cluster {
  dir: string;
  redis: ChaosRedis;
  /** The environment every process starts from. */
  base: Record<string, string | undefined>;
  wsPorts: number[];
  gateways: ChaosNode[];
  workers: ChaosNode[];
  retired: ChaosNode[];
  /** A new worker process (not started), named w0, w1, ... in order. */
  newWorker: () => ChaosNode;
}

/** Set-up: the log directory and channel rules, Redis, then every gateway and worker started. */
async function startCluster(options: ChaosOptions): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'rm-chaos-'));
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(CHANNEL_RULES));
  log(`run of ${options.durationMs / 1000} s at ${options.rate} msg/s; processes log to ${dir}`);

  const redis = await ChaosRedis.start(join(dir, 'redis'));
  const base = { ...process.env, REDIS_URL: redis.url, REDIS_PREFIX: 'rm', HOST: '127.0.0.1', LOG_LEVEL: 'info' };
  const wsPorts = await Promise.all(Array.from({ length: GATEWAYS }, () => freePort()));
  const gateways = wsPorts.map(
    (port, i) =>
      new ChaosNode({
        name: `gateway-${i}`,
        script: join(here, 'gateway.ts'),
        readyLine: 'gateway listening',
        logDir: dir,
        env: {
          ...base,
          WEBSOCKET_PORT: String(port),
          HTTP_PORT: '0',
          METRICS_PORT: '0',
          CONFIG_FILE: configPath,
          NODE_ID: `chaos-gw-${i}`,
        },
      }),
  );
  let nextWorker = 0;
  const newWorker = (): ChaosNode =>
    new ChaosNode({
      name: `w${nextWorker}`,
      script: join(here, 'chaos-worker.ts'),
      readyLine: 'consuming',
      logDir: dir,
      env: { ...base, WORKER_ID: `w${nextWorker++}`, WORKER_METRICS_PORT: 'off', CHAOS_HANDLED_KEY: HANDLED_KEY, CONFIG_FILE: configPath },
    });
  const workers: ChaosNode[] = Array.from({ length: WORKERS }, newWorker);
  everything.push(...gateways, ...workers);
  stopRedis = () => redis.stop();
  await Promise.all([...gateways, ...workers].map((p) => p.start()));
  log(`redis :${redis.port} (appendfsync always), gateways ${wsPorts.join(', ')}, workers ${workers.map((w) => w.name).join(', ')}`);
  return { dir, redis, base, wsPorts, gateways, workers, retired: [], newWorker };
}

/** The clients of a run and the reader of the workers' handling records. */
interface Traffic {
  handled: HandledLog;
  reader: HandledReader;
  publishers: ChaosPublisher[];
  subscribers: ChaosSubscriber[];
  startedAt: number;
}

/** The handling reader, then subscribers, then publishers on every gateway. */
async function startTraffic(cluster: Cluster, options: ChaosOptions): Promise<Traffic> {
  const handled = new HandledLog();
  const reader = new HandledReader(cluster.redis.url, HANDLED_KEY, handled);
  reader.start();
  const urls = cluster.wsPorts.map((p) => `ws://127.0.0.1:${p}/connection/websocket`);
  const publishers = Array.from(
    { length: PUBLISHERS },
    (_, i) => new ChaosPublisher(`p${i}`, urls, i, CHANNELS, options.rate / PUBLISHERS / CHANNELS.length),
  );
  const subscribers = Array.from(
    { length: SUBSCRIBERS },
    (_, i) =>
      new ChaosSubscriber(
        `s${i}`,
        urls,
        i,
        CHANNELS.filter((_, c) => c % 2 === i % 2),
      ),
  );
  await Promise.all(subscribers.map((s) => s.start()));
  await Promise.all(publishers.map((p) => p.start()));
  const startedAt = Date.now();
  log('traffic started');
  return { handled, reader, publishers, subscribers, startedAt };
}

/** What the fault schedule did, and whose turn each kind of kill is. */
interface FaultState {
  timeline: TimelineEntry[];
  takeoverNotObserved: number;
  workerTurn: number;
  gatewayTurn: number;
}

/** kill -9 of a worker, up to 10 s for another to take its stream over, then the worker restarted. */
async function killWorker(w: ChaosNode, handled: HandledLog, state: FaultState): Promise<void> {
  await w.kill9();
  handled.workerKilled(w.name, Date.now());
  const deadline = Date.now() + 10_000;
  while (handled.takeoverPending(w.name) && Date.now() < deadline) await sleep(50);
  if (handled.abandonTakeover(w.name)) state.takeoverNotObserved++;
  await w.startRetrying();
}

/** One fault of the schedule, noted on the timeline and logged once done. */
async function runFault(fault: Fault, cluster: Cluster, traffic: Traffic, state: FaultState): Promise<void> {
  const { redis, gateways, workers } = cluster;
  const t0 = Date.now();
  const note = (target: string, extra?: string): void => {
    state.timeline.push({ atMs: t0 - traffic.startedAt, kind: fault.kind, target, ...(extra === undefined ? {} : { note: extra }) });
    log(
      `${fault.kind} ${target}${extra === undefined ? '' : ` (${extra})`}; acked ${traffic.publishers.reduce((n, p) => n + p.ackedCount, 0)}`,
    );
  };
  switch (fault.kind) {
    case 'worker-kill': {
      const w = workers[state.workerTurn++ % workers.length] as ChaosNode;
      await killWorker(w, traffic.handled, state);
      note(w.name, `restarted after ${Date.now() - t0} ms`);
      break;
    }
    case 'gateway-kill': {
      const g = gateways[state.gatewayTurn++ % gateways.length] as ChaosNode;
      await g.kill9();
      await sleep(1000);
      await g.startRetrying();
      note(g.name, `restarted after ${Date.now() - t0} ms`);
      break;
    }
    case 'worker-join': {
      const w = cluster.newWorker();
      everything.push(w);
      await w.startRetrying();
      workers.push(w);
      note(w.name);
      break;
    }
    case 'worker-retire': {
      if (workers.length <= 2) return;
      const w = workers.shift() as ChaosNode;
      await w.kill9();
      const r = await runNodeScript(join(here, 'realtime-message.ts'), ['worker', 'retire', w.name], {
        ...cluster.base,
        WORKER_POOL: 'default',
      });
      cluster.retired.push(w);
      note(w.name, `kill -9, then worker retire: exit ${r.code}`);
      break;
    }
    case 'redis-restart': {
      await redis.kill9();
      await sleep(1000);
      await redis.restart();
      note('redis', `kill -9, back after ${Date.now() - t0} ms`);
      break;
    }
    case 'redis-pause': {
      redis.pause();
      await sleep(4000);
      redis.resume();
      note('redis', 'SIGSTOP for 4 s');
      break;
    }
  }
}

/** The fault schedule over the run's duration, then the publishers stopped; returns the traffic's length. */
async function runFaults(cluster: Cluster, traffic: Traffic, options: ChaosOptions, state: FaultState): Promise<number> {
  const { startedAt, publishers } = traffic;
  for (const fault of planFaults(options.durationMs)) {
    const wait = startedAt + fault.atMs - Date.now();
    if (wait > 0) await sleep(wait);
    await runFault(fault, cluster, traffic, state);
  }
  const left = startedAt + options.durationMs - Date.now();
  if (left > 0) await sleep(left);
  await Promise.all(publishers.map((p) => p.stop()));
  const trafficMs = Date.now() - startedAt;
  log('traffic stopped; waiting for every acknowledged message to be handled');
  return trafficMs;
}

/** Clients, reader, every process and Redis stopped. */
async function stopAll(cluster: Cluster, traffic: Traffic): Promise<void> {
  await Promise.all([...traffic.publishers, ...traffic.subscribers].map((c) => c.close()));
  await traffic.reader.close();
  await Promise.all(
    [...cluster.gateways, ...cluster.workers, ...cluster.retired].map(async (p) => {
      await p.kill9();
      p.close();
    }),
  );
  await cluster.redis.stop();
}

async function main(): Promise<number> {
  const options = parseChaosOptions(process.env);
  const cluster = await startCluster(options);
  const traffic = await startTraffic(cluster, options);
  const faults: FaultState = { timeline: [], takeoverNotObserved: 0, workerTurn: 0, gatewayTurn: 0 };
  const trafficMs = await runFaults(cluster, traffic, options, faults);
  const { pipeline, tailGaps } = await settle(traffic, CHANNELS);

  const report = buildReport({
    options,
    trafficMs,
    pipeline,
    tailGaps,
    traffic,
    timeline: faults.timeline,
    takeoverNotObserved: faults.takeoverNotObserved,
  });
  const broken = brokenGuarantees(report);
  writeFileSync(resolve(options.output), `${JSON.stringify({ ...report, broken }, null, 2)}\n`);
  printReport(report, broken, options);

  await stopAll(cluster, traffic);
  if (broken.length === 0) rmSync(cluster.dir, { recursive: true, force: true });
  else log(`process logs kept in ${cluster.dir}`);
  return broken.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    console.error(err instanceof ChaosOptionsError ? err.message : err);
    await killAll().catch(() => {});
    process.exit(2);
  },
);
