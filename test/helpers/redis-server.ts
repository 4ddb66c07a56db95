/**
 * Starts a real, throwaway `redis-server` on a free port for one test file, and can kill,
 * stop and restart it (same port) to test faults.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before } from 'node:test';
import { Redis } from 'ioredis';
import { canConnect, freePort } from '../../src/chaos/index.js';

export { freePort };

export class RedisServer {
  readonly port: number;
  private proc: ChildProcess | null = null;
  private readonly dir: string;
  private readonly extraArgs: string[];

  private constructor(port: number, extraArgs: string[]) {
    this.port = port;
    this.extraArgs = extraArgs;
    this.dir = mkdtempSync(join(tmpdir(), 'rm-redis-'));
  }

  /** Starts a fresh server on a free port. */
  static async start(extraArgs: string[] = []): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), extraArgs);
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** (Re)starts the server on the same port; resolves when it accepts connections. */
  async restart(): Promise<void> {
    if (this.proc !== null) throw new Error('redis-server already running');
    const proc = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        this.dir,
        '--protected-mode',
        'no',
        ...this.extraArgs,
      ],
      { stdio: 'ignore' },
    );
    this.proc = proc;
    proc.once('exit', () => {
      if (this.proc === proc) this.proc = null;
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (await canConnect(this.port)) return;
      if (this.proc === null) throw new Error('redis-server exited during start-up');
      await sleep(20);
    }
    throw new Error('redis-server did not start in 10s');
  }

  /** SIGKILL: the server vanishes without a goodbye (data is lost: no persistence). */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGSTOP: the server stops answering (connections stay open, clocks and key expiry go on) until {@link resume}. */
  pause(): void {
    this.proc?.kill('SIGSTOP');
  }

  /** SIGCONT after {@link pause}. */
  resume(): void {
    this.proc?.kill('SIGCONT');
  }

  /** Graceful stop. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    const proc = this.proc;
    if (proc === null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(sig);
    await exited;
    this.proc = null;
  }

  /** Stops the server and removes its directory. */
  async close(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A per-file Redis fixture: `server` and `redis` are set by the registered `before` hook. */
export interface RedisServerFixture {
  readonly server: RedisServer;
  readonly redis: Redis;
}

export interface UseRedisServerOptions {
  /** Runs in `after` before the connection and server close (e.g. closing tracked workers); omitted: nothing. */
  beforeClose?: () => Promise<void>;
}

/**
 * Registers `before`/`after` hooks on the current test file (or suite) that start a real
 * redis-server with one ioredis connection, and close both afterwards.
 */
export function useRedisServer(options: UseRedisServerOptions = {}): RedisServerFixture {
  let server: RedisServer | undefined;
  let redis: Redis | undefined;
  before(async () => {
    server = await RedisServer.start();
    redis = new Redis(server.url);
  });
  after(async () => {
    await options.beforeClose?.();
    redis?.disconnect();
    await server?.close();
  });
  return {
    get server(): RedisServer {
      if (server === undefined) throw new Error('useRedisServer: server is not started yet (use it inside a test or hook)');
      return server;
    },
    get redis(): Redis {
      if (redis === undefined) throw new Error('useRedisServer: redis is not connected yet (use it inside a test or hook)');
      return redis;
    },
  };
}
