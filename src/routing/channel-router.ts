/**
 * Gateway-side sticky routing: maps a channel to its worker by rendezvous hashing over the
 * registry's routing set, cached for at most `cacheTtlMs` and refreshed early on announcements.
 */

import { ErrorCodes, RealtimeError } from '../errors/index.js';
import type { Counter } from 'prom-client';
import type { WorkerId } from '../redis/index.js';
import { RendezvousSet } from './rendezvous.js';
import type { WorkerRegistry } from './worker-registry.js';

export interface ChannelRouterOptions {
  registry: WorkerRegistry;
  /** Max age of the cached routing set, ms (config `routeCacheTtlMs`). */
  cacheTtlMs: number;
  /** Optional `gateway_route_cache_total{result}` counter: hit, miss. */
  cacheCounter?: Counter<'result'>;
}

/** Thrown when the routing set is empty: no worker has ever registered (or all deregistered). */
export class NoWorkersError extends RealtimeError {
  constructor() {
    super(ErrorCodes.ROUTING_NO_WORKERS, 'no workers registered');
  }
}

export class ChannelRouter {
  private readonly options: ChannelRouterOptions;
  /** The counter's `hit` child, looked up once: cachedRoute runs for every message. */
  private readonly hits: { inc(): void } | undefined;
  private set: RendezvousSet | null = null;
  private loadedAt = 0;
  private loading: Promise<RendezvousSet> | null = null;
  private generation = 0;
  private unsubscribe: (() => void) | null = null;

  constructor(options: ChannelRouterOptions) {
    this.options = options;
    this.hits = options.cacheCounter?.labels({ result: 'hit' });
  }

  async start(): Promise<void> {
    this.unsubscribe = this.options.registry.onChange(() => this.invalidate());
    // The registry may be unreachable now: route() retries, so start anyway.
    await this.refresh().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** Drops the cached set; the next lookup reloads it. */
  invalidate(): void {
    this.generation++;
    this.set = null;
  }

  /** The worker that owns `channel`; rejects with {@link NoWorkersError} or a registry error. */
  async route(channel: string): Promise<WorkerId> {
    let set = this.set;
    if (set !== null && Date.now() - this.loadedAt <= this.options.cacheTtlMs) {
      this.options.cacheCounter?.inc({ result: 'hit' });
    } else {
      this.options.cacheCounter?.inc({ result: 'miss' });
      set = await this.refresh();
    }
    const owner = set.owner(channel);
    if (owner === undefined) throw new NoWorkersError();
    return owner;
  }

  /**
   * The owner from the cached set without waiting, or undefined when the cache is empty or too old
   * (then call {@link route}). Lets a caller issue appends in the order their messages came.
   */
  cachedRoute(channel: string): WorkerId | undefined {
    const set = this.set;
    if (set === null || Date.now() - this.loadedAt > this.options.cacheTtlMs) return undefined;
    const owner = set.owner(channel);
    if (owner !== undefined) this.hits?.inc();
    return owner;
  }

  /** The currently cached workers (empty before the first load). */
  cachedWorkers(): readonly WorkerId[] {
    return this.set?.workers ?? [];
  }

  private refresh(): Promise<RendezvousSet> {
    if (this.loading !== null) return this.loading;
    const generation = this.generation;
    const startedAt = Date.now();
    const loading = this.options.registry
      .members()
      .then((members) => {
        const set = new RendezvousSet(members.map((m) => m.id));
        // An announcement that arrived while loading may not be reflected: keep it uncached then.
        if (generation === this.generation) {
          this.set = set;
          this.loadedAt = startedAt;
        }
        return set;
      })
      .finally(() => {
        if (this.loading === loading) this.loading = null;
      });
    this.loading = loading;
    return loading;
  }
}
