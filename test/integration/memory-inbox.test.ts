// Issue 11, item 2: the per-connection inbox is bounded in bytes, with backpressure. 100
// connections (half JSON, half protobuf) each flood 60 KB commands at the real gateway process (bin/gateway.ts, embedded
// mode, measured under --expose-gc); before the fix each could queue 1000 of them (60 MB). The
// gateway's collected heap must stay within a stated bound, and no connection is dropped for it.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Centrifuge as ProtobufCentrifuge } from 'centrifuge/build/protobuf';
import WebSocket from 'ws';
import { MB } from '../helpers/memory.js';
import { spawnMeasuredGateway, type MeasuredGateway } from '../helpers/measured-gateway.js';

const CONNECTIONS = 100;
const FRAMES_EACH = 999;
const PAD = `{"pad":"${'x'.repeat(60_000)}"}`;
/** The centrifuge-js protobuf codec, to build protobuf frames as the client would. */
const upstream = (
  new ProtobufCentrifuge('ws://127.0.0.1:9/connection/websocket', { websocket: WebSocket }) as unknown as {
    _codec: { encodeCommands(c: unknown[]): Uint8Array };
  }
)._codec;
/** A 60 KB rpc, as the reproduction sent, in each encoding; half of the connections use each. */
const FRAMES = {
  json: Buffer.from(`{"rpc":{"method":"m","data":${PAD}},"id":2}`),
  protobuf: Buffer.from(upstream.encodeCommands([{ id: 2, rpc: { method: 'm', data: new TextEncoder().encode(PAD) } }])),
};
const INBOX = 262_144;
const FRAME_LIMIT = 65_536;
/**
 * Stated bound on heap growth under the flood: per connection its inbox budget plus one frame,
 * three times over (raw frame, decoded command, the pipeline's copy), plus 32 MB for everything
 * else. Without the byte bound the same flood queues up to 100 × 999 × 60 KB ≈ 6 GB.
 */
const BOUND = CONNECTIONS * (INBOX + FRAME_LIMIT) * 3 + 32 * MB;

function open(url: string, protobuf: boolean): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protobuf ? 'centrifuge-protobuf' : 'centrifuge-json');
    ws.once('open', () => {
      ws.send(protobuf ? upstream.encodeCommands([{ id: 1, connect: {} }]) : '{"connect":{},"id":1}');
      ws.once('message', () => resolve(ws));
    });
    ws.once('error', reject);
  });
}

/** Sends FRAMES_EACH frames as fast as the socket takes them (the client's own buffer kept under 256 KB), for at most `ms`. */
async function flood(ws: WebSocket, frame: Buffer, ms: number): Promise<number> {
  const stop = Date.now() + ms;
  let sent = 0;
  while (sent < FRAMES_EACH && Date.now() < stop && ws.readyState === ws.OPEN) {
    if (ws.bufferedAmount < 256 * 1024) {
      ws.send(frame);
      sent++;
    } else {
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  return sent;
}

void describe('inbox byte bound under a flood of 60 KB commands', () => {
  let gw: MeasuredGateway;
  const sockets: WebSocket[] = [];

  before(async () => {
    gw = await spawnMeasuredGateway({
      LOG_LEVEL: 'warn',
      CLIENT_INBOX_MAX_SIZE: String(INBOX),
      WS_MESSAGE_SIZE_LIMIT: String(FRAME_LIMIT),
    });
  });
  after(async () => {
    for (const ws of sockets) ws.terminate();
    await gw.stop();
  });

  void it(`${CONNECTIONS} connections flooding 60 KB commands keep the gateway heap within ${(BOUND / MB).toFixed(0)} MB of its start`, async () => {
    const base = (await gw.heap()).heapUsed;
    for (let i = 0; i < CONNECTIONS; i++) sockets.push(await open(gw.wsUrl, i % 2 === 1));
    let flooding = true;
    let peak = 0;
    const sampler = (async () => {
      while (flooding) {
        peak = Math.max(peak, (await gw.heap()).heapUsed);
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    const sent = await Promise.all(sockets.map((ws, i) => flood(ws, i % 2 === 1 ? FRAMES.protobuf : FRAMES.json, 6000)));
    peak = Math.max(peak, (await gw.heap()).heapUsed);
    flooding = false;
    await sampler;
    const total = sent.reduce((a, b) => a + b, 0);
    const grown = peak - base;
    console.log(
      `# inbox flood: ${total} frames (${((total * FRAMES.json.length) / MB).toFixed(0)} MB) sent, gateway heap peak +${(grown / MB).toFixed(1)} MB, bound ${(BOUND / MB).toFixed(0)} MB`,
    );
    assert.ok(total > CONNECTIONS * 4, 'the flood reached the gateway');
    assert.ok(grown < BOUND, `heap grew ${(grown / MB).toFixed(1)} MB`);
    const dropped = sockets.filter((ws) => ws.readyState !== ws.OPEN).length;
    assert.equal(dropped, 0, 'backpressure, not disconnects');
  });
});
