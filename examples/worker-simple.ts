// The simple worker: logs each message and publishes it back to its channel as the sender, so chat
// works end to end. Run: WORKER_ID=worker-0 npm run worker (REDIS_URL must point at the gateway's Redis).
// In embedded mode (no REDIS_URL) the gateway runs this same handler in-process.
import { pathToFileURL } from 'node:url';
import {
  createWorkerLogger,
  messageData,
  runWorker,
  withDotEnv,
  type ClientInfo,
  type Logger,
  type MessageHandler,
} from 'realtime-message/worker';

const encoder = new TextEncoder();

export function simpleHandler(logger: Pick<Logger, 'debug'>): MessageHandler {
  return async (msg, ctx) => {
    // Payloads are user data: at debug only (LOG_LEVEL=debug), never at info.
    logger.debug({ kind: msg.kind, channel: msg.channel, user: msg.user, data: msg.data, attempt: ctx.attempt }, 'message');
    if (msg.kind === 'rpc') return msg.data;
    if (msg.kind === 'publish') {
      const info: ClientInfo = { user: msg.user, client: msg.client };
      if (msg.connInfo !== undefined) info.conn_info = encoder.encode(msg.connInfo);
      ctx.publishNoWait(msg.channel, messageData(msg), { info });
    }
    return undefined;
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const env = withDotEnv(process.env);
  const logger = createWorkerLogger(env);
  await runWorker(simpleHandler(logger), { env, logger });
}
