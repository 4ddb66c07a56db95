/** NodeRegistry for one process; share one instance between the nodes that should see each other. */

import { checkNodeTtl, type NodeId, type NodeInfo, type NodeRegistry } from './node-registry.js';

export interface MemoryNodeRegistryOptions {
  /** Clock in ms; omitted: Date.now. */
  now?: () => number;
}

export class MemoryNodeRegistry implements NodeRegistry {
  private readonly nodes = new Map<NodeId, { info: NodeInfo; expiresAt: number }>();
  private readonly now: () => number;

  constructor(options: MemoryNodeRegistryOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  async heartbeat(info: NodeInfo, ttlMs: number): Promise<void> {
    checkNodeTtl(ttlMs);
    this.nodes.set(info.nodeId, { info: { ...info }, expiresAt: this.now() + ttlMs });
  }

  async remove(nodeId: NodeId): Promise<void> {
    this.nodes.delete(nodeId);
  }

  async list(): Promise<NodeInfo[]> {
    const now = this.now();
    const live: NodeInfo[] = [];
    for (const [id, entry] of this.nodes) {
      if (entry.expiresAt <= now) this.nodes.delete(id);
      else live.push({ ...entry.info });
    }
    return live.sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
  }

  async close(): Promise<void> {
    // Nothing to release.
  }
}
