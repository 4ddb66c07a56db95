/**
 * The set of workers channels are routed over, with heartbeats, plus the deregistered workers
 * whose streams still have to be drained. Twins: memory (one process) and Redis.
 */

import type { WorkerId } from '../redis/index.js';

export interface WorkerBeat {
  id: WorkerId;
  /** Members: last heartbeat; orphans: deregistration time. Unix ms. */
  atMs: number;
}

export interface WorkerRegistry {
  start(): Promise<void>;
  close(): Promise<void>;
  /** Joins the routing set (or returns to it) with a fresh heartbeat; the id stops being an orphan. Announced. */
  register(id: WorkerId): Promise<void>;
  /** Refreshes the heartbeat of a member; no effect on an id that is not a member. */
  heartbeat(id: WorkerId): Promise<void>;
  /**
   * Leaves the routing set (graceful shutdown, operator retirement, retirement timeout) and
   * becomes an orphan whose stream live workers drain. Announced.
   */
  deregister(id: WorkerId): Promise<void>;
  /** The routing set with last heartbeats: dead workers stay members until deregistered. */
  members(): Promise<WorkerBeat[]>;
  /** Deregistered workers whose streams may still hold entries. */
  orphans(): Promise<WorkerBeat[]>;
  /** Forgets an orphan once its stream is drained (only if it is still an orphan). */
  forgetOrphan(id: WorkerId): Promise<void>;
  /** Called (maybe more than once) after any process changed the routing set. Returns an unsubscribe. */
  onChange(listener: () => void): () => void;
}
