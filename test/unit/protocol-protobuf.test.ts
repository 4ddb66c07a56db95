import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Centrifuge } from 'centrifuge/build/protobuf';
import WebSocket from 'ws';
import { ProtocolDecodeError, codecFor, protobufCodec } from '../../src/protocol/index.js';
import type { Command, Reply } from '../../src/protocol/index.js';

/** The centrifuge-js protobuf codec (protobufjs static code generated from client.proto), as the client uses it. */
interface UpstreamCodec {
  encodeCommands(commands: unknown[]): Uint8Array;
  decodeReplies(data: ArrayBuffer | Uint8Array): unknown[];
  encodeReplies(replies: unknown[]): Uint8Array;
}

// The package does not export its codec; an unconnected client holds one. Failing loudly here beats silently
// losing the cross-check on an upgrade.
const upstream = (
  new Centrifuge('ws://127.0.0.1:9/connection/websocket', { websocket: WebSocket }) as unknown as {
    _codec: UpstreamCodec;
  }
)._codec;

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const b = (s: string): Buffer => Buffer.from(s);

const MAP_FIELDS = new Set(['tags', 'subs', 'headers']);

/**
 * Canonical view for comparisons: proto3 zero values, empty maps and empty lists dropped; bytes as Buffer;
 * long.js values (upstream decodes uint64 with long.js) as numbers; messages as plain objects.
 */
function canon(v: unknown, key = '', parentKey = ''): unknown {
  if (v instanceof Uint8Array) return v.length === 0 ? undefined : Buffer.from(v);
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map((x) => canon(x) ?? {});
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    if (typeof o.toNumber === 'function' && 'low' in o && 'high' in o) return canon((o.toNumber as () => number)());
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o)) {
      const c = canon(o[k], k, key);
      if (c !== undefined) out[k] = c;
    }
    const isMap = MAP_FIELDS.has(key) || (key === 'presence' && parentKey === 'presence');
    return isMap && Object.keys(out).length === 0 ? undefined : out;
  }
  if (v === 0 || v === '' || v === false || v === null) return undefined;
  return v;
}

/** A map whose empty value must survive canon(): maps keep their entries even when values are empty. */
function canonMessage(v: unknown): unknown {
  return canon(v) ?? {};
}

const info = { user: 'u42', client: 'c-1', conn_info: b('{"n":1}'), chan_info: b('"ci"') };
const pub = {
  data: b('{"text":"hi"}'),
  info,
  offset: 2 ** 40 + 7,
  tags: { k: 'v', 'k 2': 'ü' },
  delta: true,
  time: 1_700_000_000_123,
  channel: 'news:1',
};

/** One Reply per result and push type, every field set to a non-zero value. */
const replies: Record<string, Reply> = {
  error: { id: 5, error: { code: 103, message: 'permission denied', temporary: true } },
  connect: {
    id: 1,
    connect: {
      client: 'cid',
      version: '1.0',
      expires: true,
      ttl: 3600,
      data: b('{"a":1}'),
      subs: { 'srv:1': { recoverable: true, epoch: 'e', offset: 3, publications: [pub] } },
      ping: 25,
      pong: true,
      session: 's',
      node: 'n1',
      time: 1_700_000_000_000,
    },
  },
  subscribe: {
    id: 2,
    subscribe: {
      expires: true,
      ttl: 60,
      recoverable: true,
      epoch: 'xyz',
      publications: [pub, { data: b('2'), offset: 9 }],
      recovered: true,
      offset: 2 ** 53 - 1,
      positioned: true,
      data: b('[1]'),
      was_recovering: true,
      delta: true,
    },
  },
  unsubscribe: { id: 3, unsubscribe: {} },
  publish: { id: 4, publish: {} },
  presence: { id: 7, presence: { presence: { 'c-1': info, 'c-2': { user: 'u2', client: 'c-2' } } } },
  presence_stats: { id: 8, presence_stats: { num_clients: 3, num_users: 2 } },
  history: { id: 6, history: { publications: [pub], epoch: 'xyz', offset: 7 } },
  ping_result: { id: 9, ping: {} },
  rpc: { id: 10, rpc: { data: b('{"r":true}') } },
  refresh: { id: 11, refresh: { client: 'cid', version: '2', expires: true, ttl: 30 } },
  sub_refresh: { id: 12, sub_refresh: { expires: true, ttl: 31 } },
  push_pub: { push: { channel: 'news', pub } },
  push_join: { push: { channel: 'news', join: { info } } },
  push_leave: { push: { channel: 'news', leave: { info: { user: '', client: 'c-3' } } } },
  push_unsubscribe: { push: { channel: 'news', unsubscribe: { code: 2000, reason: 'server unsubscribe' } } },
  push_message: { push: { message: { data: b('{"m":1}') } } },
  push_subscribe: { push: { channel: 'p:1', subscribe: { recoverable: true, epoch: 'e', offset: 4, positioned: true, data: b('{}') } } },
  push_disconnect: { push: { disconnect: { code: 3001, reason: 'shutdown', reconnect: true } } },
  ping: {},
};

