// A worker process for fault tests (spawned with tsx, killed with SIGKILL): records every handled
// message (in worker pool POOL, default "default") as `<channel>|<data>|<message id>|<pid>|<stream>` with RPUSH to LOG_KEY.
import { Redis } from 'ioredis';
import { createRedisWorker } from '../../src/worker/index.js';

const env = process.env;
const log = new Redis(env.REDIS_URL ?? '');
const delayMs = Number(env.DELAY_MS ?? '0');
const worker = createRedisWorker({
  id: env.WORKER_ID ?? 'worker-x',
  redisUrl: env.REDIS_URL ?? '',
  prefix: env.PREFIX ?? '',
  ...(env.POOL === undefined ? {} : { pool: env.POOL }),
  heartbeatMs: Number(env.HEARTBEAT_MS ?? '200'),
  deadAfterMs: Number(env.DEAD_AFTER_MS ?? '1000'),
  takeover: env.TAKEOVER !== '0',
  batchSize: 20,
  publisher: { publish: async () => {} },
  handler: async (msg, ctx) => {
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    await log.rpush(env.LOG_KEY ?? 'log', `${msg.channel}|${msg.data}|${msg.id}|${process.pid}|${ctx.stream}`);
  },
});
await worker.start();
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void worker.close().then(() => {
    log.disconnect();
    process.exit(0);
  });
});
