import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { DisconnectError, InappropriateProtocolError, ProtocolDecodeError, codecFor, jsonCodec } from '../../src/protocol/index.js';
import type { Command, Reply } from '../../src/protocol/index.js';

const b = (s: string): Buffer => Buffer.from(s);
const decode = (text: string): Command[] => jsonCodec.decodeCommands(b(text));
const encode = (reply: Reply): string => jsonCodec.encodeReply(reply).toString('utf8');

function decodeError(text: string | Buffer): ProtocolDecodeError {
  try {
    jsonCodec.decodeCommands(typeof text === 'string' ? b(text) : text);
  } catch (err) {
    assert.ok(err instanceof ProtocolDecodeError, `expected ProtocolDecodeError, got ${String(err)}`);
    return err;
  }
  assert.fail(`${JSON.stringify(String(text))} decoded without error`);
}

function encodeError(reply: Reply): InappropriateProtocolError {
  try {
    jsonCodec.encodeReply(reply);
  } catch (err) {
    assert.ok(err instanceof InappropriateProtocolError, `expected InappropriateProtocolError, got ${String(err)}`);
    return err;
  }
  assert.fail('encoded without error');
}

const info = { user: '42', client: 'c-1', conn_info: b('{"n":1}') };
const pub = { data: b('{"text":"hi"}'), info, offset: 7, tags: { k: 'v' } };

