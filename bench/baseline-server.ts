/**
 * The benchmark's floor, WebSocket side: the least a server can do for the full publish loop with
 * no auth, channel rules, routing table, recovery or limits. A publish is XADDed to one of two
 * worker streams chosen by a hash of its channel (sticky) and answered; a subscribe SUBSCRIBEs the
 * channel's Redis pub/sub channel once per server; a message from it (written by
 * `bench/baseline-worker.ts`) is encoded once and written to the channel's subscribers. Speaks just
 * enough of the JSON protocol (connect, subscribe, publish, ping) for the load tester and the
 * memory benchmark's idle clients.
 * Run: `BASELINE_PORT=8100 REDIS_URL=redis://127.0.0.1:6379 REDIS_PREFIX=base tsx bench/baseline-server.ts`.
 */

import { Redis } from 'ioredis';
import { WebSocketServer, type WebSocket } from 'ws';

const port = Number(process.env.BASELINE_PORT ?? 8100);
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = process.env.REDIS_PREFIX ?? 'baseline';
/** The worker streams a publish is routed to (`<prefix>:stream:0`, `:1`). */
const BASELINE_STREAMS = 2;
const redis = new Redis(url, { enableAutoPipelining: true });
const sub = new Redis(url);
const subscribers = new Map<string, Set<WebSocket>>();
let clients = 0;

/** FNV-1a: the same channel always goes to the same stream. */
function streamOf(channel: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < channel.length; i++) h = Math.imul(h ^ channel.charCodeAt(i), 0x01000193);
  return `${prefix}:stream:${(h >>> 0) % BASELINE_STREAMS}`;
}

// A pub/sub message is `<offset>:<data JSON>`; the channel name follows the prefix.
const pubPrefix = `${prefix}:pub:`;
sub.on('messageBuffer', (channelBuf: Buffer, message: Buffer) => {
  const channel = channelBuf.toString('utf8').slice(pubPrefix.length);
  const set = subscribers.get(channel);
  if (set === undefined) return;
  const colon = message.indexOf(58);
  const frame = `{"push":{"channel":${JSON.stringify(channel)},"pub":{"data":${message.subarray(colon + 1).toString('utf8')},"offset":${message.subarray(0, colon).toString('latin1')}}}}`;
  for (const ws of set) ws.send(frame);
});

interface Command {
  id?: number;
  connect?: unknown;
  subscribe?: { channel?: string };
  publish?: { channel?: string; data?: unknown };
}

const wss = new WebSocketServer({ port, host: '127.0.0.1', perMessageDeflate: false });
wss.on('connection', (ws) => {
  const mine = new Set<string>();
  ws.on('close', () => {
    for (const channel of mine) subscribers.get(channel)?.delete(ws);
  });
  ws.on('message', (frame: Buffer) => {
    for (const line of frame.toString('utf8').split('\n')) {
      if (line === '') continue;
      const cmd = JSON.parse(line) as Command;
      const id = cmd.id ?? 0;
      if (cmd.connect !== undefined)
        ws.send(`{"id":${id},"connect":{"client":"baseline-${++clients}","version":"0","ping":25,"pong":true}}`);
      else if (cmd.subscribe !== undefined) {
        const channel = cmd.subscribe.channel ?? '';
        let set = subscribers.get(channel);
        const first = set === undefined;
        if (set === undefined) subscribers.set(channel, (set = new Set()));
        set.add(ws);
        mine.add(channel);
        const reply = (): void => ws.send(`{"id":${id},"subscribe":{}}`);
        if (first)
          sub
            .subscribe(`${pubPrefix}${channel}`)
            .then(reply, () => ws.send(`{"id":${id},"error":{"code":100,"message":"internal server error"}}`));
        else reply();
      } else if (cmd.publish !== undefined) {
        const channel = cmd.publish.channel ?? '';
        redis
          .xadd(streamOf(channel), 'MAXLEN', '~', '100000', '*', 'channel', channel, 'data', JSON.stringify(cmd.publish.data ?? null))
          .then(
            () => ws.send(`{"id":${id},"publish":{}}`),
            () => ws.send(`{"id":${id},"error":{"code":100,"message":"internal server error"}}`),
          );
      }
    }
  });
});
// Pings like the gateway's (WS_PING_INTERVAL), so an idle connection costs what it costs there.
const pings = setInterval(
  () => {
    for (const ws of wss.clients) ws.send('{}');
  },
  Number(process.env.BASELINE_PING_INTERVAL_MS ?? 25_000),
);
wss.on('listening', () =>
  console.log(`baseline server on ws://127.0.0.1:${port}/connection/websocket -> XADD ${prefix}:stream:{0..${BASELINE_STREAMS - 1}}`),
);

const stop = (): void => {
  clearInterval(pings);
  wss.close();
  for (const ws of wss.clients) ws.terminate();
  redis.disconnect();
  sub.disconnect();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
