// The worker process of `npm run chaos`: the real worker (runWorker, all WORKER_* settings from the
// environment) with a handler that records each handling, then publishes the message back to its
// channel. A record is `<ms>|<worker id>|<stream>|<channel>|<data>`, RPUSHed to CHAOS_HANDLED_KEY
// before the publish, so the list's order is the order in which handlings happened.
import { Redis } from 'ioredis';
import { messageData, runWorker, withDotEnv, type MessageHandler } from '../src/worker/index.js';

const env = withDotEnv(process.env);
const handledKey = env.CHAOS_HANDLED_KEY ?? 'chaos:handled';
const workerId = env.WORKER_ID ?? 'worker-0';
// The recorder waits through Redis outages (no per-command retry limit), so a record is never
// skipped: a handling that could not be recorded has not finished.
const recorder = new Redis(env.REDIS_URL ?? '', { maxRetriesPerRequest: null, lazyConnect: false });
recorder.on('error', () => {});

const handler: MessageHandler = async (msg, ctx) => {
  if (msg.kind !== 'publish') return undefined;
  await recorder.rpush(handledKey, `${Date.now()}|${workerId}|${ctx.stream}|${msg.channel}|${msg.data}`);
  await ctx.publish(msg.channel, messageData(msg), { info: { user: msg.user, client: msg.client } });
  return undefined;
};

await runWorker(handler, { env });
