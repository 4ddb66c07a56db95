/**
 * Connect-rate measurement: opens `tokens.length` WebSocket connections to a gateway, `concurrency`
 * at a time, each sending one JSON `connect` with its token, and records the time from opening the
 * socket to the connect reply (upgrade, token verification, ConnectResult). Each connection closes
 * right after its reply, so the figure is the gateway's authentication throughput, not its capacity.
 */

import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { LatencyHistogram, type LatencySummary } from './latency-histogram.js';

export interface ConnectRateResult {
  /** What the tokens were signed with (for the report). */
  label: string;
  attempted: number;
  connected: number;
  /** Connect errors, closes and timeouts, by kind (`error 109`, `close 3500`, `timeout`, …). */
  failures: Record<string, number>;
  durationS: number;
  connectsPerSecond: number;
  latency: LatencySummary;
}

/** One connect: resolves with the failure kind, or null when the connect reply came. */
function connectOnce(url: string, token: string, timeoutMs: number, latency: LatencyHistogram): Promise<string | null> {
  return new Promise((resolve) => {
    const started = performance.now();
    const ws = new WebSocket(url, 'centrifuge-json');
    let settled = false;
    const finish = (failure: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (failure === null) latency.recordMs(performance.now() - started);
      ws.close();
      resolve(failure);
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    ws.once('open', () => ws.send(JSON.stringify({ id: 1, connect: { token } })));
    ws.on('message', (data: Buffer) => {
      const reply = JSON.parse(data.toString('utf8').split('\n')[0] ?? '{}') as {
        id?: number;
        connect?: unknown;
        error?: { code: number };
      };
      if (reply.id !== 1) return;
      finish(reply.connect !== undefined ? null : `error ${reply.error?.code ?? '?'}`);
    });
    ws.once('unexpected-response', (_req, res) => finish(`http ${res.statusCode ?? 0}`));
    ws.once('close', (code) => finish(`close ${code}`));
    ws.once('error', () => finish('socket error'));
  });
}

/** Runs the connects with at most `concurrency` in flight and summarises them. */
export async function measureConnectRate(
  url: string,
  label: string,
  tokens: readonly string[],
  options: { concurrency: number; timeoutMs: number },
): Promise<ConnectRateResult> {
  const latency = new LatencyHistogram();
  const failures: Record<string, number> = {};
  let next = 0;
  let connected = 0;
  const started = performance.now();
  const lane = async (): Promise<void> => {
    while (next < tokens.length) {
      const token = tokens[next++]!;
      const failure = await connectOnce(url, token, options.timeoutMs, latency);
      if (failure === null) connected++;
      else failures[failure] = (failures[failure] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, tokens.length)) }, lane));
  const durationS = (performance.now() - started) / 1000;
  return {
    label,
    attempted: tokens.length,
    connected,
    failures,
    durationS,
    connectsPerSecond: durationS > 0 ? connected / durationS : 0,
    latency: latency.summary(),
  };
}
