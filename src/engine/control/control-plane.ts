/**
 * Ties one gateway node to the cluster: applies control commands from the bus to the node's local
 * sessions and heartbeats the node's counts into the registry until closed.
 */

import type { Logger } from 'pino';
import type { ChannelName, ClientId, UserId } from '../../protocol/index.js';
import { randomUUID } from 'node:crypto';
import type { ChannelsReplyCommand, ControlBus, ControlCommand, RefreshCommand, SubscribeCommand } from './control-bus.js';
import type { NodeId, NodeInfo, NodeRegistry } from './node-registry.js';

/** Counts one node reports about its own connections. */
export interface LocalNodeStats {
  numClients: number;
  /** Distinct users among the node's clients. */
  numUsers: number;
  /** Client subscriptions (one client in two channels counts two). */
  numSubs: number;
}

/** What the gateway exposes to the control plane: its local sessions. */
export interface LocalNode {
  /** Disconnects the user's local connections (only `client` when set); returns how many. */
  disconnectUser(user: UserId, code: number, reason: string, client?: ClientId): number;
  /** Unsubscribes the user's local connections from `channel` (only `client` when set); returns how many. */
  unsubscribeUser(user: UserId, channel: ChannelName, client?: ClientId): number;
  stats(): LocalNodeStats;
  /** Subscribes the user's local connections to the command's channel (server-side); returns how many. */
  subscribeUser(command: SubscribeCommand): number;
  /** Applies a server API refresh to the user's local connections; returns how many. */
  refreshUser(command: RefreshCommand): number;
  /** Hands a forwarded `/emulation` frame to the local session; false when it is not here. Omitted: ignored. */
  emulate?(session: string, data: Buffer): boolean;
  /** Subscribed connections per channel on this node. */
  channelCounts(): ReadonlyMap<ChannelName, number>;
}

/** A `channels` survey waiting for the nodes' replies. */
interface Survey {
  readonly counts: Map<ChannelName, number>;
  readonly replied: Set<string>;
  expected: number;
  done: () => void;
}

export interface ControlPlaneOptions {
  nodeId: NodeId;
  /** Omitted: the node id. */
  name?: string;
  /** Software version reported in `info`. */
  version: string;
  bus: ControlBus;
  registry: NodeRegistry;
  local: LocalNode;
  logger?: Logger;
  /** Time between heartbeats, ms; omitted: 5000. */
  heartbeatIntervalMs?: number;
  /** How long an entry outlives its last heartbeat, ms; omitted: 3 heartbeat intervals. */
  nodeTtlMs?: number;
}

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5000;

export class ControlPlane {
  private readonly options: ControlPlaneOptions;
  private readonly intervalMs: number;
  private readonly ttlMs: number;
  private startedAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private beating: Promise<void> | null = null;
  private running = false;
  private readonly surveys = new Map<string, Survey>();

  constructor(options: ControlPlaneOptions) {
    this.options = options;
    this.intervalMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    this.ttlMs = options.nodeTtlMs ?? 3 * this.intervalMs;
    if (!(this.intervalMs > 0) || !(this.ttlMs > this.intervalMs)) {
      throw new RangeError(`need heartbeat interval > 0 and node ttl > interval, got ${this.intervalMs} and ${this.ttlMs}`);
    }
  }

  /** Starts applying commands and heartbeating; a failing first heartbeat is logged, not thrown. */
  async start(): Promise<void> {
    if (this.running) throw new Error('ControlPlane already started');
    this.running = true;
    this.startedAt = Date.now();
    await this.options.bus.start((command) => this.apply(command));
    await this.beat();
  }

  /** Stops heartbeating, removes this node from the registry and stops the bus. */
  async close(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.beating;
    try {
      await this.options.registry.remove(this.options.nodeId);
    } catch (err) {
      this.options.logger?.warn({ err }, 'could not remove node from registry; it expires on its own');
    }
    await this.options.bus.close();
  }

