// The worker process of the Sentinel failover tests: the real worker runner (runWorker: every
// REDIS_*/WORKER_* setting from the environment, so REDIS_SENTINELS too) with a handler that appends
// `<ms>|<worker id>|<stream>|<channel>|<data>` to HANDLED_FILE (outside Redis, so a failover cannot
// lose a record), then publishes the message back to its channel.
import { appendFileSync } from 'node:fs';
import { messageData, runWorker, type MessageHandler } from '../../src/worker/index.js';

const env = process.env;
const file = env.HANDLED_FILE ?? 'handled.log';
const workerId = env.WORKER_ID ?? 'worker-0';

const handler: MessageHandler = async (msg, ctx) => {
  if (msg.kind !== 'publish') return undefined;
  appendFileSync(file, `${Date.now()}|${workerId}|${ctx.stream}|${msg.channel}|${msg.data}\n`);
  await ctx.publish(msg.channel, messageData(msg), { info: { user: msg.user, client: msg.client } });
  return undefined;
};

await runWorker(handler, { env });
