/**
 * Reconnect demo: `npm run reconnect:demo`. Connects with the reconnecting client, subscribes to
 * CHANNEL, publishes now and then, and prints state changes, reconnect attempts and delays,
 * messages (live or recovered) and running statistics. Restart the gateway under it to watch.
 *
 * GATEWAY_URL (comma-separated for failover), CHANNEL, USER_NAME, TOKEN (a JWT) or TOKEN_SECRET
 * (mints one for USER_NAME), PUBLISH_INTERVAL_MS (0: never publish), STATS_INTERVAL_MS.
 */

import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { createReconnectClient } from '../src/client/index.js';
import { signToken } from '../src/gateway/index.js';

const env = process.env;
const urls = (env.GATEWAY_URL ?? 'ws://localhost:8000/connection/websocket')
  .split(',')
  .map((u) => u.trim())
  .filter((u) => u !== '');
const channel = env.CHANNEL ?? 'chat';
const userName = env.USER_NAME ?? `demo-${randomBytes(2).toString('hex')}`;
const publishEveryMs = Number(env.PUBLISH_INTERVAL_MS ?? 3000);
const statsEveryMs = Number(env.STATS_INTERVAL_MS ?? 10_000);
const token =
  env.TOKEN ??
  (env.TOKEN_SECRET !== undefined && env.TOKEN_SECRET !== ''
    ? signToken({ sub: userName, exp: Math.floor(Date.now() / 1000) + 24 * 3600 }, env.TOKEN_SECRET)
    : undefined);

const stats = {
  startedAt: Date.now(),
  connects: 0,
  reconnects: 0,
  attempts: 0,
  disconnects: 0,
  live: 0,
  recovered: 0,
  published: 0,
  publishFailed: 0,
  recoveries: 0,
  unrecovered: 0,
  lastDowntimeMs: 0,
  downSince: 0,
};
const time = (): string => new Date().toISOString().slice(11, 23);
const say = (message: string): void => console.log(`${time()} ${message}`);

const client = createReconnectClient({
  url: urls,
  data: { name: userName },
  token,
  websocket: WebSocket,
  minReconnectDelay: Number(env.MIN_RECONNECT_DELAY_MS ?? 500),
  maxReconnectDelay: Number(env.MAX_RECONNECT_DELAY_MS ?? 20_000),
  maxServerPingDelay: 10_000,
  debug: env.DEBUG === '1',
});

client.on('state', ({ state, previous }) => say(`state: ${previous} -> ${state}`));
client.on('connected', ({ clientId, url }) => {
  stats.connects++;
  say(`connected as ${clientId} to ${url}`);
});
client.on('reconnecting', ({ attempt, delay, url }) => {
  stats.attempts++;
  say(`reconnecting: attempt ${attempt} after ${delay} ms backoff -> ${url}`);
});
client.on('reconnected', ({ clientId, previousClientId, downtimeMs }) => {
  stats.reconnects++;
  stats.lastDowntimeMs = downtimeMs;
  stats.downSince = 0;
  say(`reconnected: ${previousClientId} -> ${clientId} after ${downtimeMs} ms offline`);
});
client.on('disconnected', ({ code, reason, reconnect }) => {
  stats.disconnects++;
  if (stats.downSince === 0) stats.downSince = Date.now();
  say(`disconnected: code ${code} (${reason}), ${reconnect ? 'will reconnect' : 'not reconnecting'}`);
});
client.on('error', ({ type, message }) => say(`error (${type}): ${message}`));
client.on('subscribed', ({ channel: ch, resubscribe, wasRecovering, recovered, streamPosition }) => {
  if (wasRecovering) {
    if (recovered) stats.recoveries++;
    else stats.unrecovered++;
  }
  const position = streamPosition === undefined ? '' : ` at offset ${streamPosition.offset}`;
  const recovery = wasRecovering ? (recovered ? 'recovered every missed message' : 'NOT recovered (messages may be missing)') : 'fresh';
  say(`${resubscribe ? 'resubscribed' : 'subscribed'} to ${ch}${position}: ${recovery}`);
});
client.on('unsubscribed', ({ channel: ch, code, reason }) => say(`unsubscribed from ${ch}: ${code} ${reason}`));
client.on('publication', ({ data, offset, recovered, info }) => {
  if (recovered) stats.recovered++;
  else stats.live++;
  const text = typeof data === 'object' && data !== null && 'text' in data ? String(data.text) : JSON.stringify(data);
  say(`message${recovered ? ' (recovered)' : ''} #${offset ?? '-'} from ${info?.user || info?.client || 'server'}: ${text}`);
});

function printStats(): void {
  const upS = ((Date.now() - stats.startedAt) / 1000).toFixed(0);
  const down = stats.downSince > 0 ? `, offline for ${Date.now() - stats.downSince} ms` : '';
  say(
    `stats: up ${upS}s, state ${client.state}, connects ${stats.connects}, reconnects ${stats.reconnects}` +
      ` (attempts ${stats.attempts}, last downtime ${stats.lastDowntimeMs} ms${down}), disconnects ${stats.disconnects},` +
      ` messages ${stats.live} live + ${stats.recovered} recovered, recoveries ${stats.recoveries} ok / ${stats.unrecovered} failed,` +
      ` published ${stats.published} (${stats.publishFailed} failed)`,
  );
}

let counter = 0;
const publishTimer =
  publishEveryMs > 0
    ? setInterval(() => {
        if (client.state !== 'connected') return;
        counter++;
        client
          .publish(channel, { text: `hello #${counter} from ${userName}` })
          .then(() => {
            stats.published++;
          })
          .catch((err: unknown) => {
            stats.publishFailed++;
            say(`publish failed: ${(err as { message?: string }).message ?? String(err)}`);
          });
      }, publishEveryMs)
    : null;
const statsTimer = setInterval(printStats, statsEveryMs);

say(`reconnect demo: user ${userName}, channel ${channel}, gateways ${urls.join(', ')}${token !== undefined ? ', with token' : ''}`);
client.subscribe(channel);
client.connect();

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (publishTimer !== null) clearInterval(publishTimer);
  clearInterval(statsTimer);
  printStats();
  await client.close();
  say('closed');
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