void describe('JSON codec: §9 wire vectors and §2.7 shapes', () => {
  void it('decodes the client first frame transcript, keeping data as its raw JSON bytes', () => {
    const frame =
      '{"connect":{"data":{"x":1},"name":"testapp","version":"1.2.3"},"id":1}\n' +
      '{"subscribe":{"channel":"news","positioned":true,"recoverable":true,"join_leave":true,"flag":1},"id":2}';
    assert.deepEqual(decode(frame), [
      { id: 1, connect: { data: b('{"x":1}'), name: 'testapp', version: '1.2.3' } },
      { id: 2, subscribe: { channel: 'news', positioned: true, recoverable: true, join_leave: true, flag: 1 } },
    ]);
  });

  void it('decodes the reconnect transcript with recovery fields', () => {
    const frame =
      '{"connect":{"token":"t"},"id":8}\n' +
      '{"subscribe":{"channel":"news","positioned":true,"recoverable":true,"join_leave":true,"flag":1,"recover":true,"offset":6,"epoch":"ep1"},"id":9}';
    assert.deepEqual(decode(frame), [
      { id: 8, connect: { token: 't' } },
      {
        id: 9,
        subscribe: {
          channel: 'news',
          positioned: true,
          recoverable: true,
          join_leave: true,
          flag: 1,
          recover: true,
          offset: 6,
          epoch: 'ep1',
        },
      },
    ]);
  });

  void it('encodes ping as {} and decodes the pong {} as an empty command', () => {
    assert.equal(encode({}), '{}');
    assert.deepEqual(decode('{}'), [{}]);
  });

  const shapes: [string, Reply, string][] = [
    [
      'connect result',
      {
        id: 1,
        connect: {
          client: 'u',
          version: '6.5.0',
          data: b('{"a":1}'),
          subs: { ch: { recoverable: true } },
          expires: true,
          ttl: 3600,
          ping: 25,
          pong: true,
        },
      },
      '{"id":1,"connect":{"client":"u","version":"6.5.0","expires":true,"ttl":3600,"data":{"a":1},"subs":{"ch":{"recoverable":true}},"ping":25,"pong":true}}',
    ],
    [
      'subscribe result',
      {
        id: 2,
        subscribe: {
          recoverable: true,
          positioned: true,
          epoch: 'xyz',
          offset: 5,
          recovered: true,
          was_recovering: true,
          publications: [{ data: b('{"n":6}'), offset: 6 }],
        },
      },
      '{"id":2,"subscribe":{"recoverable":true,"epoch":"xyz","publications":[{"data":{"n":6},"offset":6}],"recovered":true,"offset":5,"positioned":true,"was_recovering":true}}',
    ],
    [
      'publication push',
      { push: { channel: 'news', pub } },
      '{"push":{"channel":"news","pub":{"data":{"text":"hi"},"info":{"user":"42","client":"c-1","conn_info":{"n":1}},"offset":7,"tags":{"k":"v"}}}}',
    ],
    [
      'join push',
      { push: { channel: 'news', join: { info: { user: '43', client: 'c', conn_info: b('{}') } } } },
      '{"push":{"channel":"news","join":{"info":{"user":"43","client":"c","conn_info":{}}}}}',
    ],
    [
      'leave push with empty user',
      { push: { channel: 'news', leave: { info: { user: '', client: 'c', chan_info: b('[1]') } } } },
      '{"push":{"channel":"news","leave":{"info":{"user":"","client":"c","chan_info":[1]}}}}',
    ],
    [
      'unsubscribe push',
      { push: { channel: 'news', unsubscribe: { code: 2000, reason: 'server unsubscribe' } } },
      '{"push":{"channel":"news","unsubscribe":{"code":2000,"reason":"server unsubscribe"}}}',
    ],
    [
      'subscribe push with offset 0 omitted',
      { push: { channel: 'personal:42', subscribe: { recoverable: true, positioned: true, epoch: 'e', offset: 0 } } },
      '{"push":{"channel":"personal:42","subscribe":{"recoverable":true,"epoch":"e","positioned":true}}}',
    ],
    ['message push', { push: { message: { data: b('{"m":1}') } } }, '{"push":{"message":{"data":{"m":1}}}}'],
    [
      'disconnect push',
      { push: { disconnect: { code: 3001, reason: 'shutdown' } } },
      '{"push":{"disconnect":{"code":3001,"reason":"shutdown"}}}',
    ],
    [
      'error reply',
      { id: 5, error: { code: 103, message: 'permission denied' } },
      '{"id":5,"error":{"code":103,"message":"permission denied"}}',
    ],
    [
      'temporary error reply',
      { id: 5, error: { code: 100, message: 'internal server error', temporary: true } },
      '{"id":5,"error":{"code":100,"message":"internal server error","temporary":true}}',
    ],
    [
      'history result',
      { id: 6, history: { publications: [{ data: b('1'), offset: 7 }], epoch: 'xyz', offset: 7 } },
      '{"id":6,"history":{"publications":[{"data":1,"offset":7}],"epoch":"xyz","offset":7}}',
    ],
    [
      'empty history result keeps its always-emitted fields',
      { id: 6, history: { publications: [], epoch: '', offset: 0 } },
      '{"id":6,"history":{"publications":[],"epoch":"","offset":0}}',
    ],
    [
      'presence result',
      { id: 7, presence: { presence: { c: { user: '42', client: 'c' } } } },
      '{"id":7,"presence":{"presence":{"c":{"user":"42","client":"c"}}}}',
    ],
    ['empty presence result', { id: 7, presence: { presence: {} } }, '{"id":7,"presence":{"presence":{}}}'],
    [
      'presence stats with zeros',
      { id: 8, presence_stats: { num_clients: 0, num_users: 0 } },
      '{"id":8,"presence_stats":{"num_clients":0,"num_users":0}}',
    ],
    ['publish result', { id: 3, publish: {} }, '{"id":3,"publish":{}}'],
    ['unsubscribe result', { id: 3, unsubscribe: {} }, '{"id":3,"unsubscribe":{}}'],
    ['ping result', { id: 3, ping: {} }, '{"id":3,"ping":{}}'],
    ['empty subscribe result', { id: 3, subscribe: {} }, '{"id":3,"subscribe":{}}'],
    ['rpc result', { id: 9, rpc: { data: b('"ok"') } }, '{"id":9,"rpc":{"data":"ok"}}'],
    ['empty rpc result', { id: 9, rpc: {} }, '{"id":9,"rpc":{}}'],
    [
      'refresh result',
      { id: 10, refresh: { client: 'c', version: '1', expires: true, ttl: 30 } },
      '{"id":10,"refresh":{"client":"c","version":"1","expires":true,"ttl":30}}',
    ],
    ['sub_refresh result', { id: 11, sub_refresh: { expires: true, ttl: 31 } }, '{"id":11,"sub_refresh":{"expires":true,"ttl":31}}'],
    [
      'publication with every field, big offset and time',
      {
        push: {
          channel: 'a',
          pub: { data: b('{}'), offset: 2 ** 53 - 1, delta: true, time: 1_700_000_000_123, channel: 'a.b', tags: { 'k"1': 'ü\n' } },
        },
      },
      '{"push":{"channel":"a","pub":{"data":{},"offset":9007199254740991,"tags":{"k\\"1":"ü\\n"},"delta":true,"time":1700000000123,"channel":"a.b"}}}',
    ],
    [
      'zero values and false flags omitted',
      { id: 4, connect: { client: 'c', version: '', expires: false, ttl: 0, ping: 0, pong: false, subs: {} } },
      '{"id":4,"connect":{"client":"c"}}',
    ],
  ];
  for (const [name, reply, expected] of shapes) {
    void it(`encodes ${name}`, () => {
      const out = encode(reply);
      assert.equal(out, expected);
      assert.doesNotThrow(() => JSON.parse(out) as unknown);
      assert.ok(!out.includes('\n'));
    });
  }

  void it('never emits "error" on a success reply', () => {
    for (const [, reply] of shapes) {
      if (reply.error === undefined) assert.ok(!('error' in (JSON.parse(encode(reply)) as object)));
    }
  });

  void it('is the codec returned for the json protocol', () => {
    assert.equal(codecFor('json'), jsonCodec);
    assert.equal(jsonCodec.protocol, 'json');
  });
});

