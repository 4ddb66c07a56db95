/**
 * Starts a real, throwaway Redis Cluster on free ports in a temp dir for one test file: 3 masters,
 * without replicas or with one replica each (for failover tests: CLUSTER FAILOVER on a replica,
 * kill -9 of a master); `close()` kills the servers and removes the directory.
 */

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './redis-server.js';
import { eventually } from './eventually.js';

const run = promisify(execFile);

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 30_000 });
  return stdout;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  await eventually(check, { timeoutMs, what: `redis cluster: ${what}`, intervalMs: 25, ignoreErrors: true });
}

/** One line of CLUSTER NODES. */
export interface ClusterNodeInfo {
  id: string;
  port: number;
  role: 'master' | 'replica';
  /** Node id of the master a replica follows; '' for a master. */
  masterId: string;
  /** `fail` or `fail?` is in the flags. */
  failing: boolean;
  connected: boolean;
  /** Slot ranges a master serves, as `[from, to]`. */
  slots: [number, number][];
}

export interface RedisClusterOptions {
  /** Masters; omitted: 3. */
  masters?: number;
  /** Replicas per master (`--cluster-replicas`); omitted: 0. */
  replicas?: number;
  /** Extra redis-server arguments for every node (e.g. `--appendonly yes`). */
  extraArgs?: string[];
}

export class RedisCluster {
  readonly ports: readonly number[];
  private readonly dir: string;
  private readonly replicas: number;
  private readonly extraArgs: string[];
  private readonly procs = new Map<number, ChildProcess>();

  private constructor(ports: number[], dir: string, replicas: number, extraArgs: string[]) {
    this.ports = ports;
    this.dir = dir;
    this.replicas = replicas;
    this.extraArgs = extraArgs;
  }

  /**
   * Starts `masters` × (1 + `replicas`) cluster-enabled servers, creates the cluster and waits for
   * `cluster_state:ok` and full membership on every node and, with replicas, every replica in sync.
   * A number is the count of masters (no replicas), as before.
   */
  static async start(options: number | RedisClusterOptions = {}): Promise<RedisCluster> {
    const { masters = 3, replicas = 0, extraArgs = [] } = typeof options === 'number' ? { masters: options } : options;
    const ports: number[] = [];
    // freePort() releases the port before returning: ask for distinct ones (and avoid the +10000 bus ports clashing).
    while (ports.length < masters * (1 + replicas)) {
      const p = await freePort();
      if (p + 10_000 < 65_536 && !ports.includes(p) && !ports.includes(p + 10_000) && !ports.includes(p - 10_000)) ports.push(p);
    }
    const cluster = new RedisCluster(ports, mkdtempSync(join(tmpdir(), 'rm-redis-cluster-')), replicas, extraArgs);
    try {
      await cluster.boot();
    } catch (err) {
      await cluster.close();
      throw err;
    }
    return cluster;
  }

  /** Comma-separated seed URLs, as `REDIS_URL` takes them with `REDIS_CLUSTER=true`. */
  get url(): string {
    return this.ports.map((p) => `redis://127.0.0.1:${p}`).join(',');
  }

  /** `CLUSTER KEYSLOT key` as computed by the server. */
  async keySlot(key: string): Promise<number> {
    return Number((await cli(this.ports[0]!, 'cluster', 'keyslot', key)).trim());
  }

  /** Port of the master that serves `slot` (as seen by a running node). */
  async portOfSlot(slot: number): Promise<number> {
    for (const node of await this.nodes()) {
      if (node.role === 'master' && !node.failing && node.slots.some(([from, to]) => slot >= from && slot <= to)) return node.port;
    }
    throw new Error(`no master serves slot ${slot}`);
  }

  /** CLUSTER NODES as seen by `port` (omitted: the first running node). */
  async nodes(port?: number): Promise<ClusterNodeInfo[]> {
    const from = port ?? this.runningPorts()[0];
    if (from === undefined) throw new Error('no running cluster node');
    return parseNodes(await cli(from, 'cluster', 'nodes'));
  }

  /** Ports of the current masters that serve slots. */
  async masterPorts(): Promise<number[]> {
    return (await this.nodes())
      .filter((n) => n.role === 'master' && !n.failing && n.slots.length > 0)
      .map((n) => n.port)
      .sort((a, b) => a - b);
  }

