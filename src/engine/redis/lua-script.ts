/** A Lua script from lua/, run with EVALSHA and re-sent with EVAL only when the server lacks it. */

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Cluster, Redis } from 'ioredis';

export type RedisConnection = Redis | Cluster;
export type ScriptArg = string | Buffer | number;

function scriptDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'lua');
  if (existsSync(beside)) return beside;
  // tsc does not copy .lua files: compiled code under dist/ reads them from the source tree.
  return join(here.replace(/([\\/])dist[\\/]src[\\/]/, '$1src$1'), 'lua');
}

/**
 * The Buffer-reply EVAL variants ioredis generates for every command but does not declare.
 * (`callBuffer('evalsha', ...)` is not an option: it breaks under `enableAutoPipelining`.)
 */
interface BufferEval {
  evalshaBuffer(sha: string, numKeys: number, ...args: ScriptArg[]): Promise<unknown>;
  evalBuffer(source: string, numKeys: number, ...args: ScriptArg[]): Promise<unknown>;
}

const loaded = new Map<string, LuaScript>();

export class LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
  readonly numKeys: number;

  constructor(name: string, source: string, numKeys: number) {
    this.name = name;
    this.source = source;
    this.sha = createHash('sha1').update(source).digest('hex');
    this.numKeys = numKeys;
  }

  /**
   * Reads `lua/<name>.lua` (synchronously; call it from a constructor, not at import time). A line
   * `-- #include <lib>` is replaced by `lua/lib/<lib>.lua`, so scripts share helpers and stay atomic.
   */
  static load(name: string, numKeys: number): LuaScript {
    let script = loaded.get(name);
    if (script === undefined) {
      const dir = scriptDir();
      const source = readFileSync(join(dir, `${name}.lua`), 'utf8')
        .replace(/^-- #include ([a-z0-9-]+)$/gm, (_line, lib: string) => readFileSync(join(dir, 'lib', `${lib}.lua`), 'utf8'));
      script = new LuaScript(name, source, numKeys);
      loaded.set(name, script);
    }
    return script;
  }

  /** Runs the script with bulk replies as Buffers. A script loaded with `numKeys` -1 takes any number of keys. */
  async run(redis: RedisConnection, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    if (this.numKeys >= 0 && keys.length !== this.numKeys) throw new Error(`script ${this.name} takes ${this.numKeys} keys, got ${keys.length}`);
    const conn = redis as unknown as BufferEval;
    try {
      return await conn.evalshaBuffer(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return conn.evalBuffer(this.source, keys.length, ...keys, ...args);
    }
  }
}
