// The chaos run's checks (src/chaos/checker.ts) and schedule, on hand-made records.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  checkPipeline,
  HandledLog,
  parseChaosOptions,
  parseHandled,
  planFaults,
  quantile,
  SubscriberCheck,
} from '../../src/chaos/index.js';

const rec = (ts: number, worker: string, stream: string, p: string, s: number): string =>
  `${ts}|${worker}|${stream}|chaos:c0|${JSON.stringify({ p, s })}`;

void describe('chaos checker', () => {
  void it('finds lost messages, counts duplicates and order violations of first handlings', () => {
    const log = new HandledLog();
    for (const line of [
      rec(1, 'w0', 'w0', 'p0', 0),
      rec(2, 'w0', 'w0', 'p0', 2),
      rec(3, 'w0', 'w0', 'p0', 1),
      rec(4, 'w1', 'w1', 'p0', 2),
    ]) {
      log.add(parseHandled(line)!);
    }
    const result = checkPipeline([{ id: 'p0', acked: new Map([['chaos:c0', [0, 1, 2, 3]]]) }], log);
    assert.equal(result.acked, 4);
    assert.equal(result.lost, 1);
    assert.deepEqual(result.lostExamples, ['p0:3 on chaos:c0']);
    assert.equal(result.orderViolations, 1, '2 was first handled before 1, acknowledged earlier');
    assert.equal(result.violations[0]?.seq, 2);
    assert.equal(result.violations[0]?.before, 1);
    assert.equal(log.duplicates, 1);
  });

  void it('measures a takeover from the kill to the first record of the stream by another worker', () => {
    const log = new HandledLog();
    log.workerKilled('w0', 1000);
    log.add(parseHandled(rec(1200, 'w0', 'w0', 'p0', 0))!);
    assert.ok(log.takeoverPending('w0'), 'a record of the dead worker itself does not end it');
    log.add(parseHandled(rec(2300, 'w1', 'w0', 'p0', 1))!);
    assert.deepEqual(log.takeoverMs, [1300]);
    assert.equal(log.takeoverPending('w0'), false);
  });

  void it('accepts gapless offsets and a gap after recovered: false, flags a silent gap and a duplicate delivery', () => {
    const sub = new SubscriberCheck();
    sub.subscribed({ channel: 'c', resubscribe: false, recovered: false, wasRecovering: false, streamPosition: { offset: 0, epoch: 'e' } });
    for (const o of [1, 2, 3]) sub.publication('c', o, 'k');
    sub.subscribed({ channel: 'c', resubscribe: true, recovered: true, wasRecovering: true, streamPosition: { offset: 5, epoch: 'e' } });
    for (const o of [4, 5]) sub.publication('c', o, 'k');
    sub.subscribed({ channel: 'c', resubscribe: true, recovered: false, wasRecovering: true, streamPosition: { offset: 9, epoch: 'e' } });
    sub.publication('c', 10, 'k');
    assert.equal(sub.silentGaps, 0);
    assert.equal(sub.recoveredFalse, 1);
    sub.publication('c', 12, 'k');
    sub.publication('c', 12, 'k');
    assert.equal(sub.silentGaps, 1);
    assert.equal(sub.duplicates, 1);
    assert.deepEqual(sub.position('c'), { offset: 12, epoch: 'e' });
  });

  void it('computes nearest-rank quantiles', () => {
    assert.equal(quantile([], 0.5), null);
    assert.equal(quantile([5, 1, 3, 2, 4], 0.5), 3);
    assert.equal(quantile([5, 1, 3, 2, 4], 0.99), 5);
  });
});

void describe('chaos schedule and options', () => {
  void it('plans every fault kind in a 60 s run, none in the first or last 5 s', () => {
    const faults = planFaults(60_000);
    assert.deepEqual(
      new Set(faults.map((f) => f.kind)),
      new Set(['worker-kill', 'gateway-kill', 'worker-join', 'worker-retire', 'redis-restart', 'redis-pause']),
    );
    assert.ok(faults.every((f) => f.atMs >= 5000 && f.atMs < 55_000));
    assert.equal(faults.filter((f) => f.kind === 'worker-kill').length, 5);
  });

  void it('reads CHAOS_DURATION, CHAOS_RATE and CHAOS_OUTPUT, reporting every problem', () => {
    assert.deepEqual(parseChaosOptions({}), { durationMs: 600_000, rate: 100, output: 'chaos-report.json' });
    assert.deepEqual(parseChaosOptions({ CHAOS_DURATION: '60s', CHAOS_RATE: '600', CHAOS_OUTPUT: '/tmp/x.json' }), {
      durationMs: 60_000,
      rate: 600,
      output: '/tmp/x.json',
    });
    assert.throws(() => parseChaosOptions({ CHAOS_DURATION: '5s', CHAOS_RATE: 'fast' }), /CHAOS_DURATION.*CHAOS_RATE/);
  });
});
