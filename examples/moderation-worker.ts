// A moderation worker for a `publish_mode: "handled"` namespace: the sender's publish succeeds only
// if the message is clean, and fails with error 1403 (a ClientError) otherwise, so the sender knows.
// Accepted messages are published to the channel. Its own pool, so it scales apart from the chat logic:
//   WORKER_POOL=moderation WORKER_ID=mod-1 npx realtime-message worker dist/examples/moderation-worker.js
// with a namespace { "name": "mod", "publish_mode": "handled", "worker_pool": "moderation", ... }
// (examples/workers.config.json).
import { ClientError, type ClientInfo, type MessageHandler } from 'realtime-message/worker';

/** Words refused (an example list: a real filter would load one). */
const banned = ['darn', 'heck', 'frak'];
const bannedPattern = new RegExp(`\\b(${banned.join('|')})\\b`, 'i');
const encoder = new TextEncoder();

const moderate: MessageHandler = async (msg, ctx) => {
  if (msg.kind !== 'publish') return undefined;
  const { text } = JSON.parse(msg.data) as { text: string };
  if (bannedPattern.test(text)) throw new ClientError(1403, 'message refused: mind your language');
  const info: ClientInfo = { user: msg.user, client: msg.client };
  if (msg.connInfo !== undefined) info.conn_info = encoder.encode(msg.connInfo);
  await ctx.publish(msg.channel, msg.data, { info });
  return undefined;
};

export default moderate;
