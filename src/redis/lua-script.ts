/**
 * The one Lua loader: every script lives in `src/redis/lua/`, is read once, may `-- #include` a
 * helper from `lua/lib/`, declares how many keys it takes, and runs with EVALSHA first and EVAL
 * only when the server does not know it yet.
 */

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RedisConnection } from './connection.js';
import { RedisLayerError } from './redis-errors.js';

/**
 * The Buffer-reply EVAL twins ioredis generates at run time for every command but does not declare
 * for EVAL and EVALSHA. (`callBuffer('evalsha', ...)` is not an option: it breaks under
 * `enableAutoPipelining`.)
 */
interface BufferEval {
  evalshaBuffer(sha: string, numKeys: number, ...args: ScriptArg[]): Promise<unknown>;
  evalBuffer(source: string, numKeys: number, ...args: ScriptArg[]): Promise<unknown>;
}

function hasBufferEval(conn: object): conn is BufferEval {
  return typeof Reflect.get(conn, 'evalshaBuffer') === 'function' && typeof Reflect.get(conn, 'evalBuffer') === 'function';
}

export type ScriptArg = string | Buffer | number;

/** Names of the scripts in `lua/` with the number of keys each takes (-1: any number). */
export const scriptKeyCounts = {
  'append-messages': 1,
  'claim-stream': 1,
  'claim-pending-fenced': 2,
  'read-new-fenced': 2,
  'drop-drained-stream': 1,
  'move-to-dead-letter': 2,
  'release-stream': 1,
  'replay-dead-letter': 2,
  'trim-acknowledged': 1,
  history: 2,
  publish: 2,
  'pubsub-send': 1,
  'publish-many': -1,
  'presence-add': 4,
  'presence-remove': 4,
  'presence-get': 4,
  'presence-stats': 4,
  'node-heartbeat': 2,
  'node-list': 2,
} as const satisfies Record<string, number>;

export type ScriptName = keyof typeof scriptKeyCounts;

function scriptDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'lua');
  if (existsSync(beside)) return beside;
  // tsc does not copy .lua files (scripts/copy-assets.mjs does for the build): fall back to the source tree.
  return join(here.replace(/([\\/])dist[\\/]src[\\/]/, '$1src$1'), 'lua');
}

/** A script's text with every `-- #include <lib>` line replaced by `lua/lib/<lib>.lua`. */
function readScript(name: string): string {
  const dir = scriptDir();
  return readFileSync(join(dir, `${name}.lua`), 'utf8').replace(/^-- #include ([a-z0-9-]+)$/gm, (_line, lib: string) =>
    readFileSync(join(dir, 'lib', `${lib}.lua`), 'utf8'),
  );
}

function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT');
}

const loaded = new Map<ScriptName, LuaScript>();

export class LuaScript {
  readonly name: ScriptName;
  readonly source: string;
  readonly sha: string;
  /** Keys the script takes; -1: any number. */
  readonly numKeys: number;

  private constructor(name: ScriptName, source: string) {
    this.name = name;
    this.source = source;
    this.sha = createHash('sha1').update(source).digest('hex');
    this.numKeys = scriptKeyCounts[name];
  }

  /** Reads `lua/<name>.lua` once (synchronously; call it from a constructor, not at import time). */
  static load(name: ScriptName): LuaScript {
    let script = loaded.get(name);
    if (script === undefined) {
      script = new LuaScript(name, readScript(name));
      loaded.set(name, script);
    }
    return script;
  }

  private checkKeys(keys: readonly string[]): void {
    if (this.numKeys >= 0 && keys.length !== this.numKeys) {
      throw new RedisLayerError('SCRIPT_KEY_COUNT', `script ${this.name} takes ${this.numKeys} keys, got ${keys.length}`);
    }
  }

  /** Runs the script with bulk replies as strings. */
  async run(redis: RedisConnection, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    this.checkKeys(keys);
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!isNoScript(err)) throw err;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }

  /** Runs the script with bulk replies as Buffers. */
  async runBuffer(redis: RedisConnection, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    this.checkKeys(keys);
    if (!hasBufferEval(redis)) throw new RedisLayerError('UNSUPPORTED_CLIENT', 'this ioredis client has no evalshaBuffer');
    try {
      return await redis.evalshaBuffer(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!isNoScript(err)) throw err;
      return redis.evalBuffer(this.source, keys.length, ...keys, ...args);
    }
  }
}
