/**
 * What one load-test process measured (counts, error tallies and encoded histograms), in a
 * shape that crosses process boundaries as JSON and merges by addition.
 */

import { LatencyHistogram } from './latency-histogram.js';

export type ErrorTally = Record<string, number>;

export interface ShardResult {
  connect: { attempted: number; ok: number; errors: ErrorTally; histogram: string };
  publish: {
    /** Publishes due by the schedule (closed loop: sent). */
    scheduled: number;
    sent: number;
    acked: number;
    /** Failed publishes by cause: `reply:<code>`, `disconnect:<code>`, `not_connected`, `timeout`. */
    errors: ErrorTally;
    /** Scheduled send time -> reply received. */
    ackHistogram: string;
    /** Scheduled send time -> actually written to the socket: the load generator's own lag. */
    sendLagHistogram: string;
  };
  delivery: {
    received: number;
    /** Scheduled send time -> publication received by a subscriber. */
    histogram: string;
    /** Publications whose data was not one of this run's messages. */
    foreign: number;
  };
  /** Disconnects during the run by close code. */
  disconnects: ErrorTally;
  /** Epoch ms: first scheduled send, last scheduled send, last reply, last delivery (0: none). */
  firstSendAt: number;
  lastSendAt: number;
  lastAckAt: number;
  lastDeliveryAt: number;
}

/** Counts a shard keeps while running; turned into a ShardResult at the end. */
export class ShardRecorder {
  readonly connectHistogram = new LatencyHistogram();
  readonly ackHistogram = new LatencyHistogram();
  readonly sendLagHistogram = new LatencyHistogram();
  readonly deliveryHistogram = new LatencyHistogram();
  connectAttempted = 0;
  connectOk = 0;
  readonly connectErrors: ErrorTally = {};
  scheduled = 0;
  sent = 0;
  acked = 0;
  readonly publishErrors: ErrorTally = {};
  received = 0;
  foreign = 0;
  readonly disconnects: ErrorTally = {};
  firstSendAt = 0;
  lastSendAt = 0;
  lastAckAt = 0;
  lastDeliveryAt = 0;

  toResult(): ShardResult {
    return {
      connect: {
        attempted: this.connectAttempted,
        ok: this.connectOk,
        errors: { ...this.connectErrors },
        histogram: this.connectHistogram.encode(),
      },
      publish: {
        scheduled: this.scheduled,
        sent: this.sent,
        acked: this.acked,
        errors: { ...this.publishErrors },
        ackHistogram: this.ackHistogram.encode(),
        sendLagHistogram: this.sendLagHistogram.encode(),
      },
      delivery: { received: this.received, histogram: this.deliveryHistogram.encode(), foreign: this.foreign },
      disconnects: { ...this.disconnects },
      firstSendAt: this.firstSendAt,
      lastSendAt: this.lastSendAt,
      lastAckAt: this.lastAckAt,
      lastDeliveryAt: this.lastDeliveryAt,
    };
  }
}

export function tally(errors: ErrorTally, key: string, count = 1): void {
  errors[key] = (errors[key] ?? 0) + count;
}

function mergeTallies(into: ErrorTally, from: ErrorTally): void {
  for (const [key, count] of Object.entries(from)) tally(into, key, count);
}

function minNonZero(a: number, b: number): number {
  if (a === 0) return b;
  if (b === 0) return a;
  return Math.min(a, b);
}

function mergeHistograms(encoded: readonly string[]): string {
  const total = new LatencyHistogram();
  for (const e of encoded) total.add(LatencyHistogram.decode(e));
  return total.encode();
}

/** Adds up the results of several shards (processes) of one run. */
export function mergeShardResults(results: readonly ShardResult[]): ShardResult {
  const merged: ShardResult = {
    connect: { attempted: 0, ok: 0, errors: {}, histogram: '' },
    publish: { scheduled: 0, sent: 0, acked: 0, errors: {}, ackHistogram: '', sendLagHistogram: '' },
    delivery: { received: 0, histogram: '', foreign: 0 },
    disconnects: {},
    firstSendAt: 0,
    lastSendAt: 0,
    lastAckAt: 0,
    lastDeliveryAt: 0,
  };
  for (const r of results) {
    merged.connect.attempted += r.connect.attempted;
    merged.connect.ok += r.connect.ok;
    mergeTallies(merged.connect.errors, r.connect.errors);
    merged.publish.scheduled += r.publish.scheduled;
    merged.publish.sent += r.publish.sent;
    merged.publish.acked += r.publish.acked;
    mergeTallies(merged.publish.errors, r.publish.errors);
    merged.delivery.received += r.delivery.received;
    merged.delivery.foreign += r.delivery.foreign;
    mergeTallies(merged.disconnects, r.disconnects);
    merged.firstSendAt = minNonZero(merged.firstSendAt, r.firstSendAt);
    merged.lastSendAt = Math.max(merged.lastSendAt, r.lastSendAt);
    merged.lastAckAt = Math.max(merged.lastAckAt, r.lastAckAt);
    merged.lastDeliveryAt = Math.max(merged.lastDeliveryAt, r.lastDeliveryAt);
  }
  merged.connect.histogram = mergeHistograms(results.map((r) => r.connect.histogram));
  merged.publish.ackHistogram = mergeHistograms(results.map((r) => r.publish.ackHistogram));
  merged.publish.sendLagHistogram = mergeHistograms(results.map((r) => r.publish.sendLagHistogram));
  merged.delivery.histogram = mergeHistograms(results.map((r) => r.delivery.histogram));
  return merged;
}
