/**
 * Metric children a connection uses on every message, looked up once per metrics registry (the
 * publish command's) or once per connection (its transport's) rather than per message.
 */

import type { GatewayMetrics } from '../metrics/index.js';

/** The publish command's metric children. */
export interface PublishMetrics {
  received: { inc(): void };
  ok: { inc(): void };
  error: { inc(): void };
  disconnect: { inc(): void };
  duration: { observe(value: number): void };
}

const publishMetricsCache = new WeakMap<GatewayMetrics, PublishMetrics>();

export function publishMetrics(metrics: GatewayMetrics): PublishMetrics {
  let m = publishMetricsCache.get(metrics);
  if (m === undefined) {
    m = {
      received: metrics.messagesInTotal.labels({ kind: 'publish' }),
      ok: metrics.commandsTotal.labels({ method: 'publish', result: 'ok' }),
      error: metrics.commandsTotal.labels({ method: 'publish', result: 'error' }),
      disconnect: metrics.commandsTotal.labels({ method: 'publish', result: 'disconnect' }),
      duration: metrics.commandDuration.labels({ method: 'publish' }),
    };
    publishMetricsCache.set(metrics, m);
  }
  return m;
}

/** One transport's children of the per-transport metrics. */
export interface TransportMetrics {
  connections: { inc(): void; dec(): void };
  bytesIn: { inc(n: number): void };
  bytesOut: { inc(n: number): void };
}

export function transportMetrics(metrics: GatewayMetrics, transport: string): TransportMetrics {
  const label = { transport };
  return {
    connections: metrics.connections.labels(label),
    bytesIn: metrics.bytesInTotal.labels(label),
    bytesOut: metrics.bytesOutTotal.labels(label),
  };
}
