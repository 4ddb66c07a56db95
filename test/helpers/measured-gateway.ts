/**
 * Spawns the real gateway process (bin/gateway.ts) under --expose-gc with an IPC channel, so a
 * memory test can ask for its collected heap while driving it from outside.
 */

import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { WEBSOCKET_PATH } from '../../src/gateway/index.js';
import { freePort } from './redis-server.js';

export interface HeapReport {
  heapUsed: number;
  rss: number;
}

export interface MeasuredGateway {
  wsUrl: string;
  /** `http://127.0.0.1:<port>` of the metrics port (`/metrics`). */
  metricsUrl: string;
  /** The gateway's heap after full collections, and its RSS. */
  heap(): Promise<HeapReport>;
  /** Sends an IPC request the child understands ('heap', 'snapshot:<path>') and resolves with its answer. */
  request(msg: string): Promise<HeapReport>;
  lines: string[];
  stop(): Promise<void>;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts the gateway with `env` (ports chosen here); `openFiles` raises its descriptor limit through prlimit (needs the privilege). */
export async function spawnMeasuredGateway(env: Record<string, string>, options: { openFiles?: number } = {}): Promise<MeasuredGateway> {
  const [ws, http, metrics] = [await freePort(), await freePort(), await freePort()];
  const node = [process.execPath, '--expose-gc', '--import', 'tsx', 'test/helpers/measured-gateway-child.ts'];
  const argv = options.openFiles === undefined ? node : ['prlimit', `--nofile=${options.openFiles}:${options.openFiles}`, '--', ...node];
  const proc = spawn(argv[0]!, argv.slice(1), {
    cwd: new URL('../../', import.meta.url).pathname,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      WEBSOCKET_PORT: String(ws),
      HTTP_PORT: String(http),
      METRICS_PORT: String(metrics),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const lines: string[] = [];
  const onData = (chunk: Buffer): void => {
    lines.push(
      ...chunk
        .toString('utf8')
        .split('\n')
        .filter((l) => l !== ''),
    );
  };
  proc.stdout?.on('data', onData);
  proc.stderr?.on('data', onData);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  // The WebSocket port opens last, once everything else runs (log lines may be filtered out by LOG_LEVEL).
  while (!(await accepts(ws))) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`measured gateway did not start:\n${lines.slice(-10).join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const request = (msg: string): Promise<HeapReport> =>
    new Promise((resolve) => {
      proc.once('message', (m) => resolve(m as HeapReport));
      proc.send(msg);
    });
  return {
    wsUrl: `ws://127.0.0.1:${ws}${WEBSOCKET_PATH}`,
    metricsUrl: `http://127.0.0.1:${metrics}`,
    lines,
    heap: () => request('heap'),
    request,
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}
