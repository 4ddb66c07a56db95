// Protocol rules at the wire, driven by raw WebSockets and the real client: pings and pongs,
// stale connections, commands before connect, malformed and oversized frames, floods.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Centrifuge } from 'centrifuge';
import {
  CLIENT_PROTOCOLS,
  newClient,
  nextEvent,
  protobufConnect,
  rawConnect,
  startTestGateway,
  type RawConnection,
  type TestGateway,
} from '../helpers/gateway.js';

void describe('gateway protocol rules', () => {
  let gw: TestGateway;
  const raws: RawConnection[] = [];
  const clients: Centrifuge[] = [];
  const raw = async (protobuf = false): Promise<RawConnection> => {
    const r = rawConnect(gw.wsUrl, { protobuf });
    raws.push(r);
    await r.opened;
    return r;
  };
  const connectedRaw = async (): Promise<RawConnection> => {
    const r = await raw();
    r.send('{"connect":{"name":"raw"},"id":1}');
    const reply = JSON.parse((await r.nextFrame()).toString()) as { id: number; connect: { client: string; ping: number; pong: boolean } };
    assert.equal(reply.id, 1);
    return r;
  };

  before(async () => {
    gw = await startTestGateway({
      WS_PING_INTERVAL: '400ms',
      WS_PONG_TIMEOUT: '250ms',
      CLIENT_STALE_TIMEOUT: '400ms',
      WS_MESSAGE_SIZE_LIMIT: '2048',
      CLIENT_COMMAND_RATE_LIMIT: '50',
    });
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    for (const r of raws) r.ws.terminate();
    await gw.close();
  });

  void it('advertises ping and pong, sends {} pings after the connect reply and accepts {} pongs', async () => {
    const r = await raw();
    r.send('{"connect":{},"id":1}');
    const reply = JSON.parse((await r.nextFrame()).toString()) as { id: number; connect: { ping: number; pong: boolean } };
    assert.equal(reply.connect.pong, true);
    assert.equal(reply.connect.ping, 1, 'ping interval in whole seconds, rounded up');
    for (let i = 0; i < 3; i++) {
      const ping = (await r.nextFrame(2000)).toString();
      assert.equal(ping, '{}');
      r.send('{}');
    }
    assert.equal(r.ws.readyState, r.ws.OPEN);
  });

  void it('closes with 3012 no pong when pings are not answered', async () => {
    const r = await connectedRaw();
    assert.equal((await r.nextFrame(2000)).toString(), '{}');
    assert.deepEqual(await r.closed, { code: 3012, reason: 'no pong' });
  });

  void it('sends the protobuf ping as the single byte 0x00 and closes a silent protobuf client with 3012', async () => {
    const r = await raw(true);
    assert.equal(r.ws.protocol, 'centrifuge-protobuf');
    r.send(protobufConnect(1));
    const reply = await r.nextFrame();
    assert.equal(reply[1], 0x08, 'varint length prefix, then Reply.id');
    assert.deepEqual([...(await r.nextFrame(2000))], [0]);
    assert.equal((await r.closed).code, 3012);
  });

  for (const protocol of CLIENT_PROTOCOLS) {
    void it(`keeps a real ${protocol} client connected across many pings`, async () => {
      const c = newClient(gw.wsUrl, protocol, { maxServerPingDelay: 2000 });
      clients.push(c);
      let reconnects = 0;
      c.on('connecting', () => reconnects++);
      c.connect();
      await c.ready(4000);
      reconnects = 0;
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(reconnects, 0);
      assert.equal(c.state, 'connected');
    });
  }

  void it('closes a connection that never connects with 3502 stale, without pinging it', async () => {
    const r = await raw();
    const closed = await r.closed;
    assert.deepEqual(closed, { code: 3502, reason: 'stale' });
    assert.equal(r.frames.length, 0);
  });

  const misuse: [string, string | Uint8Array, boolean][] = [
    ['a command before connect', '{"subscribe":{"channel":"chat"},"id":1}', false],
    ['a pong before any ping', '{}', false],
    ['malformed JSON', '{"connect":', false],
    ['an empty frame', '', false],
    ['a blank line', '\n', false],
    ['a command without a known request', '{"id":1,"unknown":{}}', false],
    ['a JSON array', '[1,2,3]', false],
    ['malformed protobuf', Uint8Array.from([0x05, 0xff, 0xff]), true],
    ['a truncated protobuf length', Uint8Array.from([0x80]), true],
  ];
  for (const [name, frame, protobuf] of misuse) {
    void it(`closes with 3501 bad request on ${name}`, async () => {
      const r = await raw(protobuf);
      r.send(frame);
      assert.deepEqual(await r.closed, { code: 3501, reason: 'bad request' });
    });
  }

  void it('closes with 3501 on a second connect, and on id 0 with a non-send command', async () => {
    const a = await connectedRaw();
    a.send('{"connect":{},"id":2}');
    assert.equal((await a.closed).code, 3501);
    const b = await connectedRaw();
    b.send('{"subscribe":{"channel":"chat"}}');
    assert.equal((await b.closed).code, 3501);
  });

  void it('processes connect and subscribes of one frame in order, answers a ping command with 108', async () => {
    const r = await raw();
    r.send('{"connect":{},"id":1}\n{"subscribe":{"channel":"chat"},"id":2}\n{"subscribe":{"channel":"chat"},"id":3}\n{"ping":{},"id":4}');
    const lines: { id?: number; error?: { code: number } }[] = [];
    while (lines.length < 4) {
      for (const line of (await r.nextFrame()).toString().split('\n')) {
        assert.notEqual(line, '', 'no blank lines');
        lines.push(JSON.parse(line) as { id?: number; error?: { code: number } });
      }
    }
    assert.deepEqual(
      lines.map((l) => l.id),
      [1, 2, 3, 4],
    );
    assert.equal(lines[1]?.error, undefined);
    assert.equal(lines[2]?.error?.code, 105);
    assert.equal(lines[3]?.error?.code, 108);
  });

  void it('answers unsubscribe of an unknown channel with success and closes with 3501 on an empty subscribe channel', async () => {
    const r = await connectedRaw();
    r.send('{"unsubscribe":{"channel":"never"},"id":5}');
    assert.deepEqual(JSON.parse((await r.nextFrame()).toString()), { id: 5, unsubscribe: {} });
    r.send('{"subscribe":{"channel":""},"id":6}');
    assert.equal((await r.closed).code, 3501);
  });

  void it('closes with 1009 on a frame over the size limit and keeps serving others', async () => {
    const r = await connectedRaw();
    r.send(`{"publish":{"channel":"chat","data":{"text":"${'x'.repeat(3000)}"}},"id":2}`);
    assert.equal((await r.closed).code, 1009);
    const ok = await connectedRaw();
    ok.send('{"publish":{"channel":"chat","data":{"text":"small"}},"id":2}');
    assert.deepEqual(JSON.parse((await ok.nextFrame()).toString()), { id: 2, publish: {} });
  });

  void it('closes a flooding connection with 3013 too many requests', async () => {
    const r = await connectedRaw();
    for (let f = 0; f < 30; f++) {
      r.send(Array.from({ length: 3 }, (_, i) => `{"history":{"channel":"chat"},"id":${f * 3 + i + 2}}`).join('\n'));
    }
    assert.deepEqual(await r.closed, { code: 3013, reason: 'too many requests' });
  });

  void it('closes a JSON client on gateway shutdown with 3001 and the real client reconnects', async () => {
    const other = await startTestGateway();
    try {
      const c = newClient(other.wsUrl, 'json');
      clients.push(c);
      c.connect();
      await c.ready(4000);
      const connecting = nextEvent<{ code: number; reason: string }>(c, 'connecting');
      await other.close();
      assert.deepEqual(await connecting, { code: 3001, reason: 'shutdown' });
    } finally {
      await other.close();
    }
  });

  void it('serves /health on the HTTP and metrics ports and Prometheus text on /metrics', async () => {
    assert.deepEqual(await (await fetch(`${gw.httpUrl}/health`)).json(), { status: 'ok' });
    assert.deepEqual(await (await fetch(`${gw.metricsUrl}/health`)).json(), { status: 'ok' });
    const text = await (await fetch(`${gw.metricsUrl}/metrics`)).text();
    assert.match(text, /gateway_disconnect_total\{reason="no pong",code="3012"\} [1-9]/);
    assert.match(text, /gateway_disconnect_total\{reason="bad request",code="3501"\} [1-9]/);
    assert.match(text, /gateway_commands_total\{method="connect",result="ok"\} [1-9]/);
    assert.equal((await fetch(`${gw.httpUrl}/nope`)).status, 404);
  });
});
