// The `publish_data` dispatch: "text" is the seed's rule, "json" any JSON value, "any" the bytes as
// they are (base64 when they are not UTF-8); and the schema field that carries the encoding.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { publishPayload } from '../../src/gateway/publish-data.js';
import { decodeStreamEntry, encodeStreamEntry, type StreamMessage } from '../../src/queue/index.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const code = (run: () => unknown): number | undefined => {
  try {
    run();
  } catch (err) {
    return (err as { code?: number }).code;
  }
  return undefined;
};

void describe('publishPayload', () => {
  void it('"text" keeps the seed rule', () => {
    assert.deepEqual(publishPayload('text', bytes('{"text":"hi"}'), 10), { data: '{"text":"hi"}' });
    assert.equal(
      code(() => publishPayload('text', bytes('{"hi":1}'), 10)),
      107,
    );
  });

  void it('"json" takes any JSON value and refuses the rest with 107', () => {
    for (const v of ['{"hi":1}', '[1,2]', '"x"', '3', 'null']) assert.deepEqual(publishPayload('json', bytes(v), 10), { data: v });
    assert.deepEqual(
      publishPayload('json', bytes('{\n"a": 1.50}'), 10),
      { data: '{\n"a": 1.50}' },
      "the sender's exact bytes, raw newlines included",
    );
    assert.equal(
      code(() => publishPayload('json', bytes('['.repeat(65) + ']'.repeat(65)), 10)),
      107,
      'nested deeper than 64 levels',
    );
    for (const bad of ['', 'not json', '{'])
      assert.equal(
        code(() => publishPayload('json', bytes(bad), 10)),
        107,
        bad,
      );
    assert.equal(
      code(() => publishPayload('json', Uint8Array.from([0xff]), 10)),
      107,
    );
  });

  void it('"any" passes UTF-8 text untouched and carries other bytes as base64', () => {
    assert.deepEqual(publishPayload('any', bytes('plain text\n'), 10), { data: 'plain text\n' });
    assert.deepEqual(publishPayload('any', undefined, 10), { data: '' });
    assert.deepEqual(publishPayload('any', Uint8Array.from([0xff, 0x00, 0x80]), 10), { data: '/wCA', dataEncoding: 'base64' });
  });
});

void describe('stream entry data_encoding', () => {
  const m: StreamMessage = {
    id: 'i',
    kind: 'publish',
    channel: 'c',
    data: '/wCA',
    dataEncoding: 'base64',
    user: 'u',
    client: 'k',
    node: 'n',
    ts: 1,
  };
  void it('round-trips, and an unknown encoding makes the entry undecodable', () => {
    assert.deepEqual(decodeStreamEntry(encodeStreamEntry(m)), m);
    const fields = encodeStreamEntry(m);
    fields[fields.length - 1] = 'gzip';
    assert.equal(decodeStreamEntry(fields), null);
  });
});
