/**
 * The fan-out benchmark's floor: the batched bare broadcast. The least a server can do to deliver a
 * Redis pub/sub channel to its WebSocket subscribers the way the gateway's outgoing writer does:
 * every message that arrives within one event-loop turn is queued, and at the end of the turn
 * (`setImmediate`, as `src/gateway/outgoing-writer.ts`) each channel's messages go out as ONE
 * newline-separated text frame per socket. No auth, channel rules, history, offsets, presence,
 * pings or limits. Speaks just enough of the JSON protocol (connect, subscribe) for
 * `bench/fanout-subscribers.ts`.
 * A publisher PUBLISHes the publication's data JSON to `<prefix>:broadcast:<channel>`, or, when
 * BROADCAST_API_PORT is set, POSTs `{"channel":…,"data":…}` to `/api/publish` there (with
 * BROADCAST_API_KEY in `X-API-Key`), which PUBLISHes it: the same way in as the gateway's server
 * HTTP API, so both sides' publications cross the server's event loop twice.
 * Run: `BROADCAST_PORT=8200 REDIS_URL=redis://127.0.0.1:6379 REDIS_PREFIX=floor tsx bench/baseline-broadcast.ts`.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Redis } from 'ioredis';
import { WebSocketServer, type WebSocket } from 'ws';

const port = Number(process.env.BROADCAST_PORT ?? 8200);
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = process.env.REDIS_PREFIX ?? 'broadcast';
const pubPrefix = `${prefix}:broadcast:`;
const NEWLINE = Buffer.from('\n');
const sub = new Redis(url);
const subscribers = new Map<string, Set<WebSocket>>();
/** Encoded pushes of this event-loop turn, per channel. */
const pending = new Map<string, Buffer[]>();
let clients = 0;

/** Writes each channel's pushes of this turn as one frame to each of its subscribers. */
function flush(): void {
  for (const [channel, messages] of pending) {
    const frame = messages.length === 1 ? (messages[0] as Buffer) : Buffer.concat(messages.flatMap((m, i) => (i > 0 ? [NEWLINE, m] : [m])));
    for (const ws of subscribers.get(channel) ?? []) ws.send(frame, { binary: false });
  }
  pending.clear();
}

sub.on('messageBuffer', (channelBuf: Buffer, message: Buffer) => {
  const channel = channelBuf.toString('utf8').slice(pubPrefix.length);
  if (!subscribers.has(channel)) return;
  const push = Buffer.from(`{"push":{"channel":${JSON.stringify(channel)},"pub":{"data":${message.toString('utf8')}}}}`);
  if (pending.size === 0) setImmediate(flush);
  const list = pending.get(channel);
  if (list === undefined) pending.set(channel, [push]);
  else list.push(push);
});

interface Command {
  id?: number;
  connect?: unknown;
  subscribe?: { channel?: string };
}

function subscribe(ws: WebSocket, id: number, channel: string, mine: Set<string>): void {
  let set = subscribers.get(channel);
  const first = set === undefined;
  if (set === undefined) subscribers.set(channel, (set = new Set()));
  set.add(ws);
  mine.add(channel);
  const reply = (): void => ws.send(`{"id":${id},"subscribe":{}}`);
  if (!first) return reply();
  sub.subscribe(`${pubPrefix}${channel}`).then(reply, () => ws.send(`{"id":${id},"error":{"code":100,"message":"internal server error"}}`));
}

const wss = new WebSocketServer({ port, host: '127.0.0.1', perMessageDeflate: false });
wss.on('connection', (ws) => {
  const mine = new Set<string>();
  ws.on('close', () => {
    for (const channel of mine) subscribers.get(channel)?.delete(ws);
  });
  ws.on('message', (frame: Buffer) => {
    for (const line of frame.toString('utf8').split('\n')) {
      if (line === '' || line === '{}') continue;
      const cmd = JSON.parse(line) as Command;
      const id = cmd.id ?? 0;
      if (cmd.connect !== undefined) ws.send(`{"id":${id},"connect":{"client":"broadcast-${++clients}","version":"0"}}`);
      else if (cmd.subscribe !== undefined) subscribe(ws, id, cmd.subscribe.channel ?? '', mine);
    }
  });
});
wss.on('listening', () =>
  console.log(`batched bare broadcast on ws://127.0.0.1:${port}/connection/websocket <- SUBSCRIBE ${pubPrefix}<channel>`),
);

/** POST /api/publish: `{"channel","data"}` -> PUBLISH; `{"result":{}}` once Redis answered. */
function apiPublish(req: IncomingMessage, res: ServerResponse, pub: Redis): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const answer = (status: number, body: string): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    if (req.url !== '/api/publish' || req.method !== 'POST') return answer(404, '{}');
    if (req.headers['x-api-key'] !== (process.env.BROADCAST_API_KEY ?? '')) return answer(401, '{}');
    let body: { channel?: unknown; data?: unknown };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
    } catch {
      return answer(400, '{"error":{"code":107,"message":"bad request"}}');
    }
    if (typeof body.channel !== 'string') return answer(400, '{"error":{"code":107,"message":"bad request"}}');
    pub.publish(`${pubPrefix}${body.channel}`, JSON.stringify(body.data)).then(
      () => answer(200, '{"result":{}}'),
      () => answer(200, '{"error":{"code":100,"message":"internal server error"}}'),
    );
  });
}

const apiPort = process.env.BROADCAST_API_PORT;
const pub = apiPort === undefined ? null : new Redis(url);
const api = pub === null ? null : createServer((req, res) => apiPublish(req, res, pub));
api?.listen(Number(apiPort), '127.0.0.1');

const stop = (): void => {
  api?.close();
  pub?.disconnect();
  wss.close();
  for (const ws of wss.clients) ws.terminate();
  sub.disconnect();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
