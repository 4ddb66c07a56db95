/**
 * Forwards `/emulation` requests for sessions held by another gateway over the control bus, to
 * nodes the node registry lists only: a request naming a node that does not exist costs no
 * publish to every gateway. The registry's list is cached briefly, so a flood of such requests
 * costs no registry read each either.
 */

import type { ControlCommand, NodeRegistry } from '../engine/index.js';
import type { EmulationRequest } from '../protocol/index.js';

/** How long the list of live nodes is reused; an unknown id re-reads it once it is older than the second figure (a node just started). */
const nodeListTtlMs = 2000;
const unknownNodeRecheckMs = 250;

export interface EmulationForwarderOptions {
  bus: { send(command: ControlCommand): Promise<void> };
  /** Omitted: every node id is forwarded to. */
  nodes?: Pick<NodeRegistry, 'list'>;
}

export class EmulationForwarder {
  private known: Set<string> | null = null;
  private knownAt = 0;
  private loading: Promise<Set<string>> | null = null;

  constructor(private readonly options: EmulationForwarderOptions) {}

  /** Sends the request towards its node; false when no live node has that id. */
  async forward(req: EmulationRequest): Promise<boolean> {
    if (this.options.nodes !== undefined && !(await this.isLive(req.node))) return false;
    await this.options.bus.send({ type: 'emulation', node: req.node, session: req.session, data: req.data.toString('base64') });
    return true;
  }

  private async isLive(node: string): Promise<boolean> {
    if ((await this.liveNodes(nodeListTtlMs)).has(node)) return true;
    return (await this.liveNodes(unknownNodeRecheckMs)).has(node);
  }

  private async liveNodes(maxAgeMs: number): Promise<Set<string>> {
    if (this.known !== null && Date.now() - this.knownAt < maxAgeMs) return this.known;
    this.loading ??= (async () => {
      try {
        const list = await this.options.nodes!.list();
        this.known = new Set(list.map((n) => n.nodeId));
        this.knownAt = Date.now();
        return this.known;
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }
}
