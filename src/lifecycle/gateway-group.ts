/**
 * A gateway group's primary (GATEWAY_PROCESSES > 1): forks the gateway processes, which share the
 * WebSocket and HTTP ports through node:cluster, serves their aggregated metrics (of the processes
 * that serve; one still starting is left out rather than holding the scrape up) and the group's
 * readiness on METRICS_PORT, restarts a process that exits unexpectedly (and ends the group when
 * they keep crashing or one fails to start), and drains every process on close.
 */

import cluster, { type Worker as ClusterProcess } from 'node:cluster';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { AggregatorRegistry, Registry } from 'prom-client';
import type { Logger } from '../log/index.js';
import { createMetricsServer, listenMetricsServer, GatewayGroupMetrics } from '../metrics/index.js';
import { isMemberMessage, type MemberReadiness, type PrimaryMessage } from './group-messages.js';

/** More unexpected exits than this within RESTART_WINDOW_MS end the group. */
export const MAX_RESTARTS = 5;
export const RESTART_WINDOW_MS = 60_000;
const RESTART_DELAY_MS = 1000;
/** How long the primary waits for a process's answer (readiness, metrics). */
const READINESS_TIMEOUT_MS = 2000;

export interface GatewayGroupOptions {
  processes: number;
  host: string;
  metricsPort: number;
  /** The primary's node id; process i runs as `<nodeId>-p<i>` (`.<n>` after its n-th restart). */
  nodeId: string;
  logger: Logger;
}

interface Member {
  index: number;
  generation: number;
  process: ClusterProcess;
  started: boolean;
}

/** The group's `/ready`: ready when every process is up and answers ready. */
export interface GroupReadiness {
  ready: boolean;
  checks: { processes: { up: number; of: number; ready: number }; shuttingDown: boolean };
  members: { index: number; pid: number | undefined; report: MemberReadiness }[];
}

export class GatewayGroup {
  private readonly members = new Map<number, Member>();
  private readonly registry = new Registry();
  private readonly metrics = new GatewayGroupMetrics(this.registry);
  private readonly server: Server;
  private readonly crashes: number[] = [];
  /** Questions to the serving processes awaiting their answers, by request id. */
  private readonly pending = new Map<number, { want: number; got: Map<number, unknown>; done: () => void }>();
  private nextRequest = 0;
  private stopping = false;
  private endGroup: (code: number) => void = () => undefined;
  /** Resolves with the exit code when the group ends by itself (a process failed to start or kept crashing). */
  readonly ended: Promise<number>;

  constructor(private readonly options: GatewayGroupOptions) {
    this.ended = new Promise((resolve) => (this.endGroup = resolve));
    this.metrics.processes.set(options.processes);
    const source = { contentType: this.registry.contentType, metrics: () => this.metricsText() };
    this.server = createMetricsServer({ source, logger: options.logger, probe: (req, res) => this.probe(req, res) });
  }

  /** Opens METRICS_PORT and forks the processes; resolves with the metrics port. */
  async start(): Promise<number> {
    const port = await listenMetricsServer(this.server, this.options.host, this.options.metricsPort);
    cluster.on('message', (proc, message: unknown) => this.onMessage(proc, message));
    cluster.on('exit', (proc, code, signal) => this.onExit(proc, code, signal));
    for (let i = 1; i <= this.options.processes; i++) this.fork(i, 0);
    return port;
  }

  /** SIGTERM to every process (each drains its clients and in-flight publishes), then closes the metrics port; resolves with the exit code. */
  async close(): Promise<number> {
    this.stopping = true;
    const exits = [...this.members.values()].map((m) => this.exitOf(m.process));
    for (const m of this.members.values()) m.process.kill('SIGTERM');
    const codes = await Promise.all(exits);
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
    const failed = codes.filter((c) => c !== 0).length;
    this.options.logger.info(
      { processes: codes.length, failed },
      failed === 0 ? 'gateway group stopped' : 'gateway group stopped; some processes did not stop cleanly',
    );
    return failed === 0 ? 0 : 1;
  }

  private fork(index: number, generation: number): void {
    const nodeId = `${this.options.nodeId}-p${index}${generation === 0 ? '' : `.${generation}`}`;
    const proc = cluster.fork({ NODE_ID: nodeId });
    this.members.set(proc.id, { index, generation, process: proc, started: false });
  }

  private exitOf(proc: ClusterProcess): Promise<number> {
    if (proc.isDead()) return Promise.resolve(proc.process.exitCode ?? 1);
    return new Promise((resolve) => proc.once('exit', (code: number | null) => resolve(code ?? 1)));
  }

