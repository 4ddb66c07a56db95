// The simple worker: logs each message and publishes it back to its channel as the sender, so chat
// works end to end. Run: WORKER_ID=worker-0 npm run worker (REDIS_URL must point at the gateway's Redis).
// In embedded mode (no REDIS_URL) the gateway runs this same handler in-process.
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import type { ClientInfo } from '../src/protocol/index.js';
import type { MessageHandler } from '../src/worker/index.js';
import { withDotEnv } from '../src/config/index.js';
import { createWorkerLogger, runWorker } from '../src/worker/index.js';

const encoder = new TextEncoder();

export function simpleHandler(logger: Pick<Logger, 'info'>): MessageHandler {
  return async (msg, ctx) => {
    logger.info({ kind: msg.kind, channel: msg.channel, user: msg.user, data: msg.data, attempt: ctx.attempt }, 'message');
    if (msg.kind === 'rpc') return msg.data;
    if (msg.kind === 'publish') {
      const info: ClientInfo = { user: msg.user, client: msg.client };
      if (msg.connInfo !== undefined) info.conn_info = encoder.encode(msg.connInfo);
      ctx.publishNoWait(msg.channel, msg.data, { info });
    }
    return undefined;
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const env = withDotEnv(process.env);
  const logger = createWorkerLogger(env);
  await runWorker(simpleHandler(logger), { env, logger });
}