void describe('JSON codec: embedded payloads', () => {
  void it('embeds payload bytes verbatim (big integers, spacing, unicode)', () => {
    const data = b('{ "big": 12345678901234567890, "s": "é\\u0000" }');
    assert.equal(encode({ push: { message: { data } } }), '{"push":{"message":{"data":{ "big": 12345678901234567890, "s": "é\\u0000" }}}}');
  });

  void it('strips raw CR and LF bytes from payloads so they cannot split the frame', () => {
    const out = encode({ push: { message: { data: b('{\r\n  "a": 1,\n  "b": [2]\n}\n') } } });
    assert.equal(out, '{"push":{"message":{"data":{  "a": 1,  "b": [2]}}}}');
  });

  void it('accepts every kind of JSON value as a payload', () => {
    for (const v of ['{}', '[]', '"s"', '-1', '0', '9.5e3', 'true', 'false', 'null', ' \t{"a":1}']) {
      assert.equal(encode({ id: 1, rpc: { data: b(v) } }), `{"id":1,"rpc":{"data":${v}}}`);
    }
  });

  void it('throws InappropriateProtocolError (disconnect 3506) for whitespace-only or binary payloads', () => {
    for (const v of [b('  '), b('\n'), Buffer.from([0x00, 0x01]), b('hello'), Buffer.from([0xff, 0x7b])]) {
      const err = encodeError({ push: { channel: 'c', pub: { data: v } } });
      assert.ok(err instanceof DisconnectError);
      assert.equal(err.code, 3506);
      assert.equal(err.reason, 'inappropriate protocol');
    }
    encodeError({ id: 1, connect: { client: 'c', data: b('x') } });
    encodeError({ push: { channel: 'c', join: { info: { user: '', client: 'c', conn_info: b('\x01') } } } });
  });

  void it('omits an empty payload like any other zero value', () => {
    assert.equal(encode({ id: 1, rpc: { data: new Uint8Array(0) } }), '{"id":1,"rpc":{}}');
  });

  void it('leaves the writer usable after an encoding error', () => {
    encodeError({ push: { message: { data: b('bad') } } });
    assert.equal(encode({ id: 1, publish: {} }), '{"id":1,"publish":{}}');
  });

  void it('escapes strings and map keys', () => {
    const out = encode({ id: 1, connect: { client: 'a"b\\c\u2028', subs: { 'ch\n"x': {} } } });
    assert.deepEqual(JSON.parse(out), { id: 1, connect: { client: 'a"b\\c\u2028', subs: { 'ch\n"x': {} } } });
    assert.ok(!out.includes('\n'));
  });
});

