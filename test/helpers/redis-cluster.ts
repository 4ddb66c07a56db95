/**
 * Starts a real, throwaway 3-master Redis Cluster (no replicas) on free ports in a temp dir for one
 * test file; `close()` kills the servers and removes the directory.
 */

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
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

export class RedisCluster {
  readonly ports: readonly number[];
  private readonly dir: string;
  private readonly procs: ChildProcess[] = [];

  private constructor(ports: number[], dir: string) {
    this.ports = ports;
    this.dir = dir;
  }

  /** Starts `masters` (default 3) cluster-enabled servers, creates the cluster, waits for `cluster_state:ok` on every node. */
  static async start(masters = 3): Promise<RedisCluster> {
    const ports: number[] = [];
    // freePort() releases the port before returning: ask for distinct ones (and avoid the +10000 bus ports clashing).
    while (ports.length < masters) {
      const p = await freePort();
      if (p + 10_000 < 65_536 && !ports.includes(p)) ports.push(p);
    }
    const cluster = new RedisCluster(ports, mkdtempSync(join(tmpdir(), 'rm-redis-cluster-')));
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

  /** Port of the master that serves `slot`. */
  async portOfSlot(slot: number): Promise<number> {
    const nodes = await cli(this.ports[0]!, 'cluster', 'nodes');
    for (const line of nodes.trim().split('\n')) {
      const parts = line.split(' ');
      const addr = parts[1] ?? '';
      const port = Number(addr.slice(addr.lastIndexOf(':') + 1).split('@')[0]);
      for (const range of parts.slice(8)) {
        const [from, to] = range.split('-').map(Number);
        if (from === undefined || Number.isNaN(from)) continue;
        if (slot >= from && slot <= (to ?? from)) return port;
      }
    }
    throw new Error(`no master serves slot ${slot}`);
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
      const proc = spawn('redis-server', [
        '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf',
        '--cluster-node-timeout', '2000', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'no',
      ], { stdio: 'ignore' });
      this.procs.push(proc);
    }
    for (const port of this.ports) await waitFor(`node ${port} up`, async () => (await cli(port, 'ping')).trim() === 'PONG');
    await run('redis-cli', [
      '--cluster', 'create', ...this.ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes',
    ], { timeout: 30_000 });
    for (const port of this.ports) {
      await waitFor(`cluster_state:ok on ${port}`, async () => (await cli(port, 'cluster', 'info')).includes('cluster_state:ok'));
    }
    // Every node must know every other one, or a client may be redirected to a node not yet in its map.
    for (const port of this.ports) {
      await waitFor(`full membership on ${port}`, async () => {
        const lines = (await cli(port, 'cluster', 'nodes')).trim().split('\n');
        return lines.length === this.ports.length && lines.every((l) => l.includes('connected'));
      });
    }
  }

  /** Kills every server (SIGKILL) and removes the directory. */
  async close(): Promise<void> {
    await Promise.all(this.procs.map((proc) => new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    })));
    this.procs.length = 0;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
