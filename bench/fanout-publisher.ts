/**
 * The fan-out benchmark's publisher (a child process of `bin/bench-fanout.ts`, with an IPC
 * channel). Open loop: from FANOUT_START (epoch ms) until FANOUT_TO it publishes FANOUT_RATE
 * publications/s on a fixed schedule, whether or not earlier ones were answered, each carrying its
 * scheduled send time as data (`{"t":<epoch ms>}`), so a subscriber's latency is counted from the
 * time a publication should have been sent (no coordinated omission).
 *
 * FANOUT_TARGET is where to publish: `http://…/api/publish` (the gateway's server HTTP API, with
 * FANOUT_API_KEY in `X-API-Key`, body `{"channel":FANOUT_CHANNEL,"data":…}`) or `redis://…` (a
 * direct PUBLISH to FANOUT_REDIS_CHANNEL: the floor has no history). Publications scheduled from
 * FANOUT_FROM on are measured: send lag and reply latency histograms, counts. Once the last one
 * is answered (or after 10 s) it sends a `PublisherReport` to the parent and exits.
 */

import { Agent, request } from 'node:http';
import { Redis } from 'ioredis';
import { LatencyHistogram } from '../src/loadtest/latency-histogram.js';

const env = process.env;
const target = env.FANOUT_TARGET ?? '';
const rate = Number(env.FANOUT_RATE ?? 100);
const start = Number(env.FANOUT_START ?? 0);
const from = Number(env.FANOUT_FROM ?? start);
const to = Number(env.FANOUT_TO ?? from);
const DRAIN_MS = 10_000;

/** What the publisher reports to the parent. */
export interface PublisherReport {
  type: 'result';
  /** Publications scheduled inside the measured window, sent, acknowledged, failed. */
  scheduled: number;
  acked: number;
  failed: number;
  /** Failures by cause (`http:<status>`, `reply:<code>`, error codes). */
  errors: Record<string, number>;
  /** Publications sent again because the kept-alive socket they went out on was reset (not failures). */
  resent: number;
  /** Publications sent during the warm-up (not measured). */
  warmup: number;
  /** Send lag (actual send - scheduled time) and reply latency (from the scheduled time), ms, encoded. */
  sendLag: string;
  reply: string;
}

const now = (): number => performance.timeOrigin + performance.now();
const sendLag = new LatencyHistogram();
const reply = new LatencyHistogram();
const errors: Record<string, number> = {};
let scheduled = 0;
let acked = 0;
let failed = 0;
let warmup = 0;
let outstanding = 0;
let resent = 0;

type Done = (error: string | null) => void;
type Send = (body: string, done: Done) => void;

function httpSender(): Send {
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const headers = { 'content-type': 'application/json', 'x-api-key': env.FANOUT_API_KEY ?? '' };
  const channel = JSON.stringify(env.FANOUT_CHANNEL ?? 'chat:fanout');
  const send = (body: string, done: Done, again: boolean): void => {
    const req = request(target, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        if (res.statusCode !== 200) done(`http:${res.statusCode}`);
        else if (!text.startsWith('{"result"')) done(`reply:${/"code":(\d+)/.exec(text)?.[1] ?? '?'}`);
        else done(null);
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      // The server closed an idle kept-alive socket as this request went out on it: the request
      // was never read (Node's documented race), so it is sent once more on a fresh socket.
      if (!again && req.reusedSocket && err.code === 'ECONNRESET') {
        resent++;
        send(body, done, true);
      } else done(err.code ?? 'error');
    });
    req.end(body);
  };
  return (data, done) => send(`{"channel":${channel},"data":${data}}`, done, false);
}

function redisSender(): { send: Send; close(): void } {
  const redis = new Redis(target, { enableAutoPipelining: true });
  const channel = env.FANOUT_REDIS_CHANNEL ?? '';
  return {
    send: (data, done) => {
      redis.publish(channel, data).then(
        (receivers) => done(receivers > 0 ? null : 'no receivers'),
        () => done('redis'),
      );
    },
    close: () => redis.disconnect(),
  };
}

/** Sends the publication scheduled at `t` and counts its outcome. */
function publish(send: Send, t: number): void {
  const measured = t >= from;
  if (measured) {
    scheduled++;
    sendLag.recordMs(now() - t);
  } else warmup++;
  outstanding++;
  send(`{"t":${t.toFixed(3)}}`, (error) => {
    outstanding--;
    if (!measured) return;
    if (error === null) {
      acked++;
      reply.recordMs(now() - t);
    } else {
      failed++;
      errors[error] = (errors[error] ?? 0) + 1;
    }
  });
}

/** Runs the schedule; resolves once every publication is answered or the drain time is over. */
async function run(send: Send): Promise<void> {
  const interval = 1000 / rate;
  let k = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const at = now();
      for (let t = start + k * interval; t <= at && t < to; t = start + ++k * interval) publish(send, t);
      const next = start + k * interval;
      if (next >= to) resolve();
      else setTimeout(tick, Math.max(0, next - now()));
    };
    setTimeout(tick, Math.max(0, start - now()));
  });
  const deadline = now() + DRAIN_MS;
  while (outstanding > 0 && now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

const redis = target.startsWith('redis') ? redisSender() : null;
await run(redis?.send ?? httpSender());
const report: PublisherReport = {
  type: 'result',
  scheduled,
  acked,
  failed: failed + outstanding,
  errors: outstanding > 0 ? { ...errors, 'no reply': outstanding } : errors,
  resent,
  warmup,
  sendLag: sendLag.encode(),
  reply: reply.encode(),
};
process.send?.(report, () => {
  redis?.close();
  process.exit(0);
});
