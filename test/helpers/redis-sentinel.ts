/**
 * A throwaway Redis Sentinel set for one test file: a master, replicas (`--replicaof`) and
 * sentinels (`redis-server <conf> --sentinel`) on free ports, with a short down-after and
 * failover timeout so a failover takes a few seconds; nodes can be killed with SIGKILL.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { canConnect, freePort } from '../../src/chaos/index.js';

export interface SentinelSetOptions {
  /** Master group name; omitted: "rm-master". */
  masterName?: string;
  /** Replicas of the master; omitted: 2. */
  replicas?: number;
  /** Sentinels; omitted: 3 (quorum 2). */
  sentinels?: number;
  /** `requirepass`/`masterauth` of the data nodes; omitted: none. */
  password?: string;
  /** `requirepass` of the sentinels; omitted: none. */
  sentinelPassword?: string;
  /** `down-after-milliseconds`; omitted: 1000. */
  downAfterMs?: number;
}

interface Node {
  port: number;
  proc: ChildProcess | null;
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => null);
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`sentinel set: ${what} not within ${timeoutMs} ms`);
    await sleep(100);
  }
}

function kvLines(info: string): Map<string, string> {
  return new Map(
    info
      .split(/\r?\n/)
      .filter((l) => l.includes(':'))
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]),
  );
}

/** The running set; every process is its own `redis-server`. */
export class RedisSentinelSet {
  readonly masterName: string;
  private readonly dir: string;
  private readonly data: Node[] = [];
  private readonly sentinels: Node[] = [];

  private constructor(private readonly o: SentinelSetOptions) {
    this.masterName = o.masterName ?? 'rm-master';
    this.dir = mkdtempSync(join(tmpdir(), 'rm-sentinel-'));
  }

  /** Starts the master, its replicas (in sync), then the sentinels (each seeing every replica and sentinel). */
  static async start(options: SentinelSetOptions = {}): Promise<RedisSentinelSet> {
    const set = new RedisSentinelSet(options);
    try {
      await set.boot();
    } catch (err) {
      await set.close();
      throw err;
    }
    return set;
  }

  /** `host:port,…` of the sentinels, as REDIS_SENTINELS takes it. */
  get sentinelList(): string {
    return this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(',');
  }

  get sentinelAddresses(): Array<{ host: string; port: number }> {
    return this.sentinels.map((s) => ({ host: '127.0.0.1', port: s.port }));
  }

  private async boot(): Promise<void> {
    const replicas = this.o.replicas ?? 2;
    const master: Node = { port: await freePort(), proc: null };
    this.data.push(master);
    await this.startData(master, null);
    for (let i = 0; i < replicas; i++) {
      const node: Node = { port: await freePort(), proc: null };
      this.data.push(node);
      await this.startData(node, master.port);
    }
    await waitFor('replicas in sync', 15_000, async () => {
      const info = kvLines((await this.command(master.port, this.o.password, ['INFO', 'replication'])) as string);
      const online = [...info.entries()].filter(([k, v]) => /^slave\d+$/.test(k) && v.includes('state=online')).length;
      return online >= replicas ? true : null;
    });
    const count = this.o.sentinels ?? 3;
    for (let i = 0; i < count; i++) {
      const node: Node = { port: await freePort(), proc: null };
      this.sentinels.push(node);
      await this.startSentinel(node, master.port, Math.floor(count / 2) + 1);
    }
    await waitFor('sentinels aware of every replica and sentinel', 20_000, async () => {
      for (const s of this.sentinels) {
        const reply = (await this.sentinelCommand(s.port, ['SENTINEL', 'MASTER', this.masterName])) as string[];
        const fields = new Map<string, string>();
        for (let i = 0; i + 1 < reply.length; i += 2) fields.set(reply[i] as string, reply[i + 1] as string);
        if (Number(fields.get('num-slaves')) < replicas || Number(fields.get('num-other-sentinels')) < count - 1) return null;
      }
      return true;
    });
  }

  private spawnNode(node: Node, args: string[]): Promise<void> {
    const proc = spawn('redis-server', args, { stdio: 'ignore' });
    node.proc = proc;
    proc.once('exit', () => {
      if (node.proc === proc) node.proc = null;
    });
    return waitFor(`redis-server on ${node.port}`, 10_000, async () => {
      if (node.proc === null) throw new Error(`redis-server on ${node.port} exited during start-up`);
      return (await canConnect(node.port)) ? true : null;
    }).then(() => undefined);
  }