/** One Command per request type, every field set. */
const commands: Record<string, Command> = {
  connect: {
    id: 1,
    connect: {
      token: 'jwt',
      data: b('{"x":1}'),
      name: 'js',
      version: '5.8.0',
      subs: { 'srv:1': { recover: true, epoch: 'e', offset: 5 } },
      headers: { a: '1', b: '2' },
    },
  },
  subscribe: {
    id: 2,
    subscribe: {
      channel: 'news',
      token: 't',
      recover: true,
      epoch: 'xyz',
      offset: 2 ** 53 - 1,
      data: b('sub'),
      positioned: true,
      recoverable: true,
      join_leave: true,
      delta: 'fossil',
      flag: 3,
    },
  },
  unsubscribe: { id: 3, unsubscribe: { channel: 'news' } },
  publish: { id: 4, publish: { channel: 'news', data: b('{"text":"hi"}') } },
  presence: { id: 5, presence: { channel: 'news' } },
  presence_stats: { id: 6, presence_stats: { channel: 'news' } },
  history: { id: 7, history: { channel: 'news', limit: -1, since: { offset: 2 ** 33, epoch: 'e' }, reverse: true } },
  ping: { id: 8, ping: {} },
  send: { send: { data: b('{"s":1}') } },
  rpc: { id: 9, rpc: { data: b('{}'), method: 'm' } },
  refresh: { id: 10, refresh: { token: 'new' } },
  sub_refresh: { id: 11, sub_refresh: { channel: 'news', token: 'st' } },
  pong: {},
};

function decodeError(frame: Buffer): ProtocolDecodeError {
  try {
    protobufCodec.decodeCommands(frame);
  } catch (err) {
    assert.ok(err instanceof ProtocolDecodeError, `expected ProtocolDecodeError, got ${String(err)}`);
    return err;
  }
  assert.fail(`frame ${frame.toString('hex')} decoded without error`);
}

void describe('protobuf codec: §9 wire vectors', () => {
  void it('decodes the client first frame transcript into its two commands', () => {
    const frame = hex('08 08 01 22 04 22 02 6a 73  15 08 02 2a 11 0a 04 70 62 63 68 42 07 73 75 62 64 61 74 61 70 01');
    assert.deepEqual(protobufCodec.decodeCommands(frame), [
      { id: 1, connect: { name: 'js' } },
      { id: 2, subscribe: { channel: 'pbch', data: b('subdata'), flag: 1 } },
    ]);
  });

  void it('encodes the server ping as 0x00 and decodes the client pong 0x00 as an empty command', () => {
    assert.deepEqual(protobufCodec.encodeReply({}), hex('00'));
    assert.deepEqual(protobufCodec.decodeCommands(hex('00')), [{}]);
  });

  void it('encodes small replies byte-exactly', () => {
    assert.deepEqual(protobufCodec.encodeReply({ id: 3, publish: {} }), hex('04 08 03 42 00'));
    assert.deepEqual(protobufCodec.encodeReply({ id: 5, error: { code: 103, message: 'no' } }), hex('0a 08 05 12 06 08 67 12 02 6e 6f'));
    assert.deepEqual(
      protobufCodec.encodeReply({ push: { channel: 'c', pub: { data: b('1'), offset: 300 } } }),
      hex('0d 22 0b 12 01 63 22 06 22 01 31 30 ac 02'),
    );
  });

  void it('is the codec returned for the protobuf protocol', () => {
    assert.equal(codecFor('protobuf'), protobufCodec);
    assert.equal(protobufCodec.protocol, 'protobuf');
  });
});

