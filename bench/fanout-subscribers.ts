/**
 * One subscriber process of the fan-out benchmark (`bin/bench-fanout.ts` forks several, with an
 * IPC channel). Opens FANOUT_CONNECTIONS raw `ws` connections to FANOUT_URL (JSON protocol:
 * connect without a token, then subscribe to FANOUT_CHANNEL), answers pings, and for every
 * publication scheduled inside the measured window records the latency from its scheduled send
 * time (`{"t":<epoch ms>}`, its data) to the arrival of its frame in an HDR histogram.
 *
 * A frame may hold several newline-separated pushes. The send times are found with
 * `Buffer.indexOf` and read digit by digit instead of `JSON.parse` of every line: about 0.25
 * against 1.5 µs per push on the benchmark machine, at 200,000 pushes/s a sixth of a core.
 *
 * IPC: sends `{type:'ready', connected, failed}` once every connection answered; receives
 * `{type:'window', from, to}` (epoch ms, scheduled times to count), `{type:'count'}` (answered
 * with the deliveries so far) and `{type:'report'}` (answered with the encoded histogram).
 */

import WebSocket from 'ws';
import { LatencyHistogram } from '../src/loadtest/latency-histogram.js';

const url = process.env.FANOUT_URL ?? '';
const count = Number(process.env.FANOUT_CONNECTIONS ?? 1000);
const channel = process.env.FANOUT_CHANNEL ?? 'chat:fanout';
const CONCURRENCY = 50;
const SETUP_TIMEOUT_MS = 10_000;
const MARKER = Buffer.from('{"t":');
const PING = Buffer.from('{}');

/** What a subscriber process answers to `report`. */
export interface SubscriberReport {
  type: 'report';
  /** Deliveries of publications scheduled inside the window. */
  delivered: number;
  /** Deliveries of publications scheduled before it (warm-up) or after it. */
  outside: number;
  /** Connections that closed while the window was set. */
  closed: number;
  /** Latency histogram, ms (`LatencyHistogram.encode`). */
  histogram: string;
}

const now = (): number => performance.timeOrigin + performance.now();
const histogram = new LatencyHistogram();
let from = Number.POSITIVE_INFINITY;
let to = Number.NEGATIVE_INFINITY;
let delivered = 0;
let outside = 0;
let closed = 0;
const sockets: WebSocket[] = [];

/** Reads the number at `start`: digits with an optional fraction. */
function readNumber(buf: Buffer, start: number): number {
  let value = 0;
  let scale = 0;
  for (let i = start; i < buf.length; i++) {
    const c = buf[i] as number;
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      if (scale > 0) scale *= 10;
    } else if (c === 46 && scale === 0) scale = 1;
    else break;
  }
  return scale > 0 ? value / scale : value;
}

/** True when one of the frame's lines is an empty message (a server ping). */
function hasPing(frame: Buffer): boolean {
  if (frame.length === 2) return frame.equals(PING);
  for (let pos = frame.indexOf('\n{}'); pos >= 0; pos = frame.indexOf('\n{}', pos + 1)) {
    if (pos + 3 === frame.length || frame[pos + 3] === 10) return true;
  }
  return frame[0] === 123 && frame[1] === 125 && frame[2] === 10;
}

function onFrame(ws: WebSocket, frame: Buffer): void {
  const at = now();
  for (let pos = frame.indexOf(MARKER); pos >= 0; pos = frame.indexOf(MARKER, pos + MARKER.length)) {
    const t = readNumber(frame, pos + MARKER.length);
    if (t >= from && t < to) {
      delivered++;
      histogram.recordMs(at - t);
    } else outside++;
  }
  if (hasPing(frame)) ws.send('{}');
}

/** Opens one connection; resolves true once both replies (connect, subscribe) came without error. */
function open(): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
    sockets.push(ws);
    let replies = 0;
    let failed = false;
    const timer = setTimeout(() => resolve(false), SETUP_TIMEOUT_MS);
    const onSetup = (data: Buffer): void => {
      for (const line of data.toString('utf8').split('\n')) {
        if (!line.startsWith('{"id":')) continue;
        replies++;
        if (line.includes('"error":')) failed = true;
      }
      if (replies < 2) return;
      clearTimeout(timer);
      ws.off('message', onSetup);
      ws.on('message', (frame: Buffer) => onFrame(ws, frame));
      resolve(!failed);
    };
    ws.on('message', onSetup);
    ws.once('open', () => ws.send(`{"id":1,"connect":{}}\n{"id":2,"subscribe":{"channel":${JSON.stringify(channel)}}}`));
    ws.once('error', () => resolve(false));
    ws.once('close', () => {
      if (to > 0) closed++;
      resolve(false);
    });
  });
}

process.on('message', (msg: { type: string; from?: number; to?: number }) => {
  if (msg.type === 'window') {
    from = msg.from ?? from;
    to = msg.to ?? to;
  } else if (msg.type === 'count') process.send?.({ type: 'count', delivered });
  else if (msg.type === 'report') {
    const report: SubscriberReport = { type: 'report', delivered, outside, closed, histogram: histogram.encode() };
    process.send?.(report);
  }
});
process.on('SIGTERM', () => {
  for (const ws of sockets) ws.terminate();
  process.exit(0);
});

let next = 0;
let connected = 0;
await Promise.all(
  Array.from({ length: Math.min(CONCURRENCY, count) }, async () => {
    while (next < count) {
      next++;
      if (await open()) connected++;
    }
  }),
);
process.send?.({ type: 'ready', connected, failed: count - connected });
