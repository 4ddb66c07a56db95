/**
 * Runs one connection's commands: checks each command against the connection's state (connect
 * first, once), calls its handler, applies what the handler changed, replies, and turns handler
 * errors into error replies or disconnects. Publishes take a shorter path that replies once the
 * message is appended.
 */

import { performance } from 'node:perf_hooks';
import {
  DisconnectError,
  Disconnects,
  Errors,
  ReplyError,
  type Command,
  type ConnectRequest,
  type DisconnectCode,
} from '../protocol/index.js';
import { LogThrottle } from '../log/index.js';
import {
  handleHistory,
  handlePresence,
  handlePresenceStats,
  handlePublish,
  handleRpc,
  handleSend,
  needsPublishProxy,
  startPublish,
} from './channel-handlers.js';
import { methodOf, type CommandRunner, type Method } from './command-inbox.js';
import { publishMetrics, type PublishMetrics } from './command-metrics.js';
import { authenticateConnect, completeConnect, handleRefresh } from './connect-handler.js';
import type { Connection, ConnectionChanges, HandlerOutcome } from './connection.js';
import { handleSubRefresh, handleSubscribe, handleUnsubscribe } from './subscribe-handler.js';
import { uniConnectDisconnect } from './uni-connect.js';

/** Where a connection is in its lifecycle. */
export type SessionState = 'new' | 'connected' | 'failed' | 'closed';

/** What the dispatcher needs of its connection beyond what handlers see. */
export interface DispatchedConnection extends Connection {
  readonly state: SessionState;
  /** Applies a handler's changes. */
  apply(changes: ConnectionChanges): void;
  /** The connect was refused with an error reply: every later command closes the connection. */
  connectFailed(): void;
  /** The connect reply was queued: pings and the expiry timer start. */
  connectReplied(): void;
  /** A pong arrived; false when the connection was closed for it. */
  pong(): boolean;
}

/** One "command failed" line per second per process: an outage fails every client's commands at once. */
const commandFailureLog = new LogThrottle(1000);

/** Calls the handler of every command but connect and send. */
async function runHandler(conn: Connection, method: Exclude<Method, 'connect' | 'send'>, cmd: Command): Promise<HandlerOutcome> {
  switch (method) {
    case 'subscribe':
      return handleSubscribe(conn, cmd.subscribe ?? {});
    case 'unsubscribe':
      return { reply: { unsubscribe: await handleUnsubscribe(conn, cmd.unsubscribe ?? {}) } };
    case 'publish':
      return { reply: { publish: await handlePublish(conn, cmd.publish ?? {}) } };
    case 'presence':
      return { reply: { presence: await handlePresence(conn, cmd.presence ?? {}) } };
    case 'presence_stats':
      return { reply: { presence_stats: await handlePresenceStats(conn, cmd.presence_stats ?? {}) } };
    case 'history':
      return { reply: { history: await handleHistory(conn, cmd.history ?? {}) } };
    case 'rpc':
      return { reply: { rpc: await handleRpc(conn, cmd.rpc ?? {}) } };
    case 'refresh':
      return handleRefresh(conn, cmd.refresh ?? {});
    case 'sub_refresh':
      return { reply: { sub_refresh: await handleSubRefresh(conn, cmd.sub_refresh ?? {}) } };
    case 'ping':
      throw new ReplyError(Errors.notAvailable);
  }
}

export class CommandDispatcher implements CommandRunner {
  constructor(private readonly conn: DispatchedConnection) {}

  isClosed(): boolean {
    return this.conn.state === 'closed';
  }

  pong(): boolean {
    return this.conn.pong();
  }

  close(code: DisconnectCode): void {
    this.conn.close(code);
  }

  canPipeline(cmd: Command): boolean {
    return (
      cmd.publish !== undefined &&
      this.conn.state === 'connected' &&
      methodOf(cmd) === 'publish' &&
      !needsPublishProxy(this.conn, cmd.publish)
    );
  }