  /**
   * Port of a replica of the master on `masterPort`; waits (up to 10 s) while no replica is seen
   * healthy: on a loaded machine a node may flag a replica `fail?` for a moment.
   */
  async replicaOf(masterPort: number): Promise<number> {
    let port: number | undefined;
    await waitFor(
      `a replica of ${masterPort}`,
      async () => {
        const nodes = await this.nodes();
        const master = nodes.find((n) => n.port === masterPort);
        port = nodes.find((n) => n.role === 'replica' && !n.failing && n.masterId === master?.id)?.port;
        return port !== undefined;
      },
      10_000,
    );
    return port!;
  }

  /**
   * `CLUSTER FAILOVER` on the replica `replicaPort` (a manual failover: the master stops writes,
   * the replica catches up, then takes over); resolves once every running node sees it as master.
   * Redis aborts a manual failover that has not completed within 5 s (a slow catch-up or a lost
   * election on a loaded machine), so the command is sent again, up to 3 times, while the replica
   * is not promoted.
   */
  async failover(replicaPort: number): Promise<void> {
    const promoted = (nodes: ClusterNodeInfo[]): boolean => nodes.some((n) => n.port === replicaPort && n.role === 'master');
    const everywhere = (timeoutMs: number): Promise<void> =>
      waitFor(`${replicaPort} promoted`, async () => this.everyNodeSees(promoted), timeoutMs);
    const send = async (): Promise<void> => {
      const reply = (await cli(replicaPort, 'cluster', 'failover')).trim();
      if (reply !== 'OK') throw new Error(`CLUSTER FAILOVER on ${replicaPort}: ${reply}`);
    };
    for (let attempt = 1; attempt < 3; attempt++) {
      await send();
      try {
        return await everywhere(8_000);
      } catch {
        // Promoted, and some node has not heard yet: wait for the rest without a new command.
        if (promoted(await this.nodes(replicaPort))) return everywhere(20_000);
      }
    }
    await send();
    await everywhere(20_000);
  }

  /** SIGKILL of the node on `port`: it vanishes without a goodbye (and stays down). */
  async kill(port: number): Promise<void> {
    const proc = this.procs.get(port);
    if (proc === undefined) throw new Error(`no node on ${port}`);
    await stopProcess(proc);
    this.procs.delete(port);
  }

  /**
   * Resolves once the cluster is whole again: `cluster_state:ok` on every running node, every slot
   * served by a master that every running node agrees on, every replica's link to its master up.
   */
  async waitHealthy(timeoutMs = 20_000): Promise<void> {
    for (const port of this.runningPorts()) {
      await waitFor(
        `cluster_state:ok on ${port}`,
        async () => (await cli(port, 'cluster', 'info')).includes('cluster_state:ok'),
        timeoutMs,
      );
    }
    // Right after a kill -9 every node still sees the dead master serving its slots until the
    // node timeout flags it: whole means every slot served by a running master.
    const running = new Set(this.runningPorts());
    await waitFor(
      'one view of the masters, all running, every slot served',
      async () => {
        const views = await Promise.all(
          this.runningPorts().map(async (p) => {
            const masters = (await this.nodes(p)).filter((n) => n.role === 'master' && !n.failing && n.slots.length > 0);
            const served = masters.reduce((sum, n) => sum + n.slots.reduce((k, [from, to]) => k + to - from + 1, 0), 0);
            if (served !== 16_384 || masters.some((n) => !running.has(n.port))) return null;
            return JSON.stringify(masters.map((n) => [n.port, n.slots]).sort());
          }),
        );
        return views[0] !== null && views.every((v) => v === views[0]);
      },
      timeoutMs,
    );
    if (this.replicas > 0) await this.waitReplicasInSync(timeoutMs, false);
  }

  /**
   * Every running replica has its master link up with its initial sync done and (with `caughtUp`,
   * for a cluster without traffic) has reached its master's replication offset. Asked of the
   * replicas themselves: right after `--cluster create` a node's CLUSTER NODES may not show the
   * replicas yet, and a replica whose first sync has not finished cannot be promoted (its data is
   * too old for `cluster-replica-validity-factor`), so a kill then takes its slots down for good.
   */
  async waitReplicasInSync(timeoutMs = 20_000, caughtUp = true): Promise<void> {
    const wanted = this.replicas * (this.ports.length / (1 + this.replicas));
    await waitFor(
      'replicas in sync',
      async () => {
        let synced = 0;
        for (const port of this.runningPorts()) {
          const info = await cli(port, 'info', 'replication');
          if (!info.includes('role:slave')) continue;
          const masterPort = field(info, 'master_port');
          if (!this.procs.has(masterPort)) continue;
          if (!info.includes('master_link_status:up') || field(info, 'master_sync_in_progress') !== 0) return false;
          if (caughtUp && field(info, 'slave_repl_offset') < field(await cli(masterPort, 'info', 'replication'), 'master_repl_offset'))
            return false;
          synced++;
        }
        // Each node killed takes one replica away (itself, or the replica promoted in its place).
        return synced >= wanted - (this.ports.length - this.runningPorts().length);
      },
      timeoutMs,
    );
  }

