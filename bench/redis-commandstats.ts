/** Redis `INFO commandstats` for the benchmark: reset before a measured run, read after it. */

import { spawnSync } from 'node:child_process';

export type CommandStats = Record<string, { calls: number; usec: number }>;

function redisCli(port: number, ...args: string[]): string {
  const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`redis-cli ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** CONFIG RESETSTAT: the counters start from zero. */
export function resetCommandStats(port: number): void {
  redisCli(port, 'config', 'resetstat');
}

/** Calls and µs per command since the last reset (the benchmark's own INFO and CONFIG calls left out). */
export function readCommandStats(port: number): CommandStats {
  const stats: CommandStats = {};
  for (const m of redisCli(port, 'info', 'commandstats').matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    if (m[1] === 'info' || m[1] === 'config') continue;
    stats[m[1]!] = { calls: Number(m[2]), usec: Number(m[3]) };
  }
  return stats;
}