void describe('JSON codec: decoding commands', () => {
  void it('decodes one command of every request type', () => {
    const lines = [
      '{"id":1,"connect":{"token":"t","data":"d","subs":{"s:1":{"recover":true,"epoch":"e","offset":5}},"name":"js","version":"5","headers":{"a":"1"}}}',
      '{"id":2,"subscribe":{"channel":"c","token":"t","recover":true,"epoch":"e","offset":9007199254740991,"data":[1,2],"positioned":true,"recoverable":true,"join_leave":true,"delta":"fossil","flag":-3}}',
      '{"id":3,"unsubscribe":{"channel":"c"}}',
      '{"id":4,"publish":{"channel":"c","data":{"text":"hi"}}}',
      '{"id":5,"presence":{"channel":"c"}}',
      '{"id":6,"presence_stats":{"channel":"c"}}',
      '{"id":7,"history":{"channel":"c","limit":-1,"since":{"offset":3,"epoch":"e"},"reverse":true}}',
      '{"id":8,"ping":{}}',
      '{"send":{"data":42}}',
      '{"id":9,"rpc":{"method":"m","data":null}}',
      '{"id":10,"refresh":{"token":"r"}}',
      '{"id":4294967295,"sub_refresh":{"channel":"c","token":"s"}}',
    ];
    assert.deepEqual(decode(lines.join('\n')), [
      {
        id: 1,
        connect: {
          token: 't',
          data: b('"d"'),
          subs: { 's:1': { recover: true, epoch: 'e', offset: 5 } },
          name: 'js',
          version: '5',
          headers: { a: '1' },
        },
      },
      {
        id: 2,
        subscribe: {
          channel: 'c',
          token: 't',
          recover: true,
          epoch: 'e',
          offset: 2 ** 53 - 1,
          data: b('[1,2]'),
          positioned: true,
          recoverable: true,
          join_leave: true,
          delta: 'fossil',
          flag: -3,
        },
      },
      { id: 3, unsubscribe: { channel: 'c' } },
      { id: 4, publish: { channel: 'c', data: b('{"text":"hi"}') } },
      { id: 5, presence: { channel: 'c' } },
      { id: 6, presence_stats: { channel: 'c' } },
      { id: 7, history: { channel: 'c', limit: -1, since: { offset: 3, epoch: 'e' }, reverse: true } },
      { id: 8, ping: {} },
      { send: { data: b('42') } },
      { id: 9, rpc: { method: 'm' } },
      { id: 10, refresh: { token: 'r' } },
      { id: 4294967295, sub_refresh: { channel: 'c', token: 's' } },
    ]);
  });

  void it('keeps the exact raw text of data, wherever it sits', () => {
    const [cmd] = decode(
      '{"connect":{"subs":{"a\\"b":{"data" : [ 1 , {"x":"}\\""} ]},"z":{}},"data":12345678901234567890},"data":"top","id":1}',
    );
    assert.deepEqual(cmd?.connect?.data, b('12345678901234567890'));
    assert.deepEqual(cmd?.connect?.subs?.['a"b']?.data, b('[ 1 , {"x":"}\\""} ]'));
    assert.deepEqual(cmd?.connect?.subs?.z, {});
  });

  void it('takes the last of duplicated keys, as JSON.parse does', () => {
    assert.deepEqual(decode('{"publish":{"data":1,"channel":"a","data":{"b":2}},"id":1}'), [
      { id: 1, publish: { channel: 'a', data: b('{"b":2}') } },
    ]);
  });

  void it('ignores unknown keys and treats null as absent', () => {
    assert.deepEqual(decode('{"id":1,"subscribe":{"channel":"c","cursor":"x","flag":null,"future":[1]},"method":7,"connect":null}'), [
      { id: 1, subscribe: { channel: 'c' } },
    ]);
  });

  void it('decodes a tag filter and the subscription type', () => {
    const tf = {
      op: 'and',
      nodes: [
        { key: 'k', cmp: 'eq', val: 'v' },
        { key: 'n', cmp: 'in', vals: ['1', '2'] },
      ],
    };
    assert.deepEqual(decode(JSON.stringify({ id: 1, subscribe: { channel: 'c', tf, type: 1 } })), [
      { id: 1, subscribe: { channel: 'c', tf, type: 1 } },
    ]);
    assert.throws(() => decode('{"id":1,"subscribe":{"channel":"c","tf":{"vals":"x"}}}'), /tf.vals: expected an array of strings/);
  });

  void it('tolerates a trailing newline, CRLF line ends and blank lines', () => {
    assert.deepEqual(decode('{"id":1,"publish":{"channel":"a","data":1}}\r\n\n  \n{}\n'), [
      { id: 1, publish: { channel: 'a', data: b('1') } },
      {},
    ]);
  });

  void it('returns payload copies that do not change with the frame', () => {
    const frame = b('{"id":1,"publish":{"channel":"c","data":"abc"}}');
    const [cmd] = jsonCodec.decodeCommands(frame);
    frame.fill(0x20);
    assert.deepEqual(cmd?.publish?.data, b('"abc"'));
  });

  void it('keeps a "__proto__" map key as an own entry', () => {
    const [cmd] = decode('{"id":1,"connect":{"subs":{"__proto__":{"channel":"x"}},"headers":{"__proto__":"v"}}}');
    const subs = cmd?.connect?.subs ?? {};
    assert.equal(Object.getPrototypeOf(subs), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(subs, '__proto__')?.value, { channel: 'x' });
    assert.equal(Object.getOwnPropertyDescriptor(cmd?.connect?.headers, '__proto__')?.value, 'v');
  });
});