  private runningPorts(): number[] {
    return this.ports.filter((p) => this.procs.has(p));
  }

  private async everyNodeSees(check: (nodes: ClusterNodeInfo[]) => boolean): Promise<boolean> {
    for (const port of this.runningPorts()) if (!check(await this.nodes(port))) return false;
    return true;
  }

  /** The last `lines` lines of the server log of the node on `port` (for the log of a failed test). */
  logTail(port: number, lines = 30): string {
    try {
      return readFileSync(join(this.dir, String(port), 'redis.log'), 'utf8')
        .trim()
        .split('\n')
        .slice(-lines)
        .join('\n');
    } catch (err) {
      return String(err);
    }
  }

  /** A redis-cli command on the node on `port`; its reply as text. */
  async cli(port: number, ...args: string[]): Promise<string> {
    return cli(port, ...args);
  }

  /** Keys matching `pattern` on one node (SCAN; each node holds only its own slots). */
  async keysOn(port: number, pattern: string): Promise<string[]> {
    const out = await cli(port, '--scan', '--pattern', pattern);
    return out.split('\n').filter((k) => k !== '');
  }

  private async boot(): Promise<void> {
    for (const port of this.ports) {
      const dir = join(this.dir, String(port));
      mkdirSync(dir);
      const proc = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-node-timeout',
          '2000',
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          dir,
          '--protected-mode',
          'no',
          '--logfile',
          'redis.log',
          // A replica's first sync starts at once (default: 5 s later), so a test can fail a master soon after boot.
          '--repl-diskless-sync-delay',
          '0',
          ...this.extraArgs,
        ],
        { stdio: 'ignore' },
      );
      this.procs.set(port, proc);
    }
    for (const port of this.ports) await waitFor(`node ${port} up`, async () => (await cli(port, 'ping')).trim() === 'PONG');
    await run(
      'redis-cli',
      ['--cluster', 'create', ...this.ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', String(this.replicas), '--cluster-yes'],
      { timeout: 30_000 },
    );
    for (const port of this.ports) {
      await waitFor(`cluster_state:ok on ${port}`, async () => (await cli(port, 'cluster', 'info')).includes('cluster_state:ok'), 30_000);
    }
    // Every node must know every other one, or a client may be redirected to a node not yet in its map.
    for (const port of this.ports) {
      await waitFor(`full membership on ${port}`, async () => {
        const lines = (await cli(port, 'cluster', 'nodes')).trim().split('\n');
        return lines.length === this.ports.length && lines.every((l) => l.includes('connected'));
      });
    }
    if (this.replicas > 0) await this.waitReplicasInSync(30_000);
  }

  /** Kills every server (SIGKILL) and removes the directory. */
  async close(): Promise<void> {
    await Promise.all([...this.procs.values()].map(stopProcess));
    this.procs.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function stopProcess(proc: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}

function field(info: string, name: string): number {
  const match = new RegExp(`^${name}:(\\d+)`, 'm').exec(info);
  return match === null ? -1 : Number(match[1]);
}

function parseNodes(text: string): ClusterNodeInfo[] {
  return text
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const parts = line.split(' ');
      const addr = parts[1] ?? '';
      const flags = (parts[2] ?? '').split(',');
      const slots: [number, number][] = [];
      for (const range of parts.slice(8)) {
        if (range.startsWith('[')) continue;
        const [from, to] = range.split('-').map(Number);
        if (from === undefined || Number.isNaN(from)) continue;
        slots.push([from, to ?? from]);
      }
      return {
        id: parts[0] ?? '',
        port: Number(addr.slice(addr.lastIndexOf(':') + 1).split('@')[0]),
        role: flags.includes('master') ? 'master' : 'replica',
        masterId: parts[3] === '-' ? '' : (parts[3] ?? ''),
        failing: flags.includes('fail') || flags.includes('fail?'),
        connected: parts[7] === 'connected',
        slots,
      };
    });
}
