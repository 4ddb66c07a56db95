/** In-process {@link WorkerRegistry} for embedded mode and tests. */

import type { WorkerId } from '../redis/index.js';
import { validateWorkerId } from '../redis/index.js';
import type { WorkerBeat, WorkerRegistry } from './worker-registry.js';

export class MemoryWorkerRegistry implements WorkerRegistry {
  private readonly membersById = new Map<WorkerId, number>();
  private readonly orphansById = new Map<WorkerId, number>();
  private readonly listeners = new Set<() => void>();

  async start(): Promise<void> {}
  async close(): Promise<void> {}

  async register(id: WorkerId): Promise<void> {
    validateWorkerId(id);
    this.membersById.set(id, Date.now());
    this.orphansById.delete(id);
    this.announce();
  }

  async heartbeat(id: WorkerId): Promise<void> {
    if (this.membersById.has(id)) this.membersById.set(id, Date.now());
  }

  async deregister(id: WorkerId): Promise<void> {
    validateWorkerId(id);
    this.membersById.delete(id);
    this.orphansById.set(id, Date.now());
    this.announce();
  }

  async members(): Promise<WorkerBeat[]> {
    return [...this.membersById].map(([id, atMs]) => ({ id, atMs }));
  }

  async orphans(): Promise<WorkerBeat[]> {
    return [...this.orphansById].map(([id, atMs]) => ({ id, atMs }));
  }

  async forgetOrphan(id: WorkerId): Promise<void> {
    this.orphansById.delete(id);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private announce(): void {
    for (const listener of this.listeners) queueMicrotask(listener);
  }
}
