// Redis Sentinel failover under traffic: a master, 2 replicas and 3 sentinels (test/helpers/redis-sentinel.ts),
// 2 real gateway processes and 2 real worker processes configured with REDIS_SENTINELS, publishers and
// subscribers on the real centrifuge client. After `SENTINEL FAILOVER` and after a kill -9 of the master,
// nobody is restarted: publishes must be acknowledged and handled again, subscribers must keep receiving
// without a silent gap, and what was lost (Redis replicates asynchronously) is measured and printed.
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { it, type TestContext } from 'node:test';
import { ChaosNode, ChaosPublisher, ChaosSubscriber, HandledLog, checkPipeline, freePort, parseHandled } from '../../src/chaos/index.js';
import { RedisSentinelSet, type SentinelSetOptions } from '../helpers/redis-sentinel.js';

const gatewayScript = fileURLToPath(new URL('../../bin/gateway.ts', import.meta.url));
const workerScript = fileURLToPath(new URL('./sentinel-worker-child.ts', import.meta.url));
const CHANNELS = ['s:c0', 's:c1', 's:c2', 's:c3'];
const RULES = {
  channel: {
    without_namespace: null,
    namespaces: [
      {
        name: 's',
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

interface Outcome {
  ackedBefore: number;
  /** Acknowledged from the fault until the new master was in place and 2 s more (may be lost: async replication). */
  ackedInWindow: number;
  lostInWindow: number;
  ackedAfter: number;
  lostAfter: number;
  lostBefore: number;
  handledAfterByWorker: Map<string, number>;
  silentGaps: number;
  /** A publication at or below an offset already delivered (an offset reused by the new master would show here). */
  duplicates: number;
  recoveredFalse: number;
  examples: string[];
  /** First handlings out of acknowledgement order (per publisher and channel), over the whole run. */
  orderViolations: number;
  processesAlive: boolean;
}

async function underTraffic(
  t: TestContext,
  setOptions: SentinelSetOptions,
  fault: (set: RedisSentinelSet) => Promise<void>,
): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), 'rm-sentinel-test-'));
  const handledFile = join(dir, 'handled.log');
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(RULES));
  const set = await RedisSentinelSet.start(setOptions);
  const nodes: ChaosNode[] = [];
  const clients: Array<ChaosPublisher | ChaosSubscriber> = [];
  try {
    const base = {
      ...process.env,
      REDIS_URL: '',
      REDIS_SENTINELS: set.sentinelList,
      REDIS_SENTINEL_MASTER_NAME: set.masterName,
      REDIS_PASSWORD: setOptions.password ?? '',
      REDIS_SENTINEL_PASSWORD: setOptions.sentinelPassword ?? '',
      REDIS_PREFIX: 'rm',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      CONFIG_FILE: configPath,
    };
    const wsPorts = [await freePort(), await freePort()];
    nodes.push(
      ...wsPorts.map(
        (port, i) =>
          new ChaosNode({
            name: `gateway-${i}`,
            script: gatewayScript,
            readyLine: 'gateway listening',
            logDir: dir,
            env: { ...base, WEBSOCKET_PORT: String(port), HTTP_PORT: '0', METRICS_PORT: '0', NODE_ID: `sgw-${i}` },
          }),
      ),
    );
    nodes.push(
      ...['w0', 'w1'].map(
        (id) =>
          new ChaosNode({
            name: id,
            script: workerScript,
            readyLine: 'consuming',
            logDir: dir,
            env: { ...base, WORKER_ID: id, WORKER_METRICS_PORT: 'off', HANDLED_FILE: handledFile },
          }),
      ),
    );
    await Promise.all(nodes.map((n) => n.startRetrying()));
    const urls = wsPorts.map((p) => `ws://127.0.0.1:${p}/connection/websocket`);
    const subscribers = [0, 1].map((i) => new ChaosSubscriber(`s${i}`, urls, i, CHANNELS));
    clients.push(...subscribers);
    await Promise.all(subscribers.map((s) => s.start()));
    const publishers = [0, 1].map((i) => new ChaosPublisher(`p${i}`, urls, i, CHANNELS, 10));
    clients.push(...publishers);
    await Promise.all(publishers.map((p) => p.start()));

    const mark = (): Map<string, Map<string, number>> =>
      new Map(publishers.map((p) => [p.id, new Map([...p.acked].map(([c, l]) => [c, l.length]))]));
    await sleep(3000);
    const atFault = mark();
    const faultAt = Date.now();
    await fault(set);
    t.diagnostic(`new master after ${Date.now() - faultAt} ms`);
    await sleep(2000);
    const afterWindow = mark();
    const acksAtWindowEnd = publishers.reduce((n, p) => n + p.ackedCount, 0);
    await sleep(5000);
    const acksResumed = publishers.reduce((n, p) => n + p.ackedCount, 0) - acksAtWindowEnd;
    assert.ok(acksResumed > 0, 'publishes are acknowledged again after the failover');
    await Promise.all(publishers.map((p) => p.stop()));

    // Settle: every acknowledged publish handled (or 20 s), then every subscriber at its channels' tops (or 10 s).
    const readHandled = (): HandledLog => {
      const log = new HandledLog();
      if (existsSync(handledFile))
        for (const line of readFileSync(handledFile, 'utf8').split('\n')) {
          const r = parseHandled(line);
          if (r !== null) log.add(r);
        }
      return log;
    };
    let handled = new HandledLog();
    for (let deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(250)) {
      handled = readHandled();
      const after = publishers.map((p) => ({
        id: p.id,
        acked: new Map([...p.acked].map(([c, l]) => [c, l.slice(afterWindow.get(p.id)?.get(c) ?? 0)])),
      }));
      if (checkPipeline(after, handled).lost === 0) break;
    }
    handled = readHandled();
    const slice = (from: Map<string, Map<string, number>> | null, to: Map<string, Map<string, number>> | null) =>
      publishers.map((p) => ({
        id: p.id,
        acked: new Map(
          [...p.acked].map(([c, l]) => [c, l.slice(from?.get(p.id)?.get(c) ?? 0, to === null ? undefined : (to.get(p.id)?.get(c) ?? 0))]),
        ),
      }));
    const before = checkPipeline(slice(null, atFault), handled);
    const window = checkPipeline(slice(atFault, afterWindow), handled);
    const after = checkPipeline(slice(afterWindow, null), handled);
    for (let deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(250)) {
      let behind = false;
      for (const s of subscribers) {
        for (const c of CHANNELS) {
          const top = await s.top(c);
          if (top !== null && (s.check.position(c).offset ?? -1) < top.offset) behind = true;
        }
      }
      if (!behind) break;
    }
    const handledAfterByWorker = new Map<string, number>();
    for (const line of existsSync(handledFile) ? readFileSync(handledFile, 'utf8').split('\n') : []) {
      const r = parseHandled(line);
      if (r !== null && r.ts > faultAt) handledAfterByWorker.set(r.worker, (handledAfterByWorker.get(r.worker) ?? 0) + 1);
    }
    const outcome: Outcome = {
      ackedBefore: before.acked,
      lostBefore: before.lost,
      ackedInWindow: window.acked,
      lostInWindow: window.lost,
      ackedAfter: after.acked,
      lostAfter: after.lost,
      handledAfterByWorker,
      silentGaps: subscribers.reduce((n, s) => n + s.check.silentGaps, 0),
      duplicates: subscribers.reduce((n, s) => n + s.check.duplicates, 0),
      recoveredFalse: subscribers.reduce((n, s) => n + s.check.recoveredFalse, 0),
      examples: [...subscribers.flatMap((s) => s.check.examples), ...before.lostExamples, ...window.lostExamples, ...after.lostExamples],
      orderViolations: checkPipeline(slice(null, null), handled).orderViolations,
      processesAlive: nodes.every((n) => n.alive),
    };
    t.diagnostic(
      `acked before/window/after ${outcome.ackedBefore}/${outcome.ackedInWindow}/${outcome.ackedAfter}, ` +
        `lost ${outcome.lostBefore}/${outcome.lostInWindow}/${outcome.lostAfter}, recovered:false ${outcome.recoveredFalse}, ` +
        `order violations ${outcome.orderViolations}, silent gaps ${outcome.silentGaps}, duplicates ${outcome.duplicates}, handled after the fault ${JSON.stringify([...handledAfterByWorker])}`,
    );
    if (outcome.examples.length > 0) t.diagnostic(outcome.examples.slice(0, 10).join('; '));
    return outcome;
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await Promise.all(nodes.map((n) => n.kill9()));
    for (const n of nodes) n.close();
    await set.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function assertRecovered(o: Outcome): void {
  assert.ok(o.processesAlive, 'no gateway or worker exited: they followed the new master by themselves');
  assert.ok(o.ackedBefore > 50 && o.ackedAfter > 50, `traffic before (${o.ackedBefore}) and after (${o.ackedAfter}) the failover`);
  assert.equal(o.lostBefore, 0, 'acknowledged well before the failover (replicated): never lost');
  assert.equal(o.lostAfter, 0, 'acknowledged after the failover: every one handled');
  assert.equal(o.handledAfterByWorker.size, 2, 'both workers consume again after the failover');
  assert.equal(o.silentGaps, 0, 'subscribers: every publication in order, or recovered: false — never a silent gap');
  assert.equal(o.duplicates, 0, 'subscribers: no publication twice, no offset given to two publications');
}

void it(
  'follows SENTINEL FAILOVER under traffic: gateways and workers switch to the new master without a restart',
  { timeout: 90_000 },
  async (t) => {
    const o = await underTraffic(t, {}, async (set) => {
      await set.failover();
    });
    assertRecovered(o);
  },
);

void it('follows a kill -9 of the master under traffic (passwords on the sentinels and the data nodes)', { timeout: 90_000 }, async (t) => {
  const o = await underTraffic(t, { password: 'data-secret', sentinelPassword: 'sentinel-secret' }, async (set) => {
    await set.killMaster();
  });
  assertRecovered(o);
});
