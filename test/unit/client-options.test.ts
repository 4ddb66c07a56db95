import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { createReconnectClient, type WebSocketConstructor } from '../../src/client/index.js';

const websocket = WebSocket as unknown as WebSocketConstructor;

void describe('createReconnectClient options', () => {
  void it('needs at least one ws:// or wss:// url', () => {
    assert.throws(() => createReconnectClient({ url: [], websocket }), /at least one url/);
    assert.throws(() => createReconnectClient({ url: 'http://localhost:8000', websocket }), /not a ws:\/\/ or wss:\/\/ url/);
    assert.throws(() => createReconnectClient({ url: ['ws://a/x', 'ftp://b'], websocket }), /ftp:\/\/b/);
  });

  void it('asks for a WebSocket class where there is no global one', { skip: 'WebSocket' in globalThis }, () => {
    assert.throws(() => createReconnectClient({ url: 'ws://localhost:1/x' }), /pass the `ws` package/);
  });

  void it('starts disconnected, on the first endpoint, with no client id, and refuses to connect once closed', async () => {
    const client = createReconnectClient({ url: ['ws://127.0.0.1:1/a', 'ws://127.0.0.1:2/b'], websocket });
    assert.equal(client.state, 'disconnected');
    assert.equal(client.url, 'ws://127.0.0.1:1/a');
    assert.equal(client.clientId, null);
    await client.close();
    assert.throws(() => client.connect(), /closed/);
    assert.throws(() => client.subscribe('chat'), /closed/);
  });

  void it('rotates to the next endpoint on each reconnect attempt and reports the wait', async () => {
    // Nothing listens on these ports: every attempt fails at once and centrifuge backs off.
    const client = createReconnectClient({
      url: ['ws://127.0.0.1:1/a', 'ws://127.0.0.1:2/b', 'ws://127.0.0.1:3/c'],
      websocket,
      minReconnectDelay: 20,
      maxReconnectDelay: 40,
    });
    const attempts: { attempt: number; delay: number; url: string }[] = [];
    const errors: string[] = [];
    client.on('error', (e) => errors.push(e.type));
    await new Promise<void>((resolve) => {
      client.on('reconnecting', (ctx) => {
        attempts.push(ctx);
        if (attempts.length === 4) resolve();
      });
      client.connect();
    });
    await client.close();
    assert.deepEqual(
      attempts.map((a) => a.attempt),
      [1, 2, 3, 4],
    );
    assert.deepEqual(
      attempts.map((a) => a.url),
      ['ws://127.0.0.1:2/b', 'ws://127.0.0.1:3/c', 'ws://127.0.0.1:1/a', 'ws://127.0.0.1:2/b'],
    );
    // centrifuge's backoff is at least minReconnectDelay; timers may fire a little early.
    for (const a of attempts) assert.ok(a.delay >= 15, `delay ${a.delay}`);
    assert.ok(errors.includes('transport'));
    assert.equal(client.state, 'disconnected');
  });
});