  private async startData(node: Node, masterPort: number | null): Promise<void> {
    const auth = this.o.password === undefined ? [] : ['--requirepass', this.o.password, '--masterauth', this.o.password];
    await this.spawnNode(node, [
      '--port',
      String(node.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'no',
      '--dir',
      this.dir,
      '--dbfilename',
      `dump-${node.port}.rdb`,
      '--repl-diskless-sync',
      'yes',
      '--repl-diskless-sync-delay',
      '0',
      ...auth,
      ...(masterPort === null ? [] : ['--replicaof', '127.0.0.1', String(masterPort)]),
    ]);
  }

  private async startSentinel(node: Node, masterPort: number, quorum: number): Promise<void> {
    const name = this.masterName;
    const conf = join(this.dir, `sentinel-${node.port}.conf`);
    writeFileSync(
      conf,
      [
        `port ${node.port}`,
        'bind 127.0.0.1',
        'protected-mode no',
        `dir ${this.dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${masterPort} ${quorum}`,
        `sentinel down-after-milliseconds ${name} ${this.o.downAfterMs ?? 1000}`,
        `sentinel failover-timeout ${name} 5000`,
        `sentinel parallel-syncs ${name} 2`,
        ...(this.o.password === undefined ? [] : [`sentinel auth-pass ${name} ${this.o.password}`]),
        ...(this.o.sentinelPassword === undefined ? [] : [`requirepass ${this.o.sentinelPassword}`]),
        '',
      ].join('\n'),
    );
    await this.spawnNode(node, [conf, '--sentinel']);
  }

  private async command(port: number, password: string | undefined, args: [string, ...string[]]): Promise<unknown> {
    const conn = new Redis({
      host: '127.0.0.1',
      port,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
      ...(password === undefined ? {} : { password }),
    });
    conn.on('error', () => {});
    try {
      await conn.connect();
      return await conn.call(...args);
    } finally {
      conn.disconnect();
    }
  }

  private sentinelCommand(port: number, args: [string, ...string[]]): Promise<unknown> {
    return this.command(port, this.o.sentinelPassword, args);
  }

  /** The master's port as the first answering sentinel reports it. */
  async masterPort(): Promise<number> {
    for (const s of this.sentinels) {
      if (s.proc === null) continue;
      const reply = (await this.sentinelCommand(s.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.masterName]).catch(() => null)) as
        string[] | null;
      if (reply !== null && reply[1] !== undefined) return Number(reply[1]);
    }
    throw new Error('sentinel set: no sentinel answers');
  }

  /** A direct connection to the master (for assertions; the caller closes it). */
  async masterConnection(): Promise<Redis> {
    const conn = new Redis({
      host: '127.0.0.1',
      port: await this.masterPort(),
      ...(this.o.password === undefined ? {} : { password: this.o.password }),
    });
    conn.on('error', () => {});
    return conn;
  }

  /** `SENTINEL FAILOVER`; resolves with the new master's port once every sentinel names it and it answers as master. */
  async failover(): Promise<number> {
    const old = await this.masterPort();
    const first = this.sentinels.find((s) => s.proc !== null);
    if (first === undefined) throw new Error('sentinel set: no sentinel running');
    await this.sentinelCommand(first.port, ['SENTINEL', 'FAILOVER', this.masterName]);
    return this.waitForNewMaster(old);
  }

  /** SIGKILL of the master; resolves with the new master's port once the sentinels promoted a replica. */
  async killMaster(): Promise<{ killed: number; master: number }> {
    const old = await this.masterPort();
    const node = this.data.find((n) => n.port === old);
    if (node?.proc === null || node === undefined) throw new Error(`sentinel set: master ${old} is not running`);
    const exited = once(node.proc, 'exit');
    node.proc.kill('SIGKILL');
    await exited;
    return { killed: old, master: await this.waitForNewMaster(old) };
  }

  /**
   * A switch the sentinels do not perform: the first replica is promoted and the master made its
   * replica by hand (`REPLICAOF`), then every sentinel is told to monitor the new master instead.
   * Unlike a Sentinel failover, nobody closes the old master's client connections, so a client that
   * stays on it gets READONLY. Resolves with the new master's port.
   */
  async switchByHand(): Promise<number> {
    const old = await this.masterPort();
    const next = this.data.find((n) => n.port !== old && n.proc !== null);
    if (next === undefined) throw new Error('sentinel set: no running replica');
    await this.command(next.port, this.o.password, ['REPLICAOF', 'NO', 'ONE']);
    await this.command(old, this.o.password, ['REPLICAOF', '127.0.0.1', String(next.port)]);
    const quorum = String(Math.floor(this.sentinels.length / 2) + 1);
    for (const s of this.sentinels) {
      await this.sentinelCommand(s.port, ['SENTINEL', 'REMOVE', this.masterName]);
      await this.sentinelCommand(s.port, ['SENTINEL', 'MONITOR', this.masterName, '127.0.0.1', String(next.port), quorum]);
      await this.sentinelCommand(s.port, [
        'SENTINEL',
        'SET',
        this.masterName,
        'down-after-milliseconds',
        String(this.o.downAfterMs ?? 1000),
        ...(this.o.password === undefined ? [] : ['auth-pass', this.o.password]),
      ]);
    }
    return this.waitForNewMaster(old);
  }

  private async waitForNewMaster(old: number): Promise<number> {
    return waitFor('a new master', 30_000, async () => {
      const ports = new Set<number>();
      for (const s of this.sentinels) {
        if (s.proc === null) continue;
        const reply = (await this.sentinelCommand(s.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.masterName])) as string[];
        ports.add(Number(reply[1]));
      }
      const [port] = [...ports];
      if (ports.size !== 1 || port === undefined || port === old) return null;
      const role = (await this.command(port, this.o.password, ['ROLE'])) as unknown[];
      return role[0] === 'master' ? port : null;
    });
  }

  /** Kills every process and removes the directory. */
  async close(): Promise<void> {
    await Promise.all(
      [...this.sentinels, ...this.data].map(async (n) => {
        const proc = n.proc;
        if (proc === null || proc.exitCode !== null || proc.signalCode !== null) return;
        const exited = once(proc, 'exit');
        proc.kill('SIGKILL');
        await exited;
      }),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}