void describe('protobuf codec: cross-check with the centrifuge-js codec', () => {
  for (const [name, reply] of Object.entries(replies)) {
    void it(`reply ${name}: upstream decodes what we encode, and encodes the same bytes`, () => {
      const ours = protobufCodec.encodeReply(reply);
      const decoded = upstream.decodeReplies(ours);
      assert.equal(decoded.length, 1);
      assert.deepEqual(canonMessage(decoded[0]), canonMessage(reply));
      assert.deepEqual(ours, Buffer.from(upstream.encodeReplies([canonMessage(reply)])));
    });
  }

  for (const [name, command] of Object.entries(commands)) {
    void it(`command ${name}: we decode what upstream encodes`, () => {
      const frame = Buffer.from(upstream.encodeCommands([command]));
      const decoded = protobufCodec.decodeCommands(frame);
      assert.equal(decoded.length, 1);
      assert.deepEqual(canonMessage(decoded[0]), canonMessage(command));
    });
  }

  void it('decodes every command of one upstream frame, in order', () => {
    const all = Object.values(commands);
    const decoded = protobufCodec.decodeCommands(Buffer.from(upstream.encodeCommands(all)));
    assert.deepEqual(decoded.map(canonMessage), all.map(canonMessage));
  });

  void it('joins encoded replies into one frame upstream splits back in order', () => {
    const all = Object.values(replies);
    const frame = protobufCodec.joinMessages(all.map((r) => protobufCodec.encodeReply(r)));
    assert.deepEqual(upstream.decodeReplies(frame).map(canonMessage), all.map(canonMessage));
  });

  void it('handles long strings and payloads whose lengths need multi-byte varints', () => {
    const big = Buffer.alloc(200_000, 0x61);
    const reply: Reply = {
      id: 1,
      subscribe: { epoch: 'é'.repeat(100), publications: [{ data: big, tags: { t: 'x'.repeat(20_000) } }], offset: 1 },
    };
    const ours = protobufCodec.encodeReply(reply);
    assert.deepEqual(ours, Buffer.from(upstream.encodeReplies([canonMessage(reply)])));
    assert.deepEqual(canonMessage(upstream.decodeReplies(ours)[0]), canonMessage(reply));
    const cmd: Command = { id: 2, publish: { channel: 'c'.repeat(300), data: big } };
    assert.deepEqual(protobufCodec.decodeCommands(Buffer.from(upstream.encodeCommands([cmd]))), [cmd]);
  });

  void it('decodes an offset up to 2^53-1 and a negative int32 limit', () => {
    const cmd: Command = { id: 4294967295, history: { channel: 'h', limit: -1, since: { offset: 2 ** 53 - 1, epoch: '' } } };
    assert.deepEqual(protobufCodec.decodeCommands(Buffer.from(upstream.encodeCommands([cmd]))), [cmd]);
  });
});

