/**
 * Every Prometheus metric of the system, defined in one place. Components receive the instance
 * they need (`GatewayMetrics`, `WorkerMetrics`); the registry is passed in by the composition root.
 * Labels are bounded: namespace (never a channel), method, code, reason, result.
 */

import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';
import { batchedChild, type CounterChild } from './batched-counter.js';

const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export class GatewayMetrics {
  readonly connections: Gauge<'transport'>;
  readonly connectionsRefusedTotal: Counter;
  readonly subscriptions: Gauge<'namespace'>;
  readonly connectsTotal: Counter<'transport' | 'protocol'>;
  readonly disconnectTotal: Counter<'reason' | 'code'>;
  readonly reconnectTotal: Counter;
  readonly connectionDuration: Histogram;
  readonly commandsTotal: Counter<'method' | 'result'>;
  readonly commandDuration: Histogram<'method'>;
  readonly publishAppendDuration: Histogram;
  readonly messagesInTotal: Counter<'kind'>;
  readonly messagesOutTotal: Counter<'kind'>;
  readonly bytesInTotal: Counter<'transport'>;
  readonly bytesOutTotal: Counter<'transport'>;
  readonly redisErrorsTotal: Counter<'component'>;
  readonly redisReconnectsTotal: Counter<'component'>;
  readonly routeCacheTotal: Counter<'result'>;
  readonly slowDisconnectsTotal: Counter;
  readonly apiRequestsTotal: Counter<'method' | 'result'>;
  readonly proxyRequestsTotal: Counter<'proxy' | 'result'>;
  readonly proxyRequestDuration: Histogram<'proxy'>;
  readonly apiRequestDuration: Histogram<'method'>;

  // Long on purpose: a flat table of metric definitions, one block per metric.
  constructor(registry: Registry) {
    const registers = [registry];
    this.connections = new Gauge({
      name: 'gateway_connections',
      help: 'Current client connections by transport',
      labelNames: ['transport'],
      registers,
    });
    this.connectionsRefusedTotal = new Counter({
      name: 'gateway_connections_refused_total',
      help: 'Client-port sockets closed before the protocol started: over client.connection_limit, or no request head within the handshake timeout',
      labelNames: ['reason'],
      registers,
    });
    this.subscriptions = new Gauge({
      name: 'gateway_subscriptions',
      help: 'Current client subscriptions',
      labelNames: ['namespace'],
      registers,
    });
    this.connectsTotal = new Counter({
      name: 'gateway_connects_total',
      help: 'Successful connects',
      labelNames: ['transport', 'protocol'],
      registers,
    });
    this.disconnectTotal = new Counter({
      name: 'gateway_disconnect_total',
      help: 'Disconnects by reason and close code',
      labelNames: ['reason', 'code'],
      registers,
    });
    this.reconnectTotal = new Counter({
      name: 'gateway_reconnect_total',
      help: 'Connects that are reconnects of a previous connection',
      registers,
    });
    this.connectionDuration = new Histogram({
      name: 'gateway_connection_duration_seconds',
      help: 'Connection lifetime',
      buckets: [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 7200, 21600, 86400],
      registers,
    });
    this.commandsTotal = new Counter({
      name: 'gateway_commands_total',
      help: 'Client commands by method and result',
      labelNames: ['method', 'result'],
      registers,
    });
    this.commandDuration = new Histogram({
      name: 'gateway_command_duration_seconds',
      help: 'Command handling time',
      labelNames: ['method'],
      buckets: latencyBuckets,
      registers,
    });
    this.publishAppendDuration = new Histogram({
      name: 'gateway_publish_append_duration_seconds',
      help: 'Client publish to stream append acknowledged',
      buckets: latencyBuckets,
      registers,
    });
    this.messagesInTotal = new Counter({
      name: 'gateway_messages_in_total',
      help: 'Protocol messages received from clients',
      labelNames: ['kind'],
      registers,
    });
    this.messagesOutTotal = new Counter({
      name: 'gateway_messages_out_total',
      help: 'Protocol messages sent to clients',
      labelNames: ['kind'],
      registers,
    });
    this.bytesInTotal = new Counter({
      name: 'gateway_transport_bytes_in_total',
      help: 'Client frame bytes received (WebSocket frames, HTTP request bodies) by transport',
      labelNames: ['transport'],
      registers,
    });
    this.bytesOutTotal = new Counter({
      name: 'gateway_transport_bytes_out_total',
      help: 'Client frame bytes sent (WebSocket frames, HTTP stream chunks) by transport',
      labelNames: ['transport'],
      registers,
    });
    this.redisErrorsTotal = new Counter({
      name: 'gateway_redis_errors_total',
      help: 'Redis command or connection errors',
      labelNames: ['component'],
      registers,
    });
    this.redisReconnectsTotal = new Counter({
      name: 'gateway_redis_reconnects_total',
      help: 'Redis reconnections',
      labelNames: ['component'],
      registers,
    });
    this.routeCacheTotal = new Counter({
      name: 'gateway_route_cache_total',
      help: 'Route cache lookups',
      labelNames: ['result'],
      registers,
    });
    this.slowDisconnectsTotal = new Counter({
      name: 'gateway_slow_client_disconnects_total',
      help: 'Clients disconnected because their outgoing queue overflowed',
      registers,
    });
    this.apiRequestsTotal = new Counter({
      name: 'gateway_api_requests_total',
      help: 'Server HTTP API requests by method and result (ok, error)',
      labelNames: ['method', 'result'],
      registers,
    });
    this.proxyRequestsTotal = new Counter({
      name: 'gateway_proxy_requests_total',
      help: 'Calls to the application backend proxies by proxy and result (ok, error, disconnect, unavailable)',
      labelNames: ['proxy', 'result'],
      registers,
    });
    this.proxyRequestDuration = new Histogram({
      name: 'gateway_proxy_request_duration_seconds',
      help: 'Duration of calls to the application backend proxies',
      labelNames: ['proxy'],
      buckets: latencyBuckets,
      registers,
    });
    this.apiRequestDuration = new Histogram({
      name: 'gateway_api_request_duration_seconds',
      help: 'Server HTTP API request duration by method',
      labelNames: ['method'],
      buckets: latencyBuckets,
      registers,
    });
  }

  /** The server API's recorder: method names are the API's fixed set (unknown ones arrive as `unknown`). */
  readonly api = {
    observe: (method: string, result: string, seconds: number): void => {
      this.apiRequestsTotal.inc({ method, result });
      this.apiRequestDuration.observe({ method }, seconds);
    },
  };
}

