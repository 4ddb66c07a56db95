/**
 * Starts a real Gateway in-process on free ports (port 0) for a test file: memory broker,
 * presence and DirectPipeline unless other parts are injected; or spawns the real gateway and
 * worker processes (`bin/gateway.ts`, `examples/*.ts`) with captured JSON log lines.
 */

import { spawn, type ChildProcess } from 'node:child_process';

import { Centrifuge, type Options } from 'centrifuge';
import { Centrifuge as ProtobufCentrifuge } from 'centrifuge/build/protobuf';
import { Registry } from 'prom-client';
import WebSocket from 'ws';
import type { Logger } from 'pino';
import { loadConfig, type Config } from '../../src/config/index.js';
import { ChannelPublisher, MemoryBroker, MemoryPresenceManager, type Broker, type PresenceManager } from '../../src/engine/index.js';
import { Gateway, WEBSOCKET_PATH, type HttpRouteHandler } from '../../src/gateway/index.js';
import { DirectPipeline } from './direct-pipeline.js';
import { createLogger } from '../../src/log/index.js';
import { GatewayMetrics } from '../../src/metrics/index.js';
import type { MessagePipeline } from '../../src/queue/index.js';
import { freePort } from './redis-server.js';
import { eventually } from './eventually.js';

export interface TestGatewayParts {
  /** Omitted: a fresh MemoryBroker. */
  broker?: Broker;
  /** Omitted: a fresh MemoryPresenceManager. */
  presence?: PresenceManager;
  /** A pipeline, or a factory given the broker and config; omitted: DirectPipeline over the broker. */
  pipeline?: MessagePipeline | ((parts: { broker: Broker; config: Config; publisher: ChannelPublisher }) => MessagePipeline);
  /** Omitted: a logger at the config's LOG_LEVEL (default here: silent). */
  logger?: Logger;
  httpRoutes?: readonly HttpRouteHandler[];
  /** Grace after connection/subscription expiry; omitted: 25 s. */
  expiredCloseDelayMs?: number;
  /** A CONFIG_FILE document (Centrifugo v6 option names), given to loadConfig without a file on disk. */
  configFile?: Record<string, unknown>;
}

export interface TestGateway {
  /** `ws://127.0.0.1:<port>/connection/websocket` */
  wsUrl: string;
  /** `http://127.0.0.1:<port>` of the HTTP port. */
  httpUrl: string;
  /** `http://127.0.0.1:<port>` of the metrics port. */
  metricsUrl: string;
  gateway: Gateway;
  config: Config;
  broker: Broker;
  presence: PresenceManager;
  pipeline: MessagePipeline;
  publisher: ChannelPublisher;
  registry: Registry;
  close(): Promise<void>;
}

/** Starts a gateway with `env` over test defaults (ports 0, host 127.0.0.1, LOG_LEVEL silent). */
export async function startTestGateway(env: Record<string, string> = {}, parts: TestGatewayParts = {}): Promise<TestGateway> {
  const file = parts.configFile;
  const config = loadConfig(
    {
      HOST: '127.0.0.1',
      WEBSOCKET_PORT: '0',
      HTTP_PORT: '0',
      METRICS_PORT: '0',
      LOG_LEVEL: 'silent',
      ...(file !== undefined ? { CONFIG_FILE: 'test-config.json' } : {}),
      ...env,
    },
    file !== undefined ? { readFile: () => JSON.stringify(file) } : {},
  );
  const logger = parts.logger ?? createLogger({ level: config.logLevel, name: 'gateway-test' });
  const registry = new Registry();
  const broker = parts.broker ?? new MemoryBroker({ logger });
  const presence = parts.presence ?? new MemoryPresenceManager();
  const publisher = new ChannelPublisher(broker, config.channel);
  const pipeline =
    typeof parts.pipeline === 'function'
      ? parts.pipeline({ broker, config, publisher })
      : (parts.pipeline ?? new DirectPipeline(publisher));
  const gateway = new Gateway({
    config,
    logger,
    registry,
    metrics: new GatewayMetrics(registry),
    broker,
    presence,
    pipeline,
    ...(parts.httpRoutes !== undefined ? { httpRoutes: parts.httpRoutes } : {}),
    ...(parts.expiredCloseDelayMs !== undefined ? { expiredCloseDelayMs: parts.expiredCloseDelayMs } : {}),
  });
  await gateway.start();
  const { websocket, http, metrics } = gateway.ports;
  return {
    wsUrl: `ws://127.0.0.1:${websocket}${WEBSOCKET_PATH}`,
    httpUrl: `http://127.0.0.1:${http}`,
    metricsUrl: `http://127.0.0.1:${metrics}`,
    gateway,
    config,
    broker,
    presence,
    pipeline,
    publisher,
    registry,
    close: () => gateway.close(),
  };
}

