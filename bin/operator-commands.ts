// Operator commands on the Redis the gateways and workers share: retiring a worker and the
// dead-letter tools. Used by the `realtime-message` command (bin/realtime-message.ts).

import { ErrorCodes, RealtimeError } from '../src/errors/index.js';
import { loadConfig, loadOrExit, loadWorkerConfig, withDotEnv, type Config } from '../src/config/index.js';
import { RedisStreamQueue, type DeadLetter } from '../src/queue/index.js';
import { RedisWorkerRegistry } from '../src/routing/index.js';
import { openRedisConnection, redisTargetOf, type RedisConnection, PipelineKeys, validateWorkerId } from '../src/redis/index.js';

/** An operator mistake (ERR_OPERATOR_COMMAND): printed as one line, exit code 2 (usage) or 1 (refused). */
export class CommandError extends RealtimeError {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(ErrorCodes.OPERATOR_COMMAND, message);
  }
}

interface Connected {
  config: Config;
  redis: RedisConnection;
  keys: PipelineKeys;
}

async function connect(name: string): Promise<Connected> {
  const config = loadOrExit(() => loadConfig(withDotEnv(process.env)));
  const target = redisTargetOf(config);
  if (target === null)
    throw new CommandError(
      'REDIS_URL (or REDIS_SENTINELS) is not set: these commands act on the Redis of gateways and workers (embedded mode keeps nothing to act on)',
    );
  const redis = openRedisConnection(target, { role: 'worker', name });
  redis.on('error', () => {});
  await redis.connect();
  return { config, redis, keys: new PipelineKeys({ prefix: config.redisPrefix, hashTags: config.redisCluster }) };
}

function workerId(value: string | undefined, usage: string): string {
  if (value === undefined) throw new CommandError(usage, 2);
  try {
    return validateWorkerId(value);
  } catch (err) {
    throw new CommandError((err as Error).message, 2);
  }
}

/**
 * `worker retire <id>`: removes a worker of the pool WORKER_POOL (default "default") from its
 * routing set for good; live workers of that pool drain its stream. Refuses an id that is not a member.
 */
export async function retireWorker(args: readonly string[]): Promise<void> {
  const id = workerId(args[0], 'usage: realtime-message worker retire <worker-id>   (the pool is WORKER_POOL, default "default")');
  const pool = loadOrExit(() => loadWorkerConfig(withDotEnv(process.env))).workerPool;
  const { redis, keys } = await connect('worker-retire');
  try {
    const registry = new RedisWorkerRegistry({ redis, keys, pool });
    const members = (await registry.members()).map((m) => m.id);
    if (!members.includes(id)) {
      const orphan = (await registry.orphans()).some((o) => o.id === id);
      throw new CommandError(
        orphan
          ? `${id} is already retired from pool ${pool}; its stream is being drained`
          : `no worker ${id} in pool ${pool} (members: ${members.length === 0 ? 'none' : members.join(', ')}; set WORKER_POOL for another pool)`,
      );
    }
    await registry.deregister(id);
    console.log(`${id} retired from pool ${pool}: its channels move to the pool's other workers; a live worker drains its stream`);
  } finally {
    redis.disconnect();
  }
}

interface DeadLetterArgs {
  action: string;
  worker: string;
  ids: string[];
  count: number;
  to: string | undefined;
}

const deadLettersUsage =
  'usage: realtime-message dead-letters list|replay|purge --worker <id> [--id <entry-id>]... [--count <n>] [--to <worker-id>]\n' +
  '  list: prints up to --count (default 100) dead letters as JSON lines; replay: moves the given (or all) dead letters back\n' +
  '  to the stream of --worker (or --to), same message id; purge: deletes the given (or all) dead letters';

function parseDeadLetterArgs(args: readonly string[]): DeadLetterArgs {
  const [action, ...rest] = args;
  if (action !== 'list' && action !== 'replay' && action !== 'purge') throw new CommandError(deadLettersUsage, 2);
  let worker: string | undefined;
  let to: string | undefined;
  let count = 100;
  const ids: string[] = [];
  for (let i = 0; i < rest.length; i += 2) {
    const [flag, value] = [rest[i], rest[i + 1]];
    if (value === undefined) throw new CommandError(deadLettersUsage, 2);
    if (flag === '--worker') worker = workerId(value, deadLettersUsage);
    else if (flag === '--to') to = workerId(value, deadLettersUsage);
    else if (flag === '--id') ids.push(value);
    else if (flag === '--count' && /^\d{1,6}$/.test(value) && Number(value) > 0) count = Number(value);
    else throw new CommandError(deadLettersUsage, 2);
  }
  if (worker === undefined) throw new CommandError(deadLettersUsage, 2);
  return { action, worker, ids, count, to };
}

function deadLetterLine(d: DeadLetter): string {
  const m = d.message;
  return JSON.stringify({
    entryId: d.entryId,
    sourceEntryId: d.sourceEntryId,
    deadAt: new Date(d.deadAt).toISOString(),
    attempts: d.attempts,
    error: d.error,
    message:
      m === null
        ? null
        : {
            id: m.id,
            kind: m.kind,
            channel: m.channel,
            user: m.user,
            data: m.data,
            ...(m.dataEncoding === undefined ? {} : { dataEncoding: m.dataEncoding }),
          },
  });
}

/** `dead-letters list|replay|purge --worker <id>`. */
export async function deadLetters(args: readonly string[]): Promise<void> {
  const a = parseDeadLetterArgs(args);
  const { redis, keys } = await connect('dead-letters');
  try {
    const queue = new RedisStreamQueue({ redis: redis, keys });
    const which = a.ids.length > 0 ? a.ids : 'all';
    if (a.action === 'list') {
      const total = await queue.countDeadLetters(a.worker);
      for (const d of await queue.readDeadLetters(a.worker, a.count)) console.log(deadLetterLine(d));
      console.error(`${total} dead letter(s) for ${a.worker}${total > a.count ? ` (first ${a.count} shown; --count for more)` : ''}`);
    } else if (a.action === 'replay') {
      const moved = await queue.replayDeadLetters(a.worker, which, a.to ?? a.worker);
      console.log(
        `${moved} dead letter(s) of ${a.worker} replayed into the stream of ${a.to ?? a.worker} (same message ids: handlers de-duplicate by them)`,
      );
    } else {
      console.log(`${await queue.purgeDeadLetters(a.worker, which)} dead letter(s) of ${a.worker} deleted`);
    }
  } finally {
    redis.disconnect();
  }
}