  /** This node's current entry. */
  info(): NodeInfo {
    const stats = this.options.local.stats();
    return {
      nodeId: this.options.nodeId,
      name: this.options.name ?? this.options.nodeId,
      version: this.options.version,
      numClients: stats.numClients,
      numUsers: stats.numUsers,
      numSubs: stats.numSubs,
      uptime: Math.floor((Date.now() - this.startedAt) / 1000),
    };
  }

  /**
   * Subscribed connections per channel across the cluster: asks every node over the bus and sums
   * the replies of the nodes the registry lists, waiting at most `timeoutMs` (nodes that do not
   * answer in time are left out, as Centrifugo leaves out nodes that do not answer its survey).
   */
  async channels(timeoutMs = 2000): Promise<Map<ChannelName, number>> {
    const requestId = randomUUID();
    const survey: Survey = { counts: new Map(), replied: new Set(), expected: Number.POSITIVE_INFINITY, done: () => undefined };
    const finished = new Promise<void>((resolve) => {
      survey.done = resolve;
    });
    this.surveys.set(requestId, survey);
    const timer = setTimeout(() => survey.done(), timeoutMs);
    try {
      await this.options.bus.send({ type: 'channels-request', requestId, from: this.options.nodeId });
      const nodes = await this.options.registry.list().catch(() => []);
      survey.expected = Math.max(1, nodes.length);
      if (survey.replied.size >= survey.expected) survey.done();
      await finished;
      return survey.counts;
    } finally {
      clearTimeout(timer);
      this.surveys.delete(requestId);
    }
  }

  private collect(reply: ChannelsReplyCommand): void {
    const survey = this.surveys.get(reply.requestId);
    if (survey === undefined || survey.replied.has(reply.node)) return;
    survey.replied.add(reply.node);
    for (const [channel, n] of Object.entries(reply.channels)) survey.counts.set(channel, (survey.counts.get(channel) ?? 0) + n);
    if (survey.replied.size >= survey.expected) survey.done();
  }

  private apply(command: ControlCommand): void {
    const local = this.options.local;
    if (command.type === 'channels-request') {
      const channels = Object.fromEntries(local.channelCounts());
      this.options.bus
        .send({ type: 'channels-reply', requestId: command.requestId, to: command.from, node: this.options.nodeId, channels })
        .catch((err: unknown) => this.options.logger?.warn({ err }, 'channels reply failed'));
      return;
    }
    if (command.type === 'channels-reply') {
      if (command.to === this.options.nodeId) this.collect(command);
      return;
    }
    let affected: number;
    if (command.type === 'emulation') {
      if (command.node !== this.options.nodeId) return;
      affected = local.emulate?.(command.session, Buffer.from(command.data, 'base64')) === true ? 1 : 0;
    } else if (command.type === 'disconnect') {
      affected = local.disconnectUser(command.user, command.code, command.reason, ...optional(command.client));
    } else if (command.type === 'unsubscribe') {
      affected = local.unsubscribeUser(command.user, command.channel, ...optional(command.client));
    } else if (command.type === 'subscribe') {
      affected = local.subscribeUser(command);
    } else {
      affected = local.refreshUser(command);
    }
    if (affected > 0) this.options.logger?.debug({ command: command.type, affected }, 'control command applied');
  }

  private beat(): Promise<void> {
    const run = async (): Promise<void> => {
      try {
        await this.options.registry.heartbeat(this.info(), this.ttlMs);
      } catch (err) {
        this.options.logger?.warn({ err }, 'node heartbeat failed; retrying at the next interval');
      }
    };
    const beating = run().finally(() => {
      this.beating = null;
      if (!this.running) return;
      this.timer = setTimeout(() => void this.beat(), this.intervalMs);
      this.timer.unref();
    });
    this.beating = beating;
    return beating;
  }
}

/** `[client]` when set, else `[]`, so the optional parameter stays absent rather than undefined. */
function optional(client: ClientId | undefined): [] | [ClientId] {
  return client === undefined ? [] : [client];
}
