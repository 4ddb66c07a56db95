/**
 * Idle subscribed clients for the memory benchmark: opens IDLE_CONNECTIONS WebSocket connections
 * to IDLE_URL (JSON protocol; connect, subscribe to `chat:room-<i % rooms>`), spread over the
 * source addresses 127.0.0.<1..IDLE_SOURCES> to pass the ephemeral-port range, answers pings,
 * prints `ready <n> <failed>` once all are open and holds them until SIGTERM.
 */

import WebSocket from 'ws';

const url = process.env.IDLE_URL ?? '';
const count = Number(process.env.IDLE_CONNECTIONS ?? 1000);
const offset = Number(process.env.IDLE_OFFSET ?? 0);
const sources = Number(process.env.IDLE_SOURCES ?? 4);
const rooms = Math.max(1, Math.round(Number(process.env.IDLE_TOTAL ?? count) / 20));
const CONCURRENCY = 100;
const sockets: WebSocket[] = [];
let failed = 0;

function open(i: number): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, 'centrifuge-json', { localAddress: `127.0.0.${1 + (i % sources)}`, perMessageDeflate: false });
    sockets.push(ws);
    let answers = 0;
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      if (text === '{}') {
        ws.send('{}');
        return;
      }
      if (answers >= 2) return;
      answers += text.split('\n').filter((l) => l.startsWith('{"id":')).length;
      if (answers >= 2) resolve();
    });
    ws.once('open', () => ws.send(`{"connect":{},"id":1}\n{"subscribe":{"channel":"chat:room-${i % rooms}"},"id":2}`));
    ws.once('error', () => {
      failed++;
      resolve();
    });
  });
}

let next = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < count) await open(offset + next++);
  }),
);
console.log(`ready ${count - failed} ${failed}`);
process.on('SIGTERM', () => {
  for (const ws of sockets) ws.terminate();
  process.exit(0);
});
