// Unidirectional transports without an SDK: an EventSource on uni_sse, curl and fetch on
// uni_http_stream and a bare WebSocket on uni_websocket are subscribed server-side (token
// `channels` claim or the ConnectRequest `subs`), receive the connect push, publications and pings,
// recover missed publications through `subs` offsets, and get a disconnect push.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { EventSource } from 'eventsource';
import WebSocket from 'ws';
import { signToken } from '../../src/gateway/index.js';
import { startTestGateway, waitUntil, type TestGateway } from '../helpers/gateway.js';
import { wsPortHttpUrl } from '../helpers/transports.js';

const SECRET = 'transport-uni-test-secret';
const token = (claims: Record<string, unknown>): string => signToken({ exp: Math.floor(Date.now() / 1000) + 3600, ...claims }, SECRET);

interface Push {
  channel?: string;
  pub?: { data: unknown; offset?: number };
  connect?: {
    client: string;
    subs?: Record<string, { recovered?: boolean; epoch?: string; offset?: number; publications?: { data: unknown; offset?: number }[] }>;
    ping?: number;
    pong?: boolean;
  };
  disconnect?: { code: number; reason: string };
}

/** Collects JSON lines of a streamed fetch response. */
function readLines(body: ReadableStream<Uint8Array>, out: unknown[], done: { ended: boolean }): void {
  void (async () => {
    const decoder = new TextDecoder();
    let rest = '';
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      rest += decoder.decode(chunk, { stream: true });
      let at: number;
      while ((at = rest.indexOf('\n')) >= 0) {
        const line = rest.slice(0, at).trim();
        rest = rest.slice(at + 1);
        if (line !== '') out.push(JSON.parse(line));
      }
    }
    done.ended = true;
  })().catch(() => {
    done.ended = true;
  });
}

