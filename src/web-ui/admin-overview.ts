/**
 * What the admin UI's pages read besides the server API: the workers with their streams, this
 * node's channels, and the message counters the page turns into rates.
 */

import type { Registry } from 'prom-client';
import type { StreamInfo, StreamQueue, WorkerId } from '../queue/index.js';
import type { WorkerRegistry } from '../routing/index.js';

export interface WorkerSources {
  /** The routing set of each worker pool, by pool name. */
  pools: ReadonlyMap<string, Pick<WorkerRegistry, 'members' | 'orphans'>>;
  queue: Pick<StreamQueue, 'streamInfo' | 'countDeadLetters' | 'readDeadLetters' | 'replayDeadLetters' | 'purgeDeadLetters'>;
  /** Heartbeat silence after which a member is shown as not answering, ms. */
  deadAfterMs: number;
}

export interface WorkerRow {
  id: WorkerId;
  pool: string;
  /** alive: heartbeating; silent: a member without a recent heartbeat; retired: deregistered, stream still draining. */
  state: 'alive' | 'silent' | 'retired';
  /** Ms since the last heartbeat (members) or the deregistration (retired). */
  sinceMs: number;
  stream: StreamInfo | null;
  /** Dead letters kept for the worker's stream; null when they could not be counted. */
  deadLetters: number | null;
}

type Row = Omit<WorkerRow, 'stream' | 'deadLetters'>;

export async function listWorkers(sources: WorkerSources): Promise<WorkerRow[]> {
  const now = Date.now();
  const rows: Row[] = [];
  for (const [pool, registry] of sources.pools) {
    const [members, orphans] = await Promise.all([registry.members(), registry.orphans()]);
    for (const m of members)
      rows.push({ id: m.id, pool, state: now - m.atMs > sources.deadAfterMs ? 'silent' : 'alive', sinceMs: now - m.atMs });
    for (const o of orphans) rows.push({ id: o.id, pool, state: 'retired', sinceMs: now - o.atMs });
  }
  rows.sort((a, b) => a.pool.localeCompare(b.pool) || a.id.localeCompare(b.id));
  return Promise.all(
    rows.map(async (row): Promise<WorkerRow> => {
      const [stream, dead] = await Promise.all([
        sources.queue.streamInfo(row.id).catch(() => null),
        sources.queue.countDeadLetters(row.id).catch(() => null),
      ]);
      return { ...row, stream, deadLetters: dead };
    }),
  );
}

export interface ChannelRow {
  channel: string;
  subscribers: number;
}

/**
 * Channels with subscribers on this node matching `search` (a substring), busiest first. Only
 * this gateway's clients are counted.
 */
export function searchChannels(
  local: ReadonlyMap<string, number>,
  search: string,
  limit: number,
): { channels: ChannelRow[]; total: number } {
  const needle = search.toLowerCase();
  const rows: ChannelRow[] = [];
  for (const [channel, subscribers] of local)
    if (needle === '' || channel.toLowerCase().includes(needle)) rows.push({ channel, subscribers });
  rows.sort((a, b) => b.subscribers - a.subscribers || a.channel.localeCompare(b.channel));
  return { channels: rows.slice(0, limit), total: rows.length };
}

/** Counters the page samples to draw rates (totals since start of this process). */
const COUNTERS = {
  messagesIn: 'gateway_messages_in_total',
  messagesOut: 'gateway_messages_out_total',
  processed: 'worker_messages_processed_total',
  connects: 'gateway_connects_total',
} as const;

export type Counters = Record<keyof typeof COUNTERS, number | null>;

export async function readCounters(registry: Registry): Promise<Counters> {
  const out = {} as Counters;
  for (const [key, name] of Object.entries(COUNTERS) as [keyof typeof COUNTERS, string][]) {
    const metric = registry.getSingleMetric(name);
    if (metric === undefined) {
      out[key] = null;
      continue;
    }
    const values = (await metric.get()).values;
    out[key] = values.reduce((sum, v) => sum + v.value, 0);
  }
  return out;
}
