// Redis Cluster failover under traffic, on a real 3-master/3-replica cluster: a master handed over to
// its replica with CLUSTER FAILOVER, and a master killed with kill -9 (its replica is promoted by the
// cluster), with classic and with sharded pub/sub. Two gateways and two workers recover by
// themselves: publishes are acknowledged and handled again, the subscriber keeps receiving or is
// told `recovered: false` (never a silent gap). After a CLUSTER FAILOVER nothing acknowledged is
// lost; after a kill -9, acknowledged writes the replica had not received yet may be (counted and
// printed: Redis replicates asynchronously, see docs/guarantees.md).

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { RedisKeys, PipelineKeys } from '../../src/redis/index.js';
import { RedisCluster } from '../helpers/redis-cluster.js';
import { checkTraffic, FailoverRig, type TrafficReport } from '../helpers/cluster-traffic.js';
import { waitUntil } from '../helpers/gateway.js';

type Fault = 'failover' | 'kill';

/** Channels whose keys (and at least one worker stream) live on the master that the fault hits. */
async function pickTarget(cluster: RedisCluster, prefix: string): Promise<{ master: number; channels: string[] }> {
  const keys = new RedisKeys(prefix);
  const pk = new PipelineKeys({ prefix, hashTags: true });
  const master = await cluster.portOfSlot(await cluster.keySlot(pk.workerStream('fw1')));
  const channels: string[] = [];
  const others: string[] = [];
  for (let i = 0; channels.length < 3 || others.length < 2; i++) {
    const channel = `chat:fo-${i}`;
    const onTarget = (await cluster.portOfSlot(await cluster.keySlot(keys.historyStream(channel)))) === master;
    if (onTarget && channels.length < 3) channels.push(channel);
    else if (!onTarget && others.length < 2) others.push(channel);
  }
  return { master, channels: [...channels, ...others] };
}

/** Waits until `value()` has not changed for 2 s (at most 15 s). */
async function settled(value: () => number): Promise<void> {
  let last = value();
  let since = Date.now();
  const deadline = Date.now() + 15_000;
  while (Date.now() - since < 2000 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = value();
    if (now !== last) {
      last = now;
      since = Date.now();
    }
  }
}

/** What the workers published and the subscriber saw around a silent gap (`text@offset`), for the log. */
function describeGap(rig: FailoverRig, gap: string): string {
  const [text, at] = gap.split('@') as [string, string];
  const channel = text.slice(0, text.lastIndexOf('#'));
  const offset = Number(at);
  const near = (o: number): boolean => Math.abs(o - offset) <= 4;
  const published = (rig.published.get(channel) ?? []).filter((p) => near(p.offset)).map((p) => `${p.text}@${p.offset}/${p.epoch}`);
  const seen = (rig.seen.get(channel) ?? [])
    .filter((e) => e.kind === 'subscribed' || near(e.offset))
    .map((e) => (e.kind === 'pub' ? `${e.text}@${e.offset}` : `subscribed(recovered=${e.recovered})`));
  return `gap ${gap}: published ${published.join(' ')}; seen ${seen.join(' ')}`;
}

async function runFault(fault: Fault, sharded: boolean): Promise<TrafficReport> {
  const cluster = await RedisCluster.start({ replicas: 1 });
  const prefix = `rmf${randomUUID().slice(0, 8)}`;
  const { master, channels } = await pickTarget(cluster, prefix);
  const rig = new FailoverRig({ cluster, prefix, channels, sharded });
  const name = `cluster ${fault}${sharded ? ' (sharded pub/sub)' : ''}`;
  try {
    const report = await runTraffic(rig, cluster, master, fault);
    console.log(`${name}: ${JSON.stringify(report)}`);
    for (const gap of report.silentGaps.slice(0, 3)) console.log(describeGap(rig, gap));
    return report;
  } catch (err) {
    const nodes = await cluster.nodes().then(
      (list) => list.map((n) => `${n.port} ${n.role}${n.failing ? ' failing' : ''} slots ${n.slots.length}`).join(', '),
      (e: unknown) => String(e),
    );
    console.log(`${name} failed; traffic: ${rig.describe()}; nodes: ${nodes}`);
    for (const port of cluster.ports) console.log(`--- redis ${port}\n${cluster.logTail(port, 60)}`);
    throw err;
  } finally {
    await rig.close();
    await cluster.close();
  }
}

/** Traffic, the fault, recovery by themselves, and the check of the settled records. */
async function runTraffic(rig: FailoverRig, cluster: RedisCluster, master: number, fault: Fault): Promise<TrafficReport> {
  const channels = rig.channels;
  await rig.start();
  await rig.startPublishing();
  await waitUntil(() => rig.handledCount() >= 60, 15_000, 'traffic before the fault');
  const replica = await cluster.replicaOf(master);
  const before = { acked: rig.ackedCount(), handled: rig.handledCount() };
  if (fault === 'failover') await cluster.failover(replica);
  else await cluster.kill(master);
  await cluster.waitHealthy(20_000);
  // Recovery by themselves: acknowledged and handled again, on every channel (the failed-over ones included).
  await waitUntil(
    () => rig.ackedCount() >= before.acked + 60 && rig.handledCount() >= before.handled + 60,
    20_000,
    'publishes acknowledged and handled after the fault',
  );
  const marks = new Map(channels.map((c) => [c, rig.acked.get(c)?.length ?? 0]));
  await waitUntil(
    () => channels.every((c) => (rig.acked.get(c)?.length ?? 0) >= marks.get(c)! + 5),
    15_000,
    'every channel acknowledged after the fault',
  );
  await rig.stopPublishing();
  // Settle: the workers handle what is left, the subscriber gets the last publication of each channel.
  await waitUntil(
    () =>
      channels.every((c) => {
        const handled = rig.handled.get(c) ?? [];
        const last = handled.at(-1);
        return last !== undefined && (rig.seen.get(c) ?? []).some((e) => e.kind === 'pub' && e.text === last);
      }),
    15_000,
    'subscriber caught up',
  );
  await settled(() => checkTraffic(rig).lost.length);
  return checkTraffic(rig);
}

void describe('Redis Cluster failover under traffic', () => {
  for (const sharded of [false, true]) {
    const label = sharded ? 'sharded pub/sub' : 'classic pub/sub';
    void it(`recovers from CLUSTER FAILOVER of a master by itself, nothing acknowledged lost (${label})`, async () => {
      const report = await runFault('failover', sharded);
      assert.deepEqual(report.lost, [], 'every acknowledged publish handled');
      assert.deepEqual(report.silentGaps, [], 'no silent gap for the subscriber');
    });

    void it(`recovers from kill -9 of a master by itself (${label})`, async () => {
      const report = await runFault('kill', sharded);
      assert.deepEqual(report.silentGaps, [], 'no silent gap for the subscriber');
      // Only writes the replica had not received can be lost: a small share of the traffic.
      assert.ok(report.lost.length <= report.acked / 10, `lost ${report.lost.length} of ${report.acked}`);
    });
  }
});
