/**
 * Live gateway nodes: each node heartbeats its counts with an expiry, so a node that stops
 * heartbeating (crashed, partitioned) disappears from `list()` after its ttl. Memory and Redis twins.
 */

export type NodeId = string;

/** What one node reports about itself. */
export interface NodeInfo {
  nodeId: NodeId;
  /** Human-readable name (host name, pod name); may equal nodeId. */
  name: string;
  version: string;
  numClients: number;
  numUsers: number;
  numSubs: number;
  /** Seconds since the node started. */
  uptime: number;
}

export interface NodeRegistry {
  /** Adds or refreshes the node's entry; it expires `ttlMs` after this call unless refreshed. */
  heartbeat(info: NodeInfo, ttlMs: number): Promise<void>;
  /** Removes the node's entry at once (clean shutdown). */
  remove(nodeId: NodeId): Promise<void>;
  /** Nodes whose entry has not expired, ordered by nodeId. */
  list(): Promise<NodeInfo[]>;
  close(): Promise<void>;
}

/** Narrows a stored entry to NodeInfo; null when malformed. */
export function decodeNodeInfo(text: string): NodeInfo | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.nodeId !== 'string' || typeof v.name !== 'string' || typeof v.version !== 'string') return null;
  const counts = [v.numClients, v.numUsers, v.numSubs, v.uptime];
  if (!counts.every((n) => typeof n === 'number' && Number.isFinite(n))) return null;
  return {
    nodeId: v.nodeId,
    name: v.name,
    version: v.version,
    numClients: v.numClients as number,
    numUsers: v.numUsers as number,
    numSubs: v.numSubs as number,
    uptime: v.uptime as number,
  };
}

/** Rejects a ttl the registries cannot honour. */
export function checkNodeTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`node ttl must be > 0 ms, got ${ttlMs}`);
}
