/**
 * The load test's verdict: the merged measurements turned into rates and percentiles (the JSON
 * report), the summary tables printed at the end, and the live progress line.
 */

import { cpus, hostname, loadavg, platform, release } from 'node:os';
import { LatencyHistogram, type LatencySummary } from './latency-histogram.js';
import { describeOptions, type LoadTestOptions } from './load-test-options.js';
import type { ShardProgress } from './load-shard.js';
import type { ErrorTally, ShardResult } from './shard-result.js';

export interface LoadTestReport {
  startedAt: string;
  options: Record<string, unknown>;
  environment: { node: string; platform: string; cpus: number; cpuModel: string; host: string; loadAverage: number[] };
  connections: { attempted: number; ok: number; failed: number; errors: ErrorTally; time: LatencySummary };
  publish: {
    scheduled: number;
    sent: number;
    acked: number;
    failed: number;
    errors: ErrorTally;
    /** acked / scheduled. */
    successRate: number;
    /** Target publishes per second over all clients (open loop); 0 in closed loop. */
    offeredRate: number;
    /** Acknowledged publishes per second over the publish window. */
    throughput: number;
    ack: LatencySummary;
    sendLag: LatencySummary;
  };
  delivery: {
    /** acked x subscribers per channel. */
    expected: number;
    received: number;
    /** received / expected (1 when nothing was expected). */
    ratio: number;
    throughput: number;
    latency: LatencySummary;
    foreign: number;
  };
  disconnects: ErrorTally;
  /** First scheduled send to the last reply or delivery, seconds. */
  windowSeconds: number;
  passed: boolean;
}