void describe('JSON codec: malformed frames throw ProtocolDecodeError', () => {
  const cases: Record<string, string> = {
    'empty frame': '',
    'only a newline': '\n',
    'only blank lines': ' \n\t\r\n',
    'invalid JSON': '{"id":1,',
    'invalid second line': '{}\n{"id":',
    'not an object': '[1]',
    'a bare string': '"x"',
    'null command': 'null',
    'id as a string': '{"id":"x"}',
    'negative id': '{"id":-1}',
    'fractional id': '{"id":1.5}',
    'id beyond uint32': '{"id":4294967296}',
    'channel as a number': '{"id":1,"subscribe":{"channel":5}}',
    'request as an array': '{"id":1,"subscribe":[]}',
    'request as a string': '{"id":1,"publish":"x"}',
    'bool as a string': '{"id":1,"subscribe":{"recover":"true"}}',
    'offset beyond 2^53-1': '{"id":1,"subscribe":{"offset":9007199254740992}}',
    'negative offset': '{"id":1,"subscribe":{"offset":-1}}',
    'limit beyond int32': '{"id":1,"history":{"limit":2147483648}}',
    'since as a number': '{"id":1,"history":{"since":1}}',
    'since offset as a string': '{"id":1,"history":{"since":{"offset":"1"}}}',
    'subs value as a string': '{"id":1,"connect":{"subs":{"a":"b"}}}',
    'header value as a number': '{"id":1,"connect":{"headers":{"a":1}}}',
    'flag as a float': '{"id":1,"subscribe":{"flag":0.5}}',
    'method as a boolean': '{"id":1,"rpc":{"method":true}}',
    'invalid UTF-8 making invalid JSON': '{"id":1\xff}',
  };
  for (const [name, text] of Object.entries(cases)) {
    void it(name, () => {
      decodeError(Buffer.from(text, 'latin1'));
    });
  }

  void it('names the command and field in the message without echoing values', () => {
    const err = decodeError('{}\n{"id":1,"subscribe":{"channel":"secret-token-like"}}\n{"id":2,"subscribe":{"offset":"secret"}}');
    assert.equal(err.message, 'command 2: subscribe.offset: expected a non-negative safe integer');
    assert.ok(!decodeError('{"connect":{"token":"eyJsecret"').message.includes('eyJ'));
  });

  void it('fuzz: random and mutated frames only ever throw ProtocolDecodeError', () => {
    const valid = b(
      '{"connect":{"token":"t","data":{"x":[1,"}"]},"subs":{"c":{"offset":1,"data":2}}},"id":1}\n' +
        '{"publish":{"channel":"c","data":{"a":"b\\"c"}},"id":2}\n{"history":{"since":{"offset":1}},"id":3}',
    );
    const alphabet = b('{}[]":,\\ \n0123456789-.eEtruefalsnl"abc');
    let decodedOk = 0;
    for (let i = 0; i < 4000; i++) {
      let frame: Buffer;
      if (i % 3 === 0) {
        frame = randomBytes(1 + (i % 48));
      } else if (i % 3 === 1) {
        const r = randomBytes(1 + (i % 48));
        frame = Buffer.from(r.map((x) => alphabet[x % alphabet.length] as number));
      } else {
        frame = Buffer.from(valid);
        for (let k = 0; k < 1 + (i % 3); k++) {
          const at = (i * 131 + k * 7919) % frame.length;
          frame[at] = alphabet[(i + k) % alphabet.length] as number;
        }
      }
      try {
        jsonCodec.decodeCommands(frame);
        decodedOk++;
      } catch (err) {
        if (!(err instanceof ProtocolDecodeError)) assert.fail(`${JSON.stringify(frame.toString('latin1'))} threw ${String(err)}`);
      }
    }
    assert.ok(decodedOk > 0, 'some mutated frames should still decode');
  });
});

