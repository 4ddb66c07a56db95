// The binary encoding of publications, client infos and pub/sub messages exchanged through Redis.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeBody, decodeInfo, decodePubSubMessage, encodeBody, encodeInfo } from '../../src/engine/redis/publication-codec.js';

const enc = new TextEncoder();

void describe('publication codec', () => {
  void it('round-trips a body with info, tags and binary data', () => {
    const data = Uint8Array.from([0, 1, 0x0a, 0xff, 0x2c]);
    const info = { user: 'ユーザー', client: 'c-1', conn_info: enc.encode('{"a":1}'), chan_info: new Uint8Array(0) };
    const pub = decodeBody(encodeBody(data, info, { kind: 'chat', é: '' }), 0, 7);
    assert.deepEqual([...pub.data], [...data]);
    assert.equal(pub.offset, 7);
    assert.deepEqual(pub.tags, { kind: 'chat', é: '' });
    assert.equal(pub.info?.user, 'ユーザー');
    assert.deepEqual([...pub.info.conn_info!], [...info.conn_info]);
    assert.equal(pub.info?.chan_info?.length, 0);
  });

  void it('omits absent fields', () => {
    const pub = decodeBody(encodeBody(new Uint8Array(0), undefined, undefined), 0, 0);
    assert.deepEqual(Object.keys(pub), ['data']);
    assert.equal(pub.data.length, 0);
    assert.deepEqual(Object.keys(decodeInfo(encodeInfo({ user: '', client: 'c' }))), ['user', 'client']);
  });

  void it('decodes the pub/sub envelope the publish script writes', () => {
    const body = encodeBody(enc.encode('{"x":1}'), { user: 'u', client: 'c' }, undefined);
    const msg = decodePubSubMessage(Buffer.concat([Buffer.from('p42,Ab-_9xYz\n'), body]));
    assert.ok(msg.kind === 'publication');
    assert.equal(msg.epoch, 'Ab-_9xYz');
    assert.equal(msg.pub.offset, 42);
    assert.equal(Buffer.from(msg.pub.data).toString(), '{"x":1}');
    const plain = decodePubSubMessage(encodeBody(enc.encode('1'), undefined, undefined, 'p0,\n'));
    assert.ok(plain.kind === 'publication');
    assert.equal(plain.pub.offset, undefined);
    assert.equal(plain.epoch, '');
    const leave = decodePubSubMessage(encodeInfo({ user: 'u', client: 'c' }, 'l\n'));
    assert.deepEqual(leave, { kind: 'leave', info: { user: 'u', client: 'c' } });
  });

  void it('rejects truncated or unknown messages', () => {
    const body = encodeBody(enc.encode('x'), { user: 'user', client: 'client' }, undefined);
    assert.throws(() => decodeBody(body.subarray(0, 8), 0, 1), /truncated/);
    assert.throws(() => decodePubSubMessage(Buffer.from('z\n')), /unknown/);
    assert.throws(() => decodePubSubMessage(Buffer.from('p12')), /malformed/);
  });
});
