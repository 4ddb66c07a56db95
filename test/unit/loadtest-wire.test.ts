import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codecFor, type Reply } from '../../src/protocol/index.js';
import { loadWireFor, type WireReply } from '../../src/loadtest/index.js';

const text = (bytes: Uint8Array | undefined): string => Buffer.from(bytes ?? []).toString('utf8');
const asBuffer = (frame: string | Buffer): Buffer => (typeof frame === 'string' ? Buffer.from(frame) : frame);

for (const protocol of ['json', 'protobuf'] as const) {
  const wire = loadWireFor(protocol);
  const server = codecFor(protocol);

  void describe(`load-test wire (${protocol}) against the gateway's codec`, () => {
    void it('encodes connect, subscribe, publish and pong as the gateway decodes them', () => {
      const frames = [
        wire.connect(1, 'a.b.c', 'loadtest'),
        wire.connect(2, null, 'loadtest'),
        wire.subscribe(3, 'chat:room'),
        wire.publish(300, 'chat:é', '{"text":"hi","ts":1.5,"c":7,"s":0,"r":"x"}'),
        wire.pong(),
      ];
      const commands = frames.map((f) => server.decodeCommands(asBuffer(f)));
      assert.deepEqual(
        commands.map((c) => c.length),
        [1, 1, 1, 1, 1],
      );
      const [connect, anonymous, subscribe, publish, pong] = commands.map((c) => c[0]);
      assert.equal(connect?.id, 1);
      assert.equal(connect?.connect?.token, 'a.b.c');
      assert.equal(connect?.connect?.name, 'loadtest');
      assert.equal(anonymous?.connect?.token ?? '', '');
      assert.equal(subscribe?.id, 3);
      assert.equal(subscribe?.subscribe?.channel, 'chat:room');
      assert.equal(publish?.id, 300);
      assert.equal(publish?.publish?.channel, 'chat:é');
      assert.deepEqual(JSON.parse(text(publish?.publish?.data)), { text: 'hi', ts: 1.5, c: 7, s: 0, r: 'x' });
      assert.equal(pong?.id ?? 0, 0);
      assert.equal(pong?.publish, undefined);
    });

    void it('decodes replies, errors, publications, disconnects and pings the gateway encodes', () => {
      const replies: Reply[] = [
        { id: 1, connect: { client: 'c-1', ping: 25, pong: true } },
        { id: 2, publish: {} },
        { id: 3, error: { code: 106, message: 'limit exceeded' } },
        { push: { channel: 'chat:room', pub: { data: Buffer.from('{"text":"x","ts":2}'), offset: 4 } } },
        { push: { disconnect: { code: 3001, reason: 'shutdown' } } },
        {},
      ];
      const frame = server.joinMessages(replies.map((r) => server.encodeReply(r)));
      const decoded: WireReply[] = [];
      wire.decode(frame, (r) => decoded.push(r));
      assert.equal(decoded.length, 6);
      const [connect, ack, error, pub, disconnect, ping] = decoded as [WireReply, WireReply, WireReply, WireReply, WireReply, WireReply];
      assert.equal(connect.id, 1);
      assert.equal(connect.client, 'c-1');
      assert.equal(connect.ping, false);
      assert.equal(ack.id, 2);
      assert.equal(ack.errorCode, 0);
      assert.equal(error.id, 3);
      assert.equal(error.errorCode, 106);
      assert.equal(error.errorMessage, 'limit exceeded');
      assert.equal(pub.id, 0);
      assert.equal(pub.pubChannel, 'chat:room');
      assert.deepEqual(pub.pubData, { text: 'x', ts: 2 });
      assert.equal(pub.ping, false);
      assert.equal(disconnect.disconnectCode, 3001);
      assert.equal(disconnect.disconnectReason, 'shutdown');
      assert.equal(ping.ping, true);
    });
  });
}