void describe('JSON codec: framing', () => {
  void it('joins messages with exactly one newline, which the client splits back', () => {
    const replies: Reply[] = [{ id: 1, connect: { client: 'c' } }, { push: { channel: 'a', pub } }, {}];
    const frame = jsonCodec.joinMessages(replies.map((r) => jsonCodec.encodeReply(r))).toString('utf8');
    assert.equal(frame.split('\n').length, 3);
    assert.ok(!frame.includes('\n\n') && !frame.endsWith('\n') && !frame.startsWith('\n'));
    assert.deepEqual(
      frame.split('\n').map((l) => JSON.parse(l) as unknown),
      [
        { id: 1, connect: { client: 'c' } },
        {
          push: {
            channel: 'a',
            pub: { data: { text: 'hi' }, info: { user: '42', client: 'c-1', conn_info: { n: 1 } }, offset: 7, tags: { k: 'v' } },
          },
        },
        {},
      ],
    );
  });

  void it('returns a single message unchanged', () => {
    const one = jsonCodec.encodeReply({});
    assert.equal(jsonCodec.joinMessages([one]), one);
  });

  void it('round-trips payloads of decoded commands into replies byte for byte', () => {
    const [cmd] = decode('{"id":1,"publish":{"channel":"c","data":{"n":12345678901234567890,"t":"\\u00e9"}}}');
    const data = cmd?.publish?.data;
    assert.ok(data);
    assert.equal(
      encode({ push: { channel: 'c', pub: { data } } }),
      '{"push":{"channel":"c","pub":{"data":{"n":12345678901234567890,"t":"\\u00e9"}}}}',
    );
  });
});