void describe('unidirectional transports', () => {
  let gw: TestGateway;
  let base: string;

  before(async () => {
    gw = await startTestGateway({ CENTRIFUGO_TOKEN_HMAC_SECRET_KEY: SECRET, WS_PING_INTERVAL: '800ms', WS_PONG_TIMEOUT: '300ms' });
    base = wsPortHttpUrl(gw.wsUrl);
  });
  after(async () => {
    await gw.close();
  });

  void it('uni_sse: an EventSource subscribed by its token gets the connect push, publications and pings', async () => {
    const url = new URL(`${base}/connection/uni_sse`);
    url.searchParams.set('cf_connect', JSON.stringify({ token: token({ sub: 'es', channels: ['chat:uni-sse'] }) }));
    const es = new EventSource(url);
    const got: Push[] = [];
    es.onmessage = (e: { data: string }) => got.push(JSON.parse(e.data) as Push);
    try {
      await waitUntil(() => got.length >= 1, 4000, 'connect push');
      const connect = got[0]?.connect;
      assert.ok(connect !== undefined && typeof connect.client === 'string');
      assert.ok(connect.subs?.['chat:uni-sse'] !== undefined, 'subscribed from the token channels claim');
      assert.equal(connect.pong, undefined, 'no pongs expected from a unidirectional client');
      await gw.publisher.publish('chat:uni-sse', JSON.stringify({ text: 'to the event source' }));
      await waitUntil(() => got.some((p) => p.pub !== undefined), 4000, 'publication');
      const pub = got.find((p) => p.pub !== undefined);
      assert.equal(pub?.channel, 'chat:uni-sse');
      assert.deepEqual(pub?.pub?.data, { text: 'to the event source' });
      await waitUntil(() => got.some((p) => Object.keys(p).length === 0), 4000, 'a ping {}');
      // No pong can come back: the connection stays open past the pong timeout.
      const count = got.length;
      await waitUntil(() => got.filter((p) => Object.keys(p).length === 0).length >= 2, 4000, 'a second ping');
      assert.ok(got.length > count);
      assert.equal(gw.gateway.connectionCount, 1);
    } finally {
      es.close();
    }
    await waitUntil(() => gw.gateway.connectionCount === 0, 4000, 'the stream to end');
  });

  void it(
    'uni_http_stream: curl subscribed by the connect request subs receives publications',
    { skip: existsSync('/usr/bin/curl') ? false : 'no curl' },
    async () => {
      const curl = spawn('curl', [
        '-sN',
        '-X',
        'POST',
        '-H',
        'content-type: application/json',
        '--data',
        '{"token":"' + token({ sub: 'curl' }) + '","subs":{"chat:uni-curl":{}}}',
        `${base}/connection/uni_http_stream`,
      ]);
      let text = '';
      curl.stdout.on('data', (b: Buffer) => {
        text += b.toString('utf8');
      });
      try {
        await waitUntil(() => text.includes('"connect"'), 4000, 'connect push');
        await gw.publisher.publish('chat:uni-curl', JSON.stringify({ text: 'to curl' }));
        await waitUntil(() => text.includes('to curl'), 4000, 'publication');
        const lines = text
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Push);
        assert.ok(lines[0]?.connect?.subs?.['chat:uni-curl'] !== undefined);
        assert.deepEqual(
          lines.find((l) => l.pub !== undefined),
          { channel: 'chat:uni-curl', pub: { data: { text: 'to curl' }, offset: 1 } },
        );
      } finally {
        curl.kill();
      }
    },
  );

  void it('uni_http_stream: recovers missed publications through subs offsets, then gets a disconnect push', async () => {
    const channel = 'chat:uni-recover';
    const first = await gw.publisher.publish(channel, JSON.stringify({ n: 1 }));
    await gw.publisher.publish(channel, JSON.stringify({ n: 2 }));
    await gw.publisher.publish(channel, JSON.stringify({ n: 3 }));
    const body = JSON.stringify({
      token: token({ sub: 'fetch' }),
      subs: { [channel]: { recover: true, offset: first.offset, epoch: first.epoch } },
    });
    const res = await fetch(`${base}/connection/uni_http_stream`, { method: 'POST', body });
    assert.equal(res.status, 200);
    const got: unknown[] = [];
    const done = { ended: false };
    readLines(res.body!, got, done);
    await waitUntil(() => got.length >= 1, 4000, 'connect push');
    const connect = (got[0] as Push).connect!;
    const sub = connect.subs?.[channel];
    assert.equal(sub?.recovered, true);
    assert.deepEqual(
      sub?.publications?.map((p) => p.data),
      [{ n: 2 }, { n: 3 }],
    );
    assert.equal(gw.gateway.disconnectClient(connect.client), true);
    await waitUntil(() => done.ended, 4000, 'the stream to end');
    assert.deepEqual(got.at(-1), { disconnect: { code: 3011, reason: 'force reconnect' } });
  });

  void it('uni_http_stream: a channel the connection may not subscribe to ends the connect with a disconnect push', async () => {
    const res = await fetch(`${base}/connection/uni_http_stream`, {
      method: 'POST',
      body: JSON.stringify({ token: token({ sub: 'x' }), subs: { 'nope:1': {} } }),
    });
    const got: unknown[] = [];
    const done = { ended: false };
    readLines(res.body!, got, done);
    await waitUntil(() => done.ended, 4000, 'the stream to end');
    assert.deepEqual(got, [{ disconnect: { code: 3507, reason: 'permission denied' } }]);
  });

  void it('uni_websocket: the first message is the connect request; pushes arrive as bare Push objects', async () => {
    const ws = new WebSocket(gw.wsUrl.replace('/connection/websocket', '/connection/uni_websocket'));
    const got: Push[] = [];
    ws.on('message', (data: Buffer) => {
      for (const line of data.toString('utf8').split('\n')) got.push(JSON.parse(line) as Push);
    });
    const closed = new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ token: token({ sub: 'ws' }), subs: { 'chat:uni-ws': {} } }));
    await waitUntil(() => got.length >= 1, 4000, 'connect push');
    assert.ok(got[0]?.connect?.subs?.['chat:uni-ws'] !== undefined);
    ws.send('{"anything":"later messages are ignored"}');
    await gw.publisher.publish('chat:uni-ws', JSON.stringify({ text: 'to the socket' }));
    await waitUntil(() => got.some((p) => p.pub !== undefined), 4000, 'publication');
    assert.deepEqual(got.find((p) => p.pub !== undefined)?.pub?.data, { text: 'to the socket' });
    assert.equal(gw.gateway.disconnectClient(got[0].connect.client), true);
    assert.equal(await closed, 3011);
    assert.deepEqual(got.at(-1), { disconnect: { code: 3011, reason: 'force reconnect' } });
  });
});