  private onMessage(proc: ClusterProcess, message: unknown): void {
    if (!isMemberMessage(message)) return;
    const member = this.members.get(proc.id);
    if (member === undefined) return;
    if (message.rm === 'started') {
      member.started = true;
      this.options.logger.info({ process: member.index, pid: proc.process.pid }, 'gateway process serving');
      this.broadcastGroup();
      return;
    }
    const request = this.pending.get(message.id);
    if (request === undefined) return;
    request.got.set(proc.id, message.rm === 'readiness' ? message.report : message.metrics);
    if (request.got.size >= request.want) request.done();
  }

  private onExit(proc: ClusterProcess, code: number | null, signal: string | null): void {
    const member = this.members.get(proc.id);
    if (member === undefined) return;
    this.members.delete(proc.id);
    this.broadcastGroup();
    if (this.stopping) return;
    const { logger } = this.options;
    const how = { process: member.index, pid: proc.process.pid, code, signal };
    if (!member.started) {
      logger.fatal(how, 'a gateway process exited before it served (see its error above); stopping the group');
      this.endGroup(1);
      return;
    }
    const now = Date.now();
    this.crashes.push(now);
    while (this.crashes.length > 0 && (this.crashes[0] ?? now) < now - RESTART_WINDOW_MS) this.crashes.shift();
    if (this.crashes.length > MAX_RESTARTS) {
      logger.fatal(
        { ...how, crashes: this.crashes.length, windowMs: RESTART_WINDOW_MS },
        `gateway processes exited unexpectedly more than ${MAX_RESTARTS} times within ${RESTART_WINDOW_MS / 1000} s; stopping the group`,
      );
      this.endGroup(1);
      return;
    }
    logger.error(
      how,
      `gateway process exited unexpectedly; restarting it in ${RESTART_DELAY_MS} ms (its clients reconnect to the other processes)`,
    );
    this.metrics.restartsTotal.inc();
    setTimeout(() => {
      if (!this.stopping) this.fork(member.index, member.generation + 1);
    }, RESTART_DELAY_MS).unref();
  }

  private upCount(): number {
    let up = 0;
    for (const m of this.members.values()) if (m.started && m.process.isConnected()) up++;
    return up;
  }

  private broadcastGroup(): void {
    const up = this.upCount();
    this.metrics.processesUp.set(up);
    const message: PrimaryMessage = { rm: 'group', up, of: this.options.processes };
    for (const m of this.members.values()) if (m.process.isConnected()) m.process.send(message);
  }

  /**
   * Asks every serving process (started, connected) one question; resolves with the answers by
   * cluster id once all answered or after READINESS_TIMEOUT_MS (a silent process has no entry).
   */
  private async ask(question: (id: number) => PrimaryMessage): Promise<{ asked: Member[]; got: Map<number, unknown> }> {
    const asked = [...this.members.values()].filter((m) => m.started && m.process.isConnected());
    const id = this.nextRequest++;
    const got = new Map<number, unknown>();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, READINESS_TIMEOUT_MS);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.pending.set(id, { want: asked.length, got, done });
      if (asked.length === 0) done();
      const message = question(id);
      for (const m of asked) m.process.send(message);
    });
    this.pending.delete(id);
    return { asked, got };
  }

  /** The serving processes' metrics aggregated (prom-client's aggregators), then the group's own. */
  private async metricsText(): Promise<string> {
    const { got } = await this.ask((id) => ({ rm: 'metrics?', id }));
    const lists = [...got.values()].filter((m): m is object[] => Array.isArray(m));
    const processes = lists.length === 0 ? '' : await AggregatorRegistry.aggregate(lists).metrics();
    return `${processes}\n${await this.registry.metrics()}`;
  }

  /** Asks every serving process for its readiness; a process that does not answer in time counts as not ready. */
  async readiness(): Promise<GroupReadiness> {
    const { asked, got } = await this.ask((id) => ({ rm: 'readiness?', id }));
    const members = asked.map((m) => ({
      index: m.index,
      pid: m.process.process.pid,
      report: (got.get(m.process.id) as MemberReadiness | undefined) ?? { ready: false },
    }));
    const readyCount = members.filter((m) => m.report.ready).length;
    const ready = !this.stopping && readyCount === this.options.processes;
    return {
      ready,
      checks: { processes: { up: asked.length, of: this.options.processes, ready: readyCount }, shuttingDown: this.stopping },
      members,
    };
  }

  private probe(req: IncomingMessage, res: ServerResponse): boolean {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || (path !== '/health' && path !== '/ready')) return false;
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (path === '/health') {
      send(this.stopping ? 503 : 200, { status: this.stopping ? 'shutting down' : 'ok' });
      return true;
    }
    this.readiness().then(
      (report) => send(report.ready ? 200 : 503, report),
      (err: unknown) => {
        this.options.logger.error({ err }, 'group readiness check failed');
        send(503, { ready: false, error: 'readiness check failed' });
      },
    );
    return true;
  }
}