  /**
   * The publish path without the generic dispatch's async layers: checks and hands the message to
   * the pipeline now, replies when it is appended; `settled` runs once either way.
   */
  startPublish(cmd: Command, settled: () => void): void {
    const conn = this.conn;
    const id = cmd.id ?? 0;
    if (id === 0) {
      conn.close(Disconnects.badRequest);
      settled();
      return;
    }
    const m = publishMetrics(conn.ctx.metrics);
    m.received.inc();
    const started = performance.now();
    let appended: Promise<void>;
    try {
      appended = startPublish(conn, cmd.publish ?? {});
    } catch (err) {
      publishDone(m, started, this.handleError('publish', id, err));
      settled();
      return;
    }
    appended.then(
      () => {
        if (conn.state !== 'closed') conn.sendReply({ id, publish: {} });
        publishDone(m, started, 'ok');
        settled();
      },
      (err: unknown) => {
        publishDone(m, started, this.handleError('publish', id, err));
        settled();
      },
    );
  }

  async run(cmd: Command): Promise<void> {
    const conn = this.conn;
    const method = methodOf(cmd);
    const id = cmd.id ?? 0;
    const misuse =
      method === undefined ||
      conn.state === 'failed' ||
      (conn.state === 'new' && method !== 'connect') ||
      (conn.state === 'connected' && method === 'connect') ||
      (id === 0 && method !== 'send');
    if (misuse) {
      conn.close(Disconnects.badRequest);
      return;
    }
    const metrics = conn.ctx.metrics;
    metrics.messagesInTotal.inc({ kind: method });
    const started = performance.now();
    let result = 'ok';
    try {
      if (method === 'send') {
        await handleSend(conn, cmd.send ?? {});
        return;
      }
      const outcome = method === 'connect' ? await this.connect(cmd.connect ?? {}) : await runHandler(conn, method, cmd);
      if (conn.state === 'closed') return;
      if (outcome.changes !== undefined) conn.apply(outcome.changes);
      // Unidirectional clients get the connect result as their first push, not as a reply.
      if (method === 'connect' && conn.transport.unidirectional)
        conn.sendReply({ push: { connect: outcome.reply.connect ?? { client: conn.id } } });
      else conn.sendReply({ ...outcome.reply, id });
      if (method === 'connect') conn.connectReplied();
      outcome.afterReply?.();
    } catch (err) {
      result = this.handleError(method, id, err);
    } finally {
      metrics.commandsTotal.inc({ method, result });
      metrics.commandDuration.observe({ method }, (performance.now() - started) / 1000);
    }
  }

  /** The connect command in its two steps: who the client is (applied at once: server-side subscriptions need it), then the rest. */
  private async connect(req: ConnectRequest): Promise<HandlerOutcome> {
    const authenticated = await authenticateConnect(this.conn, req);
    this.conn.apply(authenticated.changes);
    return completeConnect(this.conn, req, authenticated);
  }

  /** Answers a failed command; returns the metric result ('error' or 'disconnect'). */
  private handleError(method: Method, id: number, err: unknown): string {
    const conn = this.conn;
    if (conn.state === 'closed') return 'disconnect';
    if (err instanceof DisconnectError) {
      conn.close(err);
      return 'disconnect';
    }
    const uniConnect = method === 'connect' && conn.transport.unidirectional;
    if (!(err instanceof ReplyError)) {
      const held = commandFailureLog.pass();
      if (held !== null) conn.ctx.logger.error({ err, method, client: conn.id, similarLinesHeld: held }, 'command failed');
    }
    if (uniConnect) {
      conn.close(err instanceof ReplyError ? uniConnectDisconnect(err) : Disconnects.internal);
      return 'disconnect';
    }
    if (method === 'connect') conn.connectFailed();
    conn.sendReply({ id, error: (err instanceof ReplyError ? err : new ReplyError(Errors.internal)).toProtocol() });
    return 'error';
  }
}

function publishDone(m: PublishMetrics, started: number, result: string): void {
  (result === 'ok' ? m.ok : result === 'error' ? m.error : m.disconnect).inc();
  m.duration.observe((performance.now() - started) / 1000);
}
