// The HTTP transports' edges with raw requests: refusals with clear statuses, a bad first frame
// closed with the protocol's 3501 as a disconnect push, pings answered through /emulation,
// CORS preflight, and graceful shutdown ending every stream with a 3001 push.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DirectPipeline } from '../helpers/direct-pipeline.js';
import type { MessagePipeline } from '../../src/queue/index.js';
import { startTestGateway, waitUntil, type TestGateway } from '../helpers/gateway.js';
import { wsPortHttpUrl } from '../helpers/transports.js';

/** Reads a streamed response's lines as they arrive. */
class LineReader {
  readonly lines: string[] = [];
  ended = false;
  constructor(body: ReadableStream<Uint8Array>) {
    void (async () => {
      const decoder = new TextDecoder();
      let rest = '';
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        rest += decoder.decode(chunk, { stream: true });
        let at: number;
        while ((at = rest.indexOf('\n')) >= 0) {
          const line = rest.slice(0, at).trim();
          rest = rest.slice(at + 1);
          if (line !== '') this.lines.push(line);
        }
      }
      this.ended = true;
    })().catch(() => {
      this.ended = true;
    });
  }
}

void describe('HTTP transport edges', () => {
  let gw: TestGateway;
  let base: string;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-http-edges-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ client: { allowed_origins: ['http://app.example'] } }));
    gw = await startTestGateway({ WS_PING_INTERVAL: '600ms', WS_PONG_TIMEOUT: '400ms', CONFIG_FILE: file });
    base = wsPortHttpUrl(gw.wsUrl);
  });
  after(async () => {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  void it('refuses wrong methods, a missing connect command and malformed emulation requests', async () => {
    assert.equal((await fetch(`${base}/connection/http_stream`)).status, 405);
    assert.equal((await fetch(`${base}/connection/sse`)).status, 400);
    assert.equal((await fetch(`${base}/emulation`)).status, 405);
    assert.equal((await fetch(`${base}/emulation`, { method: 'POST', body: 'not json' })).status, 400);
    assert.equal((await fetch(`${base}/emulation`, { method: 'POST', body: JSON.stringify({ session: 's', data: 5 }) })).status, 400);
    const big = 'x'.repeat(gw.config.client.messageSizeLimit + 1);
    assert.equal((await fetch(`${base}/connection/http_stream`, { method: 'POST', body: big })).status, 413);
  });

  void it('answers 204 for a session gone from this node and 404 for a node it cannot reach', async () => {
    const data = JSON.stringify({});
    const own = await fetch(`${base}/emulation`, {
      method: 'POST',
      body: JSON.stringify({ node: gw.config.nodeId, session: 'gone', data }),
    });
    assert.equal(own.status, 204);
    const other = await fetch(`${base}/emulation`, {
      method: 'POST',
      body: JSON.stringify({ node: 'another-node', session: 'gone', data }),
    });
    assert.equal(other.status, 404);
  });

  void it('closes a stream whose first frame is not a command with a 3501 disconnect push', async () => {
    const res = await fetch(`${base}/connection/http_stream`, { method: 'POST', body: 'garbage' });
    assert.equal(res.status, 200);
    const reader = new LineReader(res.body!);
    await waitUntil(() => reader.ended, 4000, 'the stream to end');
    assert.deepEqual(
      reader.lines.map((l) => JSON.parse(l) as unknown),
      [{ push: { disconnect: { code: 3501, reason: 'bad request' } } }],
    );
  });

  void it('pings the stream, takes the pong through /emulation, and closes with 3012 when pongs stop', async () => {
    const res = await fetch(`${base}/connection/http_stream`, { method: 'POST', body: JSON.stringify({ id: 1, connect: {} }) });
    const reader = new LineReader(res.body!);
    await waitUntil(() => reader.lines.length >= 1, 4000, 'connect reply');
    const connect = (JSON.parse(reader.lines[0]!) as { connect: { session: string; node: string; ping: number; pong: boolean } }).connect;
    assert.equal(typeof connect.session, 'string');
    assert.equal(connect.node, gw.config.nodeId);
    assert.equal(connect.pong, true);
    await waitUntil(() => reader.lines.length >= 2, 4000, 'first ping');
    assert.equal(reader.lines[1], '{}');
    const pong = await fetch(`${base}/emulation`, {
      method: 'POST',
      body: JSON.stringify({ node: connect.node, session: connect.session, data: '{}' }),
    });
    assert.equal(pong.status, 204);
    await waitUntil(() => reader.lines.length >= 3, 4000, 'second ping');
    assert.equal(reader.lines[2], '{}');
    await waitUntil(() => reader.ended, 4000, 'the close for the missing pong');
    assert.deepEqual(JSON.parse(reader.lines.at(-1)!), { push: { disconnect: { code: 3012, reason: 'no pong' } } });
  });

  void it('answers a CORS preflight for the emulation endpoint with the origin and requested headers', async () => {
    const res = await fetch(`${base}/emulation`, {
      method: 'OPTIONS',
      headers: { origin: 'http://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), 'http://app.example');
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(res.headers.get('access-control-allow-headers'), 'content-type');
  });

  void it('refuses a page origin the WebSocket endpoint would refuse (client.allowed_origins) with 403', async () => {
    for (const path of ['/connection/http_stream', '/connection/sse', '/emulation']) {
      const res = await fetch(`${base}${path}`, { method: 'POST', headers: { origin: 'http://evil.example' }, body: '{}' });
      assert.equal(res.status, 403, path);
      assert.equal(res.headers.get('access-control-allow-origin'), null);
    }
  });
});

void describe('emulation past the inbox byte bound', () => {
  void it('refuses /emulation requests with 503 while the session holds CLIENT_INBOX_MAX_SIZE of commands', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const gw = await startTestGateway(
      { CLIENT_INBOX_MAX_SIZE: '1024' },
      {
        // rpc answers only once released, so the commands stay held.
        pipeline: ({ publisher }): MessagePipeline => {
          const direct = new DirectPipeline(publisher);
          return {
            submit: (m) => direct.submit(m),
            rpc: async () => {
              await held;
              return '{}';
            },
            start: () => direct.start(),
            close: () => direct.close(),
          };
        },
      },
    );
    try {
      const base = wsPortHttpUrl(gw.wsUrl);
      const reader = new LineReader(
        (await fetch(`${base}/connection/http_stream`, { method: 'POST', body: JSON.stringify({ id: 1, connect: {} }) })).body!,
      );
      await waitUntil(() => reader.lines.length >= 1, 4000, 'connect reply');
      const { session, node } = (JSON.parse(reader.lines[0]!) as { connect: { session: string; node: string } }).connect;
      const rpc = (id: number): string => JSON.stringify({ id, rpc: { method: 'slow', data: { pad: 'x'.repeat(700) } } });
      const post = (data: string): Promise<Response> =>
        fetch(`${base}/emulation`, { method: 'POST', body: JSON.stringify({ node, session, data }) });
      assert.equal((await post(rpc(2))).status, 204);
      assert.equal((await post(rpc(3))).status, 204, 'over the bound now: one frame is always accepted');
      const refused = await post(rpc(4));
      assert.equal(refused.status, 503);
      release();
      await waitUntil(() => reader.lines.filter((l) => l.includes('"rpc"')).length === 2, 4000, 'the two held rpcs answered');
      assert.equal((await post(rpc(5))).status, 204, 'accepted again once the commands finished');
    } finally {
      release();
      await gw.close();
    }
  });
});

void describe('HTTP transports at shutdown', () => {
  void it('ends every stream with a 3001 shutdown push', async () => {
    const gw = await startTestGateway();
    const base = wsPortHttpUrl(gw.wsUrl);
    const stream = new LineReader(
      (await fetch(`${base}/connection/http_stream`, { method: 'POST', body: JSON.stringify({ id: 1, connect: {} }) })).body!,
    );
    const sse = new LineReader(
      (await fetch(`${base}/connection/sse?cf_connect=${encodeURIComponent(JSON.stringify({ id: 1, connect: {} }))}`)).body!,
    );
    await waitUntil(() => stream.lines.length >= 1 && sse.lines.length >= 1, 4000, 'both connect replies');
    await gw.close();
    await waitUntil(() => stream.ended && sse.ended, 4000, 'both streams to end');
    assert.deepEqual(JSON.parse(stream.lines.at(-1)!), { push: { disconnect: { code: 3001, reason: 'shutdown' } } });
    assert.equal(sse.lines.at(-1), 'data: {"push":{"disconnect":{"code":3001,"reason":"shutdown"}}}');
    assert.equal(gw.gateway.shutdownTimedOut, false);
  });
});
