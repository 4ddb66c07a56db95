/**
 * Metric children a connection uses on every message, looked up once per metrics registry (the
 * publish command's) or once per connection (its transport's) rather than per message.
 */

import { batchedChild, type CounterChild, type GatewayMetrics } from '../metrics/index.js';

/** The publish command's metric children. */
export interface PublishMetrics {
  received: CounterChild;
  ok: CounterChild;
  error: CounterChild;
  disconnect: CounterChild;
  duration: { observe(value: number): void };
}

const publishMetricsCache = new WeakMap<GatewayMetrics, PublishMetrics>();

export function publishMetrics(metrics: GatewayMetrics): PublishMetrics {
  let m = publishMetricsCache.get(metrics);
  if (m === undefined) {
    m = {
      received: batchedChild(metrics.messagesInTotal, { kind: 'publish' }),
      ok: batchedChild(metrics.commandsTotal, { method: 'publish', result: 'ok' }),
      error: batchedChild(metrics.commandsTotal, { method: 'publish', result: 'error' }),
      disconnect: batchedChild(metrics.commandsTotal, { method: 'publish', result: 'disconnect' }),
      duration: metrics.commandDuration.labels({ method: 'publish' }),
    };
    publishMetricsCache.set(metrics, m);
  }
  return m;
}

/** One transport's children of the per-transport metrics, and the outgoing-messages counter. */
export interface TransportMetrics {
  connections: { inc(): void; dec(): void };
  bytesIn: CounterChild;
  bytesOut: CounterChild;
  messagesOut: CounterChild;
}

const transportMetricsCache = new WeakMap<GatewayMetrics, Map<string, TransportMetrics>>();

/** Shared by every connection of `transport` (looked up once per registry and transport). */
export function transportMetrics(metrics: GatewayMetrics, transport: string): TransportMetrics {
  let byTransport = transportMetricsCache.get(metrics);
  if (byTransport === undefined) {
    byTransport = new Map();
    transportMetricsCache.set(metrics, byTransport);
  }
  let m = byTransport.get(transport);
  if (m === undefined) {
    const label = { transport };
    m = {
      connections: metrics.connections.labels(label),
      bytesIn: batchedChild(metrics.bytesInTotal, label),
      bytesOut: batchedChild(metrics.bytesOutTotal, label),
      messagesOut: batchedChild(metrics.messagesOutTotal, { kind: 'message' }),
    };
    byTransport.set(transport, m);
  }
  return m;
}