void describe('protobuf codec: decoding details', () => {
  void it('skips unknown fields of every wire type', () => {
    // Command: field 99 varint, fixed64, len, group (with a nested varint), fixed32, then id=7.
    const body = hex(`
      98 06 96 01
      99 06 01 02 03 04 05 06 07 08
      9a 06 03 61 62 63
      9b 06 08 01 9c 06
      9d 06 01 02 03 04
      08 07`);
    const frame = Buffer.concat([Buffer.from([body.length]), body]);
    assert.deepEqual(protobufCodec.decodeCommands(frame), [{ id: 7 }]);
  });

  void it('skips fields the codec does not model (SubscribeRequest.cursor, ConnectRequest.flag)', () => {
    const frame = Buffer.from(
      upstream.encodeCommands([
        { id: 1, connect: { flag: 5, name: 'n' } },
        { id: 2, subscribe: { channel: 'c', cursor: 'x', limit: 3 } },
      ]),
    );
    assert.deepEqual(protobufCodec.decodeCommands(frame), [
      { id: 1, connect: { name: 'n' } },
      { id: 2, subscribe: { channel: 'c' } },
    ]);
  });

  void it('decodes a tag filter, the subscription type and the flags the client sends', () => {
    const tf = {
      op: 'or',
      nodes: [
        { key: 'k', cmp: 'in', vals: ['a', 'b'] },
        { op: 'not', nodes: [{ key: 'x', cmp: 'ex' }] },
      ],
    };
    const frame = Buffer.from(upstream.encodeCommands([{ id: 2, subscribe: { channel: 'c', tf, flag: 3, type: 1, delta: 'fossil' } }]));
    assert.deepEqual(protobufCodec.decodeCommands(frame), [{ id: 2, subscribe: { channel: 'c', tf, flag: 3, type: 1, delta: 'fossil' } }]);
  });

  void it('returns payload copies that do not change with the frame', () => {
    const frame = Buffer.from(upstream.encodeCommands([{ id: 1, publish: { channel: 'c', data: b('abc') } }]));
    const [cmd] = protobufCodec.decodeCommands(frame);
    frame.fill(0);
    assert.deepEqual(cmd?.publish?.data, b('abc'));
  });

  void it('keeps a "__proto__" map key as an own entry', () => {
    const entry = Buffer.concat([hex('0a 09'), b('__proto__'), hex('12 01'), b('v')]);
    const connect = Buffer.concat([hex('32'), Buffer.from([entry.length]), entry]);
    const body = Buffer.concat([hex('08 01 22'), Buffer.from([connect.length]), connect]);
    const [cmd] = protobufCodec.decodeCommands(Buffer.concat([Buffer.from([body.length]), body]));
    const headers = cmd?.connect?.headers ?? {};
    assert.equal(Object.getPrototypeOf(headers), Object.prototype);
    assert.deepEqual(Object.keys(headers), ['__proto__']);
    assert.equal(Object.getOwnPropertyDescriptor(headers, '__proto__')?.value, 'v');
  });
});

void describe('protobuf codec: malformed frames throw ProtocolDecodeError', () => {
  const cases: Record<string, string> = {
    'empty frame': '',
    'truncated length varint': '80',
    'length past the end': '05 08 01',
    'truncated varint inside a command': '02 08 80',
    'truncated tag': '01 80',
    'sub-message length past its parent': '04 2a 05 0a 00',
    'string length past the message': '04 2a 02 0a 05',
    'wrong wire type for id': '02 0a 00',
    'wrong wire type for subscribe': '02 28 01',
    'wrong wire type for channel': '04 2a 02 08 01',
    'wrong wire type for offset': '05 2a 03 3a 01 61',
    'invalid wire type 6': '02 16 00',
    'invalid wire type 7': '02 17 00',
    'field number 0': '02 00 01',
    'stray end group': '01 14',
    'unterminated group': '03 13 08 01',
    'mismatched end group': '02 13 24',
    'id beyond uint32': '06 08 80 80 80 80 10',
    'offset beyond 2^53-1': '0b 2a 09 38 80 80 80 80 80 80 80 10',
    'varint longer than 10 bytes': '0c 08 ff ff ff ff ff ff ff ff ff ff 01',
    'varint overflowing 64 bits': '0b 08 ff ff ff ff ff ff ff ff ff 02',
    'fixed64 truncated': '04 11 01 02 03',
    'fixed32 truncated': '03 15 01 02',
    'second command truncated': '00 03 08 01',
  };
  for (const [name, frame] of Object.entries(cases)) {
    void it(name, () => {
      decodeError(hex(frame));
    });
  }

  void it('includes the failing command index in the message', () => {
    assert.match(decodeError(hex('00 02 0a 00')).message, /^command 1:/);
  });

  void it('fuzz: random bytes and mutated valid frames only ever throw ProtocolDecodeError', () => {
    const valid = Buffer.from(upstream.encodeCommands(Object.values(commands)));
    let decodedOk = 0;
    for (let i = 0; i < 4000; i++) {
      let frame: Buffer;
      if (i % 2 === 0) {
        frame = randomBytes(1 + (i % 64));
      } else {
        frame = Buffer.from(valid.subarray(0, 1 + ((i * 7919) % valid.length)));
        for (let k = 0; k < 1 + (i % 4); k++) {
          const at = (i * 31 + k * 977) % frame.length;
          frame[at] = (frame[at] as number) ^ (1 << ((i + k) % 8));
        }
      }
      try {
        protobufCodec.decodeCommands(frame);
        decodedOk++;
      } catch (err) {
        if (!(err instanceof ProtocolDecodeError)) {
          assert.fail(`frame ${frame.toString('hex')} threw ${String(err)}`);
        }
      }
    }
    assert.ok(decodedOk > 0, 'some mutated frames should still decode');
  });
});
