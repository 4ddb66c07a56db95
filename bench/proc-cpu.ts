/**
 * CPU time of processes from Linux's /proc: a process with its descendants (a gateway group's
 * primary and the processes it forked), and the children this process has reaped (the load
 * generator, once it exited). Microseconds; null where /proc is not there.
 */

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | null = null;

function tickUs(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return 1e6 / ticksPerSecond;
}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces), 0-based from field 3. */
function statFields(pid: number | 'self'): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** utime + stime of one process, µs; null when it is gone. */
export function processCpuUs(pid: number): number | null {
  const f = statFields(pid);
  if (f === null) return null;
  // Fields 14 and 15 of stat: utime, stime (index 11 and 12 after the name).
  return (Number(f[11]) + Number(f[12])) * tickUs();
}

/** The children reaped by this process so far (cutime + cstime), µs. */
export function reapedChildrenCpuUs(): number {
  const f = statFields('self');
  return f === null ? 0 : (Number(f[13]) + Number(f[14])) * tickUs();
}

/** `pid` and every live descendant. */
export function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [pid];
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(Number(name));
    if (f === null) continue;
    const ppid = Number(f[1]);
    const list = parents.get(ppid) ?? [];
    list.push(Number(name));
    parents.set(ppid, list);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift() as number;
    out.push(p);
    queue.push(...(parents.get(p) ?? []));
  }
  return out;
}

/** CPU of a set of named process trees over a window: `start()` then `stop()` gives µs per name. */
export class CpuWindow {
  private readonly before = new Map<number, number>();
  private childBefore = 0;

  constructor(private readonly roots: ReadonlyMap<string, number>) {}

  start(): void {
    this.childBefore = reapedChildrenCpuUs();
    for (const root of this.roots.values()) {
      for (const pid of processTree(root)) this.before.set(pid, processCpuUs(pid) ?? 0);
    }
  }

  /** µs per named tree since start (a descendant born in the window counts from 0), plus `reaped`: children reaped meanwhile. */
  stop(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, root] of this.roots) {
      let us = 0;
      for (const pid of processTree(root)) us += (processCpuUs(pid) ?? 0) - (this.before.get(pid) ?? 0);
      out[name] = us;
    }
    out['reaped'] = reapedChildrenCpuUs() - this.childBefore;
    return out;
  }
}
