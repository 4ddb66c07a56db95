/** A Lua script from `./lua/`, run with EVALSHA first and EVAL when the server does not know it yet. */

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';

function readLua(name: string): string {
  const sibling = fileURLToPath(new URL(`./lua/${name}`, import.meta.url));
  // tsc does not copy .lua files: from dist/src/queue fall back to the source tree.
  const source = fileURLToPath(new URL(`../../../src/queue/lua/${name}`, import.meta.url));
  return readFileSync(existsSync(sibling) ? sibling : source, 'utf8');
}

export class RedisScript {
  private readonly name: string;
  private source: string | null = null;
  private sha = '';

  constructor(name: string) {
    this.name = name;
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    if (this.source === null) {
      this.source = readLua(this.name);
      this.sha = createHash('sha1').update(this.source).digest('hex');
    }
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

export const scripts = {
  appendMessages: new RedisScript('append-messages.lua'),
  moveToDeadLetter: new RedisScript('move-to-dead-letter.lua'),
  trimAcknowledged: new RedisScript('trim-acknowledged.lua'),
  claimStream: new RedisScript('claim-stream.lua'),
  releaseStream: new RedisScript('release-stream.lua'),
  dropDrainedStream: new RedisScript('drop-drained-stream.lua'),
  replayDeadLetter: new RedisScript('replay-dead-letter.lua'),
};
