/**
 * The real processes of a chaos run: a redis-server with AOF persistence, gateways and workers
 * (node + tsx), each killable with SIGKILL, pausable with SIGSTOP and restartable on the same port.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { join } from 'node:path';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

/** Ports this process has handed out already: the kernel may offer a just-closed port again. */
const handedOut = new Set<number>();

/**
 * A TCP port nobody listens on right now (the kernel's choice), so a run never collides with
 * another, and never one this process handed out before: callers that ask for several ports
 * before binding any would otherwise get the same one twice now and then.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await kernelPort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('freePort: the kernel kept offering ports already handed out');
}

async function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') return reject(new Error('no port'));
      srv.close(() => resolve(addr.port));
    });
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:`port` now. */
export async function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      s.destroy();
      resolve(false);
    });
    s.connect(port, '127.0.0.1');
  });
}

async function killAndWait(child: ChildProcess | null, signal: NodeJS.Signals): Promise<void> {
  if (child === null || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}

/**
 * redis-server with `appendonly yes` and `appendfsync always`: a write is on disk before Redis
 * replies, so a `kill -9` of Redis loses nothing that was acknowledged (at the cost of one fsync
 * per write batch).
 */
export class ChaosRedis {
  private proc: ChildProcess | null = null;
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly log: WriteStream,
  ) {}

  static async start(dir: string): Promise<ChaosRedis> {
    mkdirSync(dir, { recursive: true });
    const redis = new ChaosRedis(await freePort(), dir, createWriteStream(join(dir, 'redis.log')));
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Starts (again) on the same port and directory, so the AOF is replayed; resolves once Redis answers. */
  async restart(): Promise<void> {
    const proc = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--protected-mode',
        'no',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    proc.stdout.pipe(this.log, { end: false });
    proc.stderr.pipe(this.log, { end: false });
    this.proc = proc;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}`);
      if (await canConnect(this.port)) return;
      await sleep(50);
    }
    throw new Error('redis-server did not start');
  }

  async kill9(): Promise<void> {
    await killAndWait(this.proc, 'SIGKILL');
  }

  pause(): void {
    this.proc?.kill('SIGSTOP');
  }

  resume(): void {
    this.proc?.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    this.resume();
    await killAndWait(this.proc, 'SIGKILL');
    this.log.end();
  }
}

export interface NodeProcessOptions {
  name: string;
  script: string;
  args?: string[];
  /** The whole environment of the process (the caller merges in its own). */
  env: Record<string, string | undefined>;
  /** A stdout line containing this marks the process ready. */
  readyLine: string;
  logDir: string;
}

/** A node process of the system under test (gateway, worker), started with tsx; logs go to `<logDir>/<name>.log`. */
export class ChaosNode {
  private proc: ChildProcess | null = null;
  private readonly log: WriteStream;
  restarts = 0;

  constructor(private readonly o: NodeProcessOptions) {
    this.log = createWriteStream(join(o.logDir, `${o.name}.log`), { flags: 'a' });
  }

  get name(): string {
    return this.o.name;
  }

  get alive(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Starts the process and resolves once it printed its ready line (rejects if it exits first or after 60 s). */
  async start(): Promise<void> {
    const proc = spawn(process.execPath, ['--import', 'tsx', this.o.script, ...(this.o.args ?? [])], {
      env: this.o.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    proc.stderr.pipe(this.log, { end: false });
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      const timer = setTimeout(() => reject(new Error(`${this.o.name} not ready after 60 s`)), 60_000);
      const onData = (chunk: Buffer): void => {
        this.log.write(chunk);
        buffered = (buffered + chunk.toString()).slice(-8192);
        if (!buffered.includes(this.o.readyLine)) return;
        clearTimeout(timer);
        proc.stdout.off('data', onData);
        proc.stdout.pipe(this.log, { end: false });
        resolve();
      };
      proc.stdout.on('data', onData);
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${this.o.name} exited (${code ?? signal}) before ready`));
      });
    });
  }

  /** {@link start}, tried up to `attempts` times (a restart on a loaded machine can time out). */
  async startRetrying(attempts = 3): Promise<void> {
    for (let i = 1; ; i++) {
      try {
        await this.start();
        return;
      } catch (err) {
        await this.kill9();
        if (i >= attempts) throw err;
        await sleep(1000);
      }
    }
  }

  async kill9(): Promise<void> {
    await killAndWait(this.proc, 'SIGKILL');
  }

  /** Graceful stop (SIGTERM), SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 15_000): Promise<void> {
    const proc = this.proc;
    if (proc === null || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }

  async restart(): Promise<void> {
    await this.kill9();
    this.restarts++;
    await this.startRetrying();
  }

  close(): void {
    this.log.end();
  }
}

/** Runs a node script to completion (e.g. `realtime-message worker retire <id>`); resolves with its exit code and output. */
export async function runNodeScript(
  script: string,
  args: string[],
  env: Record<string, string | undefined>,
): Promise<{ code: number; output: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.on('data', (c: Buffer) => {
    output += c.toString();
  });
  proc.stderr.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const [code] = (await once(proc, 'exit')) as [number | null];
  return { code: code ?? 1, output };
}
