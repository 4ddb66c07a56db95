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
  checkPipeline,
  freePort,
  parseChaosOptions,
  planFaults,
  quantile,
  runNodeScript,
  type Fault,
} from '../src/chaos/index.js';

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

async function main(): Promise<number> {
  const options = parseChaosOptions(process.env);
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
  const retired: ChaosNode[] = [];
  everything.push(...gateways, ...workers);
  stopRedis = () => redis.stop();
  await Promise.all([...gateways, ...workers].map((p) => p.start()));
  log(`redis :${redis.port} (appendfsync always), gateways ${wsPorts.join(', ')}, workers ${workers.map((w) => w.name).join(', ')}`);

  const handled = new HandledLog();
  const reader = new HandledReader(redis.url, HANDLED_KEY, handled);
  reader.start();
  const urls = wsPorts.map((p) => `ws://127.0.0.1:${p}/connection/websocket`);
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

  const timeline: { atMs: number; kind: string; target: string; note?: string }[] = [];
  let takeoverNotObserved = 0;
  let workerTurn = 0;
  let gatewayTurn = 0;
  const run = async (fault: Fault): Promise<void> => {
    const t0 = Date.now();
    const note = (target: string, extra?: string): void => {
      timeline.push({ atMs: t0 - startedAt, kind: fault.kind, target, ...(extra === undefined ? {} : { note: extra }) });
      log(`${fault.kind} ${target}${extra === undefined ? '' : ` (${extra})`}; acked ${publishers.reduce((n, p) => n + p.ackedCount, 0)}`);
    };
    switch (fault.kind) {
      case 'worker-kill': {
        const w = workers[workerTurn++ % workers.length] as ChaosNode;
        await w.kill9();
        handled.workerKilled(w.name, Date.now());
        const deadline = Date.now() + 10_000;
        while (handled.takeoverPending(w.name) && Date.now() < deadline) await sleep(50);
        if (handled.abandonTakeover(w.name)) takeoverNotObserved++;
        await w.startRetrying();
        note(w.name, `restarted after ${Date.now() - t0} ms`);
        break;
      }
      case 'gateway-kill': {
        const g = gateways[gatewayTurn++ % gateways.length] as ChaosNode;
        await g.kill9();
        await sleep(1000);
        await g.startRetrying();
        note(g.name, `restarted after ${Date.now() - t0} ms`);
        break;
      }
      case 'worker-join': {
        const w = newWorker();
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
        const r = await runNodeScript(join(here, 'realtime-message.ts'), ['worker', 'retire', w.name], { ...base, WORKER_POOL: 'default' });
        retired.push(w);
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
  };
  for (const fault of planFaults(options.durationMs)) {
    const wait = startedAt + fault.atMs - Date.now();
    if (wait > 0) await sleep(wait);
    await run(fault);
  }
  const left = startedAt + options.durationMs - Date.now();
  if (left > 0) await sleep(left);
  await Promise.all(publishers.map((p) => p.stop()));
  const trafficMs = Date.now() - startedAt;
  log('traffic stopped; waiting for every acknowledged message to be handled');

  // Settle: every acknowledged message handled (or 60 s), then every subscriber at its channels' tops (or 30 s).
  const settleUntil = Date.now() + 60_000;
  let pipeline = checkPipeline(publishers, handled);
  while (pipeline.lost > 0 && Date.now() < settleUntil) {
    await sleep(500);
    await reader.readOnce().catch(() => 0);
    pipeline = checkPipeline(publishers, handled);
  }
  let tailGaps = 0;
  const subscriberUntil = Date.now() + 30_000;
  for (const s of subscribers) {
    for (const channel of CHANNELS.filter((_, c) => c % 2 === Number(s.id.slice(1)) % 2)) {
      for (;;) {
        const top = await s.top(channel);
        const pos = s.check.position(channel);
        if (top !== null && pos.offset === top.offset) break;
        if (Date.now() > subscriberUntil) {
          tailGaps++;
          s.check.examples.push(`${channel}: ended at ${pos.offset ?? 'none'}, top ${top?.offset ?? '?'}`);
          break;
        }
        await sleep(200);
      }
    }
  }

  const subs = subscribers.map(({ id, check: c }) => ({
    id,
    delivered: c.delivered,
    duplicates: c.duplicates,
    silentGaps: c.silentGaps,
    recoveredTrue: c.recoveredTrue,
    recoveredFalse: c.recoveredFalse,
    unsubscribes: c.unsubscribes,
    unpositioned: c.unpositioned,
    examples: c.examples,
  }));
  const sum = (f: (s: (typeof subs)[number]) => number): number => subs.reduce((n, s) => n + f(s), 0);
  const takeoverP50 = quantile(handled.takeoverMs, 0.5);
  const takeoverP99 = quantile(handled.takeoverMs, 0.99);
  const report = {
    durationMs: trafficMs,
    rateTarget: options.rate,
    redis: { appendonly: true, appendfsync: 'always' },
    acked: pipeline.acked,
    publishFailed: publishers.reduce((n, p) => n + p.failed, 0),
    ackedPerSecond: Math.round(pipeline.acked / (trafficMs / 1000)),
    lost: pipeline.lost,
    lostExamples: pipeline.lostExamples,
    orderViolations: pipeline.orderViolations,
    orderViolationExamples: pipeline.violations,
    handlings: handled.records,
    duplicateHandlings: handled.duplicates,
    handlingsPerWorker: Object.fromEntries(handled.perWorker),
    deliveries: sum((s) => s.delivered),
    duplicateDeliveries: sum((s) => s.duplicates),
    silentGaps: sum((s) => s.silentGaps) + tailGaps,
    recoveredTrue: sum((s) => s.recoveredTrue),
    recoveredFalse: sum((s) => s.recoveredFalse),
    subscriberExamples: subs.flatMap((s) => s.examples.map((e) => `${s.id} ${e}`)).slice(0, 20),
    takeovers: handled.takeoverMs.length,
    takeoverNotObserved,
    takeoverP50Ms: takeoverP50,
    takeoverP99Ms: takeoverP99,
    takeoverMaxMs: handled.takeoverMs.length === 0 ? null : Math.max(...handled.takeoverMs),
    faults: timeline.reduce<Record<string, number>>((m, f) => ({ ...m, [f.kind]: (m[f.kind] ?? 0) + 1 }), {}),
    timeline,
  };
  const broken = [
    report.lost > 0 && `${report.lost} acknowledged messages never handled`,
    report.orderViolations > 0 && `${report.orderViolations} first handlings out of acknowledgement order`,
    report.silentGaps > 0 && `${report.silentGaps} silent gaps at subscribers`,
    report.duplicateDeliveries > 0 && `${report.duplicateDeliveries} publications delivered twice to a subscriber`,
    report.acked === 0 && 'nothing was acknowledged',
  ].filter((b): b is string => typeof b === 'string');
  writeFileSync(resolve(options.output), `${JSON.stringify({ ...report, broken }, null, 2)}\n`);

  const lines = [
    '',
    `chaos run: ${(trafficMs / 1000).toFixed(0)} s, target ${options.rate} msg/s, Redis AOF appendfsync always`,
    `  acknowledged   ${report.acked} (${report.ackedPerSecond}/s), ${report.publishFailed} publishes failed (not acknowledged, not counted)`,
    `  lost           ${report.lost}`,
    `  order          ${report.orderViolations} violations (first handlings vs acknowledgement order, per publisher and channel)`,
    `  handlings      ${report.handlings}, of them ${report.duplicateHandlings} duplicates (redelivered)`,
    `  subscribers    ${report.deliveries} deliveries, ${report.duplicateDeliveries} duplicates, ${report.silentGaps} silent gaps, recovered true ${report.recoveredTrue} / false ${report.recoveredFalse}`,
    `  takeover       ${report.takeovers} measured, p50 ${takeoverP50 ?? '-'} ms, p99 ${takeoverP99 ?? '-'} ms, max ${report.takeoverMaxMs ?? '-'} ms, ${takeoverNotObserved} not seen within 10 s`,
    `  faults         ${Object.entries(report.faults)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    broken.length === 0 ? '  result         every guarantee held' : `  BROKEN         ${broken.join('; ')}`,
    `  report         ${resolve(options.output)}`,
    '',
  ];
  process.stdout.write(lines.join('\n'));

  await Promise.all([...publishers, ...subscribers].map((c) => c.close()));
  await reader.close();
  await Promise.all(
    [...gateways, ...workers, ...retired].map(async (p) => {
      await p.kill9();
      p.close();
    }),
  );
  await redis.stop();
  if (broken.length === 0) rmSync(dir, { recursive: true, force: true });
  else log(`process logs kept in ${dir}`);
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