export class WorkerMetrics {
  readonly processedTotal: Counter<'kind'>;
  /** `processedTotal` per message kind, batched: counted once per message, added at each scrape. */
  readonly processed: Readonly<Record<'publish' | 'send' | 'rpc', CounterChild>>;
  readonly failedTotal: Counter;
  readonly retriedTotal: Counter;
  readonly deadLetteredTotal: Counter;
  readonly processingDuration: Histogram;
  readonly endToEndDuration: Histogram;
  readonly streamLag: Gauge<'stream'>;
  readonly streamPending: Gauge<'stream'>;
  readonly takeoversTotal: Counter;
  readonly redisErrorsTotal: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.processedTotal = new Counter({
      name: 'worker_messages_processed_total',
      help: 'Messages handled and acknowledged',
      labelNames: ['kind'],
      registers,
    });
    this.processed = {
      publish: batchedChild(this.processedTotal, { kind: 'publish' }),
      send: batchedChild(this.processedTotal, { kind: 'send' }),
      rpc: batchedChild(this.processedTotal, { kind: 'rpc' }),
    };
    this.failedTotal = new Counter({ name: 'worker_messages_failed_total', help: 'Handler failures', registers });
    this.retriedTotal = new Counter({ name: 'worker_messages_retried_total', help: 'Handler retries', registers });
    this.deadLetteredTotal = new Counter({
      name: 'worker_messages_dead_lettered_total',
      help: 'Messages moved to the dead-letter stream',
      registers,
    });
    this.processingDuration = new Histogram({
      name: 'worker_processing_duration_seconds',
      help: 'Handler run time',
      buckets: latencyBuckets,
      registers,
    });
    this.endToEndDuration = new Histogram({
      name: 'worker_message_latency_seconds',
      help: 'Gateway accept to handled',
      buckets: latencyBuckets,
      registers,
    });
    this.streamLag = new Gauge({
      name: 'worker_stream_lag',
      help: 'Entries not yet read by the consumer group',
      labelNames: ['stream'],
      registers,
    });
    this.streamPending = new Gauge({
      name: 'worker_stream_pending',
      help: 'Entries read but not acknowledged',
      labelNames: ['stream'],
      registers,
    });
    this.takeoversTotal = new Counter({ name: 'worker_stream_takeovers_total', help: 'Streams of dead workers taken over', registers });
    this.redisErrorsTotal = new Counter({ name: 'worker_redis_errors_total', help: 'Redis errors in the consume loop', registers });
  }
}

/**
 * The primary's own metrics in a gateway group (GATEWAY_PROCESSES > 1), served beside the
 * processes' aggregated ones: counters summed, the connection and subscription gauges summed too
 * (each process counts its own clients), event loop lag averaged, versions taken once.
 */
export class GatewayGroupMetrics {
  readonly processes: Gauge;
  readonly processesUp: Gauge;
  readonly restartsTotal: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.processes = new Gauge({
      name: 'gateway_group_processes',
      help: 'Gateway processes the group runs (GATEWAY_PROCESSES)',
      registers,
    });
    this.processesUp = new Gauge({
      name: 'gateway_group_processes_up',
      help: 'Gateway processes of the group serving their ports',
      registers,
    });
    this.restartsTotal = new Counter({
      name: 'gateway_group_restarts_total',
      help: 'Gateway processes restarted after they exited unexpectedly',
      registers,
    });
  }
}

/** Adds Node's default process metrics (CPU, memory, event loop lag, GC) to a registry. */
export function collectProcessMetrics(registry: Registry, prefix = ''): void {
  collectDefaultMetrics({ register: registry, prefix });
}
