/**
 * Child processes of a benchmark: started with their output in a log file of a work directory,
 * tracked so that all of them can be stopped at the end, and waited for until they listen.
 */

import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { canConnect } from '../src/chaos/index.js';

export class ChildProcesses {
  private readonly children = new Set<ChildProcess>();

  constructor(readonly workDir: string) {}

  /** Starts `command`; stdout and stderr go to `<workDir>/<name>.log`; `ipc` adds an IPC channel. */
  start(name: string, command: string, args: string[], env: Record<string, string>, ipc = false): ChildProcess {
    const out = openSync(join(this.workDir, `${name}.log`), 'a');
    const stdio: StdioOptions = ipc ? ['ignore', out, out, 'ipc'] : ['ignore', out, out];
    const proc = spawn(command, args, { env: { ...process.env, ...env }, stdio });
    this.children.add(proc);
    proc.once('exit', () => this.children.delete(proc));
    return proc;
  }

  /** Every process started and still running. */
  stopAll(): Promise<void> {
    return Promise.all([...this.children].map(stopProcess)).then(() => undefined);
  }
}

/** SIGTERM, then SIGKILL after 15 s; resolves once the process exited. */
export async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`; throws if `proc` exits or 30 s pass. */
export async function waitForPort(port: number, what: string, proc: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`${what} exited with ${proc.exitCode}`);
    if (await canConnect(port)) return;
    await sleep(100);
  }
  throw new Error(`${what} did not listen on ${port} within 30 s`);
}

/** The next IPC message of `proc` whose `type` is `type`; rejects if the process exits first. */
export function nextMessage<T>(proc: ChildProcess, type: string, timeoutMs = 120_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (msg: unknown): void => {
      if (typeof msg !== 'object' || msg === null || (msg as { type?: unknown }).type !== type) return;
      done();
      resolve(msg as T);
    };
    const onExit = (code: number | null): void => {
      done();
      reject(new Error(`process ${proc.pid} exited with ${code} before sending '${type}'`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no '${type}' from process ${proc.pid} within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      proc.off('message', onMessage);
      proc.off('exit', onExit);
    };
    proc.on('message', onMessage);
    proc.once('exit', onExit);
  });
}
