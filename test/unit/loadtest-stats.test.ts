import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildReport,
  formatReport,
  LatencyHistogram,
  mergeShardResults,
  parseLoadTestOptions,
  ShardRecorder,
  tally,
  type ShardResult,
} from '../../src/loadtest/index.js';

/** A shard result with latencies `ackMs` (all acked), `errors` failures and the given send window. */
function shard(ackMs: readonly number[], errors: Record<string, number>, firstSendAt: number, lastSendAt: number): ShardResult {
  const r = new ShardRecorder();
  for (const ms of ackMs) {
    r.ackHistogram.recordMs(ms);
    r.deliveryHistogram.recordMs(ms + 1);
    r.sendLagHistogram.recordMs(0.1);
  }
  r.connectAttempted = 10;
  r.connectOk = 9;
  tally(r.connectErrors, 'timeout');
  r.acked = ackMs.length;
  r.received = ackMs.length;
  const failed = Object.values(errors).reduce((a, b) => a + b, 0);
  for (const [k, n] of Object.entries(errors)) tally(r.publishErrors, k, n);
  r.scheduled = ackMs.length + failed;
  r.sent = r.scheduled;
  r.firstSendAt = firstSendAt;
  r.lastSendAt = lastSendAt;
  r.lastAckAt = lastSendAt;
  r.lastDeliveryAt = lastSendAt;
  return r.toResult();
}

const close = (actual: number, expected: number, what: string): void => {
  // HDR histograms keep 3 significant digits: values are exact to 0.1%.
  assert.ok(Math.abs(actual - expected) <= expected * 0.001 + 0.001, `${what}: ${actual} vs ${expected}`);
};

void describe('LatencyHistogram', () => {
  void it('reports percentiles of known data in milliseconds', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) h.recordMs(i / 10); // 0.1 .. 100 ms
    const s = h.summary();
    assert.equal(s.count, 1000);
    close(s.p50, 50, 'p50');
    close(s.p95, 95, 'p95');
    close(s.p99, 99, 'p99');
    close(s.p999, 99.9, 'p99.9');
    close(s.max, 100, 'max');
    close(s.mean, 50.05, 'mean');
  });

  void it('survives encoding and merges by addition', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let i = 0; i < 900; i++) a.recordMs(1);
    for (let i = 0; i < 100; i++) b.recordMs(50);
    const merged = LatencyHistogram.decode(a.encode());
    merged.add(LatencyHistogram.decode(b.encode()));
    assert.equal(merged.count, 1000);
    close(merged.percentileMs(90), 1, 'p90 of the merge');
    close(merged.percentileMs(91), 50, 'p91 of the merge');
  });

  void it('is all zeros when empty, also after encoding', () => {
    assert.deepEqual(LatencyHistogram.decode(new LatencyHistogram().encode()).summary(), {
      count: 0,
      mean: 0,
      p50: 0,
      p95: 0,
      p99: 0,
      p999: 0,
      max: 0,
    });
  });
});

void describe('merging shards and the report', () => {
  const options = parseLoadTestOptions(
    { NUM_CLIENTS: '4', MESSAGES_PER_CLIENT: '100', RATE: '50', SUBSCRIBERS: '2', MIN_SUCCESS_RATE: '0.99' },
    'test',
  );
  const t0 = 1_000_000;
  // Shard A: 150 acks at 1..150 ms over 2 s; shard B: 48 acks at 200 ms plus 2 failures, over 1 s.
  const a = shard(
    Array.from({ length: 150 }, (_, i) => i + 1),
    {},
    t0,
    t0 + 2000,
  );
  const b = shard(
    Array.from({ length: 48 }, () => 200),
    { 'reply:106': 1, timeout: 1 },
    t0 + 500,
    t0 + 1500,
  );
  const merged = mergeShardResults([a, b]);

  void it('adds counts and tallies, and spans the union of the send windows', () => {
    assert.equal(merged.publish.scheduled, 200);
    assert.equal(merged.publish.acked, 198);
    assert.deepEqual(merged.publish.errors, { 'reply:106': 1, timeout: 1 });
    assert.equal(merged.connect.attempted, 20);
    assert.equal(merged.connect.ok, 18);
    assert.deepEqual(merged.connect.errors, { timeout: 2 });
    assert.equal(merged.firstSendAt, t0);
    assert.equal(merged.lastSendAt, t0 + 2000);
    assert.equal(LatencyHistogram.decode(merged.publish.ackHistogram).count, 198);
  });

  void it('computes success rate, throughput, expected deliveries and percentiles', () => {
    const report = buildReport(options, merged, new Date(0));
    assert.equal(report.publish.successRate, 198 / 200);
    assert.equal(report.publish.failed, 2);
    assert.equal(report.windowSeconds, 2);
    assert.equal(report.publish.throughput, 99);
    assert.equal(report.publish.offeredRate, 200);
    assert.equal(report.delivery.expected, 396);
    assert.equal(report.delivery.received, 198);
    assert.equal(report.delivery.ratio, 0.5);
    // 150 values 1..150 then 48 x 200: the median is the 99th value.
    close(report.publish.ack.p50, 99, 'ack p50');
    close(report.publish.ack.p95, 200, 'ack p95');
    close(report.publish.ack.max, 200, 'ack max');
    close(report.delivery.latency.p50, 100, 'delivery p50');
    assert.equal(report.passed, true);
    assert.equal(report.options.tokens, false);
    assert.equal('tokenSecret' in report.options, false);
  });

  void it('fails below the minimum success rate and prints the headline table', () => {
    const strict = parseLoadTestOptions({ MIN_SUCCESS_RATE: '1' }, 'test');
    const report = buildReport(strict, merged, new Date(0));
    assert.equal(report.passed, false);
    const text = formatReport(report);
    assert.match(text, /\| Throughput \(acknowledged\) \| 99 msg\/s \|/);
    assert.match(text, /\| Success rate \| 99\.00% \|/);
    assert.match(text, /reply:106 x1, timeout x1/);
    assert.match(text, /FAIL/);
  });
});
