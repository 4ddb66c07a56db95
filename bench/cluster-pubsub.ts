/**
 * Classic against sharded pub/sub on a throwaway local Redis Cluster (3 masters + 3 replicas): a
 * publisher broker publishes with history to CHANNELS channels at a fixed rate, SUBSCRIBERS
 * subscriber brokers (gateways) are each subscribed to every channel; prints deliveries/s,
 * publish-to-delivery latency and Redis CPU (all nodes, user + sys) per publication and per delivery.
 *
 * Run: npx tsx bench/cluster-pubsub.ts   (BENCH_SECONDS=10 BENCH_RATE=2000 CHANNELS=200 SUBSCRIBERS=4)
 */

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RedisBroker } from '../src/engine/index.js';
import { connectRedis, openRedisCluster, type ClusterConnection } from '../src/redis/index.js';
import { RedisCluster } from '../test/helpers/redis-cluster.js';

const run = promisify(execFile);
const seconds = Number(process.env['BENCH_SECONDS'] ?? 10);
const rate = Number(process.env['BENCH_RATE'] ?? 2000);
const channelCount = Number(process.env['CHANNELS'] ?? 200);
const subscriberCount = Number(process.env['SUBSCRIBERS'] ?? 4);

interface Result {
  mode: string;
  published: number;
  failed: number;
  delivered: number;
  deliveriesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  redisCpuMs: number;
  cpuUsPerPublication: number;
  cpuUsPerDelivery: number;
}

async function redisCpuMs(cluster: RedisCluster): Promise<number> {
  let total = 0;
  for (const port of cluster.ports) {
    const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'info', 'cpu']);
    for (const name of ['used_cpu_sys', 'used_cpu_user']) {
      const m = new RegExp(`^${name}:([\\d.]+)`, 'm').exec(stdout);
      total += m === null ? 0 : Number(m[1]) * 1000;
    }
  }
  return total;
}

async function measure(cluster: RedisCluster, sharded: boolean): Promise<Result> {
  const conns: ClusterConnection[] = [];
  const open = async (role: 'producer' | 'subscriber' | 'worker'): Promise<ClusterConnection> => {
    const conn = openRedisCluster(cluster.url, { role, ...(sharded && role === 'subscriber' ? { shardedPubSub: true } : {}) });
    conn.on('error', () => {});
    conns.push(conn);
    await connectRedis(conn);
    return conn;
  };
  const prefix = `bench${sharded ? 's' : 'c'}${Date.now().toString(36)}`;
  const channels = Array.from({ length: channelCount }, (_, i) => `chat:bench-${i}`);
  const latencies: number[] = [];
  let delivered = 0;
  const brokers: RedisBroker[] = [];
  for (let i = 0; i < subscriberCount; i++) {
    const broker = new RedisBroker({ redis: await open('producer'), subscriber: await open('subscriber'), prefix, sharded });
    await broker.start({
      handlePublication: (_channel, pub) => {
        delivered++;
        const sent = Number(Buffer.from(pub.data).toString('latin1'));
        latencies.push(Number(process.hrtime.bigint() / 1000n) / 1000 - sent);
      },
      handleJoin: () => {},
      handleLeave: () => {},
    });
    await Promise.all(channels.map((c) => broker.subscribe(c)));
    brokers.push(broker);
  }
  const publisher = new RedisBroker({ redis: await open('worker'), prefix, sharded });
  await publisher.start({ handlePublication: () => {}, handleJoin: () => {}, handleLeave: () => {} });
  // Let the subscriptions settle (sharded subscribers connect per master).
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const cpuBefore = await redisCpuMs(cluster);
  const started = Date.now();
  let published = 0;
  let failed = 0;
  const inFlight = new Set<Promise<void>>();
  const tickMs = 10;
  while (Date.now() - started < seconds * 1000) {
    const due = Math.floor(((Date.now() - started) / 1000) * rate);
    while (published + failed < due) {
      const channel = channels[(published + failed) % channels.length]!;
      const now = Number(process.hrtime.bigint() / 1000n) / 1000;
      const p = publisher
        .publish(channel, Buffer.from(String(now), 'latin1'), { history: { size: 100, ttlMs: 60_000 } })
        .then(
          () => {
            published++;
          },
          () => {
            failed++;
          },
        )
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size > 2000) await Promise.race(inFlight);
    }
    await new Promise((resolve) => setTimeout(resolve, tickMs));
  }
  await Promise.all(inFlight);
  const elapsed = (Date.now() - started) / 1000;
  await new Promise((resolve) => setTimeout(resolve, 500));
  const cpu = (await redisCpuMs(cluster)) - cpuBefore;
  for (const b of [...brokers, publisher]) await b.close();
  for (const c of conns) c.disconnect();
  latencies.sort((a, b) => a - b);
  const at = (q: number): number =>
    Math.round((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0) * 100) / 100;
  return {
    mode: sharded ? 'sharded (SPUBLISH/SSUBSCRIBE)' : 'classic (PUBLISH/SUBSCRIBE)',
    published,
    failed,
    delivered,
    deliveriesPerSec: Math.round(delivered / elapsed),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    redisCpuMs: Math.round(cpu),
    cpuUsPerPublication: Math.round((cpu * 1000) / Math.max(1, published)),
    cpuUsPerDelivery: Math.round((cpu * 1000) / Math.max(1, delivered)),
  };
}

const cluster = await RedisCluster.start({ replicas: 1 });
try {
  console.log(
    `Redis Cluster 3 masters + 3 replicas, ${channelCount} channels, ${subscriberCount} subscriber brokers, ${rate} publications/s with history for ${seconds} s`,
  );
  const results: Result[] = [];
  for (const sharded of [false, true, false, true]) results.push(await measure(cluster, sharded));
  console.table(results);
  console.log(JSON.stringify(results));
} finally {
  await cluster.close();
}