/** Wire encodings of the real `centrifuge` client. */
export const CLIENT_PROTOCOLS = ['json', 'protobuf'] as const;
export type ClientProtocol = (typeof CLIENT_PROTOCOLS)[number];

/**
 * A real `centrifuge` client (JSON build or protobuf build) using `ws`, with short reconnect
 * delays for tests. Both builds have the same API; the protobuf one is typed as the JSON class.
 */
export function newClient(url: string, protocol: ClientProtocol, options: Partial<Options> = {}): Centrifuge {
  const opts: Partial<Options> = { websocket: WebSocket, minReconnectDelay: 50, maxReconnectDelay: 300, timeout: 4000, ...options };
  return protocol === 'json' ? new Centrifuge(url, opts) : (new ProtobufCentrifuge(url, opts) as unknown as Centrifuge);
}

interface Emitter {
  once(event: string, listener: (ctx: never) => void): unknown;
}

/** Resolves with the next `event` of a client or subscription; rejects after `timeoutMs`. */
export function nextEvent<T>(emitter: Emitter, event: string, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${event}`)), timeoutMs);
    emitter.once(event, (ctx: never) => {
      clearTimeout(timer);
      resolve(ctx);
    });
  });
}

/** Polls `check` until it returns true; rejects after `timeoutMs`. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  await eventually(check, { timeoutMs, what });
}

/** Payload as the given client build sends it: objects for JSON, UTF-8 JSON bytes for protobuf. */
export function payload(protocol: ClientProtocol, value: unknown): unknown {
  return protocol === 'json' ? value : new TextEncoder().encode(JSON.stringify(value));
}

/** A received payload as a value: protobuf clients deliver bytes of JSON text. */
export function fromPayload(data: unknown): unknown {
  return data instanceof Uint8Array ? JSON.parse(new TextDecoder().decode(data)) : data;
}

/** A bare WebSocket speaking the wire protocol by hand, for protocol-misuse tests. */
export interface RawConnection {
  ws: WebSocket;
  /** Every frame received so far. */
  frames: Buffer[];
  opened: Promise<void>;
  /** Close code and reason the server sent. */
  closed: Promise<{ code: number; reason: string }>;
  /** Sends one frame (a string as a text frame, bytes as a binary frame). */
  send(frame: string | Uint8Array): void;
  /** Resolves with the next frame received after this call (or an already queued unread one). */
  nextFrame(timeoutMs?: number): Promise<Buffer>;
}

/** Opens a raw connection; `protobuf` offers the `centrifuge-protobuf` subprotocol. */
export function rawConnect(url: string, options: { protobuf?: boolean } = {}): RawConnection {
  const ws = options.protobuf === true ? new WebSocket(url, 'centrifuge-protobuf') : new WebSocket(url);
  const frames: Buffer[] = [];
  let read = 0;
  const waiters: ((b: Buffer) => void)[] = [];
  ws.on('message', (data: Buffer) => {
    frames.push(data);
    const w = waiters.shift();
    if (w !== undefined) {
      read++;
      w(data);
    }
  });
  ws.on('error', () => undefined);
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString('utf8') }));
  });
  return {
    ws,
    frames,
    opened,
    closed,
    send: (frame) => ws.send(frame, { binary: typeof frame !== 'string' }),
    nextFrame: (timeoutMs = 4000) => {
      const queued = frames[read];
      if (queued !== undefined) {
        read++;
        return Promise.resolve(queued);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('timed out waiting for a frame')), timeoutMs);
        waiters.push((b) => {
          clearTimeout(timer);
          resolve(b);
        });
      });
    },
  };
}

/** Protobuf `Command{id, connect{}}`, varint-delimited (ids below 128). */
export function protobufConnect(id: number): Uint8Array {
  return Uint8Array.from([4, 0x08, id, 0x22, 0x00]);
}

/** A child process running a TypeScript entry point under tsx, with its stdout/stderr lines kept. */
export interface TsProcess {
  proc: ChildProcess;
  /** Every output line so far (pino JSON lines and anything else). */
  lines: string[];
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Resolves with the first line (already seen or future) that matches; rejects after `timeoutMs`. */
  waitForLine(match: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends `signal` (default SIGTERM) if still running and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Spawns `node --import tsx <script>` in the repository root with `env` over the test's environment. */
export function spawnTs(script: string, env: Record<string, string>): TsProcess {
  return spawnProcess(process.execPath, ['--import', 'tsx', script], env, new URL('../../', import.meta.url).pathname);
}

/** Spawns any command in `cwd` with `env` over the test's environment, its output lines kept. */
export function spawnProcess(command: string, args: readonly string[], env: Record<string, string>, cwd: string): TsProcess {
  const proc = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: { match: RegExp; resolve: (line: string) => void }[] = [];
  const onData = (buffered: { rest: string }) => (chunk: Buffer) => {
    const text = buffered.rest + chunk.toString('utf8');
    const parts = text.split('\n');
    buffered.rest = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (let i = waiters.length - 1; i >= 0; i--) {
        const w = waiters[i]!;
        if (w.match.test(line)) {
          waiters.splice(i, 1);
          w.resolve(line);
        }
      }
    }
  };
  proc.stdout.on('data', onData({ rest: '' }));
  proc.stderr.on('data', onData({ rest: '' }));
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => {
      exitCode = code;
      resolve(code);
    }),
  );
  return {
    proc,
    lines,
    exited,
    waitForLine: (match, timeoutMs = 15_000) => {
      const seen = lines.find((l) => match.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for a line matching ${match}; last lines:\n${lines.slice(-10).join('\n')}`)),
          timeoutMs,
        );
        waiters.push({
          match,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
      });
    },
    stop: (signal = 'SIGTERM') => {
      if (exitCode === undefined) proc.kill(signal);
      return exited;
    },
  };
}

