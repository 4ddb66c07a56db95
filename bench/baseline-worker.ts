/**
 * The benchmark's floor, worker side: reads one stream of `bench/baseline-server.ts` with
 * XREADGROUP (COUNT 100), makes one Lua call per message (INCR the channel's offset, XADD it to
 * the channel's history, PUBLISH it to the server's pub/sub channel), then XACKs the batch.
 * Messages are handled in stream order (one connection, commands pipelined in order).
 * Run: `REDIS_URL=… REDIS_PREFIX=base BASELINE_STREAM=0 tsx bench/baseline-worker.ts`.
 */

import { Redis } from 'ioredis';

const prefix = process.env.REDIS_PREFIX ?? 'baseline';
const stream = `${prefix}:stream:${process.env.BASELINE_STREAM ?? '0'}`;
const group = 'baseline';
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { enableAutoPipelining: true });
// KEYS[1] the channel's offset, KEYS[2] its history stream; ARGV[1] pub/sub channel, ARGV[2] data, ARGV[3] history size.
const PUBLISH_LUA = `local offset = redis.call('INCR', KEYS[1])
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[3], '*', 'o', offset, 'd', ARGV[2])
redis.call('PUBLISH', ARGV[1], offset .. ':' .. ARGV[2])
return offset`;
redis.defineCommand('floorPublish', { numberOfKeys: 2, lua: PUBLISH_LUA });
type FloorRedis = Redis & {
  floorPublish(offsetKey: string, historyKey: string, channel: string, data: string, size: number): Promise<number>;
};
const r = redis as FloorRedis;

let running = true;

async function main(): Promise<void> {
  try {
    await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
  } catch {
    // BUSYGROUP: the group exists already.
  }
  console.log(`baseline worker reading ${stream}`);
  while (running) {
    const res = (await redis.xreadgroup('GROUP', group, 'c', 'COUNT', 100, 'BLOCK', 1000, 'STREAMS', stream, '>')) as
      [string, [string, string[]][]][] | null;
    const entries = res?.[0]?.[1] ?? [];
    if (entries.length === 0) continue;
    const calls: Promise<number>[] = [];
    for (const [, fields] of entries) {
      let channel = '';
      let data = '';
      for (let i = 0; i + 1 < fields.length; i += 2) {
        if (fields[i] === 'channel') channel = fields[i + 1] ?? '';
        else if (fields[i] === 'data') data = fields[i + 1] ?? '';
      }
      calls.push(r.floorPublish(`${prefix}:offset:${channel}`, `${prefix}:history:${channel}`, `${prefix}:pub:${channel}`, data, 100));
    }
    await Promise.all(calls);
    await redis.xack(stream, group, ...entries.map(([id]) => id));
  }
}

const stop = (): void => {
  running = false;
  setTimeout(() => {
    redis.disconnect();
    process.exit(0);
  }, 50).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
