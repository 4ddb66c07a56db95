/**
 * The two servers of the connect benchmark, compiled: the product (`dist/bin/gateway.js`,
 * embedded mode, with an HMAC secret and an RSA public key) and the bare connect server
 * (`dist/bench/baseline-connect.js`, the same keys); the build that makes them; and the open-file
 * count that tells when a scenario's connections are all closed.
 */

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../src/chaos/index.js';

/** A running server under test. */
export interface ConnectServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** The keys both servers verify with (the private RSA key stays with the token minting). */
export interface ConnectKeys {
  hmacSecret: string;
  rsaPublicKeyPem: string;
}

/** Builds what the servers run: the package (`npm run build`) and the bench scripts (tsconfig.bench.json). */
export function buildServers(): void {
  for (const [command, args] of [
    ['npm', ['run', 'build', '--silent']],
    ['npx', ['tsc', '-p', 'tsconfig.bench.json']],
  ] as const) {
    const r = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed`);
  }
}

function launch(script: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
}

async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** Polls `ready` every 100 ms until it holds; throws when `proc` exits or 30 s pass. */
async function waitUntil(what: string, proc: ChildProcess, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await ready())) {
    if (proc.exitCode !== null) throw new Error(`${what} exited with ${proc.exitCode}`);
    if (Date.now() > deadline) throw new Error(`${what} did not become ready within 30 s`);
    await sleep(100);
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    s.connect(port, '127.0.0.1');
  });
}

function server(proc: ChildProcess, port: number): ConnectServer {
  if (proc.pid === undefined) throw new Error('server did not start');
  return { url: `ws://127.0.0.1:${port}/connection/websocket`, pid: proc.pid, stop: () => stopProcess(proc) };
}

/** The gateway, compiled, in embedded mode; ready when its /ready answers 200. */
export async function startProduct(keys: ConnectKeys, work: string): Promise<ConnectServer> {
  const configFile = join(work, 'config.json');
  writeFileSync(configFile, JSON.stringify({ client: { token: { rsa_public_key: keys.rsaPublicKeyPem } } }));
  const [ws, http, metrics] = [await freePort(), await freePort(), await freePort()];
  const proc = launch(join('dist', 'bin', 'gateway.js'), {
    HOST: '127.0.0.1',
    WEBSOCKET_PORT: String(ws),
    HTTP_PORT: String(http),
    METRICS_PORT: String(metrics),
    CENTRIFUGO_TOKEN_HMAC_SECRET_KEY: keys.hmacSecret,
    CONFIG_FILE: configFile,
    LOG_LEVEL: 'warn',
    EMBEDDED_WORKERS: '1',
    CLIENT_STALE_TIMEOUT: '30s',
  });
  const ready = (): Promise<boolean> =>
    fetch(`http://127.0.0.1:${http}/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
  try {
    await waitUntil('gateway', proc, ready);
  } catch (err) {
    await stopProcess(proc);
    throw err;
  }
  return server(proc, ws);
}

/** The bare connect server, compiled; ready when it listens. */
export async function startBare(keys: ConnectKeys): Promise<ConnectServer> {
  const port = await freePort();
  const proc = launch(join('dist', 'bench', 'baseline-connect.js'), {
    BASELINE_PORT: String(port),
    CONNECT_HMAC_SECRET: keys.hmacSecret,
    CONNECT_RSA_PUBLIC_KEY: keys.rsaPublicKeyPem,
    // The gateway reports the package's version in its ConnectResult: the same bytes on the wire.
    BASELINE_VERSION: (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version,
  });
  try {
    await waitUntil('bare connect server', proc, () => listening(port));
  } catch (err) {
    await stopProcess(proc);
    throw err;
  }
  return server(proc, port);
}

/** Open file descriptors of a process (`self` for this one); null without /proc. */
export function openFds(pid: number | 'self'): number | null {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

/**
 * Waits until the server and this process hold no more descriptors than `before` (plus `slack`):
 * every connection of the scenario is closed on both ends, so runs cannot pile sockets up against
 * the open-files limit. Returns false when that does not happen within `timeoutMs`.
 */
export async function waitForClosed(
  serverPid: number,
  before: { server: number | null; self: number | null },
  slack = 8,
  timeoutMs = 30_000,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const settled = (now: number | null, then: number | null): boolean => now === null || then === null || now <= then + slack;
  while (!settled(openFds(serverPid), before.server) || !settled(openFds('self'), before.self)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}
