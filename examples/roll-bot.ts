// A `!roll` dice bot running in its own worker pool: it owns the namespace `game` (worker_pool
// "bots"), so it sees every `game:*` channel and the chat workers see none of them. It relays each
// message, and answers `!roll NdM` (e.g. `!roll 2d6`) with the result, sent as user "dice-bot".
//   WORKER_POOL=bots WORKER_ID=bot-1 npx realtime-message worker dist/examples/roll-bot.js
import { randomInt } from 'node:crypto';
import type { ClientInfo, MessageHandler } from 'realtime-message/worker';

const rollCommand = /^!roll\s+(\d{1,2})d(\d{1,3})\s*$/i;

/** The answer to `!roll NdM`, or null when `text` is not one. */
export function roll(text: string): string | null {
  const m = rollCommand.exec(text);
  if (m === null) return null;
  const [count, sides] = [Number(m[1]), Number(m[2])];
  if (count < 1 || sides < 2) return `cannot roll ${count}d${sides}`;
  const dice = Array.from({ length: count }, () => randomInt(1, sides + 1));
  return `rolled ${count}d${sides}: ${dice.join(' + ')} = ${dice.reduce((a, b) => a + b, 0)}`;
}

const bot: MessageHandler = async (msg, ctx) => {
  if (msg.kind !== 'publish') return undefined;
  const info: ClientInfo = { user: msg.user, client: msg.client };
  ctx.publishNoWait(msg.channel, msg.data, { info });
  const answer = roll((JSON.parse(msg.data) as { text: string }).text);
  // The same message id on a redelivery: a bot that must not answer twice would remember msg.id.
  if (answer !== null)
    ctx.publishNoWait(msg.channel, JSON.stringify({ text: `@${msg.user || 'anonymous'} ${answer}` }), {
      info: { user: 'dice-bot', client: '' },
    });
  return undefined;
};

export default bot;
