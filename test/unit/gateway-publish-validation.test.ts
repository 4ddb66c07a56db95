// Publication payload validation: JSON object with a `text` of 1..max Unicode characters.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_JSON_DEPTH, codePointLength, duplicateTopLevelKey, validatePublishData } from '../../src/gateway/index.js';
import { ReplyError } from '../../src/protocol/index.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function refusal(data: Uint8Array | undefined, max = 10): string {
  try {
    validatePublishData(data, max);
  } catch (err) {
    assert.ok(err instanceof ReplyError);
    assert.equal(err.code, 107);
    return err.message;
  }
  throw new Error('expected 107');
}

void describe('validatePublishData', () => {
  void it('counts code points, not UTF-16 units or bytes', () => {
    assert.equal(codePointLength('abc'), 3);
    assert.equal(codePointLength('汉字'), 2);
    assert.equal(codePointLength('😀😀'), 2);
    assert.equal(codePointLength('\ud800x'), 2, 'a lone surrogate counts once');
    assert.equal(codePointLength(''), 0);
  });

  void it('accepts text up to the limit in any script and returns the JSON text', () => {
    assert.equal(validatePublishData(enc('{"text":"汉字汉字汉字汉字汉字"}'), 10), '{"text":"汉字汉字汉字汉字汉字"}');
    assert.equal(
      validatePublishData(enc(JSON.stringify({ text: '😀'.repeat(10), extra: 1 })), 10),
      JSON.stringify({ text: '😀'.repeat(10), extra: 1 }),
    );
  });

  void it("returns the sender's exact text, raw newlines, big integers and number spellings included", () => {
    // The issue-11 reproduction: re-serialising turned 9007199254740993 into ...992, 1.50 into 1.5 and 1e400 into null.
    // Raw CR/LF stay here; the JSON encoder drops them when it embeds the payload in a frame.
    const sent = '{"text":"y",\r"id":9007199254740993,"f":1.50,"big":1e400}';
    assert.equal(validatePublishData(enc(sent), 10), sent);
    assert.equal(validatePublishData(enc('{\n"text":\r\n"a"}'), 10), '{\n"text":\r\n"a"}');
  });

  void it('refuses nesting deeper than MAX_JSON_DEPTH with 107 (no stack overflow), CR or not', () => {
    for (const sep of ['', '\r']) {
      const deep = `{"text":"a",${sep}"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
      assert.match(refusal(enc(deep)), new RegExp(`nested deeper than ${MAX_JSON_DEPTH} levels`));
    }
    const ok = `{"text":"a","x":${'['.repeat(MAX_JSON_DEPTH - 1)}${']'.repeat(MAX_JSON_DEPTH - 1)}}`;
    assert.equal(validatePublishData(enc(ok), 10), ok, 'exactly MAX_JSON_DEPTH levels pass');
  });

  void it('refuses a duplicate top-level key, whichever copy holds the long text', () => {
    assert.match(refusal(enc(`{"text":"${'A'.repeat(20)}","text":"ok"}`)), /key "text" more than once/);
    assert.match(refusal(enc(`{"text":"ok","t\\u0065xt":"${'A'.repeat(20)}"}`)), /key "text" more than once/);
    assert.match(refusal(enc('{"text":"ok","a":1,"a":2}')), /key "a" more than once/);
    assert.equal(
      validatePublishData(enc('{"text":"ok","a":{"text":1,"text":2},"b":["text","text"]}'), 10),
      '{"text":"ok","a":{"text":1,"text":2},"b":["text","text"]}',
      'nested objects and strings are not top-level keys',
    );
    assert.equal(duplicateTopLevelKey('{"a\\"b":1,"a\\"c":[{"x":"}"}],"d":"{,"}'), null);
    const many = Array.from({ length: 5000 }, (_, i) => `"k${i}":${i}`).join(',');
    assert.equal(duplicateTopLevelKey(`{${many}}`), null, 'thousands of distinct keys');
    assert.equal(duplicateTopLevelKey(`{"k100":0,${many}}`), 'k100', 'a repeat found past the first 16 keys');
    assert.equal(duplicateTopLevelKey(`{${many},"k4999":1}`), 'k4999');
  });

  void it('says what is wrong', () => {
    assert.match(refusal(undefined), /required/);
    assert.match(refusal(enc('')), /required/);
    assert.match(refusal(Uint8Array.from([0xff, 0xfe])), /UTF-8/);
    assert.match(refusal(enc('{"text":')), /valid JSON/);
    assert.match(refusal(enc('[1]')), /JSON object/);
    assert.match(refusal(enc('null')), /JSON object/);
    assert.match(refusal(enc('"text"')), /JSON object/);
    assert.match(refusal(enc('{"text":1}')), /must be a string/);
    assert.match(refusal(enc('{}')), /must be a string/);
    assert.match(refusal(enc('{"text":""}')), /must not be empty/);
    assert.match(refusal(enc(JSON.stringify({ text: '汉'.repeat(11) }))), /too long: 11 characters, max 10/);
  });
});