export function buildReport(options: LoadTestOptions, result: ShardResult, startedAt: Date): LoadTestReport {
  const publishFailed = Object.values(result.publish.errors).reduce((a, b) => a + b, 0);
  const windowEnd = Math.max(result.lastSendAt, result.lastAckAt, result.lastDeliveryAt);
  const windowMs = result.firstSendAt === 0 ? 0 : windowEnd - result.firstSendAt;
  const perSecond = (n: number): number => (windowMs > 0 ? (n * 1000) / windowMs : 0);
  const successRate = result.publish.scheduled === 0 ? 0 : result.publish.acked / result.publish.scheduled;
  const expected = result.publish.acked * options.subscribersPerChannel;
  const cpuList = cpus();
  return {
    startedAt: startedAt.toISOString(),
    options: describeOptions(options),
    environment: {
      node: process.version,
      platform: `${platform()} ${release()}`,
      cpus: cpuList.length,
      cpuModel: cpuList[0]?.model ?? 'unknown',
      host: hostname(),
      loadAverage: loadavg(),
    },
    connections: {
      attempted: result.connect.attempted,
      ok: result.connect.ok,
      failed: result.connect.attempted - result.connect.ok,
      errors: result.connect.errors,
      time: LatencyHistogram.decode(result.connect.histogram).summary(),
    },
    publish: {
      scheduled: result.publish.scheduled,
      sent: result.publish.sent,
      acked: result.publish.acked,
      failed: publishFailed,
      errors: result.publish.errors,
      successRate,
      offeredRate: options.ratePerClient * options.numClients,
      throughput: perSecond(result.publish.acked),
      ack: LatencyHistogram.decode(result.publish.ackHistogram).summary(),
      sendLag: LatencyHistogram.decode(result.publish.sendLagHistogram).summary(),
    },
    delivery: {
      expected,
      received: result.delivery.received,
      ratio: expected === 0 ? 1 : result.delivery.received / expected,
      throughput: perSecond(result.delivery.received),
      latency: LatencyHistogram.decode(result.delivery.histogram).summary(),
      foreign: result.delivery.foreign,
    },
    disconnects: result.disconnects,
    windowSeconds: windowMs / 1000,
    passed: successRate >= options.minSuccessRate,
  };
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (n: number): string => (n >= 100 ? `${n.toFixed(0)} ms` : n >= 10 ? `${n.toFixed(1)} ms` : `${n.toFixed(2)} ms`);
const pct = (n: number): string => `${(n * 100).toFixed(2)}%`;

function tallyText(errors: ErrorTally): string {
  const entries = Object.entries(errors).filter(([, n]) => n > 0);
  return entries.length === 0 ? 'none' : entries.map(([k, n]) => `${k} x${int(n)}`).join(', ');
}

/** The summary printed at the end: the seed's headline table, then every distribution. */
export function formatReport(report: LoadTestReport): string {
  const p = report.publish;
  const d = report.delivery;
  const lines = [
    '',
    '| Metric | Value |',
    '|---|---|',
    `| Throughput (acknowledged) | ${int(p.throughput)} msg/s |`,
    `| Latency P50 (publish ack) | ${ms(p.ack.p50)} |`,
    `| Latency P95 (publish ack) | ${ms(p.ack.p95)} |`,
    `| Latency P99 (publish ack) | ${ms(p.ack.p99)} |`,
    `| Success rate | ${pct(p.successRate)} |`,
    '',
    '| Distribution | count | p50 | p95 | p99 | p99.9 | max |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  const row = (name: string, s: LatencySummary): string =>
    `| ${name} | ${int(s.count)} | ${ms(s.p50)} | ${ms(s.p95)} | ${ms(s.p99)} | ${ms(s.p999)} | ${ms(s.max)} |`;
  lines.push(row('connect', report.connections.time));
  lines.push(row('publish ack', p.ack));
  lines.push(row('end to end', d.latency));
  lines.push(row('send lag (generator)', p.sendLag));
  lines.push('');
  lines.push(
    `connections: ${int(report.connections.ok)}/${int(report.connections.attempted)} ok; errors: ${tallyText(report.connections.errors)}`,
  );
  lines.push(
    `publishes: ${int(p.scheduled)} scheduled, ${int(p.sent)} sent, ${int(p.acked)} acked, ${int(p.failed)} failed; errors: ${tallyText(p.errors)}`,
  );
  lines.push(`offered: ${p.offeredRate > 0 ? `${int(p.offeredRate)} msg/s` : 'closed loop'}; window ${report.windowSeconds.toFixed(1)} s`);
  lines.push(
    `deliveries: ${int(d.received)}/${int(d.expected)} (${pct(d.ratio)}), ${int(d.throughput)} msg/s` +
      (d.foreign > 0 ? `, ${int(d.foreign)} foreign` : ''),
  );
  lines.push(`disconnects during run: ${tallyText(report.disconnects)}`);
  lines.push(report.passed ? 'PASS' : `FAIL: success rate ${pct(p.successRate)} below ${pct(Number(report.options.minSuccessRate))}`);
  return lines.join('\n');
}

/** One status line: totals, the rate since the previous line, running ack p99. */
export function formatProgress(elapsedMs: number, current: ShardProgress, previous: ShardProgress | null, intervalMs: number): string {
  const rate = previous === null ? 0 : ((current.acked - previous.acked) * 1000) / intervalMs;
  return (
    `[${(elapsedMs / 1000).toFixed(1)}s] conns ${current.publishersConnected}+${current.subscribersConnected}` +
    ` | sent ${int(current.sent)} acked ${int(current.acked)} (${int(rate)}/s) failed ${int(current.failed)}` +
    ` in-flight ${int(current.inFlight)} | recv ${int(current.received)} | ack p99 ${ms(current.ackP99)}`
  );
}

/** Adds up progress snapshots of several processes (p99: the worst). */
export function sumProgress(parts: readonly ShardProgress[]): ShardProgress {
  const total: ShardProgress = {
    publishersConnected: 0,
    subscribersConnected: 0,
    scheduled: 0,
    sent: 0,
    acked: 0,
    failed: 0,
    received: 0,
    inFlight: 0,
    ackP99: 0,
  };
  for (const p of parts) {
    total.publishersConnected += p.publishersConnected;
    total.subscribersConnected += p.subscribersConnected;
    total.scheduled += p.scheduled;
    total.sent += p.sent;
    total.acked += p.acked;
    total.failed += p.failed;
    total.received += p.received;
    total.inFlight += p.inFlight;
    total.ackP99 = Math.max(total.ackP99, p.ackP99);
  }
  return total;
}
