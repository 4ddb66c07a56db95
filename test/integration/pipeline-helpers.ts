// Shared pieces of the pipeline/worker integration tests: spawning worker processes, reading their logs.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { eventually } from '../helpers/eventually.js';

const children = new Set<ChildProcess>();

export const childScript = fileURLToPath(new URL('./worker-child-process.ts', import.meta.url));

export interface LogLine {
  channel: string;
  seq: number;
  id: string;
  pid: number;
  stream: string;
}

export function parseLog(lines: string[]): LogLine[] {
  return lines.map((l) => {
    const [channel = '', data = '{}', id = '', pid = '0', stream = ''] = l.split('|');
    return { channel, seq: (JSON.parse(data) as { seq: number }).seq, id, pid: Number(pid), stream };
  });
}

/** Starts a worker process and resolves once it is registered. */
export async function spawnWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', childScript], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  if (!chunk.toString().includes('ready')) throw new Error(`worker did not start: ${chunk.toString()}`);
  return child;
}

export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

export async function waitUntil(cond: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  await eventually(cond, { timeoutMs, what, intervalMs: 20 });
}

/**
 * Per channel, the log with redeliveries removed (first handling of each message id kept) is in
 * strictly increasing seq order, and covers every seq in `accepted`. Returns the problems found.
 */
export function checkOrderAndCoverage(log: LogLine[], accepted: Map<string, number[]>): string[] {
  const problems: string[] = [];
  const seenIds = new Set<string>();
  const last = new Map<string, number>();
  for (const l of log) {
    if (seenIds.has(l.id)) continue;
    seenIds.add(l.id);
    const prev = last.get(l.channel);
    if (prev !== undefined && prev >= l.seq)
      problems.push(`${l.channel}: ${l.seq} handled after ${prev} (pid ${l.pid}, stream ${l.stream})`);
    last.set(l.channel, l.seq);
  }
  const seen = new Set(log.map((l) => `${l.channel}|${l.seq}`));
  for (const [channel, seqs] of accepted) {
    for (const s of seqs) if (!seen.has(`${channel}|${s}`)) problems.push(`${channel}#${s} never processed`);
  }
  return problems;
}

/** Something a test started that must be closed even when the test fails. */
interface Closable {
  close(): Promise<unknown>;
}
const tracked: Closable[] = [];

/** Registers `resource` for {@link closeTracked}; returns it. */
export function track<T extends Closable>(resource: T): T {
  tracked.push(resource);
  return resource;
}

/**
 * Closes (newest first) everything tracked and every worker process spawned that is still running:
 * call it from the file's `after` hook so a failed assertion cannot leave the process hanging.
 */
export async function closeTracked(): Promise<void> {
  for (const r of tracked.splice(0).reverse()) await r.close().catch(() => undefined);
  await Promise.all([...children].map((c) => killHard(c)));
  children.clear();
}
