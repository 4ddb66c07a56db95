/**
 * The benchmark's yardstick: the least a server can do for a publish (decode it, XADD it to one
 * Redis stream, reply) with no auth, channel rules, routing, history or fan-out. Speaks just
 * enough of the protocol (connect, subscribe, publish, pong) for the load tester.
 * Run: `BASELINE_PORT=8100 REDIS_URL=redis://127.0.0.1:6379 tsx bench/baseline-server.ts`.
 */

import { Redis } from 'ioredis';
import { WebSocketServer } from 'ws';
import { codecFor, type Reply } from '../src/protocol/index.js';

const port = Number(process.env.BASELINE_PORT ?? 8100);
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { enableAutoPipelining: true });
const stream = `${process.env.REDIS_PREFIX ?? 'baseline'}:stream`;
let clients = 0;

const wss = new WebSocketServer({ port, host: '127.0.0.1', perMessageDeflate: false, handleProtocols: (p) => (p.has('centrifuge-protobuf') ? 'centrifuge-protobuf' : false) });
wss.on('connection', (ws) => {
  const codec = codecFor(ws.protocol === 'centrifuge-protobuf' ? 'protobuf' : 'json');
  const send = (reply: Reply): void => ws.send(codec.encodeReply(reply), { binary: codec.protocol === 'protobuf' });
  ws.on('message', (frame: Buffer) => {
    for (const cmd of codec.decodeCommands(frame)) {
      const id = cmd.id ?? 0;
      if (cmd.connect !== undefined) send({ id, connect: { client: `baseline-${++clients}` } });
      else if (cmd.subscribe !== undefined) send({ id, subscribe: {} });
      else if (cmd.publish !== undefined) {
        const data = Buffer.from(cmd.publish.data ?? new Uint8Array());
        redis.xadd(stream, 'MAXLEN', '~', '100000', '*', 'channel', cmd.publish.channel ?? '', 'data', data)
          .then(() => send({ id, publish: {} }), () => send({ id, error: { code: 100, message: 'internal server error' } }));
      }
    }
  });
});
wss.on('listening', () => console.log(`baseline server on ws://127.0.0.1:${port}/connection/websocket -> XADD ${stream}`));

const stop = (): void => {
  wss.close();
  for (const ws of wss.clients) ws.terminate();
  redis.disconnect();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