/** A spawned `bin/gateway.ts` on free ports. */
export interface GatewayProcess extends TsProcess {
  wsUrl: string;
  httpUrl: string;
  metricsUrl: string;
}

/**
 * Spawns the gateway process on free ports (HOST 127.0.0.1, LOG_LEVEL info unless `env` says
 * otherwise); resolves once it logs that it is listening, or at once with `wait: false`.
 */
export async function spawnGateway(env: Record<string, string> = {}, options: { wait?: boolean } = {}): Promise<GatewayProcess> {
  const [ws, http, metrics] = [await freePort(), await freePort(), await freePort()];
  const child = spawnTs('bin/gateway.ts', {
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    WEBSOCKET_PORT: String(ws),
    HTTP_PORT: String(http),
    METRICS_PORT: String(metrics),
    ...env,
  });
  const gw: GatewayProcess = {
    ...child,
    wsUrl: `ws://127.0.0.1:${ws}${WEBSOCKET_PATH}`,
    httpUrl: `http://127.0.0.1:${http}`,
    metricsUrl: `http://127.0.0.1:${metrics}`,
  };
  if (options.wait !== false) {
    await Promise.race([
      gw.waitForLine(/gateway listening/, 30_000),
      gw.exited.then((code) => {
        throw new Error(`gateway exited with ${code}:\n${gw.lines.join('\n')}`);
      }),
    ]);
  }
  return gw;
}

/** `GET <url>` status and parsed JSON body (null when the body is not JSON or nothing answers). */
export async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  try {
    const res = await fetch(url);
    const text = await res.text();
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    return { status: res.status, body };
  } catch {
    return { status: 0, body: null };
  }
}
